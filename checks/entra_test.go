package checks

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/lab/labtest"
	"github.com/c7doctor/c7doctor/report"
)

var entraChecks = []string{"entra-gateway-app", "entra-mcp-api-app", "entra-consent", "entra-secret"}

func TestEntraHealthyLab(t *testing.T) {
	lr := runLab(t, Selection{Only: append([]string{"apim-named-values"}, entraChecks...)}, nil)
	for _, id := range entraChecks {
		c := check(t, lr.Report, id)
		if c.Status != report.Pass {
			t.Errorf("%s: %s (%s) %v", id, c.Status, c.Summary, findingIDs(lr.Report, id))
		}
	}
	if lr.Env.State.GraphRoundTrips != 2 {
		t.Errorf("Graph round trips: %d, want 2", lr.Env.State.GraphRoundTrips)
	}
	sec := check(t, lr.Report, "entra-secret")
	// run --lab reads the named value (--read-secrets): it names the secret APIM holds.
	if days, _ := strconv.Atoi(ev(&sec, "secret_days_left")); days < 500 || ev(&sec, "secret_matched_by") != "the one in the apim-gateway-client-secret named value" {
		t.Errorf("evidence %v", sec.Evidence)
	}
	if _, err := time.Parse(time.RFC3339, ev(&sec, "secret_expires_at")); err != nil {
		t.Errorf("secret_expires_at: %v", err)
	}
}

// Each directory fault fails (or warns) its owning Graph check with the
// right guide section, and the wire check that meets it names the cause
// Graph shows.
func TestEntraFaults(t *testing.T) {
	cases := []struct {
		fault, check, finding string
		status                report.Status
		section               string
		// the wire check and finding whose detail Graph completes
		wireCheck, wireFinding, because string
		evidence                        map[string]string
	}{
		{fault: "gateway-v1-token", check: "entra-gateway-app", finding: "entra-gateway-token-v1", status: report.Fail, section: SecGatewayApp,
			wireCheck: "gateway-claims", wireFinding: "token-v1-issuer", because: "the APIM Gateway app has api.requestedAccessTokenVersion null"},
		{fault: "mcp-api-v1-token", check: "entra-mcp-api-app", finding: "entra-mcp-api-token-v1", status: report.Fail, section: SecMCPAPIApp,
			wireCheck: "obo-claims", wireFinding: "obo-v1-token", because: "the Context7 MCP API app has api.requestedAccessTokenVersion null"},
		{fault: "mcp-api-no-service-principal", check: "entra-consent", finding: "entra-no-service-principal", status: report.Fail, section: SecPart2,
			wireCheck: "obo", wireFinding: "obo-resource-not-found", because: "is registered but has no service principal"},
		{fault: "no-admin-consent", check: "entra-consent", finding: "entra-no-admin-consent", status: report.Fail, section: SecPermChain,
			wireCheck: "obo", wireFinding: "obo-consent", because: "there is no admin consent"},
		{fault: "obo-no-consent", check: "entra-consent", finding: "entra-permission-missing", status: report.Fail, section: SecPermChain,
			wireCheck: "obo", wireFinding: "obo-consent", because: "requiredResourceAccess does not list the MCP API's mcp.access"},
		{fault: "vscode-not-preauthorized", check: "entra-gateway-app", finding: "entra-mcp-client-not-preauthorized", status: report.Warn, section: SecPermChain},
		{fault: "cli-not-preauthorized", check: "entra-gateway-app", finding: "entra-client-not-preauthorized", status: report.Fail, section: SecAuthorizeCLI,
			wireCheck: "gateway-token", wireFinding: "wrong-client-id", because: "client " + AzureCLIClientID + " is not among the APIM Gateway app's authorized client applications"},
		{fault: "secret-expiring", check: "entra-secret", finding: "entra-secret-expiring", status: report.Warn, section: SecGatewayApp,
			evidence: map[string]string{"secret_days_left": "10"}},
		{fault: "secret-expired", check: "entra-secret", finding: "entra-secret-expired", status: report.Fail, section: SecGatewayApp,
			wireCheck: "obo", wireFinding: "obo-secret-expired", because: "ended on", evidence: map[string]string{"secret_days_left": "-2"}},
		{fault: "secret-unused-newer", check: "entra-secret", finding: "entra-secret-rotation-pending", status: report.Warn, section: SecNamedValues,
			evidence: map[string]string{"secret_days_left": "5"}},
	}
	for _, c := range cases {
		t.Run(c.fault, func(t *testing.T) {
			t.Parallel()
			lr := runLab(t, Selection{}, nil, c.fault)
			got := check(t, lr.Report, c.check)
			if got.Status != c.status {
				t.Fatalf("%s is %s (%s) %v, want %s", c.check, got.Status, got.Summary, findingIDs(lr.Report, c.check), c.status)
			}
			f := mustFinding(t, lr.Report, c.check, c.finding)
			if f.Guide == nil || f.Guide.Section != c.section {
				t.Errorf("%s guide %+v, want %q", c.finding, f.Guide, c.section)
			}
			if len(f.Commands) == 0 || strings.Contains(strings.Join(f.Commands, " "), "<gateway-app-id>") {
				t.Errorf("%s commands %q: want the run's ids filled in", c.finding, f.Commands)
			}
			for k, v := range c.evidence {
				if ev(&got, k) != v {
					t.Errorf("evidence %s = %q, want %q", k, ev(&got, k), v)
				}
			}
			if c.wireCheck != "" {
				w := mustFinding(t, lr.Report, c.wireCheck, c.wireFinding)
				if !strings.Contains(w.Detail, "Microsoft Graph") || !strings.Contains(w.Detail, c.because) {
					t.Errorf("%s/%s detail does not name Graph's cause %q: %s", c.wireCheck, c.wireFinding, c.because, w.Detail)
				}
			}
			// Other entra checks stay quiet: a fault shows where it lives.
			for _, id := range entraChecks {
				if id != c.check && check(t, lr.Report, id).Status == report.Fail && c.fault != "mcp-api-no-service-principal" {
					t.Errorf("%s also failed: %v", id, findingIDs(lr.Report, id))
				}
			}
			wantExit := report.ExitHealthy
			if c.status == report.Fail || firstFailure(lr.Report) != "" {
				wantExit = report.ExitFailed
			}
			if lr.Report.ExitCode != wantExit {
				t.Errorf("exit %d, want %d", lr.Report.ExitCode, wantExit)
			}
		})
	}
}

