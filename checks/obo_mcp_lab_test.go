package checks

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/report"
)

// The checks this file tests: the hops behind the gateway.
var hopChecks = []string{"obo", "obo-claims", "mcp-initialize", "mcp-tools", "upstream"}

// roomy gives the hop tests time: they run lab worlds side by side, under
// the race detector on two cores, and test no timeouts.
func roomy(c *Config) { c.Timeout = 10 * time.Second }

func findingIn(c report.Check, id string) (report.Finding, bool) {
	for _, f := range c.Findings {
		if f.ID == id {
			return f, true
		}
	}
	return report.Finding{}, false
}

func reportJSON(t *testing.T, rep *report.Report) []byte {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHopsHealthyLab(t *testing.T) {
	lr := runLab(t, Selection{}, roomy)
	rep := lr.Report
	if f := firstFailure(rep); f != "" {
		t.Fatalf("check %s failed: %v", f, findingIDs(rep, f))
	}
	for _, id := range hopChecks {
		c := check(t, rep, id)
		want := report.Pass
		if id == "obo-claims" && check(t, rep, "tenant-keys").Status != report.Pass {
			// Without the tenant's keys the signature cannot be checked.
			want = report.Warn
			if ids := findingIDs(rep, id); !slices.Equal(ids, []string{"obo-not-verified"}) {
				t.Errorf("obo-claims without keys: findings %v", ids)
			}
		}
		if c.Status != want {
			t.Errorf("%s: %s (%s), want %s; findings %v", id, c.Status, c.Summary, want, findingIDs(rep, id))
		}
	}
	// Each hop's latency is in its evidence.
	for id, keys := range map[string][]string{
		"obo": {"latency"}, "mcp-initialize": {"latency"}, "mcp-tools": {"tools_latency", "call_latency"},
		"upstream": {"latency", "tools_latency", "call_latency"},
	} {
		for _, k := range keys {
			if v, ok := check(t, rep, id).Evidence.Get(k); !ok || v == "" {
				t.Errorf("%s: no %s in evidence", id, k)
			}
		}
	}
	init := check(t, rep, "mcp-initialize")
	if f, ok := findingIn(init, "mcp-no-session-id"); !ok || f.Severity != report.Info {
		t.Errorf("mcp-initialize: the missing session id is not reported as info: %v", findingIDs(rep, "mcp-initialize"))
	}
	if get, _ := init.Evidence.Get("get"); !strings.Contains(get, "404") || !strings.Contains(get, "expected") {
		t.Errorf("GET evidence = %q", get)
	}
	if server, _ := init.Evidence.Get("server"); server != "Context7 4.1.1" {
		t.Errorf("server = %q", server)
	}
	if libs, _ := check(t, rep, "mcp-tools").Evidence.Get("libraries"); !strings.Contains(libs, "/vercel/next.js") {
		t.Errorf("libraries = %q", libs)
	}
	if lr.Env.State.OBOToken == "" || lr.Env.State.OBO.Token == nil {
		t.Fatal("obo did not keep its token")
	}
	// Neither token's signature nor the secret appears anywhere in the report.
	out := reportJSON(t, rep)
	for name, secret := range map[string]string{
		"OBO token signature":     lr.Env.State.OBOToken[strings.LastIndexByte(lr.Env.State.OBOToken, '.')+1:],
		"gateway token signature": lr.Env.State.GatewayToken[strings.LastIndexByte(lr.Env.State.GatewayToken, '.')+1:],
		"gateway secret":          lr.World.GatewaySecret,
	} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("the report holds the %s", name)
		}
	}
	// When every check is built, the healthy world passes all of them.
	for _, c := range rep.Checks {
		if c.Status == report.Skip && c.Summary == "not built yet" {
			t.Logf("%s is not built yet: the all-pass assertion waits for it", c.ID)
			return
		}
	}
	for _, c := range rep.Checks {
		if c.Status != report.Pass {
			t.Errorf("healthy lab: %s is %s (%s) %v", c.ID, c.Status, c.Summary, findingIDs(rep, c.ID))
		}
	}
}

