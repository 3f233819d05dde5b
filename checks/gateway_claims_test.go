package checks

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

const (
	tTenant  = "7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70"
	tGateway = "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"
	tMCPAPI  = "b8e4d2a6-1c7f-4e3b-9a5d-6f0c2e8b4d19"
	tHost    = "https://login.microsoftonline.com"
)

var (
	claimsKeyOnce sync.Once
	claimsKey     *rsa.PrivateKey
)

func testSigningKey() *rsa.PrivateKey {
	claimsKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		claimsKey = k
	})
	return claimsKey
}

func seg(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func signToken(header, claims map[string]any) string {
	h := map[string]any{"typ": "JWT", "alg": "RS256", "kid": "k1"}
	for k, v := range header {
		h[k] = v
	}
	in := seg(h) + "." + seg(claims)
	sum := sha256.Sum256([]byte(in))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, testSigningKey(), crypto.SHA256, sum[:])
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func testJWKS() []byte {
	pub := testSigningKey().PublicKey
	b, _ := json.Marshal(map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "kid": "k1",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	return b
}

var claimsNow = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

func goodClaims() map[string]any {
	return map[string]any{
		"aud": tGateway, "iss": tHost + "/" + tTenant + "/v2.0",
		"iat": claimsNow.Add(-5 * time.Minute).Unix(), "nbf": claimsNow.Add(-5 * time.Minute).Unix(),
		"exp": claimsNow.Add(time.Hour).Unix(), "azp": AzureCLIClientID, "oid": "5d9a3e71-2c4b-4f8e-a1d6-0b7c9e3f2a58",
		"scp": "Mcp.Gateway.Access", "tid": tTenant, "ver": "2.0", "preferred_username": "ada@contoso.example",
	}
}

func with(c map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// claimsEnv runs gateway-claims on a token, with a fixed clock.
func claimsEnv(t *testing.T, token string, jwks []byte) (*Env, *Result) {
	t.Helper()
	client, err := wire.New(wire.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{
		Config: &Config{Tenant: tTenant, GatewayAppID: tGateway, MCPAPIAppID: tMCPAPI, ClientID: AzureCLIClientID, AuthorityHost: tHost},
		HTTP:   client, State: &State{JWKS: jwks, GatewayToken: token}, Now: func() time.Time { return claimsNow },
		Target: &report.Target{},
	}
	r := &Result{env: env}
	runGatewayClaims(t.Context(), env, r)
	return env, r
}

func ids(r *Result) []string {
	var out []string
	for _, f := range r.findings {
		out = append(out, f.ID)
	}
	return out
}

func TestGatewayClaims(t *testing.T) {
	jwks := testJWKS()
	good := goodClaims()
	good1 := signToken(nil, good)
	parts := strings.Split(good1, ".")
	tampered := parts[0] + "." + seg(with(good, "oid", "someone-else")) + "." + parts[2]
	v1 := with(good, "iss", "https://sts.windows.net/"+tTenant+"/", "ver", "1.0", "aud", "api://"+tGateway, "azp", nil, "appid", AzureCLIClientID)

	cases := []struct {
		name   string
		token  string
		jwks   []byte
		want   []string // finding ids, in order
		detail string   // a phrase the first finding's detail holds
	}{
		{"good", good1, jwks, nil, ""},
		{"not verified", good1, nil, []string{"token-not-verified"}, "not checked"},
		{"tampered", tampered, jwks, []string{"token-signature-invalid"}, "does not match key"},
		{"unknown key", signToken(map[string]any{"kid": "other"}, good), jwks, []string{"token-signing-key-unknown"}, `No key "other"`},
		{"v1", signToken(nil, v1), jwks, []string{"token-v1-issuer"}, "api://" + tGateway + ", is the v1 form"},
		{"other tenant issuer", signToken(nil, with(good, "iss", tHost+"/c0ffee00-1111-4222-8333-444455556666/v2.0")), jwks, []string{"token-wrong-issuer"}, "another tenant"},
		{"other host issuer", signToken(nil, with(good, "iss", "https://login.microsoftonline.us/"+tTenant+"/v2.0")), jwks, []string{"token-wrong-issuer"}, "another authority host"},
		{"mcp api audience", signToken(nil, with(good, "aud", tMCPAPI, "scp", "mcp.access")), jwks, []string{"token-wrong-audience", "token-missing-scope"}, "the Context7 MCP API app"},
		{"api uri audience v2", signToken(nil, with(good, "aud", "api://"+tGateway)), jwks, []string{"token-wrong-audience"}, "Application ID URI"},
		{"arm audience", signToken(nil, with(good, "aud", "https://management.core.windows.net/", "scp", "user_impersonation")), jwks, []string{"token-wrong-audience", "token-missing-scope"}, "Azure Resource Manager"},
		{"graph", signToken(map[string]any{"nonce": "abc"}, with(good, "aud", "00000003-0000-0000-c000-000000000000", "scp", "User.Read")), jwks, []string{"token-graph"}, "Microsoft Graph token"},
		{"id token", signToken(nil, with(good, "aud", AzureCLIClientID, "scp", nil, "azp", nil)), jwks, []string{"token-id-token"}, "ID token"},
		{"app only", signToken(nil, with(good, "scp", nil, "roles", []string{"Mcp.Gateway.Access"}, "idtyp", "app")), jwks, []string{"token-app-only"}, "roles [Mcp.Gateway.Access]"},
		{"missing scope", signToken(nil, with(good, "scp", "User.Read")), jwks, []string{"token-missing-scope"}, `scp is "User.Read"`},
		{"no scp at all", signToken(nil, with(good, "scp", nil, "azp", AzureCLIClientID)), jwks, []string{"token-missing-scope"}, "no scp"},
		{"other tid", signToken(nil, with(good, "tid", "c0ffee00-1111-4222-8333-444455556666")), jwks, []string{"token-wrong-tenant"}, "tid is c0ffee00"},
		{"no oid", signToken(nil, with(good, "oid", nil)), jwks, []string{"token-no-oid"}, "no oid"},
		{"expired", signToken(nil, with(good, "exp", claimsNow.Add(-2*time.Hour).Unix())), jwks, []string{"token-expired"}, "expired 2h0m ago"},
		{"expired within skew", signToken(nil, with(good, "exp", claimsNow.Add(-2*time.Minute).Unix())), jwks, []string{"token-expiring"}, "inside the 5m0s clock skew"},
		{"expiring soon", signToken(nil, with(good, "exp", claimsNow.Add(3*time.Minute).Unix())), jwks, []string{"token-expiring"}, "expires in 3m0s"},
		{"no exp", signToken(nil, with(good, "exp", nil)), jwks, []string{"token-expired"}, "no exp"},
		{"not yet valid", signToken(nil, with(good, "nbf", claimsNow.Add(time.Hour).Unix())), jwks, []string{"token-not-yet-valid"}, "more than 5m0s after"},
		{"nbf within skew", signToken(nil, with(good, "nbf", claimsNow.Add(2*time.Minute).Unix())), jwks, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env, r := claimsEnv(t, c.token, c.jwks)
			if got := ids(r); !slices.Equal(got, c.want) {
				t.Fatalf("findings %v, want %v\n%+v", got, c.want, r.findings)
			}
			if len(c.want) > 0 && !strings.Contains(r.findings[0].Detail, c.detail) {
				t.Errorf("detail %q lacks %q", r.findings[0].Detail, c.detail)
			}
			for _, f := range r.findings {
				if Catalog()[f.ID].Check == "gateway-claims" && (f.Guide == nil || f.Guide.Section != SecAPIM401) {
					t.Errorf("%s: guide %+v, want %q", f.ID, f.Guide, SecAPIM401)
				}
			}
			if c.name == "good" {
				if !env.State.Token.Verified || !strings.HasPrefix(r.summary, "Entra v2 access token for "+tGateway) || !strings.Contains(r.summary, "expires in 1h0m") {
					t.Errorf("verified %v summary %q", env.State.Token.Verified, r.summary)
				}
				if ev, _ := r.evidence.Get("exp"); ev != "2026-01-01T11:00:00Z (in 1h0m)" {
					t.Errorf("exp evidence %q", ev)
				}
				if ev, _ := r.evidence.Get("client"); ev != "azp "+AzureCLIClientID+" (Azure CLI)" {
					t.Errorf("client evidence %q", ev)
				}
			}
			if r.Failed() {
				if title := Catalog()[firstError(r)].Title; r.summary != title {
					t.Errorf("summary %q, want the first error's title %q", r.summary, title)
				}
			}
			for _, f := range r.evidence {
				if strings.Contains(f.Value, strings.Split(c.token, ".")[2]) {
					t.Errorf("evidence %s shows the signature", f.Key)
				}
			}
		})
	}
}

func firstError(r *Result) string {
	for _, f := range r.findings {
		if f.Severity == report.Error {
			return f.ID
		}
	}
	return ""
}

func TestGatewayClaimsV1TokenCommand(t *testing.T) {
	v1 := with(goodClaims(), "iss", "https://sts.windows.net/"+tTenant+"/", "ver", "1.0")
	_, r := claimsEnv(t, signToken(nil, v1), testJWKS())
	f := r.findings[0]
	if f.ID != "token-v1-issuer" || len(f.Commands) != 1 || f.Commands[0] != "az ad app update --id "+tGateway+" --set api.requestedAccessTokenVersion=2" {
		t.Errorf("%+v", f)
	}
}

func TestEntraErrorsBecomeFindings(t *testing.T) {
	cases := []struct {
		body     string
		clientID string
		id       string
		section  string
		phrase   string
	}{
		{`{"error":"invalid_client","error_codes":[65005],"error_description":"AADSTS65005: Invalid resource."}`, AzureCLIClientID, "wrong-client-id", SecWrongClientID, ""},
		{`{"error":"unauthorized_client","error_codes":[700016]}`, AzureCLIClientID, "token-unknown-client", SecAuthorizeCLI, ""},
		{`{"error":"invalid_request","error_codes":[90009]}`, tGateway, "token-app-requested-itself", SecAuthorizeCLI, ""},
		{`{"error":"invalid_resource","error_codes":[500011]}`, AzureCLIClientID, "token-resource-not-found", SecGatewayApp, ""},
		{`{"error":"invalid_request","error_codes":[50020]}`, AzureCLIClientID, "token-user-wrong-tenant", SecPart6, ""},
		{`{"error":"invalid_grant","error_codes":[50105]}`, AzureCLIClientID, "token-user-not-assigned", SecGatewayApp, ""},
		{`{"error":"invalid_grant","error_codes":[65001],"suberror":"consent_required"}`, AzureCLIClientID, "token-consent-cli", SecAuthorizeCLI, "Suberror: consent_required"},
		{`{"error":"invalid_grant","error_codes":[65001]}`, "aebc6443-996d-45c2-90f0-388ff96faa56", "token-consent-client", SecPermChain, ""},
		{`{"error":"access_denied","error_codes":[65004]}`, AzureCLIClientID, "token-consent-cli", SecAuthorizeCLI, ""},
		{`{"error":"invalid_scope","error_codes":[70011]}`, AzureCLIClientID, "token-invalid-scope", SecGatewayApp, ""},
		{`{"error":"invalid_client","error_codes":[7000218]}`, tGateway, "token-public-client-disabled", SecAuthorizeCLI, "the gateway app's id used as public client works only when its registration allows public client flows"},
		{`{"error":"interaction_required","error_codes":[50076],"claims":"{}"}`, AzureCLIClientID, "token-mfa-required", "", "claims challenge"},
		{`{"error":"interaction_required","error_codes":[50079]}`, AzureCLIClientID, "token-mfa-required", "", ""},
		{`{"error":"access_denied","error_codes":[53003]}`, AzureCLIClientID, "token-conditional-access", "", ""},
		{`{"error":"invalid_grant","error_codes":[50173]}`, AzureCLIClientID, "token-grant-revoked", "", ""},
		{`{"error":"invalid_grant","error_codes":[700082]}`, AzureCLIClientID, "token-refresh-expired", "", ""},
		{`{"error":"authorization_declined","error_codes":[70000]}`, AzureCLIClientID, "token-device-code-declined", SecPart6, ""},
		{`{"error":"expired_token","error_codes":[70020]}`, AzureCLIClientID, "token-device-code-expired", SecPart6, ""},
		{`{"error":"invalid_tenant","error_codes":[90002]}`, AzureCLIClientID, "token-tenant-not-found", SecGatewayApp, ""},
		{`{"error":"temporarily_unavailable","error_codes":[50001]}`, AzureCLIClientID, "token-entra-error", SecPart6, ""},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			e, ok := auth.ParseEntraError([]byte(strings.Replace(c.body, "{", `{"trace_id":"tr-1","correlation_id":"co-1",`, 1)), 400)
			if !ok {
				t.Fatal("not an Entra error")
			}
			client, _ := wire.New(wire.Options{})
			env := &Env{Config: &Config{Tenant: tTenant, GatewayAppID: tGateway, ClientID: c.clientID}, HTTP: client}
			r := &Result{env: env}
			findEntra(env, r, e, "The device code sign-in")
			f := r.findings[0]
			if f.ID != c.id || f.TraceID != "tr-1" || f.CorrelationID != "co-1" || !slices.Equal(f.AADSTS, e.Codes) {
				t.Fatalf("%+v", f)
			}
			section := ""
			if f.Guide != nil {
				section = f.Guide.Section
			}
			if section != c.section {
				t.Errorf("section %q, want %q", section, c.section)
			}
			if !strings.Contains(f.Detail+strings.Join(f.Fix, " "), c.phrase) {
				t.Errorf("detail %q and fix %q lack %q", f.Detail, f.Fix, c.phrase)
			}
		})
	}
}
