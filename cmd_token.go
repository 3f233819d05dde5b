package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// maxTokenInput bounds what token decode reads from stdin or a file.
const maxTokenInput = 1 << 20

func (a *app) tokenCommand() *cli.Command {
	return &cli.Command{
		Name:        "token",
		Usage:       "read tokens without pasting them into a website",
		Subcommands: []*cli.Command{a.tokenDecodeCommand()},
	}
}

func (a *app) tokenDecodeCommand() *cli.Command {
	return &cli.Command{
		Name:  "decode",
		Usage: "show what a token says: header, claims, times, kind; optionally verify it",
		UsageText: "c7doctor token decode [TOKEN | - | @FILE] [--verify] [--expect-aud ID] [--expect-scp SCOPE] [--expect-tenant ID] [--expect-v2] [-o json]\n\n" +
			"   With no argument on a terminal the token is asked for without echo (an argument lands in shell history).\n" +
			"   Accepts a raw token, 'Bearer …', or the JSON of az account get-access-token. The signature is never printed.\n" +
			"   Exit codes: 0 decoded and every --expect/--verify held, 1 one did not, 2 not a token or bad invocation.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "verify", Usage: "verify the signature with the issuer's keys (its discovery document and JWKS), or --jwks-uri's"},
			&cli.StringFlag{Name: "jwks-uri", Usage: "verify with the keys at this JWKS URL instead of the issuer's"},
			&cli.StringFlag{Name: "expect-aud", Usage: "fail unless aud contains this value"},
			&cli.StringSliceFlag{Name: "expect-scp", Usage: "fail unless scp contains this scope (repeatable)"},
			&cli.StringFlag{Name: "expect-tenant", Usage: "fail unless tid is this tenant: a GUID, or a domain looked up in its discovery document at the token's authority"},
			&cli.BoolFlag{Name: "expect-v2", Usage: "fail unless this is a v2 token (ver 2.0, v2 issuer)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text or json"},
			&cli.StringFlag{Name: "ca-file", Usage: "PEM file of extra trusted CA certificates, for --verify"},
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "per-request timeout for --verify"},
		},
		Action: a.tokenDecode,
	}
}

func (a *app) tokenDecode(c *cli.Context) error {
	output := c.String("output")
	if output != "text" && output != "json" {
		return usageError("--output: expected text or json, got %q", output)
	}
	args, err := flagsAfterArgs(c)
	if err != nil {
		return err
	}
	output = c.String("output")
	if output != "text" && output != "json" {
		return usageError("--output: expected text or json, got %q", output)
	}
	if len(args) > 1 {
		return usageError("token decode: expected one token (or - or @FILE), got %d arguments", len(args))
	}
	if t := c.String("expect-tenant"); t != "" && !auth.IsTenant(t) {
		return usageError("--expect-tenant: expected a tenant GUID or domain (contoso.onmicrosoft.com), got %q", t)
	}
	if u := c.String("jwks-uri"); u != "" {
		if err := checkHTTPS(u); err != nil {
			return usageError("--jwks-uri: %v", err)
		}
	}
	if c.Duration("timeout") <= 0 {
		return usageError("--timeout: expected a positive duration like 10s, got %s", c.Duration("timeout"))
	}
	input, err := a.tokenInput(c, args)
	if err != nil {
		return err
	}
	red := wire.NewRedactor()
	out := red.Writer(a.stdout)
	tok, form, err := auth.DecodeInput(input)
	if err != nil {
		return a.notAToken(out, output, err)
	}
	red.Secret(tok.Raw)
	view := newDecodeView(tok, form, a.now())
	tenant := c.String("expect-tenant")
	var client *wire.Client
	if c.Bool("verify") || c.String("jwks-uri") != "" || (tenant != "" && !auth.IsGUID(tenant)) {
		if client, err = checks.NewClient(checks.ClientSettings{Timeout: c.Duration("timeout"), CAFile: c.String("ca-file"), Redactor: red}); err != nil {
			return usageError("--ca-file: %v", err)
		}
		defer client.Close()
	}
	if c.Bool("verify") || c.String("jwks-uri") != "" {
		view.verify(c.Context, client, tok, c.String("jwks-uri"))
	}
	var tenantErr error
	if tenant != "" && !auth.IsGUID(tenant) {
		tenant, tenantErr = auth.ResolveTenant(c.Context, client, auth.AuthorityOf(tok.Claims.Iss), tenant)
	}
	view.expect(tok, c.String("expect-aud"), c.StringSlice("expect-scp"), tenant, c.Bool("expect-v2"))
	if tenantErr != nil {
		view.Checks = append(view.Checks, expectation{Name: "tid", OK: false, Detail: tenantErr.Error()})
	}
	view.finish()
	if output == "json" {
		err = view.writeJSON(out)
	} else {
		err = view.writeText(out)
	}
	if err != nil {
		return &exitError{code: report.ExitUsage, msg: fmt.Sprintf("token decode: writing the result: %v", err)}
	}
	if view.ExitCode != 0 {
		return &exitError{code: view.ExitCode}
	}
	return nil
}

