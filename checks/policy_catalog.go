package checks

import (
	"strings"

	"github.com/c7doctor/c7doctor/policy"
	"github.com/c7doctor/c7doctor/report"
)

// PolicyLint names the command that reports the policy rules besides the
// apim-policies check.
const PolicyLint = "policy lint"

// policyEntries are the policy linter's rules, one entry each: apim-policies
// reports them on the live instance and `c7doctor policy lint` on files, so
// a rule has one id, severity, section and fix wherever it is found. Their
// fixes quote {{named values}}: escaped, they pass the templates as text.
func policyEntries() []Entry {
	var out []Entry
	for _, r := range policy.Rules {
		e := Entry{ID: r.ID, Title: r.Title, Severity: report.Severity(r.Severity), Section: r.Section, Check: "apim-policies", PolicyRule: true}
		for _, f := range r.Fix {
			e.Fix = append(e.Fix, strings.ReplaceAll(f, "{{", `{{"{{"}}`))
		}
		out = append(out, e)
	}
	return out
}
