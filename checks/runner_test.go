package checks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

func testEnv(t *testing.T) *Env {
	t.Helper()
	client, err := wire.New(wire.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &Env{
		Config: &Config{Timeout: 50 * time.Millisecond, Deadline: 10 * time.Second},
		HTTP:   client, Now: time.Now, Target: &report.Target{},
	}
}

func passing(id string, needs ...string) Check {
	return Check{ID: id, Title: id, Needs: needs, Run: func(_ context.Context, _ *Env, r *Result) { r.Summary("fine") }}
}

func failing(id string, needs ...string) Check {
	return Check{ID: id, Title: id, Needs: needs, Run: func(_ context.Context, _ *Env, r *Result) {
		r.Find("apim-401", "refused")
	}}
}

func statuses(rep *report.Report) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		b.WriteString(c.ID + "=" + string(c.Status) + " ")
	}
	return strings.TrimSpace(b.String())
}

func TestRunNeedsAndStatuses(t *testing.T) {
	all := []Check{
		passing("a"),
		failing("b", "a"),
		passing("c", "b"),
		{ID: "d", Title: "d", Run: func(_ context.Context, _ *Env, r *Result) {
			r.Find("apim-401", "only a warning", WithSeverity(report.Warning))
		}},
		{ID: "e", Title: "e", Ready: func(*Env) string { return "no secret: set it" }, Run: func(context.Context, *Env, *Result) { t.Error("e ran") }},
	}
	rep := Run(context.Background(), testEnv(t), all, Selection{})
	if got, want := statuses(rep), "a=pass b=fail c=skip d=warn e=skip"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	c, _ := rep.Find("c")
	if c.Summary != "needs b" {
		t.Errorf("c summary %q", c.Summary)
	}
	e, _ := rep.Find("e")
	if e.Summary != "no secret: set it" {
		t.Errorf("e summary %q", e.Summary)
	}
	if rep.ExitCode != report.ExitFailed || rep.Status != report.Fail {
		t.Errorf("exit %d status %s", rep.ExitCode, rep.Status)
	}
	if rep.Summary != (report.Summary{Pass: 1, Warn: 1, Fail: 1, Skip: 2}) {
		t.Errorf("summary %+v", rep.Summary)
	}
	b, _ := rep.Find("b")
	if len(b.Findings) != 1 || b.Findings[0].Guide == nil || b.Findings[0].Guide.Section != SecAPIM401 {
		t.Errorf("b findings %+v", b.Findings)
	}
}

func TestSelection(t *testing.T) {
	all := []Check{passing("a"), passing("b", "a"), passing("c", "b"), passing("d"), passing("e", "d")}
	cases := []struct {
		sel  Selection
		want string
	}{
		{Selection{Only: []string{"c"}}, "a=pass b=pass c=pass d=skip e=skip"},
		{Selection{Only: []string{"e", "a"}}, "a=pass b=skip c=skip d=pass e=pass"},
		{Selection{Skip: []string{"b"}}, "a=pass b=skip c=skip d=pass e=pass"},
		{Selection{Only: []string{"c"}, Skip: []string{"a"}}, "a=skip b=skip c=skip d=skip e=skip"},
	}
	for _, tc := range cases {
		rep := Run(context.Background(), testEnv(t), all, tc.sel)
		if got := statuses(rep); got != tc.want {
			t.Errorf("%+v: got %q want %q", tc.sel, got, tc.want)
		}
	}
	rep := Run(context.Background(), testEnv(t), all, Selection{Skip: []string{"b"}})
	c, _ := rep.Find("c")
	if !strings.Contains(c.Summary, "needs b") {
		t.Errorf("c summary %q", c.Summary)
	}
	if err := (Selection{Only: []string{"nope"}}).Validate(all); err == nil || !strings.Contains(err.Error(), `--only: unknown check "nope"`) {
		t.Errorf("validate: %v", err)
	}
}

func TestRequireMakesSkipIncomplete(t *testing.T) {
	all := []Check{passing("a"), {ID: "b", Title: "b", Ready: func(*Env) string { return "no token" }, Run: func(context.Context, *Env, *Result) {}}}
	rep := Run(context.Background(), testEnv(t), all, Selection{Require: []string{"b"}})
	if rep.ExitCode != report.ExitIncomplete {
		t.Fatalf("exit %d, want 3", rep.ExitCode)
	}
	rep = Run(context.Background(), testEnv(t), all, Selection{Require: []string{"a"}})
	if rep.ExitCode != report.ExitHealthy {
		t.Fatalf("exit %d, want 0", rep.ExitCode)
	}
}