// tokenInput reads the token from the argument, stdin, a file, or the terminal.
func (a *app) tokenInput(c *cli.Context, args []string) (string, error) {
	arg := ""
	if len(args) > 0 {
		arg = args[0]
	}
	switch {
	case arg == "-":
		return readBounded(a.stdin, "stdin")
	case strings.HasPrefix(arg, "@"):
		f, err := os.Open(arg[1:])
		if err != nil {
			return "", usageError("token decode: %v", err)
		}
		defer f.Close()
		return readBounded(f, arg[1:])
	case arg != "":
		return arg, nil
	case a.isTerminal(a.stdin):
		return a.askToken(c.Context)
	}
	return readBounded(a.stdin, "stdin")
}

// flagsAfterArgs applies flags written after the token (urfave/cli stops
// at the first argument; people write "decode TOKEN --verify") and returns
// the arguments left.
func flagsAfterArgs(c *cli.Context) ([]string, error) {
	rest := c.Args().Slice()
	var positional []string
	for len(rest) > 0 {
		switch {
		case rest[0] == "--":
			return append(positional, rest[1:]...), nil
		case rest[0] == "-" || !strings.HasPrefix(rest[0], "-"):
			positional = append(positional, rest[0])
			rest = rest[1:]
			continue
		}
		fs := flag.NewFlagSet("decode", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		for _, f := range c.Command.Flags {
			if err := f.Apply(fs); err != nil {
				return nil, usageError("token decode: %v", err)
			}
		}
		if err := fs.Parse(rest); err != nil {
			return nil, usageError("token decode: %v", err)
		}
		var setErr error
		fs.Visit(func(f *flag.Flag) {
			values := []string{f.Value.String()}
			if s, ok := f.Value.(*cli.StringSlice); ok {
				values = s.Value()
			}
			name := primaryName(c.Command.Flags, f.Name)
			for _, v := range values {
				if err := c.Set(name, v); err != nil && setErr == nil {
					setErr = usageError("--%s: %v", f.Name, err)
				}
			}
		})
		if setErr != nil {
			return nil, setErr
		}
		rest = fs.Args()
	}
	return positional, nil
}

// primaryName maps an alias (-o) to its flag's first name (output).
func primaryName(flags []cli.Flag, name string) string {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f.Names()[0]
		}
	}
	return name
}

func readBounded(r io.Reader, name string) (string, error) {
	data, truncated, err := wire.ReadLimited(r, maxTokenInput)
	if err != nil {
		return "", usageError("token decode: reading %s: %v", name, err)
	}
	if truncated {
		return "", usageError("token decode: %s holds more than %d KiB: not a token", name, maxTokenInput>>10)
	}
	return string(data), nil
}

