package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/report"
)

// Info findings say "nothing to fix": text and Markdown show them only with
// -v, whatever the check's status; JSON always carries them.
func TestInfoFindingsOnlyWithVerbose(t *testing.T) {
	r := &report.Report{Checks: []report.Check{{
		ID: "mcp-initialize", Title: "MCP initialize", Status: report.Warn, Summary: "initialize passed",
		Findings: []report.Finding{
			{ID: "mcp-no-session-id", Severity: report.Info, Title: "No mcp-session-id header"},
			{ID: "mcp-passed-without-token", Severity: report.Warning, Title: "initialize passed without a token"},
		},
	}}}
	r.Finalize(nil, false)
	for _, format := range []string{"text", "markdown", "json"} {
		for _, verbose := range []bool{false, true} {
			var b bytes.Buffer
			if err := report.Render(format, &b, r, report.Options{Verbose: verbose}); err != nil {
				t.Fatal(err)
			}
			want := verbose || format == "json"
			if got := strings.Contains(b.String(), "mcp-no-session-id"); got != want {
				t.Errorf("%s, verbose %v: info finding shown %v", format, verbose, got)
			}
			if !strings.Contains(b.String(), "mcp-passed-without-token") {
				t.Errorf("%s, verbose %v: warning hidden", format, verbose)
			}
		}
	}
}
