package checks

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/report"
)

// discoveryChecks are checks 1–6, which need no token.
var discoveryChecks = []string{"challenge", "prm", "as-metadata", "authorize-redirect", "token-proxy", "tenant-keys"}

// patient gives the lab the time a loaded CI machine (2 cores, -race) may
// need; only gateway-slow keeps runLab's short per-request timeout.
func patient(tweak func(*Config)) func(*Config) {
	return func(c *Config) {
		c.Timeout = 10 * time.Second
		if tweak != nil {
			tweak(c)
		}
	}
}

func TestLabDiscoveryHealthy(t *testing.T) {
	run := runLab(t, Selection{Only: discoveryChecks}, patient(nil))
	for _, id := range discoveryChecks {
		c, ok := run.Report.Find(id)
		if !ok {
			t.Fatalf("no %s in the report", id)
		}
		if c.Status != report.Pass {
			t.Errorf("%s: %s (%s), findings %v", id, c.Status, c.Summary, findingIDs(run.Report, id))
		}
	}
	if t.Failed() {
		discDump(t, run.Report)
	}
	st := run.Env.State
	if st.TenantGUID != run.World.TenantID || st.Issuer != run.World.AuthorityHost+"/"+run.World.TenantID+"/v2.0" {
		t.Errorf("tenant-keys state: guid %q issuer %q", st.TenantGUID, st.Issuer)
	}
	if !json.Valid(st.JWKS) || !strings.Contains(string(st.JWKS), `"keys"`) {
		t.Errorf("JWKS not kept: %q", st.JWKS)
	}
	if st.Discovery.ResourceMetadataURL != run.World.GatewayURL+"/.well-known/oauth-protected-resource" {
		t.Errorf("resource_metadata: %q", st.Discovery.ResourceMetadataURL)
	}
	if got := findingIDs(run.Report, "prm"); !slices.Equal(got, []string{"prm-resource-prefix"}) {
		t.Errorf("prm findings: %v (the guide's layout is a prefix, noted as info)", got)
	}
}

func discDump(t *testing.T, rep *report.Report) {
	t.Helper()
	b, _ := json.MarshalIndent(rep.Checks, "", "  ")
	t.Logf("%s", b)
}

// Each gateway fault of the discovery surface makes its owning check the
// first to fail, with the catalog finding that names it.
func TestLabDiscoveryFaults(t *testing.T) {
	tests := []struct {
		fault, check, finding, section string
		only                           []string
	}{
		{"no-www-authenticate", "challenge", "www-authenticate-missing", SecWWWAuth, discoveryChecks},
		{"prm-placeholder", "prm", "prm-placeholder", SecDiscoveryPol, discoveryChecks},
		{"prm-wrong-resource", "prm", "prm-resource-mismatch", SecDiscoveryPol, discoveryChecks},
		{"as-metadata-missing", "as-metadata", "as-metadata-not-found", SecDiscoveryPol, discoveryChecks},
		{"authorize-broken", "authorize-redirect", "authorize-not-redirect", SecDiscoveryPol, discoveryChecks},
		{"token-proxy-broken", "token-proxy", "token-proxy-not-found", SecOAuthProxyAPI, discoveryChecks},
		// Every gateway answer is late: the first request already says so.
		{"gateway-slow", "challenge", "gateway-timeout", SecPart5, []string{"challenge", "prm"}},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel() // a lab spends most of its time waiting: overlap them
			tweak := patient(nil)
			if tt.fault == "gateway-slow" {
				tweak = nil // runLab's 500ms against the lab's 2s delay
			}
			run := runLab(t, Selection{Only: tt.only}, tweak, tt.fault)
			if got := firstFailure(run.Report); got != tt.check {
				discDump(t, run.Report)
				t.Fatalf("first failing check = %q, want %q", got, tt.check)
			}
			c, _ := run.Report.Find(tt.check)
			var found *report.Finding
			for i := range c.Findings {
				if c.Findings[i].ID == tt.finding {
					found = &c.Findings[i]
				}
			}
			if found == nil {
				t.Fatalf("%s findings %v, want %s", tt.check, findingIDs(run.Report, tt.check), tt.finding)
			}
			if found.Severity != report.Error || found.Guide == nil || found.Guide.Section != tt.section {
				t.Errorf("finding %s: severity %s, guide %+v; want error in %q", found.ID, found.Severity, found.Guide, tt.section)
			}
			if len(found.Fix) == 0 || strings.Contains(strings.Join(found.Fix, " "), "{{") {
				t.Errorf("finding %s: fix not filled: %q", found.ID, found.Fix)
			}
			if _, ok := c.Evidence.Get("url"); !ok && tt.fault != "gateway-slow" {
				t.Errorf("%s: no url in discEvidence %v", tt.check, c.Evidence)
			}
		})
	}
}

// Given only the gateway, the discovery checks learn the tenant and the
// gateway app id from it; a tenant given as a domain becomes its GUID.
func TestLabDiscoveryLearnsIDs(t *testing.T) {
	t.Run("inferred", func(t *testing.T) {
		t.Parallel()
		run := runLab(t, Selection{Only: discoveryChecks}, patient(func(c *Config) { c.Tenant, c.GatewayAppID = "", "" }))
		if f := firstFailure(run.Report); f != "" {
			discDump(t, run.Report)
			t.Fatalf("%s failed", f)
		}
		tg := run.Report.Target
		if tg.Tenant != run.World.TenantID || tg.GatewayAppID != run.World.GatewayAppID ||
			!slices.Contains(tg.Inferred, "tenant") || !slices.Contains(tg.Inferred, "gateway_app_id") {
			t.Errorf("target %+v", tg)
		}
		if run.Env.Config.Tenant != run.World.TenantID || run.Env.State.TenantGUID != run.World.TenantID {
			t.Errorf("config tenant %q, state %q", run.Env.Config.Tenant, run.Env.State.TenantGUID)
		}
	})
	t.Run("domain", func(t *testing.T) {
		t.Parallel()
		run := runLab(t, Selection{Only: discoveryChecks}, patient(func(c *Config) { c.Tenant = run0Domain }))
		if f := firstFailure(run.Report); f != "" {
			discDump(t, run.Report)
			t.Fatalf("%s failed", f)
		}
		if run.Env.Config.Tenant != run.World.TenantID || run.Report.Target.Tenant != run.World.TenantID {
			t.Errorf("tenant not resolved: %q / %q", run.Env.Config.Tenant, run.Report.Target.Tenant)
		}
		if got, _ := mustCheck(t, run.Report, "tenant-keys").Evidence.Get("tenant_resolved"); got != run0Domain+" → "+run.World.TenantID {
			t.Errorf("tenant_resolved %q", got)
		}
	})
}

// run0Domain is the lab tenant's domain (lab.TenantDomain).
const run0Domain = lab.TenantDomain

func mustCheck(t *testing.T, rep *report.Report, id string) *report.Check {
	t.Helper()
	c, ok := rep.Find(id)
	if !ok {
		t.Fatalf("no %s in the report", id)
	}
	return c
}
