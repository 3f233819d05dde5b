package checks

import (
	"slices"
	"testing"

	"github.com/c7doctor/c7doctor/policy"
	"github.com/c7doctor/c7doctor/report"
)

// The lab's healthy documents lint clean; guide-as-written's are the guide
// verbatim and give the rules the guide's own files give; each policy
// fault shows as the rule of the statement it breaks.
func TestAPIMPoliciesOnTheLab(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the lab once per fault")
	}
	only := Selection{Only: []string{"apim-policies"}}
	healthy := runLab(t, only, nil)
	c, _ := healthy.Report.Find("apim-policies")
	if c.Status != report.Pass || len(c.Findings) != 0 {
		t.Errorf("healthy lab: %s %v", c.Status, findingIDs(healthy.Report, "apim-policies"))
	}

	guide := runLab(t, only, nil, "guide-as-written")
	var want []string
	for _, f := range LintInput(treeSnapshot(t, "../testdata/policy/guide"), "context7").Lint().Findings {
		want = append(want, f.Rule)
	}
	got := findingIDs(guide.Report, "apim-policies")
	slices.Sort(got)
	slices.Sort(want)
	if c, _ := guide.Report.Find("apim-policies"); c.Status != report.Warn || !slices.Equal(got, want) {
		t.Errorf("guide-as-written: %s\n got %q\nwant %q (testdata/policy/guide)", c.Status, got, want)
	}

	for fault, rule := range map[string]string{
		"rewrite-missing":             "rewrite-uri-missing",
		"no-www-authenticate":         "challenge-header-missing",
		"prm-placeholder":             "template-placeholder",
		"prm-wrong-resource":          "prm-resource",
		"authorize-forwards-resource": "authorize-resource-forwarded",
		"obo-invalid-scope":           "obo-scope",
	} {
		t.Run(fault, func(t *testing.T) {
			run := runLab(t, only, nil, fault)
			c, _ := run.Report.Find("apim-policies")
			r, _ := policy.RuleByID(rule)
			if want := report.Severity(r.Severity); !slices.Contains(findingIDs(run.Report, "apim-policies"), rule) || report.StatusOf(c.Findings) != statusFor(want) {
				t.Errorf("%s: %s %v, want %s", fault, c.Status, findingIDs(run.Report, "apim-policies"), rule)
			}
		})
	}
}

// statusFor is the status a check's worst finding of this severity gives.
func statusFor(s report.Severity) report.Status {
	switch s {
	case report.Error:
		return report.Fail
	case report.Warning:
		return report.Warn
	}
	return report.Pass
}
