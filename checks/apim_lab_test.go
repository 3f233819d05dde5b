package checks

import (
	"slices"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/report"
)

var configChecks = []string{"apim-service", "apim-apis", "apim-named-values", "apim-diagnostics"}

// Each configuration fault fails (or, without access, skips) its owning
// check with the finding and guide section that fix it; the healthy lab
// passes all three.
func TestConfigChecksOnTheLab(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the lab once per fault")
	}
	cases := []struct {
		fault, check, finding, section string
		status                         report.Status
	}{
		{fault: "sku-consumption", check: "apim-service", finding: "apim-sku-consumption", section: SecPart1, status: report.Fail},
		{fault: "keyvault-refresh-failed", check: "apim-named-values", finding: "apim-keyvault-refresh-failed", section: SecNamedValues, status: report.Fail},
		{fault: "mcp-subscription-required", check: "apim-apis", finding: "apim-mcp-subscription-required", section: SecCreateAPI, status: report.Fail},
		{fault: "oauth-proxy-subscription-required", check: "apim-apis", finding: "apim-proxy-subscription-required", section: SecOAuthProxyAPI, status: report.Fail},
		{fault: "proxy-wrong-tenant", check: "apim-apis", finding: "apim-proxy-wrong-tenant", section: SecOAuthProxyAPI, status: report.Fail},
		{fault: "named-value-secret-id", check: "apim-named-values", finding: "apim-secret-is-secret-id", section: SecNamedValues, status: report.Fail},
		{fault: "diagnostics-body-logging", check: "apim-diagnostics", finding: "apim-diagnostics-body-logging", section: SecStreamingCut, status: report.Fail},
		{fault: "sse-truncated", check: "apim-diagnostics", finding: "apim-diagnostics-body-logging", section: SecStreamingCut, status: report.Fail},
		{fault: "arm-forbidden", check: "apim-service", finding: "arm-no-access", status: report.Skip},
		// Gateway faults whose cause is a missing operation show in ARM too.
		{fault: "authorize-broken", check: "apim-apis", finding: "apim-proxy-operation-missing", section: SecOAuthProxyAPI, status: report.Fail},
		{fault: "token-proxy-broken", check: "apim-apis", finding: "apim-proxy-operation-missing", section: SecOAuthProxyAPI, status: report.Fail},
	}
	healthy := runLab(t, Selection{Only: configChecks}, nil)
	for _, id := range configChecks {
		c, _ := healthy.Report.Find(id)
		if c.Status != report.Pass || slices.ContainsFunc(c.Findings, func(f report.Finding) bool { return f.Severity != report.Info }) {
			t.Errorf("healthy lab: %s is %s %+v", id, c.Status, c.Findings)
		}
	}
	if c, _ := healthy.Report.Find("apim-named-values"); ev(c, "secret_value") != "equals the secret c7doctor was given" {
		t.Errorf("healthy lab: the secret was not compared: %+v", c.Evidence)
	}
	for _, tc := range cases {
		t.Run(tc.fault, func(t *testing.T) {
			run := runLab(t, Selection{Only: configChecks}, nil, tc.fault)
			c, _ := run.Report.Find(tc.check)
			if c.Status != tc.status {
				t.Fatalf("%s is %s (%s), want %s", tc.check, c.Status, c.Summary, tc.status)
			}
			i := slices.IndexFunc(c.Findings, func(f report.Finding) bool { return f.ID == tc.finding })
			if i < 0 {
				t.Fatalf("%s has %v, want %s", tc.check, findingIDs(run.Report, tc.check), tc.finding)
			}
			f := c.Findings[i]
			if (tc.section == "") != (f.Guide == nil) || (f.Guide != nil && f.Guide.Section != tc.section) {
				t.Errorf("guide %+v, want %q", f.Guide, tc.section)
			}
			if len(f.Commands) == 0 || strings.Contains(strings.Join(f.Commands, " "), "<subscription-id>") {
				t.Errorf("commands not filled with the run's ids: %q", f.Commands)
			}
			// Only the owning check goes wrong among the configuration checks.
			for _, id := range configChecks {
				if other, _ := run.Report.Find(id); id != tc.check && other.Status == report.Fail {
					t.Errorf("%s also fails: %v", id, findingIDs(run.Report, id))
				}
			}
		})
	}
}

// No read access is "could not test": exit 0, or 3 when required.
func TestNoAccessSkipsAndRequireMakesItIncomplete(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the lab")
	}
	run := runLab(t, Selection{Only: configChecks, Require: []string{"apim-service"}}, nil, "arm-forbidden")
	if run.Report.ExitCode != report.ExitIncomplete {
		t.Fatalf("exit %d", run.Report.ExitCode)
	}
	c, _ := run.Report.Find("apim-service")
	if len(c.Findings) != 1 || !strings.Contains(c.Findings[0].Detail, "AuthorizationFailed") || !strings.Contains(strings.Join(c.Findings[0].Commands, " "), "--role Reader --scope /subscriptions/") {
		t.Errorf("the finding names neither the refusal nor the role: %+v", c.Findings)
	}
	for _, id := range configChecks[1:] {
		if other, _ := run.Report.Find(id); other.Status != report.Skip || len(other.Findings) != 0 {
			t.Errorf("%s: %s %v: one finding for the run, on apim-service", id, other.Status, other.Findings)
		}
	}
}

// The subscription (the credential's only one) and the resource group (by
// listing the instances) are inferred and listed in target.inferred.
func TestInferTheInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the lab")
	}
	run := runLab(t, Selection{Only: configChecks}, func(c *Config) { c.Subscription, c.ResourceGroup = "", "" })
	for _, id := range configChecks {
		if c, _ := run.Report.Find(id); c.Status != report.Pass {
			t.Errorf("%s: %s %s %+v", id, c.Status, c.Summary, c.Findings)
		}
	}
	tg := run.Report.Target
	if tg.Subscription != run.World.SubscriptionID || tg.ResourceGroup != run.World.ResourceGroup ||
		!slices.Contains(tg.Inferred, "subscription") || !slices.Contains(tg.Inferred, "resource_group") {
		t.Errorf("target %+v", tg)
	}

	// A gateway host that names no instance and no --apim-name: skipped, saying what to set.
	run = runLab(t, Selection{Only: configChecks}, func(c *Config) { c.APIMName = "" })
	if c, _ := run.Report.Find("apim-service"); c.Status != report.Skip || !strings.Contains(c.Summary, "--apim-name") {
		t.Errorf("apim-service: %s %q", c.Status, c.Summary)
	}
	// Secrets are read only when asked.
	run = runLab(t, Selection{Only: []string{"apim-named-values"}}, func(c *Config) { c.ReadSecrets = false }, "named-value-secret-id")
	if c, _ := run.Report.Find("apim-named-values"); c.Status != report.Pass || !strings.Contains(ev(c, "secret_value"), "not read") {
		t.Errorf("without --read-secrets: %s %+v", c.Status, c.Evidence)
	}
}

func ev(c *report.Check, key string) string {
	v, _ := c.Evidence.Get(key)
	return v
}
