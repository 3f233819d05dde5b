package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
	"github.com/c7doctor/c7doctor/wire/wiretest"
)

// A gateway that accepts connections and never answers is diagnosed once,
// at challenge; every later check against it skips at once, pointing there,
// and no second request waits on it.
func TestSlowGatewayOneRootCause(t *testing.T) {
	run := runLab(t, Selection{}, nil, "gateway-slow")
	rep := run.Report
	if got := firstFailure(rep); got != "challenge" {
		t.Fatalf("first failure %q\n%s", got, describeReport(rep))
	}
	if ids := findingIDs(rep, "challenge"); len(ids) != 1 || ids[0] != "gateway-timeout" {
		t.Errorf("challenge findings %v", ids)
	}
	for _, id := range []string{"prm", "authorize-redirect", "token-proxy", "mcp-initialize"} {
		c, _ := rep.Find(id)
		if c.Status != report.Skip || len(c.Findings) != 0 || !strings.Contains(c.Summary, "see challenge (gateway-timeout)") {
			t.Errorf("%s: %s %q %v", id, c.Status, c.Summary, findingIDs(rep, id))
		}
	}
	for _, id := range []string{"tenant-keys", "gateway-token", "obo", "upstream"} {
		if c, _ := rep.Find(id); c.Status != report.Pass {
			t.Errorf("%s: %s %q: a dead gateway must not touch the hops that do not go through it", id, c.Status, c.Summary)
		}
	}
	sent := 0
	for _, ex := range run.Env.HTTP.Recorder().Exchanges() {
		if wire.Origin(ex.URL) == wire.Origin(run.World.GatewayURL) && !strings.Contains(ex.Err, "not sent") {
			sent++
		}
	}
	if sent != 1 {
		t.Errorf("%d requests waited on the silent gateway, want 1", sent)
	}
}

// The same for a silent Entra: tenant-keys owns it, the device-code
// sign-in does not wait on it again.
func TestSilentEntraOneRootCause(t *testing.T) {
	silent := "https://" + wiretest.Silent(t)
	// The gateway's own documents name the lab's real tenant host: leave them out.
	run := runLab(t, Selection{Only: []string{"tenant-keys", "gateway-token", "obo"}}, func(c *Config) {
		c.AuthorityHost = silent
		c.Timeout = 300 * time.Millisecond
	})
	rep := run.Report
	if got := firstFailure(rep); got != "tenant-keys" {
		t.Fatalf("first failure %q\n%s", got, describeReport(rep))
	}
	c, _ := rep.Find("gateway-token")
	if c.Status != report.Skip || !strings.Contains(c.Summary, "Entra "+silent+" did not answer earlier in this run") ||
		!strings.Contains(c.Summary, "see tenant-keys") {
		t.Errorf("gateway-token: %s %q %v", c.Status, c.Summary, findingIDs(rep, "gateway-token"))
	}
	if o, _ := rep.Find("obo"); o.Status != report.Skip {
		t.Errorf("obo %s", o.Status)
	}
}
