package checks

import (
	"slices"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/report"
)

// asServes replaces the AS metadata with the guide's document changed.
func asServes(change func(w *discWorld, m map[string]any)) func(w *discWorld) {
	return func(w *discWorld) {
		w.gw["GET /.well-known/oauth-authorization-server"] = discJSON(w.asMeta(func(m map[string]any) { change(w, m) }))
	}
}

var asOnly = []string{"as-metadata"}

func TestASMetadataCases(t *testing.T) {
	runDiscCases(t, []discCase{
		{name: "guide document", only: asOnly, check: "as-metadata", status: report.Pass},
		{name: "missing everywhere", only: asOnly, check: "as-metadata", want: []string{"as-metadata-not-found"},
			break_: func(w *discWorld) { delete(w.gw, "GET /.well-known/oauth-authorization-server") },
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				reqs := w.gatewayRequests()
				want := []string{"GET /.well-known/oauth-authorization-server", "GET /.well-known/openid-configuration"}
				if !slices.Equal(reqs[len(reqs)-2:], want) {
					t.Errorf("requests %q, want them to end with %q (the MCP spec's order)", reqs, want)
				}
				if discEvidence(rep, "as-metadata", "status") != "404 Not Found" {
					t.Errorf("status evidence %q", discEvidence(rep, "as-metadata", "status"))
				}
			}},
		{name: "OpenID Connect fallback", only: asOnly, check: "as-metadata", status: report.Pass,
			break_: func(w *discWorld) {
				w.gw["GET /.well-known/openid-configuration"] = w.gw["GET /.well-known/oauth-authorization-server"]
				delete(w.gw, "GET /.well-known/oauth-authorization-server")
			}},
		{name: "issuer with a path: the spec's three URLs in order", only: asOnly, check: "as-metadata", status: report.Pass,
			break_: func(w *discWorld) {
				w.gw["GET /.well-known/oauth-protected-resource"] = discJSON(w.prm(func(m map[string]any) {
					m["authorization_servers"] = []string{w.gateway.URL + "/tenant1"}
				}))
				w.gw["GET /tenant1/.well-known/openid-configuration"] = discJSON(w.asMeta(func(m map[string]any) { m["issuer"] = w.gateway.URL + "/tenant1" }))
			},
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				reqs := w.gatewayRequests()
				want := []string{"GET /.well-known/oauth-authorization-server/tenant1", "GET /.well-known/openid-configuration/tenant1", "GET /tenant1/.well-known/openid-configuration"}
				if !slices.Equal(reqs[len(reqs)-3:], want) {
					t.Errorf("requests %q, want them to end with %q", reqs, want)
				}
			}},
		{name: "issuer with a trailing slash", only: asOnly, check: "as-metadata", want: []string{"as-issuer-mismatch"},
			break_: asServes(func(w *discWorld, m map[string]any) { m["issuer"] = w.gateway.URL + "/" })},
		{name: "issuer of another gateway", only: asOnly, check: "as-metadata", want: []string{"as-issuer-mismatch"},
			break_: asServes(func(w *discWorld, m map[string]any) { m["issuer"] = "https://apim-old.azure-api.net" })},
		{name: "Entra's own document", only: asOnly, check: "as-metadata",
			want: []string{"as-endpoint-off-gateway", "as-issuer-mismatch", "as-pkce-s256-missing"},
			break_: asServes(func(w *discWorld, m map[string]any) {
				base := "https://login.microsoftonline.com/" + discTenant
				m["issuer"] = base + "/v2.0"
				m["authorization_endpoint"] = base + "/oauth2/v2.0/authorize"
				m["token_endpoint"] = base + "/oauth2/v2.0/token"
				delete(m, "code_challenge_methods_supported")
				delete(m, "jwks_uri")
				m["jwks_uri"] = w.tenant.URL + "/" + discTenant + "/discovery/v2.0/keys"
			})},
		{name: "S256 not advertised: Entra's quirk", only: asOnly, check: "as-metadata", want: []string{"as-pkce-s256-missing"}, status: report.Warn,
			break_: asServes(func(w *discWorld, m map[string]any) { delete(m, "code_challenge_methods_supported") }),
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				f := discFinding(rep, "as-metadata", "as-pkce-s256-missing")
				if !strings.Contains(strings.Join(f.Fix, " "), "Entra's own metadata omits") {
					t.Errorf("the fix should name Entra's quirk: %q", f.Fix)
				}
			}},
		{name: "plain only", only: asOnly, check: "as-metadata", want: []string{"as-pkce-no-s256"},
			break_: asServes(func(w *discWorld, m map[string]any) { m["code_challenge_methods_supported"] = []string{"plain"} })},
		{name: "no response types", only: asOnly, check: "as-metadata", want: []string{"as-response-type"},
			break_: asServes(func(w *discWorld, m map[string]any) { delete(m, "response_types_supported") })},
		{name: "no authorization_code grant", only: asOnly, check: "as-metadata", want: []string{"as-grant-types"},
			break_: asServes(func(w *discWorld, m map[string]any) { m["grant_types_supported"] = []string{"client_credentials"} })},
		{name: "no refresh_token grant", only: asOnly, check: "as-metadata", want: []string{"as-grant-types"}, status: report.Warn,
			break_: asServes(func(w *discWorld, m map[string]any) { m["grant_types_supported"] = []string{"authorization_code"} })},
		{name: "grant types absent mean authorization_code", only: asOnly, check: "as-metadata", status: report.Pass,
			break_: asServes(func(w *discWorld, m map[string]any) { delete(m, "grant_types_supported") })},
		{name: "no public clients", only: asOnly, check: "as-metadata", want: []string{"as-token-auth-none"}, status: report.Warn,
			break_: asServes(func(w *discWorld, m map[string]any) { delete(m, "token_endpoint_auth_methods_supported") })},
		{name: "no token endpoint", only: asOnly, check: "as-metadata", want: []string{"as-endpoint-missing"},
			break_: asServes(func(w *discWorld, m map[string]any) { delete(m, "token_endpoint") })},
		{name: "token endpoint on Entra", only: asOnly, check: "as-metadata", want: []string{"as-endpoint-off-gateway"},
			break_: asServes(func(w *discWorld, m map[string]any) {
				m["token_endpoint"] = "https://login.microsoftonline.com/" + discTenant + "/oauth2/v2.0/token"
			})},
		{name: "placeholders", only: asOnly, check: "as-metadata", want: []string{"as-metadata-placeholder"},
			break_: asServes(func(w *discWorld, m map[string]any) {
				m["jwks_uri"] = "https://login.microsoftonline.com/<your-tenant-id>/discovery/v2.0/keys"
				m["scopes_supported"] = []string{"openid", "api://<gateway-app-id>/Mcp.Gateway.Access"}
			})},
		{name: "no jwks_uri", only: asOnly, check: "as-metadata", want: []string{"as-jwks-missing"}, status: report.Warn,
			break_: asServes(func(w *discWorld, m map[string]any) { delete(m, "jwks_uri") })},
		{name: "jwks of another tenant", only: asOnly, check: "as-metadata", want: []string{"as-jwks-wrong"},
			break_: asServes(func(w *discWorld, m map[string]any) {
				m["jwks_uri"] = w.tenant.URL + "/" + discOtherTenant + "/discovery/v2.0/keys"
			}),
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if f := discFinding(rep, "as-metadata", "as-jwks-wrong"); !strings.Contains(f.Detail, discOtherTenant) || !strings.Contains(f.Detail, "--tenant") {
					t.Errorf("detail %q", f.Detail)
				}
			}},
		{name: "jwks on the common endpoint", only: asOnly, check: "as-metadata", want: []string{"as-jwks-wrong"},
			break_: asServes(func(w *discWorld, m map[string]any) { m["jwks_uri"] = w.tenant.URL + "/common/discovery/v2.0/keys" })},
		{name: "jwks v1", only: asOnly, check: "as-metadata", want: []string{"as-jwks-wrong"},
			break_: asServes(func(w *discWorld, m map[string]any) {
				m["jwks_uri"] = w.tenant.URL + "/" + discTenant + "/discovery/keys"
			})},
		{name: "jwks on the real authority while the run uses another", only: asOnly, check: "as-metadata", want: []string{"as-jwks-wrong"},
			break_: asServes(func(w *discWorld, m map[string]any) {
				m["jwks_uri"] = "https://login.microsoftonline.com/" + discTenant + "/discovery/v2.0/keys"
			})},
		{name: "scopes without the gateway's", only: asOnly, check: "as-metadata", want: []string{"as-scope-mismatch"}, status: report.Warn,
			break_: asServes(func(w *discWorld, m map[string]any) { m["scopes_supported"] = []string{"openid", "profile"} })},
		{name: "not JSON", only: asOnly, check: "as-metadata", want: []string{"as-metadata-not-json"},
			break_: func(w *discWorld) {
				w.gw["GET /.well-known/oauth-authorization-server"] = discBody(200, "text/html", "<html><title>x</title></html>")
			}},
		{name: "wrong member type", only: asOnly, check: "as-metadata", want: []string{"as-metadata-invalid"},
			break_: asServes(func(w *discWorld, m map[string]any) { m["code_challenge_methods_supported"] = "S256" })},
		{name: "tenant inferred from jwks_uri", only: asOnly, check: "as-metadata", status: report.Pass,
			tweak: func(c *Config) { c.Tenant = "" },
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if env.Config.Tenant != discTenant || !slices.Contains(rep.Target.Inferred, "tenant") {
					t.Errorf("tenant %q inferred %v", env.Config.Tenant, rep.Target.Inferred)
				}
				if env.State.Discovery.TenantInferredFrom != "the AS metadata's jwks_uri" {
					t.Errorf("TenantInferredFrom %q", env.State.Discovery.TenantInferredFrom)
				}
			}},
	})
}

