package wire

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Printer writes exchanges for a person reading stderr (-v): the request
// line, the headers that matter for this gateway, the start of each body,
// what the transport changed, and the status with its timing. Exchanges are
// already redacted; the printer passes every line through the redactor again
// for values learned later.
type Printer struct {
	mu  sync.Mutex
	w   io.Writer
	red *Redactor
	// ClearLine starts each block with "\r\033[K" to wipe a spinner line.
	ClearLine bool
	// BodyBytes is how much of each body is shown; default 1 KiB.
	BodyBytes int
	// BodyLines caps the lines of each body shown; default 16.
	BodyLines int
}

// NewPrinter returns a printer writing to w.
func NewPrinter(w io.Writer, red *Redactor) *Printer {
	return &Printer{w: w, red: red, BodyBytes: 1 << 10, BodyLines: 16}
}

// Headers worth a line in -v; the trace has them all.
var (
	requestHeaders  = []string{"Accept", "Content-Type", "Authorization", "Mcp-Session-Id", "Mcp-Protocol-Version", "Last-Event-Id", "Ocp-Apim-Subscription-Key"}
	responseHeaders = []string{"Content-Type", "Content-Length", "Www-Authenticate", "Location", "Mcp-Session-Id", "Retry-After", "X-Ms-Request-Id", "Client-Request-Id", "X-Ms-Ests-Server"}
)

// maxHeaderRunes keeps a long header (a token's claims) to one screen line.
const maxHeaderRunes = 160

// Print writes one exchange. Each part passes the redactor again before it
// is shortened for the screen: a token cut in half would no longer be
// recognised as one.
func (p *Printer) Print(e Exchange) {
	red := p.red
	var b strings.Builder
	fmt.Fprintf(&b, "→ %s %s\n", e.Method, red.String(e.URL))
	p.headers(&b, e.ReqHeader, requestHeaders)
	p.body(&b, red.String(e.ReqBody), e.ReqBodySize > int64(prefixLimit))
	for _, n := range e.Notes {
		fmt.Fprintf(&b, "  ! %s\n", red.String(n))
	}
	switch {
	case e.Status == 0:
		fmt.Fprintf(&b, "← error: %s (%s)\n", red.String(e.Err), ms(e.Duration))
	default:
		fmt.Fprintf(&b, "← %d %s  %s  %s\n", e.Status, red.String(e.StatusText), e.Proto, ms(e.Duration))
		p.headers(&b, e.RespHeader, responseHeaders)
		p.body(&b, red.String(e.RespBody), e.RespBodyCut)
		if e.Err != "" {
			fmt.Fprintf(&b, "  ! %s\n", red.String(e.Err))
		}
	}
	out := printable(b.String())
	if p.ClearLine {
		out = "\r\033[K" + out
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.w, out)
}

func ms(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%dµs", d.Microseconds())
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

func (p *Printer) headers(b *strings.Builder, h http.Header, names []string) {
	for _, name := range names {
		for _, v := range h.Values(name) {
			fmt.Fprintf(b, "  %s: %s\n", name, clip(p.red.Header(name, v), maxHeaderRunes))
		}
	}
}

// body shows the start of a body; cut says the recorded prefix is itself
// shorter than the body.
func (p *Printer) body(b *strings.Builder, body string, cut bool) {
	if body == "" {
		return
	}
	shown := truncateUTF8(body, p.BodyBytes)
	lines := strings.Split(strings.TrimRight(shown, "\r\n"), "\n")
	if len(lines) > p.BodyLines {
		lines = lines[:p.BodyLines]
		shown = strings.Join(lines, "\n")
	}
	for _, l := range lines {
		fmt.Fprintf(b, "  │ %s\n", strings.TrimRight(l, "\r"))
	}
	if cut || len(shown) < len(strings.TrimRight(body, "\r\n")) {
		fmt.Fprintf(b, "  │ … (first %s shown; --trace FILE keeps more)\n", Size(int64(len(shown))))
	}
}

// clip keeps s to n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// printable replaces control characters but newlines: a hostile gateway's
// headers and bodies must not drive the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case r == utf8.RuneError, !unicode.IsPrint(r):
			return '?'
		}
		return r
	}, s)
}