// Each fault of these hops makes its owning check the first to fail, with
// the finding and guide section the lab's fault table names.
func TestHopFaultsLab(t *testing.T) {
	tests := []struct {
		fault, check, finding string
		then                  func(t *testing.T, lr *labRun)
	}{
		{"obo-no-consent", "obo", "obo-consent", oboConsequences(65001)},
		{"obo-invalid-assertion", "obo", "obo-assertion-refused", oboConsequences(50013)},
		{"obo-invalid-scope", "obo", "obo-invalid-scope", oboConsequences(70011)},
		{"obo-bad-secret", "obo", "obo-bad-secret", oboConsequences(7000215)},
		{"mfa-required", "obo", "obo-interaction-required", oboConsequences(50076)},
		{"mcp-api-v1-token", "obo-claims", "obo-v1-token", func(t *testing.T, lr *labRun) {
			// Context7 then refuses it as not an Entra v2 token, both ways.
			wantFinding(t, lr.Report, "mcp-initialize", "context7-401-token")
			wantFinding(t, lr.Report, "upstream", "upstream-context7-fault")
		}},
		{"c7-unknown-audience", "mcp-initialize", "context7-401-audience", context7Consequences("context7-401-audience", lab.MCPAPIAppID)},
		{"c7-missing-scope", "mcp-initialize", "context7-401-scope", context7Consequences("context7-401-scope", `"mcp.access"`)},
		{"c7-tenant-mismatch", "mcp-initialize", "context7-401-claims", context7Consequences("context7-401-claims", lab.TenantID)},
		// Through the gateway "Invalid API key" has two causes; the direct
		// probe decides, and the verdict cites what it decided.
		{"c7-user-not-provisioned", "mcp-tools", "context7-call-refused", func(t *testing.T, lr *labRun) {
			f := wantFinding(t, lr.Report, "mcp-tools", "context7-call-refused")
			if !strings.Contains(f.Detail, lab.DefaultUser.OID) || !strings.Contains(f.Detail, "rewrite-uri") {
				t.Errorf("the detail does not name both causes and the user: %s", f.Detail)
			}
			u := wantFinding(t, lr.Report, "upstream", "context7-user-not-provisioned")
			if !strings.Contains(u.Detail, lab.DefaultUser.Email) {
				t.Errorf("the detail does not name the user to add: %s", u.Detail)
			}
			wantFinding(t, lr.Report, "upstream", "upstream-context7-fault")
			if c := lr.Report.Cause; c == nil || c.Finding != "context7-user-not-provisioned" || c.Check != "upstream" {
				t.Errorf("verdict cause %+v", c)
			}
		}},
		{"rewrite-missing", "mcp-tools", "context7-call-refused", func(t *testing.T, lr *labRun) {
			f := wantFinding(t, lr.Report, "upstream", "gateway-rewrite-missing")
			if f.Guide == nil || f.Guide.Section != SecOBOPolicy {
				t.Errorf("guide %+v", f.Guide)
			}
			if c := lr.Report.Cause; c == nil || c.Finding != "gateway-rewrite-missing" {
				t.Errorf("verdict cause %+v", c)
			}
			for _, id := range findingIDs(lr.Report, "upstream") {
				if id == "context7-user-not-provisioned" {
					t.Error("upstream blames the user although Context7 serves them directly")
				}
			}
		}},
		// c7doctor's exchange with the secret passes; APIM's with its managed identity is refused.
		{"federated-credential-missing", "mcp-initialize", "gateway-obo-failed", func(t *testing.T, lr *labRun) {
			if c := check(t, lr.Report, "obo"); c.Status != report.Pass {
				t.Errorf("obo: %s %v", c.Status, findingIDs(lr.Report, "obo"))
			}
			f := wantFinding(t, lr.Report, "mcp-initialize", "gateway-obo-failed")
			if !strings.Contains(f.Detail, "obo passed") || !strings.Contains(f.Detail, "federated credential") {
				t.Errorf("the detail does not say the secret's exchange passes: %s", f.Detail)
			}
			if !slices.ContainsFunc(f.Commands, func(c string) bool {
				return strings.Contains(c, "federated-credential create --id "+lr.World.GatewayAppID)
			}) {
				t.Errorf("no command creates the federated credential: %q", f.Commands)
			}
		}},
		{"mcp-subscription-required", "challenge", "apim-subscription-required", func(t *testing.T, lr *labRun) {
			// mcp-initialize meets the same 401 and names the same cause.
			wantFinding(t, lr.Report, "mcp-initialize", "apim-subscription-required")
		}},
		{"oauth-proxy-subscription-required", "prm", "oauth-proxy-subscription-required", func(t *testing.T, lr *labRun) {
			f := wantFinding(t, lr.Report, "prm", "oauth-proxy-subscription-required")
			if f.Guide == nil || f.Guide.Section != SecOAuthProxyAPI {
				t.Errorf("guide %+v", f.Guide)
			}
			wantFinding(t, lr.Report, "token-proxy", "oauth-proxy-subscription-required")
		}},
		{"sse-truncated", "mcp-initialize", "sse-truncated", func(t *testing.T, lr *labRun) {
			// Straight to Context7 the stream is whole: the gateway cuts it.
			if c := check(t, lr.Report, "upstream"); c.Status != report.Pass {
				t.Errorf("upstream: %s %v", c.Status, findingIDs(lr.Report, "upstream"))
			}
		}},
	}
	guides := map[string]string{}
	for _, f := range lab.Faults() {
		guides[f.Name] = f.Guide
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			lr := runLab(t, Selection{}, roomy, tt.fault)
			rep := lr.Report
			if got := firstFailure(rep); got != tt.check {
				t.Fatalf("first failure = %q (%v), want %s", got, findingIDs(rep, got), tt.check)
			}
			c := check(t, rep, tt.check)
			var first *report.Finding
			for i := range c.Findings {
				if c.Findings[i].Severity == report.Error {
					first = &c.Findings[i]
					break
				}
			}
			if first == nil || first.ID != tt.finding {
				t.Fatalf("%s: findings %v, want %s first", tt.check, findingIDs(rep, tt.check), tt.finding)
			}
			// An ambiguous finding's section is the one of the cause decided later.
			cited := first
			if rep.Cause != nil {
				decided := wantFinding(t, rep, rep.Cause.Check, rep.Cause.Finding)
				cited = &decided
			}
			if cited.Guide == nil || cited.Guide.Section != guides[tt.fault] {
				t.Errorf("%s: guide %+v, want %q", cited.ID, cited.Guide, guides[tt.fault])
			}
			if bytes.Contains(reportJSON(t, rep), []byte(lr.World.GatewaySecret)) {
				t.Error("the report holds the gateway secret")
			}
			if tt.then != nil {
				tt.then(t, lr)
			}
		})
	}
}

