package checks

import (
	"strings"

	"github.com/c7doctor/c7doctor/policy"
	"github.com/c7doctor/c7doctor/report"
)

// PolicyLint is the Check of the catalog entries `c7doctor policy lint` emits.
const PolicyLint = "policy lint"

// policyEntries are the policy linter's rules, so that explain knows them.
// Their fixes quote {{named values}}: escaped, they pass the templates as text.
func policyEntries() []Entry {
	var out []Entry
	for _, r := range policy.Rules {
		e := Entry{ID: r.ID, Title: r.Title, Severity: report.Severity(r.Severity), Section: r.Section, Check: PolicyLint}
		for _, f := range r.Fix {
			e.Fix = append(e.Fix, strings.ReplaceAll(f, "{{", `{{"{{"}}`))
		}
		out = append(out, e)
	}
	return out
}