// notAToken explains why the input is not a readable token; exit 2.
func (a *app) notAToken(out io.Writer, output string, err error) error {
	var de *auth.DecodeError
	explain := ""
	kind := "invalid"
	part := ""
	if errors.As(err, &de) {
		explain, kind, part = de.Explain(), string(de.Kind), de.Part
	}
	if output == "json" {
		doc := map[string]any{
			"error":     map[string]string{"kind": kind, "part": part, "detail": err.Error(), "explanation": explain},
			"ok":        false,
			"exit_code": report.ExitUsage,
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(doc); werr != nil {
			return &exitError{code: report.ExitUsage, msg: werr.Error()}
		}
		return &exitError{code: report.ExitUsage}
	}
	msg := "token decode: not a token: " + err.Error()
	if explain != "" {
		msg += "\n  " + explain
	}
	return &exitError{code: report.ExitUsage, msg: msg}
}

// decodeView is what token decode shows, in text or JSON.
type decodeView struct {
	Input       string          `json:"input"`
	Kind        auth.Kind       `json:"kind"`
	Description string          `json:"description"`
	Version     string          `json:"version"`
	Header      json.RawMessage `json:"header"`
	Claims      json.RawMessage `json:"claims"`
	Times       []timeView      `json:"times"`
	Signature   signatureView   `json:"signature"`
	Warnings    []string        `json:"warnings"`
	Checks      []expectation   `json:"checks"`
	OK          bool            `json:"ok"`
	ExitCode    int             `json:"exit_code"`

	tok *auth.Token
	now time.Time
}

type timeView struct {
	Claim    string          `json:"claim"`
	Raw      json.RawMessage `json:"raw"`
	Time     string          `json:"time,omitempty"` // RFC 3339, absent when raw is not a time
	Relative string          `json:"relative,omitempty"`
}

type signatureView struct {
	Alg      string `json:"alg"`
	Bytes    int    `json:"bytes"`
	Verified *bool  `json:"verified"` // null: not checked
	Detail   string `json:"detail"`
	JWKSURI  string `json:"jwks_uri,omitempty"`
}

type expectation struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// timeClaims are the claims that hold NumericDates.
var timeClaims = []string{"iat", "nbf", "exp", "auth_time", "xms_tcdt", "updated_at"}

func newDecodeView(tok *auth.Token, form auth.Form, now time.Time) *decodeView {
	v := &decodeView{
		Input: string(form), Kind: tok.Kind, Description: tok.Describe(), Version: string(tok.Version),
		Header: compact(tok.RawHeader), Claims: compact(tok.RawClaims),
		Times: []timeView{}, Warnings: append([]string{}, tok.Warnings...), Checks: []expectation{},
		Signature: signatureView{Alg: tok.Header.Alg, Bytes: tok.SignatureLen, Detail: "not verified (--verify checks it with the issuer's keys)"},
		tok:       tok, now: now,
	}
	for _, name := range tok.ClaimNames() {
		if !slices.Contains(timeClaims, name) {
			continue
		}
		raw := tok.Claims.Raw[name]
		tv := timeView{Claim: name, Raw: compact(raw)}
		if d, ok := tok.TimeClaim(name); ok {
			tv.Time = d.UTC().Format(time.RFC3339)
			tv.Relative = auth.Relative(d, now)
		}
		v.Times = append(v.Times, tv)
	}
	c := &tok.Claims
	lifetime := auth.Judge(tok, auth.Expect{Lifetime: true, Skew: auth.ClockSkew, Now: now})
	exp, _ := auth.Find(lifetime, "exp")
	switch exp.Outcome {
	case auth.Expired:
		v.Warnings = append(v.Warnings, "expired "+auth.Relative(c.Exp.Time, now)+": APIM refuses it")
	case auth.InSkew:
		v.Warnings = append(v.Warnings, "expired "+auth.Relative(c.Exp.Time, now)+", inside the 5 minutes of clock skew APIM allows")
	case auth.Absent:
		if _, sent := c.Raw["exp"]; !sent && tok.Kind != auth.KindUnknown {
			v.Warnings = append(v.Warnings, "no exp claim: no gateway accepts a token that never expires")
		}
	}
	if nbf, _ := auth.Find(lifetime, "nbf"); nbf.Outcome == auth.NotYetValid {
		v.Warnings = append(v.Warnings, "nbf is "+strings.TrimPrefix(auth.Relative(c.Nbf.Time, now), "in ")+" ahead of this machine's clock: not valid yet; one of the clocks is wrong")
	}
	if tok.Version == auth.V1 && tok.Kind != auth.KindGraph {
		v.Warnings = append(v.Warnings, "a v1 token (iss https://sts.windows.net/…): APIM's validate-azure-ad-token in the guide and Context7 expect v2; set requestedAccessTokenVersion to 2 in the resource app's manifest")
	}
	return v
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return json.RawMessage(`null`)
	}
	return json.RawMessage(b.Bytes())
}

