package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"golang.org/x/term"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/checks"
)

func (v *decodeView) writeJSON(w io.Writer) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeText prints the token for a person: what it is, its header and
// claims in the order sent, times made readable, warnings and checks.
func (v *decodeView) writeText(w io.Writer) error {
	var b strings.Builder
	tok := v.tok
	fmt.Fprintf(&b, "%s\n", v.Description)
	fmt.Fprintf(&b, "  input      %s\n", v.Input)
	fmt.Fprintf(&b, "  signature  %s, %d bytes, not shown; %s\n", orNone(v.Signature.Alg), v.Signature.Bytes, v.Signature.Detail)
	c := &tok.Claims
	if u := c.User(); u != "" || c.Oid != "" {
		fmt.Fprintf(&b, "  user       %s\n", strings.TrimSpace(u+" "+parenthesized("oid "+c.Oid, c.Oid != "")))
	}
	if id := c.ClientID(); id != "" {
		fmt.Fprintf(&b, "  client     %s%s\n", id, knownClient(id))
	}
	if c.Exp != nil {
		fmt.Fprintf(&b, "  expires    %s\n", auth.HumanTime(c.Exp.Time, v.now))
	}

	b.WriteString("\nHeader\n")
	writeMembers(&b, tok.HeaderNames(), func(k string) json.RawMessage { return headerMember(tok, k) }, nil)
	b.WriteString("\nClaims\n")
	times := map[string]timeView{}
	for _, t := range v.Times {
		times[t.Claim] = t
	}
	writeMembers(&b, tok.ClaimNames(), func(k string) json.RawMessage { return c.Raw[k] }, func(k string) string {
		t, ok := times[k]
		if !ok || t.Time == "" {
			return ""
		}
		return "  " + t.Time + " (" + t.Relative + ")"
	})
	if len(v.Warnings) > 0 {
		b.WriteString("\nWarnings\n")
		for _, w := range v.Warnings {
			fmt.Fprintf(&b, "  ! %s\n", w)
		}
	}
	if len(v.Checks) > 0 || v.Signature.Verified != nil {
		b.WriteString("\nChecks\n")
		if v.Signature.Verified != nil {
			fmt.Fprintf(&b, "  %s signature: %s\n", mark(*v.Signature.Verified), v.Signature.Detail)
		}
		for _, e := range v.Checks {
			fmt.Fprintf(&b, "  %s %s: %s\n", mark(e.OK), e.Name, e.Detail)
		}
	}
	_, err := io.WriteString(w, sanitize(b.String()))
	return err
}

func parenthesized(s string, ok bool) string {
	if !ok {
		return ""
	}
	return "(" + s + ")"
}

func knownClient(id string) string {
	switch strings.ToLower(id) {
	case checks.AzureCLIClientID:
		return " (Azure CLI)"
	case "aebc6443-996d-45c2-90f0-388ff96faa56":
		return " (VS Code)"
	}
	return ""
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func headerMember(tok *auth.Token, name string) json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(tok.RawHeader, &m); err != nil {
		return nil
	}
	return m[name]
}

// writeMembers prints name/value pairs aligned; values are compact JSON,
// objects longer than a line indented below their name.
func writeMembers(b *strings.Builder, names []string, value func(string) json.RawMessage, suffix func(string) string) {
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		raw := compact(value(n))
		s := string(raw)
		if len(s) > 100 && (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")) {
			var ind bytes.Buffer
			if json.Indent(&ind, raw, "  "+strings.Repeat(" ", width+2), "  ") == nil {
				s = ind.String()
			}
		}
		extra := ""
		if suffix != nil {
			extra = suffix(n)
		}
		fmt.Fprintf(b, "  %-*s  %s%s\n", width, n, s, extra)
	}
}

// sanitize keeps a hostile token from driving the terminal: JSON escapes
// C0 controls, but DEL and the C1 range (CSI among them) pass through.
func sanitize(s string) string {
	if !strings.ContainsFunc(s, isC1) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isC1(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isC1(r rune) bool { return r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x1b }

// askToken reads the token from the terminal without echoing it. The
// terminal is put in raw mode: in canonical mode Linux cuts a line at
// 4096 bytes, shorter than many tokens.
func (a *app) askToken(ctx context.Context) (string, error) {
	fmt.Fprint(a.stderr, "Paste the token and press Enter (it is not shown): ")
	defer fmt.Fprint(a.stderr, "\r\n")
	f, ok := a.stdin.(*os.File)
	if !ok {
		// A fake terminal in tests: read one line.
		line, err := readLine(a.stdin)
		if err != nil {
			return "", usageError("token decode: %v", err)
		}
		return line, nil
	}
	fd := int(f.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return "", usageError("token decode: %v", err)
	}
	defer term.Restore(fd, old)
	return readRawLine(ctx, f)
}

func readLine(r io.Reader) (string, error) {
	var line []byte
	buf := make([]byte, 1)
	for len(line) <= maxTokenInput {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' || buf[0] == '\r' {
				return string(line), nil
			}
			line = append(line, buf[0])
		}
		if err == io.EOF {
			return string(line), nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("more than %d KiB without a newline", maxTokenInput>>10)
}

// readRawLine reads a line in raw mode: Enter ends it, Backspace edits,
// Ctrl-C interrupts, Ctrl-D on an empty line ends input, and escape
// sequences (bracketed paste markers, arrows) are dropped.
func readRawLine(ctx context.Context, r io.Reader) (string, error) {
	var line []rune
	buf := make([]byte, 4096)
	inEscape := false
	for {
		if ctx.Err() != nil {
			return "", &exitError{code: 130}
		}
		n, err := r.Read(buf)
		for _, c := range string(buf[:n]) {
			switch {
			case inEscape:
				// CSI sequences end with a letter or ~.
				if unicode.IsLetter(c) || c == '~' {
					inEscape = false
				}
			case c == 0x1b:
				inEscape = true
			case c == '\r' || c == '\n':
				return string(line), nil
			case c == 0x03:
				return "", &exitError{code: 130, msg: "token decode: interrupted"}
			case c == 0x04 && len(line) == 0:
				return "", nil
			case c == 0x7f || c == 0x08:
				if len(line) > 0 {
					line = line[:len(line)-1]
				}
			case c < 0x20:
			default:
				line = append(line, c)
			}
		}
		if len(line) > maxTokenInput {
			return "", usageError("token decode: more than %d KiB: not a token", maxTokenInput>>10)
		}
		if err != nil {
			if err == io.EOF {
				return string(line), nil
			}
			return "", usageError("token decode: %v", err)
		}
	}
}