func TestEntraSecretExpiringIsAWarningUnlessStrict(t *testing.T) {
	lr := runLab(t, Selection{Only: []string{"entra-secret"}}, nil, "secret-expiring")
	if lr.Report.ExitCode != report.ExitHealthy {
		t.Errorf("exit %d, want 0", lr.Report.ExitCode)
	}
	strict := runLab(t, Selection{Only: []string{"entra-secret"}, Strict: true}, nil, "secret-expiring")
	if strict.Report.ExitCode != report.ExitFailed {
		t.Errorf("--strict: exit %d, want 1", strict.Report.ExitCode)
	}
	// A narrower window: ten days left is no longer worth a warning.
	narrow := runLab(t, Selection{Only: []string{"entra-secret"}}, func(c *Config) { c.SecretExpiryWarn = 7 * 24 * time.Hour }, "secret-expiring")
	if c := check(t, narrow.Report, "entra-secret"); c.Status != report.Pass {
		t.Errorf("--secret-expiry-warn 7d: %s %v", c.Status, findingIDs(narrow.Report, "entra-secret"))
	}
}

func TestEntraGraphForbiddenSkips(t *testing.T) {
	lr := runLab(t, Selection{}, nil, "graph-forbidden")
	var info int
	for _, id := range entraChecks {
		c := check(t, lr.Report, id)
		if c.Status != report.Skip {
			t.Errorf("%s is %s, want skip", id, c.Status)
		}
		for _, f := range c.Findings {
			if f.Severity != report.Info {
				t.Errorf("%s: %s is %s: no access is never a warning", id, f.ID, f.Severity)
			}
			info++
		}
	}
	f := mustFinding(t, lr.Report, "entra-gateway-app", "entra-forbidden")
	if info != 1 || !strings.Contains(strings.Join(f.Fix, " "), "Application.Read.All") || !strings.Contains(strings.Join(f.Fix, " "), "Directory.Read.All") {
		t.Errorf("%d info findings; fix %q", info, f.Fix)
	}
	if lr.Report.ExitCode != report.ExitHealthy {
		t.Errorf("exit %d, want 0", lr.Report.ExitCode)
	}
	req := runLab(t, Selection{Only: []string{"entra-consent"}, Require: []string{"entra-consent"}}, nil, "graph-forbidden")
	if req.Report.ExitCode != report.ExitIncomplete {
		t.Errorf("--require entra-consent: exit %d, want 3", req.Report.ExitCode)
	}
}

func TestEntraWithoutCredentialSkips(t *testing.T) {
	w := labtest.Start(t, lab.Options{})
	lr := runOnWorld(t, testCtx(t), w, Selection{Only: entraChecks}, nil, nil)
	lr.Env.Graph = nil
	lr.Env.State = &State{}
	lr.Report = Run(testCtx(t), lr.Env, All, Selection{Only: entraChecks})
	for _, id := range entraChecks {
		if c := check(t, lr.Report, id); c.Status != report.Skip || !strings.Contains(c.Summary, "not read in this run") {
			t.Errorf("%s: %s %q", id, c.Status, c.Summary)
		}
	}
}

// mustFinding is the check's finding with this id; the test fails without it.
func mustFinding(t *testing.T, rep *report.Report, checkID, id string) report.Finding {
	t.Helper()
	if f := findingOf(rep, checkID, id); f.ID != "" {
		return f
	}
	t.Fatalf("%s has no %s: %v", checkID, id, findingIDs(rep, checkID))
	return report.Finding{}
}
