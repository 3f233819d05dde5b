package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/lab/labtest"
)

// decodeGolden runs token decode and compares exit code, stdout and stderr
// with testdata/token-decode/<name>.golden (go test -update rewrites it).
func decodeGolden(t *testing.T, name string, o cliOpts, args ...string) cliResult {
	t.Helper()
	res := runCLI(t, o, append([]string{"token", "decode"}, args...)...)
	got := "exit " + itoa(res.code) + "\n--- stdout\n" + res.stdout + "--- stderr\n" + res.stderr
	golden(t, filepath.Join("token-decode", name+".golden"), got)
	return res
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func tokenFile(name string) string { return "@" + filepath.Join("testdata", "tokens", name) }

// signatureOf is the third part of a token file's token, if it has one.
func signatureOf(t *testing.T, file string) string {
	data, err := os.ReadFile(filepath.Join("testdata", "tokens", file))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if i := strings.Index(s, `"accessToken": "`); i >= 0 {
		s = s[i+len(`"accessToken": "`):]
		s = s[:strings.IndexByte(s, '"')]
	}
	parts := strings.Split(strings.Join(strings.Fields(strings.TrimPrefix(strings.TrimSpace(s), "Authorization: Bearer ")), ""), ".")
	if len(parts) != 3 || len(parts[2]) < 16 {
		return ""
	}
	return parts[2]
}

func TestTokenDecodeGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "tokens", "*"))
	if err != nil || len(files) < 20 {
		t.Fatalf("token files: %v %d", err, len(files))
	}
	for _, f := range files {
		base := filepath.Base(f)
		if base == "jwks.json" {
			continue
		}
		name := strings.TrimSuffix(base, filepath.Ext(base))
		t.Run(name, func(t *testing.T) {
			text := decodeGolden(t, name, cliOpts{}, tokenFile(base))
			js := decodeGolden(t, name+".json", cliOpts{}, tokenFile(base), "-o", "json")
			if text.code != js.code {
				t.Errorf("exit codes differ: text %d, json %d", text.code, js.code)
			}
			if js.code != 2 && !json.Valid([]byte(js.stdout)) {
				t.Errorf("-o json is not JSON:\n%s", js.stdout)
			}
			if sig := signatureOf(t, base); sig != "" {
				for _, out := range []string{text.stdout, text.stderr, js.stdout, js.stderr} {
					if strings.Contains(out, sig) || strings.Contains(out, sig[:16]) {
						t.Error("the output shows the token's signature")
					}
				}
			}
		})
	}
}

func TestTokenDecodeExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"all hold", []string{tokenFile("v2.jwt"), "--expect-aud", "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83", "--expect-scp", "Mcp.Gateway.Access", "--expect-tenant", "7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70", "--expect-v2"}, 0},
		{"v1 fails expectations", []string{tokenFile("v1.jwt"), "--expect-aud", "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83", "--expect-v2"}, 1},
		{"wrong audience", []string{tokenFile("mcp-api-audience.jwt"), "--expect-aud", "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83", "--expect-scp", "Mcp.Gateway.Access"}, 1},
		{"wrong tenant", []string{tokenFile("v2.jwt"), "--expect-tenant", "c0ffee00-1111-4222-8333-444455556666"}, 1},
		{"tenant neither GUID nor domain", []string{tokenFile("v2.jwt"), "--expect-tenant", "contoso tenant"}, 2},
		{"two arguments", []string{"a", "b"}, 2},
		{"missing file", []string{"@testdata/tokens/nope"}, 2},
		{"bad output", []string{tokenFile("v2.jwt"), "-o", "yaml"}, 2},
		{"http jwks", []string{tokenFile("v2.jwt"), "--jwks-uri", "http://example.com/keys"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := decodeGolden(t, "exit-"+strings.ReplaceAll(c.name, " ", "-"), cliOpts{}, c.args...)
			if res.code != c.code {
				t.Errorf("exit %d, want %d\n%s%s", res.code, c.code, res.stdout, res.stderr)
			}
		})
	}
}

func TestTokenDecodeInputs(t *testing.T) {
	raw, _ := os.ReadFile("testdata/tokens/v2.jwt")
	tok := strings.TrimSpace(string(raw))
	want := runCLI(t, cliOpts{}, "token", "decode", tokenFile("v2.jwt")).stdout
	cases := []struct {
		name string
		o    cliOpts
		args []string
	}{
		{"argument", cliOpts{}, []string{tok}},
		{"dash reads stdin", cliOpts{stdin: "\n  " + tok + "\n"}, []string{"-"}},
		{"piped stdin", cliOpts{stdin: tok}, nil},
		{"terminal prompt", cliOpts{stdin: tok + "\n", terminal: true}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := runCLI(t, c.o, append([]string{"token", "decode"}, c.args...)...)
			if res.code != 0 || res.stdout != want {
				t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			if c.o.terminal && !strings.Contains(res.stderr, "it is not shown") {
				t.Errorf("no prompt on stderr: %q", res.stderr)
			}
			if strings.Contains(res.stderr, tok) {
				t.Error("the token was echoed")
			}
		})
	}
}

