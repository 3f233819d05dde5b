package wire_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/wire"
)

// jwt builds a compact JWS with the given claims and a fake signature.
func jwt(claims, sig string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"typ":"JWT","alg":"RS256","kid":"k1"}`)) + "." + enc([]byte(claims)) + "." + sig
}

const sig = "c2lnbmF0dXJlLXRoYXQtbXVzdC1uZXZlci1sZWF2ZQ"

func TestRedactString(t *testing.T) {
	tok := jwt(`{"aud":"api://gw","scp":"Mcp.Gateway.Access"}`, sig)
	claimsOnly := wire.StripSignature(tok)
	cases := []struct {
		name, in string
		gone     []string // must not appear
		keep     []string // must appear
	}{
		{"jwt in text", "token " + tok + " refused", []string{sig}, []string{claimsOnly + " refused"}},
		{"jwe keeps its header only", "x eyJhbGciOiJSU0EtT0FFUCJ9.ZW5ja2V5.aXZpdml2.Y2lwaGVydGV4dA.dGFndGFn y",
			[]string{"ZW5ja2V5", "Y2lwaGVydGV4dA"}, []string{"eyJhbGciOiJSU0EtT0FFUCJ9.[redacted] y"}},
		{"form body", "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&client_id=abc&client_secret=lab~Sup3rS3cret.value&assertion=" + tok + "&requested_token_use=on_behalf_of",
			[]string{"lab~Sup3rS3cret.value", sig, claimsOnly}, []string{"client_secret=[redacted]", "assertion=[redacted]", "requested_token_use=on_behalf_of", "client_id=abc"}},
		{"refresh, code, device code, verifier", "refresh_token=0.AXoA-rt-value_xyz&code=1.AbCdEf-auth-code&device_code=DAQABAAEAAAD--dc&code_verifier=verifier-1234567890abcdef",
			[]string{"0.AXoA-rt-value_xyz", "1.AbCdEf-auth-code", "DAQABAAEAAAD--dc", "verifier-1234567890abcdef"}, nil},
		{"json token response", `{"token_type":"Bearer","scope":"api://gw/Mcp.Gateway.Access","expires_in":3599,"access_token":"` + tok + `","refresh_token":"1.ARwA.refresh.secret-value","id_token":"` + tok + `","client_info":"eyJ1aWQiOiJ4In0"}`,
			[]string{sig, "1.ARwA.refresh.secret-value"}, []string{`"token_type":"Bearer"`, `"access_token":"` + claimsOnly + `"`, `"refresh_token":"[redacted]"`, `"expires_in":3599`}},
		{"graph password credential", `{"keyId":"k1","hint":"Ab8","secretText":"Ab8Q~value","displayName":"apim-obo"}&login_hint=ada@contoso.example`,
			[]string{`"Ab8"`, "Ab8Q~value"}, []string{`"hint":"[redacted]"`, `"keyId":"k1"`, "login_hint=ada@contoso.example"}},
		{"json in a json string", `{"detail":"{\"refresh_token\":\"opaque-rt-0123456789\",\"x\":1}"}`, []string{"opaque-rt-0123456789"}, []string{`\"x\":1`}},
		{"opaque access token", `{"access_token":"opaque-0123456789abcdef"}`, []string{"opaque-0123456789abcdef"}, []string{`"access_token":"[redacted]"`}},
		{"url query and fragment", "https://gw.example/cb?code=0.AUoA-code-value&state=keep-me#access_token=opaque-fragment-token",
			[]string{"0.AUoA-code-value", "opaque-fragment-token"}, []string{"state=keep-me"}},
		{"bearer opaque", "Authorization: Bearer opaque-credential-0123456789", []string{"opaque-credential-0123456789"}, []string{"Bearer [redacted]"}},
		{"basic", "Authorization: Basic YWJjOmRlZmdoaWprbG1ub3A=", []string{"YWJjOmRlZmdoaWprbG1ub3A="}, []string{"Basic [redacted]"}},
		{"bearer jwt keeps claims", "Bearer " + tok, []string{sig}, []string{"Bearer " + claimsOnly}},
		{"www-authenticate untouched", `Bearer resource_metadata="https://gw.example/.well-known/oauth-protected-resource/context7/mcp", error="invalid_token"`,
			nil, []string{`Bearer resource_metadata="https://gw.example/.well-known/oauth-protected-resource/context7/mcp", error="invalid_token"`}},
		{"realm untouched", `Bearer realm="apim", scope="api://x/Mcp.Gateway.Access"`, nil, []string{`Bearer realm="apim", scope="api://x/Mcp.Gateway.Access"`}},
		{"entra error untouched", `{"error":"invalid_grant","error_description":"AADSTS50013: Assertion failed signature validation.","error_codes":[50013],"trace_id":"t","correlation_id":"c"}`,
			nil, []string{`"error_codes":[50013]`, "AADSTS50013"}},
		{"pkce challenge and user code untouched", "code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&user_code=ABCD-EFGH",
			nil, []string{"code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "user_code=ABCD-EFGH"}},
		{"entra error uri keeps its number", `"error_uri":"https://login.microsoftonline.com/error?code=50013"`, nil, []string{"error?code=50013"}},
		{"prose after token", "the token is expired", nil, []string{"the token is expired"}},
		{"az commands", "az account get-access-token --resource api://x --query accessToken -o tsv", nil, []string{"get-access-token --resource api://x"}},
		{"bearer prose", "a Bearer --token-file flag", nil, []string{"Bearer --token-file"}},
		{"sas signature", "https://apimst.blob.core.windows.net/trace?sv=2020&sig=abcdEFGH1234%2Bxyz%3D&se=2026", []string{"abcdEFGH1234"}, []string{"sv=2020"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := wire.NewRedactor()
			out := r.String(tc.in)
			for _, g := range tc.gone {
				if strings.Contains(out, g) {
					t.Errorf("%q still in %q", g, out)
				}
			}
			for _, k := range tc.keep {
				if !strings.Contains(out, k) {
					t.Errorf("%q missing from %q", k, out)
				}
			}
			if again := r.String(out); again != out {
				t.Errorf("not idempotent:\n once %q\ntwice %q", out, again)
			}
		})
	}
}

