package checks

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/report"
)

var signInChecks = []string{"prm", "client-authorize"}

func TestClientAuthorizeHealthyLab(t *testing.T) {
	t.Parallel()
	lr := runLab(t, Selection{Only: signInChecks}, roomy)
	c := check(t, lr.Report, "client-authorize")
	if c.Status != report.Pass || len(c.Findings) != 0 {
		t.Fatalf("client-authorize: %s %s %v", c.Status, c.Summary, findingIDs(lr.Report, "client-authorize"))
	}
	for _, id := range []string{lab.GatewayAppID, VSCodeClientID} {
		for _, redirect := range VSCodeRedirectURIs {
			if v, _ := c.Evidence.Get(id + " " + redirect); v != "sign-in page" {
				t.Errorf("%s %s: %q", id, redirect, v)
			}
		}
		if v, _ := c.Evidence.Get(id + " " + VSCodeRedirectURIs[0] + " with resource"); v != "sign-in page (the gateway dropped resource)" {
			t.Errorf("%s with resource: %q", id, v)
		}
	}
	if v, _ := c.Evidence.Get("resource"); v != lr.World.GatewayURL+"/"+lr.World.APIPath {
		t.Errorf("resource sent: %q", v)
	}
	if !strings.Contains(c.Summary, "6 of 6") || !strings.Contains(c.Summary, "nobody signed in") {
		t.Errorf("summary %q", c.Summary)
	}
}

// Each fault Entra shows before anyone signs in is found by
// client-authorize, with the guide section that fixes it.
func TestClientAuthorizeFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault, finding string
		severity       report.Severity
		section        string
		code           int
		client         string
	}{
		{"guide-as-written", "authorize-resource-refused", report.Warning, SecDiscoveryPol, 9010010, ""},
		{"authorize-forwards-resource", "authorize-resource-refused", report.Warning, SecDiscoveryPol, 9010010, ""},
		{"vscode-redirect-missing", "client-redirect-not-registered", report.Error, SecPart7, 50011, lab.GatewayAppID},
		{"client-unknown", "client-unknown", report.Error, SecWrongClientID, 700016, VSCodeClientID},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			lr := runLab(t, Selection{Only: signInChecks}, roomy, tt.fault)
			c := check(t, lr.Report, "client-authorize")
			want := report.Fail
			if tt.severity == report.Warning {
				want = report.Warn
			}
			if c.Status != want {
				t.Fatalf("client-authorize: %s, want %s (%v)", c.Status, want, findingIDs(lr.Report, "client-authorize"))
			}
			f := wantFinding(t, lr.Report, "client-authorize", tt.finding)
			if f.Severity != tt.severity || f.Guide == nil || f.Guide.Section != tt.section || f.Guide.Section != faultGuide(t, tt.fault) {
				t.Errorf("%s: %s %+v, want %s in %q, the section the lab's fault table names", f.ID, f.Severity, f.Guide, tt.severity, tt.section)
			}
			if !slices.Contains(f.AADSTS, tt.code) && tt.severity == report.Error {
				t.Errorf("%s: aadsts %v, want %d", f.ID, f.AADSTS, tt.code)
			}
			if tt.client != "" && !strings.Contains(f.Detail, tt.client) {
				t.Errorf("%s: the detail does not name client %s: %s", f.ID, tt.client, f.Detail)
			}
			if tt.client != "" {
				// One cause, one finding: it names every redirect URI it hit.
				if n := strings.Count(strings.Join(findingIDs(lr.Report, "client-authorize"), " "), tt.finding); n != 1 {
					t.Errorf("%d findings %s, want one", n, tt.finding)
				}
				for _, u := range VSCodeRedirectURIs {
					if !strings.Contains(f.Detail, "with redirect URI "+u+": AADSTS") {
						t.Errorf("%s: the detail does not name %s: %s", f.ID, u, f.Detail)
					}
				}
			}
			if len(f.Commands) == 0 || strings.Contains(strings.Join(append(f.Fix, f.Commands...), " "), "{{") {
				t.Errorf("%s: fix %q commands %q", f.ID, f.Fix, f.Commands)
			}
			if tt.finding == "authorize-resource-refused" {
				// Both clients: the plain request passes, the one with resource is sent back.
				for _, id := range []string{lab.GatewayAppID, VSCodeClientID} {
					if v, _ := c.Evidence.Get(id + " " + VSCodeRedirectURIs[0] + " with resource"); !strings.Contains(v, "AADSTS9010010") {
						t.Errorf("%s with resource: %q", id, v)
					}
				}
				if !strings.Contains(strings.Join(f.Fix, "\n"), `!p.StartsWith("resource=")`) {
					t.Errorf("the fix lacks the policy that strips resource: %q", f.Fix)
				}
			}
		})
	}
}

// faultGuide is the guide section the lab's fault table gives a fault.
func faultGuide(t *testing.T, name string) string {
	t.Helper()
	for _, f := range lab.Faults() {
		if f.Name == name {
			return f.Guide
		}
	}
	t.Fatalf("no lab fault %q", name)
	return ""
}