func wantFinding(t *testing.T, rep *report.Report, checkID, id string) report.Finding {
	t.Helper()
	f, ok := findingIn(check(t, rep, checkID), id)
	if !ok {
		t.Errorf("%s: findings %v, want %s", checkID, findingIDs(rep, checkID), id)
	}
	return f
}

// oboConsequences: Entra's code and ids are on the finding; APIM's own
// exchange fails alike, so initialize passes on an empty bearer (a
// warning) and the tool call is refused for want of a token.
func oboConsequences(code int) func(t *testing.T, lr *labRun) {
	return func(t *testing.T, lr *labRun) {
		c := check(t, lr.Report, "obo")
		f := c.Findings[0]
		if !slices.Contains(f.AADSTS, code) || f.TraceID == "" || f.CorrelationID == "" {
			t.Errorf("obo finding: aadsts %v trace %q correlation %q", f.AADSTS, f.TraceID, f.CorrelationID)
		}
		if s := check(t, lr.Report, "obo-claims").Status; s != report.Skip {
			t.Errorf("obo-claims: %s", s)
		}
		wantFinding(t, lr.Report, "mcp-initialize", "mcp-passed-without-token")
		wantFinding(t, lr.Report, "mcp-tools", "mcp-call-without-token")
		if s := check(t, lr.Report, "upstream").Status; s != report.Skip {
			t.Errorf("upstream: %s", s)
		}
	}
}

