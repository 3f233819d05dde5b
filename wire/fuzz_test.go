package wire

import (
	"strings"
	"testing"
)

// FuzzRedact: whatever the input, redaction does not panic, removes a
// registered secret wherever it sits and leaves no JWT with its signature,
// on the first pass and on a second one (reports are redacted twice: as
// they are built and as they are written). A second pass may remove a
// little more (a marker can open a word boundary); it never reveals.
func FuzzRedact(f *testing.F) {
	f.Add("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ", "lab~secret-0123456789", false)
	f.Add(`{"access_token":"opaque-0123456789abcdef","refresh_token":"0.AXoA","name":"Ada Lab","upn":"ada@contoso.com"}`, "0.AXoA", true)
	f.Add("client_secret=abc%7E123&assertion=eyJa.eyJb.c&code=xyz#access_token=t", "abc~123", false)
	f.Add(`Bearer resource_metadata="https://gw/.well-known/oauth-protected-resource", error="invalid_token"`, "invalid_token", true)
	f.Add("oid: 5d9a3e71-2c4b-4f8e-a1d6-0b7c9e3f2a58 eyJ1aWQiOiJ4In0", "5d9a3e71-2c4b", true)
	f.Fuzz(func(t *testing.T, text, secret string, pii bool) {
		r := NewRedactor()
		if pii {
			r.RedactPII()
		}
		r.Secret(secret)
		in := text + " " + secret + " " + text
		out := r.String(in)
		sec := strings.TrimSpace(secret)
		if len(sec) >= minSecret && !strings.ContainsAny(sec, "[]") && jwtSignature(sec) == "" && strings.Contains(out, sec) {
			t.Fatalf("secret %q left in %q (from %q)", sec, out, in)
		}
		if sig := jwtSignature(sec); sig != "" && strings.Contains(out, sig) {
			t.Fatalf("registered token's signature %q left in %q", sig, out)
		}
		if m := jwsPattern.FindString(out); m != "" {
			t.Fatalf("a signed token %q left in %q", m, out)
		}
		again := r.String(out)
		if m := jwsPattern.FindString(again); m != "" {
			t.Fatalf("a signed token %q appeared on the second pass: %q", m, again)
		}
		if len(sec) >= minSecret && !strings.ContainsAny(sec, "[]") && jwtSignature(sec) == "" && strings.Contains(again, sec) {
			t.Fatalf("secret %q appeared on the second pass: %q", sec, again)
		}
	})
}
