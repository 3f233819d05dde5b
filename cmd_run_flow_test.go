package main

import (
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/report"
)

// run --lab --flow browser: the lab's browser signs in through the
// gateway, and the healthy lab passes every check that way too.
func TestRunLabBrowserFlowAllPass(t *testing.T) {
	res := runLabCLI(t, "run", "--lab", "--flow", "browser", "-o", "json")
	rep := decodeReport(t, res.stdout)
	if res.code != 0 || rep.Summary.Pass != len(rep.Checks) {
		t.Fatalf("exit %d, summary %+v\n%s", res.code, rep.Summary, res.stderr)
	}
	if got := evidence(t, rep, "gateway-token", "source"); got != "browser sign-in through the gateway" {
		t.Errorf("gateway-token source %q", got)
	}
	if got := evidence(t, rep, "gateway-token", "refresh"); got == "" {
		t.Error("no refresh through the gateway")
	}
}

func TestRunGuideAsWrittenExitsZeroWithTheDocumentedWarnings(t *testing.T) {
	res := runLabCLI(t, "run", "--lab", "--fault", "guide-as-written", "-o", "json")
	rep := decodeReport(t, res.stdout)
	// client-authorize and token-proxy (Entra refuses resource), and
	// apim-policies (the guide's policies as ARM holds them).
	if res.code != 0 || rep.Status != report.Warn || rep.Summary.Warn != 3 || rep.Summary.Pass != len(rep.Checks)-3 {
		t.Fatalf("exit %d status %s summary %+v", res.code, rep.Status, rep.Summary)
	}
}

func TestRunFlowUsage(t *testing.T) {
	res := runCLI(t, cliOpts{}, "run", "--gateway", "h.example", "--flow", "popup")
	if res.code != 2 || !strings.Contains(res.stderr, "--flow: expected device-code or browser") {
		t.Errorf("exit %d: %s", res.code, res.stderr)
	}
	res = runCLI(t, cliOpts{}, "run", "--gateway", "h.example", "--mcp-client", "not-a-guid")
	if res.code != 2 || !strings.Contains(res.stderr, "--mcp-client: expected a client id") {
		t.Errorf("exit %d: %s", res.code, res.stderr)
	}
}
