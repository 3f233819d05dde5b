package checks

import (
	"slices"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/report"
)

// contradicts lists, for a root cause, the findings a later check must not
// carry under it: each would name another cause for the same broken hop.
var contradicts = map[string][]string{
	"apim-subscription-required":        {"apim-401", "mcp-401-unknown", "context7-no-token"},
	"oauth-proxy-subscription-required": {"prm-not-found", "authorize-not-redirect", "token-proxy-not-entra", "token-proxy-not-found", "as-metadata-not-found"},
	"obo-consent":                       {"context7-user-not-provisioned", "context7-call-refused", "apim-401", "gateway-rewrite-missing"},
	"obo-invalid-scope":                 {"context7-user-not-provisioned", "context7-call-refused", "apim-401", "gateway-rewrite-missing"},
	"obo-invalid-assertion":             {"context7-user-not-provisioned", "context7-call-refused", "apim-401", "gateway-rewrite-missing"},
	"obo-bad-secret":                    {"context7-user-not-provisioned", "context7-call-refused", "apim-401", "gateway-rewrite-missing"},
	"gateway-obo-failed":                {"mcp-backend-error", "context7-no-token", "apim-401", "gateway-rewrite-missing"},
	"gateway-timeout":                   {"gateway-unreachable", "mcp-unreachable", "mcp-timeout"},
	"context7-call-refused":             {"apim-401", "mcp-call-without-token"},
}

// Under every lab fault, the first broken hop owns the root cause: no later
// check names another cause for it, the fault's guide section is the one
// its verdict cites, and a later check that meets the same cause cites it
// instead of finding something else.
func TestNoLaterFindingContradictsTheOwner(t *testing.T) {
	for _, f := range lab.Faults() {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			rep := faultReport(t, f.Name)
			owner := firstFailure(rep)
			if owner == "" {
				return // faults the run reports as warnings (or not at all) own nothing to contradict
			}
			c, _ := rep.Find(owner)
			root := firstErrorID(c.Findings)
			cited := root
			if rep.Cause != nil {
				cited = rep.Cause.Finding
			}
			if !sectionCited(rep, f.Guide) {
				t.Errorf("no finding cites the fault's section %q (root %s, cited %s)", f.Guide, root, cited)
			}
			after := false
			for _, later := range rep.Checks {
				if later.ID == owner {
					after = true
					continue
				}
				if !after {
					continue
				}
				for _, lf := range later.Findings {
					if slices.Contains(contradicts[root], lf.ID) {
						t.Errorf("%s says %s, contradicting %s at %s", later.ID, lf.ID, root, owner)
					}
				}
			}
		})
	}
}

func sectionCited(rep *report.Report, section string) bool {
	for _, c := range rep.Checks {
		for _, f := range c.Findings {
			if f.Guide != nil && strings.EqualFold(f.Guide.Section, section) {
				return true
			}
		}
	}
	return false
}