func TestASMetadataURLs(t *testing.T) {
	tests := []struct {
		issuer string
		want   []string
	}{
		{"https://apim.example.net", []string{
			"https://apim.example.net/.well-known/oauth-authorization-server",
			"https://apim.example.net/.well-known/openid-configuration"}},
		{"https://apim.example.net/", []string{
			"https://apim.example.net/.well-known/oauth-authorization-server",
			"https://apim.example.net/.well-known/openid-configuration"}},
		{"https://login.microsoftonline.com/" + discTenant + "/v2.0", []string{
			"https://login.microsoftonline.com/.well-known/oauth-authorization-server/" + discTenant + "/v2.0",
			"https://login.microsoftonline.com/.well-known/openid-configuration/" + discTenant + "/v2.0",
			"https://login.microsoftonline.com/" + discTenant + "/v2.0/.well-known/openid-configuration"}},
		{"https://h:8443/a%20b/", []string{
			"https://h:8443/.well-known/oauth-authorization-server/a%20b",
			"https://h:8443/.well-known/openid-configuration/a%20b",
			"https://h:8443/a%20b/.well-known/openid-configuration"}},
	}
	for _, tt := range tests {
		got, err := ASMetadataURLs(tt.issuer)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ASMetadataURLs(%q) = %q, %v\nwant %q", tt.issuer, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "apim.example.net", "/x", "ftp://h", "https://"} {
		if got, err := ASMetadataURLs(bad); err == nil {
			t.Errorf("ASMetadataURLs(%q) = %q, want an error", bad, got)
		}
	}
}