func TestStrictTurnsWarningIntoFailure(t *testing.T) {
	all := []Check{{ID: "w", Title: "w", Run: func(_ context.Context, _ *Env, r *Result) {
		r.Find("apim-401", "x", WithSeverity(report.Warning))
	}}}
	if rep := Run(context.Background(), testEnv(t), all, Selection{}); rep.ExitCode != 0 {
		t.Errorf("exit %d", rep.ExitCode)
	}
	if rep := Run(context.Background(), testEnv(t), all, Selection{Strict: true}); rep.ExitCode != 1 {
		t.Errorf("strict exit %d", rep.ExitCode)
	}
}

func TestPanickingCheckFailsAndRunGoesOn(t *testing.T) {
	all := []Check{
		{ID: "boom", Title: "boom", Run: func(_ context.Context, env *Env, _ *Result) {
			var parts []string // empty, as a decoder bug would leave it
			_ = parts[len(env.Config.Tenant)]
		}},
		passing("after"),
	}
	rep := Run(context.Background(), testEnv(t), all, Selection{})
	if got := statuses(rep); got != "boom=fail after=pass" {
		t.Fatalf("got %q", got)
	}
	boom, _ := rep.Find("boom")
	if boom.Findings[0].ID != "check-panicked" || !strings.Contains(boom.Findings[0].Detail, "index out of range") {
		t.Errorf("finding %+v", boom.Findings[0])
	}
}

func TestInterruptFailsRunningCheckAndSkipsTheRest(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	all := []Check{
		passing("a"),
		{ID: "slow", Title: "slow", Run: func(ctx context.Context, _ *Env, r *Result) {
			cancel(ErrInterrupted)
			<-ctx.Done()
		}},
		passing("c"),
	}
	rep := Run(ctx, testEnv(t), all, Selection{})
	if got := statuses(rep); got != "a=pass slow=fail c=skip" {
		t.Fatalf("got %q", got)
	}
	if rep.ExitCode != report.ExitInterrupted {
		t.Errorf("exit %d", rep.ExitCode)
	}
	if ids := findingIDs(rep, "slow"); len(ids) != 1 || ids[0] != "interrupted" {
		t.Errorf("slow findings %v", ids)
	}
	c, _ := rep.Find("c")
	if c.Summary != "interrupted" {
		t.Errorf("c summary %q", c.Summary)
	}
}

func TestDeadlineFailsRunningCheck(t *testing.T) {
	env := testEnv(t)
	env.Config.Deadline = 30 * time.Millisecond
	env.Config.Timeout = 10 * time.Second
	all := []Check{
		{ID: "slow", Title: "slow", Run: func(ctx context.Context, _ *Env, r *Result) { <-ctx.Done() }},
		passing("c"),
	}
	rep := Run(context.Background(), env, all, Selection{})
	if got := statuses(rep); got != "slow=fail c=skip" {
		t.Fatalf("got %q", got)
	}
	if ids := findingIDs(rep, "slow"); len(ids) != 1 || ids[0] != "deadline" {
		t.Errorf("findings %v", ids)
	}
	if rep.ExitCode != report.ExitFailed {
		t.Errorf("exit %d", rep.ExitCode)
	}
}

func TestPersonTimeDoesNotCountAgainstDeadline(t *testing.T) {
	env := testEnv(t)
	env.Config.Deadline = 40 * time.Millisecond
	all := []Check{
		{ID: "person", Title: "person", PersonTime: true, Run: func(ctx context.Context, env *Env, r *Result) {
			resume := env.PersonTime()
			defer resume()
			select {
			case <-ctx.Done():
				r.Find("apim-401", "deadline hit while a person acted")
			case <-time.After(120 * time.Millisecond):
			}
		}},
		passing("after"),
	}
	rep := Run(context.Background(), env, all, Selection{})
	if got := statuses(rep); got != "person=pass after=pass" {
		t.Fatalf("got %q", got)
	}
}

func TestCheckIgnoringItsContextIsAbandoned(t *testing.T) {
	env := testEnv(t)
	release := make(chan struct{})
	defer close(release)
	all := []Check{{ID: "stuck", Title: "stuck", Run: func(context.Context, *Env, *Result) { <-release }}}
	env.Config.Timeout = time.Millisecond // check timeout floors at 5s; grace adds 2s
	if testing.Short() {
		t.Skip("waits for the check timeout")
	}
	rep := Run(context.Background(), env, all, Selection{})
	if ids := findingIDs(rep, "stuck"); len(ids) != 1 || ids[0] != "check-timeout" {
		t.Fatalf("findings %v", ids)
	}
}

