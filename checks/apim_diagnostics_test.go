package checks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/report"
)

// snapshotReader answers every read with one snapshot.
type snapshotReader struct {
	snap *azure.APIM
	err  error
}

func (s snapshotReader) ReadAPIM(context.Context, azure.Target, azure.ReadOptions) (*azure.APIM, error) {
	return s.snap, s.err
}

func (snapshotReader) Endpoint() string { return "https://management.example.test" }

func runOnSnapshot(t *testing.T, snap *azure.APIM, only ...string) *report.Report {
	t.Helper()
	cfg := &Config{APIPath: "context7", Subscription: realIDs.Subscription, ResourceGroup: realIDs.ResourceGroup, APIMName: realIDs.APIMName,
		Timeout: 2 * time.Second, Deadline: 10 * time.Second}
	env := &Env{Config: cfg, State: &State{}, Now: time.Now, ARM: snapshotReader{snap: snap}, Target: &report.Target{}, Stderr: nopWriter{}}
	return Run(context.Background(), env, All, Selection{Only: only})
}

// The effective diagnostics decide: an API-level one overrides the
// service's of the same name, request bodies do not cut the stream, and a
// diagnostic the read could not see is said, never guessed.
func TestAPIMDiagnosticsJudgesTheEffectiveSetting(t *testing.T) {
	svc := azure.Diagnostic{Scope: azure.DiagnosticService, Name: "applicationinsights", LoggerID: appInsights, FrontendResponseBodyBytes: 8192}
	cleanAPI := azure.Diagnostic{Scope: azure.DiagnosticAPI, API: "context7-mcp", Name: "applicationinsights", LoggerID: appInsights}
	requests := azure.Diagnostic{Scope: azure.DiagnosticService, Name: "azuremonitor", FrontendRequestBodyBytes: 8192, BackendRequestBodyBytes: 8192}
	apiUnread := &azure.Error{Op: "list diagnostics of context7-mcp", Status: 500, Message: "boom"}
	cases := []struct {
		name     string
		settings []azure.Diagnostic
		errs     []error
		status   report.Status
		ids      []string
		words    []string
		cause    string
	}{
		{name: "service level logs response bodies", settings: []azure.Diagnostic{svc}, status: report.Fail,
			ids: []string{"apim-diagnostics-body-logging"}, words: []string{"applicationinsights", "service level", "appinsights-prod", "8192 bytes of frontend response body"},
			cause: "diagnostic applicationinsights at service"},
		{name: "overridden by a clean API-level one", settings: []azure.Diagnostic{svc, cleanAPI}, status: report.Pass,
			ids: []string{"apim-diagnostics-overridden"}, words: []string{"overrides it"}},
		{name: "request bodies only", settings: []azure.Diagnostic{requests}, status: report.Pass},
		{name: "none", status: report.Pass},
		{name: "the API's own diagnostics unread", settings: []azure.Diagnostic{svc}, errs: []error{apiUnread}, status: report.Warn,
			ids: []string{"arm-partial-read", "apim-diagnostics-body-logging"}, words: []string{"could not be read", "would override"},
			cause: "diagnostic applicationinsights at service"},
		{name: "nothing could be read", errs: []error{apiUnread, &azure.Error{Op: "list diagnostics", Status: 429, Message: "throttled"}}, status: report.Skip,
			ids: []string{"arm-partial-read", "arm-partial-read"}, words: []string{"HTTP 429", "HTTP 500"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap := diagSnapshot(tc.settings...)
			snap.Diagnostics.Errs = tc.errs
			rep := runOnSnapshot(t, snap, "apim-diagnostics")
			c := check(t, rep, "apim-diagnostics")
			if c.Status != tc.status {
				t.Fatalf("%s (%s) %v, want %s", c.Status, c.Summary, findingIDs(rep, "apim-diagnostics"), tc.status)
			}
			if got := findingIDs(rep, "apim-diagnostics"); strings.Join(got, " ") != strings.Join(tc.ids, " ") {
				t.Errorf("findings %v, want %v", got, tc.ids)
			}
			var text string
			for _, f := range c.Findings {
				text += " " + f.Detail
				for _, cmd := range f.Commands {
					assertAzCommand(t, cmd)
				}
			}
			for _, w := range tc.words {
				if !strings.Contains(text, w) {
					t.Errorf("the findings do not say %q:%s", w, text)
				}
			}
			if got := ev(&c, evCause); got != tc.cause {
				t.Errorf("config_cause %q, want %q", got, tc.cause)
			}
		})
	}
}

// A finding's command zeroes the level that matters: the API's own
// diagnostics for an API-level one, the service's for a service-level one.
func TestAPIMDiagnosticsFixesTheLevelThatMatters(t *testing.T) {
	api := azure.Diagnostic{Scope: azure.DiagnosticAPI, API: "context7-mcp", Name: "applicationinsights", BackendResponseBodyBytes: 1}
	rep := runOnSnapshot(t, diagSnapshot(api), "apim-diagnostics")
	c := check(t, rep, "apim-diagnostics")
	if len(c.Findings) != 1 || len(c.Findings[0].Commands) != 1 || !strings.Contains(c.Findings[0].Commands[0], "/apis/context7-mcp/diagnostics?") {
		t.Fatalf("%+v", c.Findings)
	}
	if strings.Contains(c.Findings[0].Commands[0], "{{") {
		t.Errorf("unfilled: %q", c.Findings[0].Commands[0])
	}
}
