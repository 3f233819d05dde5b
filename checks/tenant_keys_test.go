package checks

import (
	"slices"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/report"
)

func TestTenantKeysCases(t *testing.T) {
	runDiscCases(t, []discCase{
		{name: "GUID", check: "tenant-keys", status: report.Pass,
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				st := env.State
				if st.TenantGUID != discTenant || st.Issuer != w.tenant.URL+"/"+discTenant+"/v2.0" || st.JWKSURI != w.tenant.URL+"/"+discTenant+"/discovery/v2.0/keys" {
					t.Errorf("state %q %q %q", st.TenantGUID, st.Issuer, st.JWKSURI)
				}
				if got := discEvidence(rep, "tenant-keys", "keys"); got != "1, 1 usable for RS256" {
					t.Errorf("keys evidence %q", got)
				}
			}},
		{name: "domain resolved to its GUID", check: "tenant-keys", status: report.Pass,
			tweak: func(c *Config) { c.Tenant = discDomain },
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if env.Config.Tenant != discTenant || rep.Target.Tenant != discTenant || env.State.TenantGUID != discTenant {
					t.Errorf("tenant not resolved: config %q target %q", env.Config.Tenant, rep.Target.Tenant)
				}
				if slices.Contains(rep.Target.Inferred, "tenant") {
					t.Error("a given tenant resolved is not an inferred one")
				}
				if got := discEvidence(rep, "tenant-keys", "tenant_resolved"); got != discDomain+" → "+discTenant {
					t.Errorf("tenant_resolved %q", got)
				}
			}},
		{name: "unknown tenant", check: "tenant-keys", want: []string{"tenant-not-found"},
			tweak: func(c *Config) { c.Tenant = "nosuch.onmicrosoft.com" },
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if f := discFinding(rep, "tenant-keys", "tenant-not-found"); !slices.Equal(f.AADSTS, []int{90002}) {
					t.Errorf("aadsts %v", f.AADSTS)
				}
			}},
		{name: "discovery fails", check: "tenant-keys", want: []string{"tenant-discovery-invalid"},
			break_: func(w *discWorld) {
				w.tn["GET /"+discTenant+"/v2.0/.well-known/openid-configuration"] = discBody(503, "text/html", "<html><title>Service Unavailable</title></html>")
			}},
		{name: "issuer of another tenant", check: "tenant-keys", want: []string{"tenant-issuer-mismatch"},
			break_: func(w *discWorld) {
				w.tn["GET /"+discTenant+"/v2.0/.well-known/openid-configuration"] = discJSON(map[string]any{
					"issuer": w.tenant.URL + "/" + discOtherTenant + "/v2.0", "jwks_uri": w.tenant.URL + "/" + discOtherTenant + "/discovery/v2.0/keys"})
			}},
		{name: "v1 issuer", check: "tenant-keys", want: []string{"tenant-issuer-mismatch"},
			break_: func(w *discWorld) {
				w.tn["GET /"+discTenant+"/v2.0/.well-known/openid-configuration"] = discJSON(map[string]any{
					"issuer": "https://sts.windows.net/" + discTenant + "/", "jwks_uri": w.tenant.URL + "/" + discTenant + "/discovery/v2.0/keys"})
			}},
		{name: "no usable key", check: "tenant-keys", want: []string{"tenant-jwks-invalid"},
			break_: func(w *discWorld) {
				w.tn["GET /"+discTenant+"/discovery/v2.0/keys"] = discJSON(map[string]any{"keys": []map[string]any{
					{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
					{"kty": "RSA", "n": "AQAB", "e": "AQAB"}, // far too short
					{"kty": "RSA", "use": "enc", "n": strings.Repeat("A", 342), "e": "AQAB"},
				}})
			},
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if len(env.State.JWKS) != 0 {
					t.Error("an unusable JWKS must not be handed to the token checks")
				}
			}},
		{name: "keys not JSON", check: "tenant-keys", want: []string{"tenant-jwks-invalid"},
			break_: func(w *discWorld) {
				w.tn["GET /"+discTenant+"/discovery/v2.0/keys"] = discBody(200, "text/plain", "keys")
			}},
		{name: "authority down", check: "tenant-keys", want: []string{"authority-unreachable"},
			break_: func(w *discWorld) { w.tenant.Close() }},
		{name: "the gateway names the same tenant by domain", only: []string{"as-metadata", "authorize-redirect", "tenant-keys"}, check: "tenant-keys", status: report.Pass,
			break_: func(w *discWorld) {
				asServes(func(w *discWorld, m map[string]any) {
					m["jwks_uri"] = w.tenant.URL + "/" + discDomain + "/discovery/v2.0/keys"
				})(w)
			}},
		{name: "the gateway names another tenant by domain", only: []string{"as-metadata", "authorize-redirect", "tenant-keys"}, check: "tenant-keys", want: []string{"tenant-mismatch"},
			break_: func(w *discWorld) {
				asServes(func(w *discWorld, m map[string]any) {
					m["jwks_uri"] = w.tenant.URL + "/" + discOtherDomain + "/discovery/v2.0/keys"
				})(w)
			},
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				f := discFinding(rep, "tenant-keys", "tenant-mismatch")
				if !strings.Contains(f.Detail, "jwks_uri names tenant "+discOtherDomain+" ("+discOtherTenant+")") {
					t.Errorf("detail %q", f.Detail)
				}
			}},
		{name: "given a domain, the redirect names another GUID", only: []string{"authorize-redirect", "tenant-keys"}, check: "tenant-keys", want: []string{"tenant-mismatch"},
			tweak: func(c *Config) { c.Tenant = discDomain },
			break_: redirectTo(func(w *discWorld, q string) string {
				return w.tenant.URL + "/" + discOtherTenant + "/oauth2/v2.0/authorize?" + q
			})},
		{name: "the redirect names a tenant that does not exist", only: []string{"authorize-redirect", "tenant-keys"}, check: "tenant-keys", want: []string{"tenant-mismatch"},
			break_: redirectTo(func(w *discWorld, q string) string {
				return w.tenant.URL + "/nosuch.onmicrosoft.com/oauth2/v2.0/authorize?" + q
			})},
	})
}

func TestUsableRS256Keys(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"keys": {}}`, `{"keys": "x"}`, `{}`, `{"keys": [1, "x", null]}`} {
		usable, _, _, err := usableRS256Keys([]byte(body))
		if usable != 0 || (err == nil && body != `{"keys": [1, "x", null]}`) {
			t.Errorf("%q: usable %d err %v", body, usable, err)
		}
	}
}