func TestReadRawLine(t *testing.T) {
	cases := []struct{ in, want string }{
		{"abc\r", "abc"},
		{"\x1b[200~eyJ.a.b\x1b[201~\r", "eyJ.a.b"},
		{"abx\x7fc\n", "abc"},
		{"a\tb\r", "ab"},
		{"\x04", ""},
	}
	for _, c := range cases {
		got, err := readRawLine(context.Background(), strings.NewReader(c.in))
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v", c.in, got, err)
		}
	}
	if _, err := readRawLine(context.Background(), strings.NewReader("ab\x03")); err == nil {
		t.Error("Ctrl-C must interrupt")
	}
}

// jwksServer serves testdata/tokens/jwks.json over TLS and writes its CA to a file.
func jwksServer(t *testing.T) (url, caFile string) {
	t.Helper()
	jwks, err := os.ReadFile("testdata/tokens/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL + "/discovery/v2.0/keys", caFile
}

func TestTokenDecodeVerifyWithJWKSURI(t *testing.T) {
	url, ca := jwksServer(t)
	cases := []struct {
		file string
		code int
		say  string
	}{
		{"v2.jwt", 0, "✓ signature: verified with key JYhAcTPMZ_LX6DBlOWQ7Hn0NeXE from " + url},
		{"graph.jwt", 1, "✗ signature: not verifiable: this is a Microsoft Graph token"},
		{"unsigned.jwt", 1, "✗ signature: the token is not signed"},
	}
	for _, c := range cases {
		res := runCLI(t, cliOpts{}, "token", "decode", tokenFile(c.file), "--jwks-uri", url, "--ca-file", ca)
		if res.code != c.code || !strings.Contains(res.stdout, c.say) {
			t.Errorf("%s: exit %d\n%s%s", c.file, res.code, res.stdout, res.stderr)
		}
	}
	// A token signed by someone else: same kid, other key.
	other := strings.Split(strings.TrimSpace(readFile(t, "testdata/tokens/v1.jwt")), ".")
	mine := strings.Split(strings.TrimSpace(readFile(t, "testdata/tokens/v2.jwt")), ".")
	forged := mine[0] + "." + other[1] + "." + mine[2]
	res := runCLI(t, cliOpts{}, "token", "decode", forged, "--jwks-uri", url, "--ca-file", ca, "-o", "json")
	var doc struct {
		Signature struct {
			Verified *bool  `json:"verified"`
			Detail   string `json:"detail"`
		} `json:"signature"`
		OK       bool `json:"ok"`
		ExitCode int  `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatal(err, res.stdout)
	}
	if res.code != 1 || doc.Signature.Verified == nil || *doc.Signature.Verified || doc.OK || doc.ExitCode != 1 || !strings.Contains(doc.Signature.Detail, "does not match") {
		t.Errorf("forged: exit %d %+v", res.code, doc)
	}
}

func readFile(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// --verify with no --jwks-uri follows the issuer: the lab's tenant.
func TestTokenDecodeVerifyThroughIssuer(t *testing.T) {
	w := labtest.Start(t, lab.Options{})
	ca := labtest.Settings(t, w).CAFile
	good := w.MintToken(w.UserTokenClaims(lab.DefaultUser))
	res := runCLI(t, cliOpts{}, "token", "decode", good, "--verify", "--ca-file", ca, "--expect-aud", w.GatewayAppID, "--expect-v2")
	if res.code != 0 || !strings.Contains(res.stdout, "✓ signature: verified with key ") {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, s := range w.Secrets() {
		if strings.Contains(res.stdout+res.stderr, s) {
			t.Errorf("output holds a secret (%.6s…)", s)
		}
	}
}

// --expect-tenant takes a domain, as run --tenant does: it is looked up in
// its discovery document at the token's authority, not guessed from upn.
func TestTokenDecodeExpectTenantDomain(t *testing.T) {
	w := labtest.Start(t, lab.Options{})
	ca := labtest.Settings(t, w).CAFile
	good := w.MintToken(w.UserTokenClaims(lab.DefaultUser))
	res := runCLI(t, cliOpts{}, "token", "decode", good, "--ca-file", ca, "--expect-tenant", w.TenantDomain)
	if res.code != 0 || !strings.Contains(res.stdout, "✓ tid: tid is "+w.TenantID) {
		t.Fatalf("%s: exit %d\n%s%s", w.TenantDomain, res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, cliOpts{}, "token", "decode", good, "--ca-file", ca, "--expect-tenant", "fabrikam.onmicrosoft.com")
	if res.code != 1 || !strings.Contains(res.stdout, "✗ tid: could not get the discovery document of tenant fabrikam.onmicrosoft.com from "+strings.TrimPrefix(w.AuthorityHost, "https://")) {
		t.Fatalf("unknown domain: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// A --verify that cannot fetch the keys names the host that did not
// deliver them: the token's issuer, not a gateway.
func TestTokenDecodeVerifyNamesTheKeysHost(t *testing.T) {
	w := labtest.Start(t, lab.Options{})
	good := w.MintToken(w.UserTokenClaims(lab.DefaultUser))
	res := runCLI(t, cliOpts{}, "token", "decode", good, "--verify") // the lab's CA not given
	host := strings.TrimPrefix(w.AuthorityHost, "https://")
	if res.code != 1 || !strings.Contains(res.stdout, "✗ signature: could not get the signing keys from "+host) ||
		!strings.Contains(res.stdout, "if "+host+" uses a private CA") || strings.Contains(res.stdout, "gateway") {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}