// verify checks the signature with the issuer's keys or jwksURI's.
func (v *decodeView) verify(ctx context.Context, client *wire.Client, tok *auth.Token, jwksURI string) {
	fail := func(detail string) {
		f := false
		v.Signature.Verified = &f
		v.Signature.Detail = detail
	}
	if tok.Graph() {
		fail("not verifiable: this is a Microsoft Graph token (nonce header); only Graph can verify it")
		return
	}
	keys, err := auth.VerifySignature(ctx, client, tok, jwksURI)
	if keys != nil {
		v.Signature.JWKSURI = keys.URI
	}
	if err != nil {
		fail(strings.TrimPrefix(err.Error(), "verify: "))
		return
	}
	t := true
	v.Signature.Verified = &t
	v.Signature.Detail = fmt.Sprintf("verified with key %s from %s", orNone(tok.Header.Kid), keys.URI)
}

// expect checks what the flags ask for.
func (v *decodeView) expect(tok *auth.Token, aud string, scps []string, tenant string, v2 bool) {
	c := &tok.Claims
	for _, j := range auth.Judge(tok, auth.Expect{Audience: aud, Scopes: splitList(scps), Tenant: tenant, V2: v2}) {
		e := expectation{Name: j.Claim, OK: j.OK()}
		switch j.Claim {
		case "aud":
			switch {
			case j.OK():
				e.Detail = "aud is " + aud
			case j.Outcome == auth.AppIDURI:
				e.Detail = fmt.Sprintf("aud is api://%s, the Application ID URI form of a v1 token, not %s", aud, aud)
			default:
				e.Detail = fmt.Sprintf("aud is %s, want %s", orNone(j.Got), aud)
			}
		case "scp":
			if e.OK {
				e.Detail = "scp contains " + j.Want
			} else {
				e.Detail = fmt.Sprintf("scp is %q, which lacks %s", j.Got, j.Want)
			}
		case "tid":
			if e.OK {
				e.Detail = "tid is " + tenant
			} else {
				e.Detail = fmt.Sprintf("tid is %s, want %s", orNone(j.Got), tenant)
			}
		case "ver":
			e.Name = "v2"
			if e.OK {
				e.Detail = "ver 2.0 with a v2 issuer"
			} else {
				e.Detail = fmt.Sprintf("ver %s, iss %s: not a v2 token", orNone(c.Ver), orNone(c.Iss))
			}
		}
		v.Checks = append(v.Checks, e)
	}
}

func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })...)
	}
	return out
}

func (v *decodeView) finish() {
	v.OK = true
	for _, e := range v.Checks {
		if !e.OK {
			v.OK = false
		}
	}
	if v.Signature.Verified != nil && !*v.Signature.Verified {
		v.OK = false
	}
	if !v.OK {
		v.ExitCode = report.ExitFailed
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