func TestRegistryIsOrderedAndCatalogSectionsExist(t *testing.T) {
	if !Sorted(All) {
		t.Fatal("checks.All lists a check before what it needs")
	}
	known := map[string]bool{}
	for _, s := range GuideSections {
		known[s] = true
	}
	for _, e := range Entries() {
		if e.Section != "" && !known[e.Section] {
			t.Errorf("%s: section %q is not a guide heading", e.ID, e.Section)
		}
		if e.Title == "" || e.Severity == "" {
			t.Errorf("%s: missing title or severity", e.ID)
		}
		f := NewCommandData(&Config{}).Finding(e.ID, "")
		for _, s := range append(f.Fix, f.Commands...) {
			if strings.Contains(s, "{{.") {
				t.Errorf("%s: unexpanded template in %q", e.ID, s)
			}
		}
	}
}

func TestAnchor(t *testing.T) {
	for heading, want := range map[string]string{
		SecAPIM401:      "401-unauthorized-at-apim",
		SecPermChain:    "step-3-wire-the-permission-chain",
		SecOBO70011:     "obo-exchange-returns-aadsts70011-invalid-scope",
		SecDiscoveryPol: "step-2-attach-the-discovery--redirect-policies",
	} {
		if got := Anchor(heading); got != want {
			t.Errorf("Anchor(%q) = %q, want %q", heading, got, want)
		}
	}
}

func TestCommandsFilledWithRunIDs(t *testing.T) {
	d := NewCommandData(&Config{GatewayAppID: "11111111-2222-3333-4444-555555555555", ResourceGroup: "rg1"})
	f := d.Finding("token-v1-issuer", "iss is v1")
	if len(f.Commands) != 1 || f.Commands[0] != "az ad app update --id 11111111-2222-3333-4444-555555555555 --set api.requestedAccessTokenVersion=2" {
		t.Errorf("commands %q", f.Commands)
	}
	f = d.Finding("obo-invalid-scope", "")
	if !strings.Contains(f.Commands[0], "-g rg1 --service-name <apim-name>") {
		t.Errorf("commands %q", f.Commands)
	}
}

func TestExplain(t *testing.T) {
	if got := Explain("AADSTS65005"); len(got) == 0 || got[0].ID != "wrong-client-id" {
		t.Errorf("AADSTS65005 → %v", got)
	}
	if got := Explain("token-v1-issuer"); len(got) != 1 {
		t.Errorf("id → %v", got)
	}
	if got := Explain("payload logging"); len(got) == 0 || got[0].ID != "sse-truncated" {
		t.Errorf("words → %v", got)
	}
	if got := Explain("no such thing at all"); len(got) != 0 {
		t.Errorf("nonsense → %v", got)
	}
}

// Ctrl-C while a request waits on a silent gateway: the request fails as a
// cancelled connection, but the finding is "interrupted", never a
// connectivity finding about the gateway.
func TestInterruptDuringRequestIsNotAConnectivityFinding(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	timer := time.AfterFunc(300*time.Millisecond, func() { cancel(ErrInterrupted) })
	defer timer.Stop()
	run := runLabContext(t, ctx, Selection{}, func(c *Config) { c.Timeout = 5 * time.Second }, "gateway-slow")
	rep := run.Report
	if rep.ExitCode != report.ExitInterrupted {
		t.Fatalf("exit %d", rep.ExitCode)
	}
	c, _ := rep.Find("challenge")
	if ids := findingIDs(rep, "challenge"); c.Status != report.Fail || len(ids) != 1 || ids[0] != "interrupted" {
		t.Errorf("challenge: %s %v (%s)", c.Status, ids, c.Summary)
	}
	if c.Summary != "interrupted" {
		t.Errorf("challenge summary %q", c.Summary)
	}
	for _, c := range rep.Checks[1:] {
		if c.Status != report.Skip || c.Summary != "interrupted" {
			t.Errorf("%s: %s %q", c.ID, c.Status, c.Summary)
		}
	}
}

// What a check finds once the run was stopped (its request failed because
// the stop cancelled it) is not reported; what it found before stays.
func TestFindingsAfterTheStopAreDropped(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	all := []Check{
		{ID: "mcp", Title: "mcp", Run: func(ctx context.Context, _ *Env, r *Result) {
			r.Find("mcp-no-session-id", "before the stop")
			cancel(ErrInterrupted)
			<-ctx.Done()
			r.Summary("no answer")
			r.Find("mcp-unreachable", "POST got no answer: context canceled")
		}},
	}
	rep := Run(ctx, testEnv(t), all, Selection{})
	ids := findingIDs(rep, "mcp")
	if strings.Join(ids, ",") != "mcp-no-session-id,interrupted" {
		t.Errorf("findings %v", ids)
	}
	if c, _ := rep.Find("mcp"); c.Summary != "interrupted" {
		t.Errorf("summary %q", c.Summary)
	}
}