// context7Consequences: the refusal names the OBO token's value for the
// dashboard field, and the direct probe puts the fault on Context7's side.
func context7Consequences(id, value string) func(t *testing.T, lr *labRun) {
	return func(t *testing.T, lr *labRun) {
		f := wantFinding(t, lr.Report, "mcp-initialize", id)
		if !strings.Contains(f.Detail, value) {
			t.Errorf("%s detail does not show %s: %s", id, value, f.Detail)
		}
		if s := check(t, lr.Report, "obo").Status; s != report.Pass {
			t.Errorf("obo: %s", s)
		}
		wantFinding(t, lr.Report, "upstream", id)
		wantFinding(t, lr.Report, "upstream", "upstream-context7-fault")
	}
}

func TestHopsSkipAndOptions(t *testing.T) {
	t.Run("no secret", func(t *testing.T) {
		t.Parallel()
		lr := runLab(t, Selection{Only: []string{"upstream", "mcp-tools"}}, func(c *Config) {
			roomy(c)
			c.GatewaySecret, c.GatewaySecretFile = "", ""
		})
		for _, id := range []string{"obo", "obo-claims", "upstream"} {
			if c := check(t, lr.Report, id); c.Status != report.Skip {
				t.Errorf("%s: %s", id, c.Status)
			}
		}
		if c := check(t, lr.Report, "obo"); !strings.Contains(c.Summary, "C7DOCTOR_GATEWAY_SECRET") {
			t.Errorf("obo skip reason: %q", c.Summary)
		}
		for _, id := range []string{"mcp-initialize", "mcp-tools"} {
			if c := check(t, lr.Report, id); c.Status != report.Pass {
				t.Errorf("%s: %s %v", id, c.Status, findingIDs(lr.Report, id))
			}
		}
	})
	t.Run("no call, no upstream probe", func(t *testing.T) {
		t.Parallel()
		lr := runLab(t, Selection{Only: []string{"mcp-tools", "upstream"}}, func(c *Config) {
			roomy(c)
			c.Call, c.UpstreamProbe = false, false
		})
		tools := check(t, lr.Report, "mcp-tools")
		if call, _ := tools.Evidence.Get("call"); tools.Status != report.Pass || !strings.Contains(call, "--call") {
			t.Errorf("mcp-tools: %s, call %q", tools.Status, call)
		}
		if c := check(t, lr.Report, "upstream"); c.Status != report.Skip || !strings.Contains(c.Summary, "--upstream-probe") {
			t.Errorf("upstream: %s %q", c.Status, c.Summary)
		}
	})
	t.Run("wrong api path", func(t *testing.T) {
		t.Parallel()
		lr := runLab(t, Selection{Only: []string{"mcp-initialize"}}, func(c *Config) { roomy(c); c.APIPath = "context8" })
		wantFinding(t, lr.Report, "mcp-initialize", "mcp-not-found")
	})
	t.Run("wrong upstream", func(t *testing.T) {
		t.Parallel()
		lr := runLab(t, Selection{Only: []string{"upstream"}}, func(c *Config) { roomy(c); c.Upstream += "/nowhere" })
		wantFinding(t, lr.Report, "upstream", "mcp-http-error")
	})
}
