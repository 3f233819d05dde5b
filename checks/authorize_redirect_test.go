package checks

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/report"
)

// redirectTo makes /authorize answer 302 to loc(w, rawQuery).
func redirectTo(loc func(w *discWorld, q string) string) func(w *discWorld) {
	return func(w *discWorld) {
		w.gw["GET /authorize"] = func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Location", loc(w, r.URL.RawQuery))
			rw.WriteHeader(http.StatusFound)
		}
	}
}

var authzOnly = []string{"authorize-redirect"}

func TestAuthorizeCases(t *testing.T) {
	runDiscCases(t, []discCase{
		{name: "guide policy", only: authzOnly, check: "authorize-redirect", status: report.Pass,
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				// A realistic request: PKCE S256, the gateway scope, a loopback redirect.
				reqs := w.gatewayRequests()
				u, _ := url.Parse(strings.TrimPrefix(reqs[0], "GET "))
				q := u.Query()
				if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("client_id") != discGwApp ||
					!strings.Contains(q.Get("scope"), "api://"+discGwApp+"/Mcp.Gateway.Access") || q.Get("response_type") != "code" || q.Get("state") == "" {
					t.Errorf("authorize request %q", reqs[0])
				}
				if got := discEvidence(rep, "authorize-redirect", "query"); got != "all 7 parameters kept" {
					t.Errorf("query evidence %q", got)
				}
			}},
		{name: "the AS metadata's endpoint is used", only: []string{"as-metadata", "authorize-redirect"}, check: "authorize-redirect", status: report.Pass,
			break_: func(w *discWorld) {
				w.gw["GET /.well-known/oauth-authorization-server"] = discJSON(w.asMeta(func(m map[string]any) { m["authorization_endpoint"] = w.gateway.URL + "/oauth/authorize" }))
				w.gw["GET /oauth/authorize"] = w.gw["GET /authorize"]
				delete(w.gw, "GET /authorize")
			}},
		{name: "no operation", only: authzOnly, check: "authorize-redirect", want: []string{"authorize-not-redirect"},
			break_: func(w *discWorld) { delete(w.gw, "GET /authorize") }},
		{name: "proxied sign-in page", only: authzOnly, check: "authorize-redirect", want: []string{"authorize-not-redirect"},
			break_: func(w *discWorld) {
				w.gw["GET /authorize"] = discBody(200, "text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>Sign in to your account</title></head></html>")
			},
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if f := discFinding(rep, "authorize-redirect", "authorize-not-redirect"); !strings.Contains(f.Detail, "proxied") {
					t.Errorf("detail %q", f.Detail)
				}
			}},
		{name: "no Location", only: authzOnly, check: "authorize-redirect", want: []string{"authorize-location-missing"},
			break_: func(w *discWorld) { w.gw["GET /authorize"] = discBody(302, "", "") }},
		{name: "placeholder", only: authzOnly, check: "authorize-redirect", want: []string{"authorize-placeholder"},
			break_: redirectTo(func(w *discWorld, q string) string {
				return "https://login.microsoftonline.com/<your-tenant-id>/oauth2/v2.0/authorize?" + q
			})},
		{name: "double question mark", only: authzOnly, check: "authorize-redirect", want: []string{"authorize-query-lost"},
			break_: redirectTo(func(w *discWorld, q string) string {
				return w.tenant.URL + "/" + discTenant + "/oauth2/v2.0/authorize??" + q
			})},
		{name: "query dropped", only: authzOnly, check: "authorize-redirect", want: []string{"authorize-query-lost"},
			break_: redirectTo(func(w *discWorld, q string) string { return w.tenant.URL + "/" + discTenant + "/oauth2/v2.0/authorize" })},
		{name: "scope rewritten", only: authzOnly, check: "authorize-redirect", want: []string{"authorize-query-lost"},
			break_: redirectTo(func(w *discWorld, q string) string {
				v, _ := url.ParseQuery(q)
				v.Set("scope", "openid")
				return w.tenant.URL + "/" + discTenant + "/oauth2/v2.0/authorize?" + v.Encode()
			}),
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if f := discFinding(rep, "authorize-redirect", "authorize-query-lost"); !strings.Contains(f.Detail, "changed scope=") {
					t.Errorf("detail %q", f.Detail)
				}
			}},
		{name: "extra parameters are fine", only: authzOnly, check: "authorize-redirect", status: report.Pass,
			break_: redirectTo(func(w *discWorld, q string) string {
				return w.tenant.URL + "/" + discTenant + "/oauth2/v2.0/authorize?" + q + "&prompt=select_account"
			})},
		{name: "v1 endpoint", only: authzOnly, check: "authorize-redirect", want: []string{"authorize-wrong-target"},
			break_: redirectTo(func(w *discWorld, q string) string { return w.tenant.URL + "/" + discTenant + "/oauth2/authorize?" + q })},
		{name: "another tenant", only: authzOnly, check: "authorize-redirect", want: []string{"authorize-wrong-target"},
			break_: redirectTo(func(w *discWorld, q string) string {
				return w.tenant.URL + "/" + discOtherTenant + "/oauth2/v2.0/authorize?" + q
			})},
		{name: "common", only: authzOnly, check: "authorize-redirect", want: []string{"authorize-wrong-target"},
			break_: redirectTo(func(w *discWorld, q string) string { return w.tenant.URL + "/common/oauth2/v2.0/authorize?" + q })},
		{name: "another host", only: authzOnly, check: "authorize-redirect", want: []string{"authorize-wrong-target"},
			break_: redirectTo(func(w *discWorld, q string) string {
				return "https://login.example.com/" + discTenant + "/oauth2/v2.0/authorize?" + q
			})},
		{name: "relative", only: authzOnly, check: "authorize-redirect", want: []string{"authorize-wrong-target"},
			break_: redirectTo(func(w *discWorld, q string) string { return "/" + discTenant + "/oauth2/v2.0/authorize?" + q })},
		{name: "tenant inferred from the redirect", only: authzOnly, check: "authorize-redirect", status: report.Pass,
			tweak: func(c *Config) { c.Tenant = "" },
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if env.Config.Tenant != discTenant || !slices.Contains(rep.Target.Inferred, "tenant") {
					t.Errorf("tenant %q inferred %v", env.Config.Tenant, rep.Target.Inferred)
				}
			}},
		{name: "redirect to a domain, compared later", only: authzOnly, check: "authorize-redirect", status: report.Pass,
			break_: redirectTo(func(w *discWorld, q string) string {
				return w.tenant.URL + "/" + discDomain + "/oauth2/v2.0/authorize?" + q
			}),
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if s := env.State.Discovery.TenantSources; len(s) != 1 || s[0].Tenant != discDomain {
					t.Errorf("TenantSources %+v", s)
				}
			}},
	})
}
