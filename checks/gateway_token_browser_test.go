package checks

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/report"
)

func browserFlow(wait time.Duration) func(*Config) {
	return func(c *Config) {
		roomy(c)
		c.Flow, c.BrowserWait = FlowBrowser, wait
	}
}

// The route a spec-following MCP client takes, end to end: the lab's
// browser signs in through the gateway's /authorize, the code and then the
// refresh token are redeemed through its /token, and the token carries
// the rest of the run, which passes every check.
func TestBrowserFlowHealthyLab(t *testing.T) {
	t.Parallel()
	lr := runLab(t, Selection{}, browserFlow(20*time.Second))
	for _, c := range lr.Report.Checks {
		if c.Status != report.Pass {
			t.Errorf("%s: %s %s %v", c.ID, c.Status, c.Summary, findingIDs(lr.Report, c.ID))
		}
	}
	c := check(t, lr.Report, "gateway-token")
	for key, want := range map[string]string{
		"source":  "browser sign-in through the gateway",
		"refresh": "a new access token through the gateway's /token",
		"user":    "ada@contoso-lab.onmicrosoft.com",
	} {
		if v, _ := c.Evidence.Get(key); v != want {
			t.Errorf("evidence %s = %q, want %q", key, v, want)
		}
	}
	if v, _ := c.Evidence.Get("redirect_uri"); !strings.HasPrefix(v, "http://127.0.0.1:") {
		t.Errorf("redirect_uri %q", v)
	}
	out := reportJSON(t, lr.Report)
	for _, s := range lr.World.Secrets() {
		if len(s) >= 12 && bytes.Contains(out, []byte(s[:12])) {
			t.Fatalf("the report holds a secret the lab handed out")
		}
	}
}

// Faults that only a sign-in shows are found by the browser flow, with
// the guide section that fixes them.
func TestBrowserFlowFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault, finding, section, first string
		code                           int
	}{
		{"redirect-on-web-platform", "token-browser-web-platform", SecPart7, "gateway-token", 7000218},
		// The browser sends resource as spec clients do: the guide as written refuses it.
		{"guide-as-written", "authorize-resource-refused", SecDiscoveryPol, "gateway-token", 9010010},
		{"authorize-forwards-resource", "authorize-resource-refused", SecDiscoveryPol, "gateway-token", 9010010},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			lr := runLab(t, Selection{}, browserFlow(20*time.Second), tt.fault)
			if got := firstFailure(lr.Report); got != tt.first {
				t.Fatalf("first failure %q %v, want %s", got, findingIDs(lr.Report, got), tt.first)
			}
			f := wantFinding(t, lr.Report, "gateway-token", tt.finding)
			if f.Severity != report.Error || f.Guide == nil || f.Guide.Section != tt.section || f.Guide.Section != faultGuide(t, tt.fault) || !slices.Contains(f.AADSTS, tt.code) || f.CorrelationID == "" {
				t.Errorf("%s: %s guide %+v aadsts %v correlation %q", f.ID, f.Severity, f.Guide, f.AADSTS, f.CorrelationID)
			}
		})
	}
}

// VS Code's own id needs pre-authorization on the Gateway app's scope,
// which only a sign-in shows.
func TestBrowserFlowAsVSCodeNotPreAuthorized(t *testing.T) {
	t.Parallel()
	lr := runLab(t, Selection{}, func(c *Config) {
		browserFlow(20 * time.Second)(c)
		c.ClientID = VSCodeClientID
	}, "client-not-authorized")
	if got := firstFailure(lr.Report); got != "gateway-token" {
		t.Fatalf("first failure %q %v", got, findingIDs(lr.Report, got))
	}
	f := wantFinding(t, lr.Report, "gateway-token", "wrong-client-id")
	if f.Guide == nil || f.Guide.Section != SecWrongClientID || !slices.Contains(f.AADSTS, 65005) {
		t.Errorf("%s: guide %+v aadsts %v", f.ID, f.Guide, f.AADSTS)
	}
	if v, _ := check(t, lr.Report, "gateway-token").Evidence.Get("client_id"); v != VSCodeClientID+" (VS Code)" {
		t.Errorf("client_id %q", v)
	}
}

// A sign-in Entra stops on an error page never comes back: the wait ends
// at its bound and says what the browser saw.
func TestBrowserFlowErrorPageEndsAtTheWait(t *testing.T) {
	t.Parallel()
	lr := runLab(t, Selection{Only: []string{"gateway-token"}}, browserFlow(time.Second), "vscode-redirect-missing")
	f := wantFinding(t, lr.Report, "gateway-token", "token-browser-failed")
	if !strings.Contains(f.Detail, "AADSTS50011") || !strings.Contains(f.Detail, "within 1s") {
		t.Errorf("detail: %s", f.Detail)
	}
}

// Time in the browser is the person's: it does not count against the
// run's deadline.
func TestBrowserWaitIsPersonTime(t *testing.T) {
	t.Parallel()
	lr := runLab(t, Selection{Only: []string{"gateway-token"}}, func(c *Config) {
		browserFlow(20 * time.Second)(c)
		c.Deadline = 1500 * time.Millisecond
	})
	// A slow person: the browser is opened well after the deadline would have passed.
	open := lr.Env.OpenBrowser
	lr.Env.OpenBrowser = func(ctx context.Context, u string) error {
		select {
		case <-time.After(2500 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		return open(ctx, u)
	}
	lr.Env.State = &State{}
	rep := Run(context.Background(), lr.Env, All, Selection{Only: []string{"gateway-token"}})
	if c := check(t, rep, "gateway-token"); c.Status != report.Pass {
		t.Errorf("gateway-token: %s %s %v", c.Status, c.Summary, findingIDs(rep, "gateway-token"))
	}
}

func TestBrowserFlowWithoutTerminalSkips(t *testing.T) {
	t.Parallel()
	lr := runLab(t, Selection{Only: []string{"gateway-token"}}, func(c *Config) {
		browserFlow(time.Second)(c)
		c.DeviceCode = false
	})
	if c := check(t, lr.Report, "gateway-token"); c.Status != report.Skip || !strings.Contains(c.Summary, "--flow browser needs a terminal") {
		t.Errorf("gateway-token: %s %s", c.Status, c.Summary)
	}
}
