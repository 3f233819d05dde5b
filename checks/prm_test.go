package checks

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/report"
)

// prmServes replaces the root PRM with the guide's document changed.
func prmServes(change func(w *discWorld, m map[string]any)) func(w *discWorld) {
	return func(w *discWorld) {
		w.gw["GET /.well-known/oauth-protected-resource"] = discJSON(w.prm(func(m map[string]any) { change(w, m) }))
	}
}

// guidePRMTemplate is prm-policy.xml's body, as pasted from the guide.
const guidePRMTemplate = `{
  "resource": "https://<your-apim-host>/context7",
  "authorization_servers": ["https://<your-apim-host>"],
  "scopes_supported": ["api://<gateway-app-id>/Mcp.Gateway.Access"],
  "bearer_methods_supported": ["header"]
}`

func TestPRMCases(t *testing.T) {
	runDiscCases(t, []discCase{
		{name: "guide layout", only: []string{"challenge", "prm"}, check: "prm", want: []string{"prm-resource-prefix"}, status: report.Pass,
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				// The challenge's URL, then the path-inserted one; the root is the challenge's.
				want := []string{"POST /context7/mcp", "GET /.well-known/oauth-protected-resource", "GET /.well-known/oauth-protected-resource/context7/mcp"}
				if got := w.gatewayRequests(); !slices.Equal(got, want) {
					t.Errorf("requests %q, want %q", got, want)
				}
				if m := discEvidence(rep, "prm", "resource_match"); m != "prefix" {
					t.Errorf("resource_match %q", m)
				}
			}},
		{name: "without a challenge: path-inserted first, then root", check: "prm", want: []string{"prm-resource-prefix"},
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				want := []string{"GET /.well-known/oauth-protected-resource/context7/mcp", "GET /.well-known/oauth-protected-resource"}
				if got := w.gatewayRequests(); !slices.Equal(got, want) {
					t.Errorf("requests %q, want %q", got, want)
				}
			}},
		{name: "exact resource", check: "prm", status: report.Pass,
			break_: prmServes(func(w *discWorld, m map[string]any) { m["resource"] = w.gateway.URL + "/context7/mcp" })},
		{name: "resource with default port and trailing slash", check: "prm", want: []string{"prm-resource-prefix"},
			break_: prmServes(func(w *discWorld, m map[string]any) {
				m["resource"] = strings.ToUpper(w.gateway.URL[:8]) + w.gateway.URL[8:] + "/context7/"
			})},
		{name: "guide template pasted as is", check: "prm", want: []string{"prm-placeholder"},
			break_: func(w *discWorld) {
				w.gw["GET /.well-known/oauth-protected-resource"] = discBody(200, "application/json", guidePRMTemplate)
			},
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				f := discFinding(rep, "prm", "prm-placeholder")
				if !strings.Contains(f.Detail, "<your-apim-host>, <gateway-app-id>") {
					t.Errorf("detail should list the placeholders: %q", f.Detail)
				}
				if !strings.Contains(strings.Join(f.Fix, " "), `"resource": "`+w.gateway.URL+`/context7"`) {
					t.Errorf("fix should show the filled document: %q", f.Fix)
				}
			}},
		{name: "escaped placeholder", check: "prm", want: []string{"prm-placeholder", "prm-resource-prefix"},
			break_: prmServes(func(w *discWorld, m map[string]any) { m["resource_name"] = "\u003cyour-apim-host\u003e" })},
		{name: "another host", check: "prm", want: []string{"prm-resource-mismatch"},
			break_: prmServes(func(w *discWorld, m map[string]any) {
				m["resource"] = "https://apim-context7-old.azure-api.net/context7"
			})},
		{name: "sibling path", check: "prm", want: []string{"prm-resource-mismatch"},
			break_: prmServes(func(w *discWorld, m map[string]any) { m["resource"] = w.gateway.URL + "/context" })},
		{name: "no resource", check: "prm", want: []string{"prm-resource-missing"},
			break_: prmServes(func(w *discWorld, m map[string]any) { delete(m, "resource") })},
		{name: "documents disagree", check: "prm", want: []string{"prm-resource-prefix", "prm-disagree", "prm-scope-wrong-app"},
			break_: func(w *discWorld) {
				w.gw["GET /.well-known/oauth-protected-resource/context7/mcp"] = discJSON(w.prm(func(m map[string]any) {
					m["scopes_supported"] = []string{"api://" + discWrongApp + "/Mcp.Gateway.Access"}
				}))
			},
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				// The path-inserted document is the one a client without the challenge reads.
				if got := discEvidence(rep, "prm", "url"); !strings.HasSuffix(got, "/context7/mcp") {
					t.Errorf("source %q", got)
				}
			}},
		{name: "documents agree", check: "prm", want: []string{"prm-resource-prefix"},
			break_: func(w *discWorld) {
				w.gw["GET /.well-known/oauth-protected-resource/context7/mcp"] = discBody(200, "application/json", `{"bearer_methods_supported":["header"],"scopes_supported":["api://`+discGwApp+`/Mcp.Gateway.Access"],"authorization_servers":["`+w.gateway.URL+`"],"resource":"`+w.gateway.URL+`/context7"}`)
			}},
		{name: "challenge URL 404 but root serves", only: []string{"challenge", "prm"}, check: "prm", want: []string{"prm-not-found", "prm-resource-prefix"},
			break_: challengeWith(apim401, `Bearer resource_metadata="GW/.well-known/oauth-protected-resource/mcp"`)},
		{name: "nothing anywhere", check: "prm", want: []string{"prm-not-found"},
			break_: func(w *discWorld) { delete(w.gw, "GET /.well-known/oauth-protected-resource") },
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if s := discEvidence(rep, "prm", "status"); s != "404 Not Found" {
					t.Errorf("status evidence %q", s)
				}
			}},
		{name: "forwarded to Entra: HTML", check: "prm", want: []string{"prm-not-json"},
			break_: func(w *discWorld) {
				w.gw["GET /.well-known/oauth-protected-resource"] = discBody(200, "text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>Sign in to your account</title></head></html>")
			},
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if f := discFinding(rep, "prm", "prm-not-json"); !strings.Contains(f.Detail, `an HTML page titled "Sign in to your account"`) {
					t.Errorf("detail %q", f.Detail)
				}
			}},
		{name: "wrong type", check: "prm", want: []string{"prm-invalid"},
			break_: prmServes(func(w *discWorld, m map[string]any) { m["authorization_servers"] = w.gateway.URL })},
		{name: "byte order mark", check: "prm", want: []string{"prm-invalid"},
			break_: func(w *discWorld) {
				w.gw["GET /.well-known/oauth-protected-resource"] = discBody(200, "application/json", "\ufeff{}")
			}},
		{name: "trailing comma", check: "prm", want: []string{"prm-invalid"},
			break_: func(w *discWorld) {
				w.gw["GET /.well-known/oauth-protected-resource"] = discBody(200, "application/json", `{"resource": "x",}`)
			}},
		{name: "served as text", check: "prm", want: []string{"prm-content-type", "prm-resource-prefix"}, status: report.Warn,
			break_: func(w *discWorld) {
				w.gw["GET /.well-known/oauth-protected-resource"] = discBody(200, "text/plain", mustJSON(w.prm(nil)))
			}},
		{name: "no authorization servers", check: "prm", want: []string{"prm-resource-prefix", "prm-no-authorization-servers"},
			break_: prmServes(func(w *discWorld, m map[string]any) { m["authorization_servers"] = []string{} })},
		{name: "authorization server over http", check: "prm", want: []string{"prm-resource-prefix", "prm-authorization-server-invalid"},
			break_: prmServes(func(w *discWorld, m map[string]any) { m["authorization_servers"] = []string{"http://apim.example.net"} })},
		{name: "Entra as the authorization server", check: "prm", want: []string{"prm-resource-prefix", "prm-authorization-server-elsewhere"}, status: report.Warn,
			break_: prmServes(func(w *discWorld, m map[string]any) {
				m["authorization_servers"] = []string{"https://login.microsoftonline.com/" + discTenant + "/v2.0"}
			})},
		{name: "scope of another app", check: "prm", want: []string{"prm-resource-prefix", "prm-scope-wrong-app"},
			break_: prmServes(func(w *discWorld, m map[string]any) {
				m["scopes_supported"] = []string{"api://" + discWrongApp + "/Mcp.Gateway.Access"}
			})},
		{name: "the MCP API's scope", check: "prm", want: []string{"prm-resource-prefix", "prm-scope-wrong-app"},
			break_: prmServes(func(w *discWorld, m map[string]any) {
				m["scopes_supported"] = []string{"api://" + discMCPApp + "/mcp.access"}
			})},
		{name: "no scopes", check: "prm", want: []string{"prm-resource-prefix", "prm-scope-missing"},
			break_: prmServes(func(w *discWorld, m map[string]any) { delete(m, "scopes_supported") })},
		{name: "no scopes and nothing to infer from", check: "prm", want: []string{"prm-resource-prefix", "prm-scope-missing"},
			tweak:  func(c *Config) { c.GatewayAppID = "" },
			break_: prmServes(func(w *discWorld, m map[string]any) { m["scopes_supported"] = []string{"openid"} })},
		{name: "bearer in the body only", check: "prm", want: []string{"prm-resource-prefix", "prm-bearer-methods"},
			break_: prmServes(func(w *discWorld, m map[string]any) { m["bearer_methods_supported"] = []string{"body"} })},
		{name: "bearer methods absent", check: "prm", want: []string{"prm-resource-prefix"},
			break_: prmServes(func(w *discWorld, m map[string]any) { delete(m, "bearer_methods_supported") })},
		{name: "gateway app id inferred", check: "prm", want: []string{"prm-resource-prefix"},
			tweak: func(c *Config) { c.GatewayAppID = "" },
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if env.Config.GatewayAppID != discGwApp || !slices.Contains(rep.Target.Inferred, "gateway_app_id") || rep.Target.GatewayAppID != discGwApp {
					t.Errorf("not inferred: config %q target %+v", env.Config.GatewayAppID, rep.Target)
				}
			}},
	})
}