func TestExpectedClients(t *testing.T) {
	cfg := &Config{GatewayAppID: lab.GatewayAppID, MCPClients: []MCPClient{
		{ID: "11111111-2222-3333-4444-555555555555", RedirectURIs: []string{"http://localhost:8080/cb"}},
		{ID: strings.ToUpper(VSCodeClientID), RedirectURIs: []string{"http://127.0.0.1:1"}},
		{ID: "66666666-2222-3333-4444-555555555555"},
	}}
	got := expectedClients(cfg)
	if len(got) != 4 || got[0].ID != lab.GatewayAppID || got[1].RedirectURIs[0] != "http://127.0.0.1:1" ||
		got[2].RedirectURIs[0] != "http://localhost:8080/cb" || len(got[3].RedirectURIs) != 2 {
		t.Errorf("expected clients: %+v", got)
	}
}

func TestEntraErrorFromRedirectAndPage(t *testing.T) {
	q := url.Values{
		"error":             {"invalid_target"},
		"error_description": {"AADSTS9010010: The resource parameter provided in the request doesn't match with the requested scopes.\r\nTrace ID: 0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0\r\nCorrelation ID: a9b8c7d6-e5f4-4321-8765-0fedcba98765\r\nTimestamp: 2026-03-01 10:00:00Z"},
		"error_uri":         {"https://login.microsoftonline.com/error?code=9010010"},
		"state":             {"s"},
	}
	e, ok := auth.EntraErrorFromRedirect(q)
	if !ok || !e.Has(9010010) || e.CorrelationID != "a9b8c7d6-e5f4-4321-8765-0fedcba98765" || e.TraceID == "" || e.Message() == "" {
		t.Errorf("redirect: %+v", e)
	}
	if _, ok := auth.EntraErrorFromRedirect(url.Values{"code": {"x"}}); ok {
		t.Error("a code taken for an error")
	}
	// Entra's own page keeps the message in its $Config script.
	page := `<html><script>$Config={"iErrorCode":50011,"strServiceExceptionMessage":"AADSTS50011: The redirect URI \u0027http://127.0.0.1:1/\u0027 specified in the request does not match.","strServiceExceptionTraceId":"0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0","strServiceExceptionCorrelationId":"a9b8c7d6-e5f4-4321-8765-0fedcba98765"};</script></html>`
	e, ok = auth.EntraErrorFromPage([]byte(page), 200)
	if !ok || !e.Has(50011) || e.CorrelationID != "a9b8c7d6-e5f4-4321-8765-0fedcba98765" || !strings.Contains(e.Message(), "'http://127.0.0.1:1/'") {
		t.Errorf("page: %+v %q", e, e.Message())
	}
	if _, ok := auth.EntraErrorFromPage([]byte(`<html><form method="post"><input name="login"></form></html>`), 200); ok {
		t.Error("a sign-in page taken for an error")
	}
}

// The guide verbatim gives exactly the documented warnings and nothing
// else: the sign-in route refuses spec-following clients' resource at
// /authorize and /token, while the device-code path works end to end; and
// apim-policies, reading the guide's policies from ARM, warns with the
// rules the guide's own files trip (TestAPIMPoliciesOnTheLab holds them).
func TestGuideAsWrittenWarnsExactly(t *testing.T) {
	t.Parallel()
	lr := runLab(t, Selection{}, roomy, "guide-as-written")
	rep := lr.Report
	if rep.ExitCode != 0 || rep.Status != report.Warn {
		t.Fatalf("exit %d status %s", rep.ExitCode, rep.Status)
	}
	want := map[string]string{"client-authorize": "authorize-resource-refused", "token-proxy": "token-resource-refused"}
	for _, c := range rep.Checks {
		ids := findingIDs(rep, c.ID)
		if w, ok := want[c.ID]; ok {
			if c.Status != report.Warn || len(ids) != 1 || ids[0] != w {
				t.Errorf("%s: %s %v, want one warning %s", c.ID, c.Status, ids, w)
			}
			f := wantFinding(t, rep, c.ID, w)
			if f.Guide == nil || f.Guide.Section != SecDiscoveryPol || !slices.Contains(f.AADSTS, 9010010) || f.CorrelationID == "" {
				t.Errorf("%s: guide %+v aadsts %v correlation %q", w, f.Guide, f.AADSTS, f.CorrelationID)
			}
			continue
		}
		if c.ID == "apim-policies" {
			if c.Status != report.Warn || !slices.Contains(ids, "authorize-resource-forwarded") {
				t.Errorf("%s: %s %v, want the guide's policy warnings", c.ID, c.Status, ids)
			}
			continue
		}
		if c.Status != report.Pass {
			t.Errorf("%s: %s %v", c.ID, c.Status, ids)
		}
	}
	if v, _ := check(t, rep, "token-proxy").Evidence.Get("with_resource"); !strings.HasPrefix(v, "Entra refused the parameter: AADSTS9010010") {
		t.Errorf("token-proxy with_resource: %q", v)
	}
}

func TestAuthorizeForwardsResourceTokenStrips(t *testing.T) {
	t.Parallel()
	lr := runLab(t, Selection{Only: []string{"prm", "client-authorize", "token-proxy"}}, roomy, "authorize-forwards-resource")
	c := check(t, lr.Report, "token-proxy")
	if v, _ := c.Evidence.Get("with_resource"); c.Status != report.Pass || !strings.HasPrefix(v, "Entra refused the code (as expected), not resource") {
		t.Errorf("token-proxy: %s %q", c.Status, v)
	}
	if s := check(t, lr.Report, "client-authorize").Status; s != report.Warn {
		t.Errorf("client-authorize: %s", s)
	}
}