func TestSecretsInEveryEscaping(t *testing.T) {
	r := wire.NewRedactor()
	secret := `s3cr3t/with+odd "chars"`
	r.Secret(secret)
	for _, in := range []string{
		"plain " + secret,
		"form x=" + url.QueryEscape(secret),
		"path /" + url.PathEscape(secret),
		`json {"v":"s3cr3t/with+odd \"chars\""}`,
	} {
		out := r.String(in)
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("secret left in %q", out)
		}
	}
}

func TestLearnedSecretsAreRemovedBareLater(t *testing.T) {
	r := wire.NewRedactor()
	r.String("refresh_token=0.AXoA-learned-refresh-token")
	tok := jwt(`{"a":1}`, sig)
	r.String("Authorization: Bearer " + tok)
	out := r.String("cache holds 0.AXoA-learned-refresh-token and " + sig)
	if strings.Contains(out, "learned-refresh") || strings.Contains(out, sig) {
		t.Fatalf("a value once seen as secret came back bare: %q", out)
	}
	// The same token seen again keeps its claims readable.
	if out := r.String(`{"access_token":"` + tok + `"}`); out != `{"access_token":"`+wire.StripSignature(tok)+`"}` {
		t.Fatalf("a known token lost its claims: %q", out)
	}
}

func TestShortSecretsAreIgnored(t *testing.T) {
	r := wire.NewRedactor()
	r.Secret("abc", "  ", "")
	if out := r.String("abc def"); out != "abc def" {
		t.Fatalf("short secrets redact words: %q", out)
	}
}

func TestPrefixRemovesASecretCutInHalf(t *testing.T) {
	r := wire.NewRedactor()
	secret := "lab~0123456789abcdefghij"
	r.Secret(secret)
	body := "prefix text " + secret[:10]
	if out := r.Prefix(body, 100, true); strings.Contains(out, secret[:10]) {
		t.Fatalf("half a secret left: %q", out)
	}
	tok := jwt(`{"a":1}`, sig)
	cut := "x " + tok[:len(tok)-10]
	if out := r.Prefix(cut, 1000, true); strings.Contains(out, sig[:10]) {
		t.Fatalf("a cut signature left: %q", out)
	}
	long := strings.Repeat("a", 50) + secret
	if out := r.Prefix(long, 55, false); strings.Contains(out, "lab~") || len(out) > 55+len(wire.Redacted) {
		t.Fatalf("prefix %q", out)
	}
}

func TestHeaders(t *testing.T) {
	r := wire.NewRedactor()
	tok := jwt(`{"a":1}`, sig)
	h := r.Headers(http.Header{
		"Authorization":             {"Bearer " + tok},
		"Ocp-Apim-Subscription-Key": {"0123456789abcdef"},
		"Set-Cookie":                {"session=abc; Path=/"},
		"X-Custom-Token":            {"tok"},
		"Www-Authenticate":          {`Bearer resource_metadata="https://gw/x"`},
		"Content-Type":              {"application/json"},
	})
	if got := h.Get("Authorization"); got != "Bearer "+wire.StripSignature(tok) {
		t.Errorf("Authorization %q", got)
	}
	for _, k := range []string{"Ocp-Apim-Subscription-Key", "Set-Cookie", "X-Custom-Token"} {
		if h.Get(k) != wire.Redacted {
			t.Errorf("%s = %q", k, h.Get(k))
		}
	}
	if h.Get("Www-Authenticate") != `Bearer resource_metadata="https://gw/x"` || h.Get("Content-Type") != "application/json" {
		t.Errorf("ordinary headers changed: %v", h)
	}
	// Redacting twice keeps the claims.
	if again := r.Header("Authorization", h.Get("Authorization")); again != h.Get("Authorization") {
		t.Errorf("second pass %q", again)
	}
}

func TestWriter(t *testing.T) {
	r := wire.NewRedactor()
	r.Secret("the-client-secret")
	var b strings.Builder
	w := r.Writer(&b)
	n, err := w.Write([]byte("x the-client-secret y\n"))
	if err != nil || n != len("x the-client-secret y\n") {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if strings.Contains(b.String(), "the-client-secret") {
		t.Fatalf("writer leaked: %q", b.String())
	}
}