func mustJSON(v map[string]any) string {
	b, err := jsonMarshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestMatchResource(t *testing.T) {
	const ep = "https://apim.example.net/context7/mcp"
	tests := []struct {
		resource string
		want     ResourceMatch
	}{
		{"https://apim.example.net/context7/mcp", MatchExact},
		{"https://apim.example.net/context7/mcp/", MatchExact},
		{"HTTPS://APIM.example.net:443/context7/mcp", MatchExact},
		{"https://apim.example.net/context7", MatchPrefix},
		{"https://apim.example.net/context7/", MatchPrefix},
		{"https://apim.example.net", MatchPrefix},
		{"https://apim.example.net/", MatchPrefix},
		{"https://apim.example.net/Context7", MatchMismatch}, // paths are case-sensitive
		{"https://apim.example.net/context", MatchMismatch},  // whole segments only
		{"https://apim.example.net/context7/mcp/more", MatchMismatch},
		{"http://apim.example.net/context7", MatchMismatch},
		{"https://apim.example.net:8443/context7", MatchMismatch},
		{"https://apim.example.net.evil.test/context7", MatchMismatch},
		{"https://apim.example.net/context7#frag", MatchMismatch},
		{"https://apim.example.net/context7?x=1", MatchMismatch},
		{"/context7", MatchMismatch},
		{"", MatchMismatch},
		{"https://[::1]:443/context7", MatchMismatch},
		{"://", MatchMismatch},
	}
	for _, tt := range tests {
		if got, why := MatchResource(tt.resource, ep); got != tt.want {
			t.Errorf("MatchResource(%q) = %s (%s), want %s", tt.resource, got, why, tt.want)
		}
	}
}

func TestPRMCandidatesNoAuthorization(t *testing.T) {
	// The resource_metadata URL may point anywhere: nothing c7doctor holds
	// may travel with it.
	var seen []string
	w := newDiscWorld(t)
	w.gw["GET /.well-known/oauth-protected-resource"] = func(rw http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"), r.Header.Get("Cookie"))
		discJSON(w.prm(nil))(rw, r)
	}
	w.run(t, []string{"challenge", "prm"}, func(c *Config) { c.Token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln" })
	for _, v := range seen {
		if v != "" {
			t.Fatalf("credential sent to the metadata URL: %q", v)
		}
	}
}
