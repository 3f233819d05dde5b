package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

func init() { Register("junit", RenderJUnit) }

// The JUnit XML shape below is the common subset that Jenkins, GitLab, Azure
// Pipelines and the GitHub test-report actions all read: a <testsuites> root
// holding one <testsuite>, one <testcase> per check, <failure> and <skipped>
// children, and <system-out> for what a person should see on a passed case.
// testdata/junit.xsd describes it; .ci/run validates the golden files with it.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure"`
	Skipped   *junitMessage `xml:"skipped"`
	SystemOut *junitText    `xml:"system-out"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",innerxml"` // escaped by xmlText
}

type junitText struct {
	Text string `xml:",innerxml"` // escaped by xmlText
}

// RenderJUnit writes the report as JUnit XML: one testsuite, one testcase
// per check. A failed check carries a <failure> with its findings and their
// guide sections; a skipped check a <skipped> with the reason; a warning is a
// passed testcase whose system-out says what to look at.
func RenderJUnit(w io.Writer, r *Report, _ Options) error {
	suite := junitSuite{
		Name:       suiteName(r),
		Tests:      len(r.Checks),
		Failures:   r.Summary.Fail,
		Skipped:    r.Summary.Skip,
		Time:       seconds(r.Duration, r.DurationMS),
		Timestamp:  r.StartedAt.UTC().Format("2006-01-02T15:04:05"),
		Properties: junitProperties(r),
	}
	for _, c := range r.Checks {
		suite.Cases = append(suite.Cases, junitTestcase(c))
	}
	doc := junitSuites{
		Name: "c7doctor", Tests: suite.Tests, Failures: suite.Failures,
		Time: suite.Time, Suites: []junitSuite{suite},
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	buf.WriteByte('\n')
	// One write, so that a redacting writer sees every secret whole.
	_, err := w.Write(buf.Bytes())
	return err
}

func suiteName(r *Report) string {
	target := r.Target.MCPEndpoint
	if target == "" {
		target = r.Target.Gateway
	}
	if target == "" {
		return "c7doctor"
	}
	return "c7doctor " + target
}

func junitProperties(r *Report) []junitProperty {
	var props []junitProperty
	add := func(name, value string) {
		if value != "" {
			props = append(props, junitProperty{Name: name, Value: value})
		}
	}
	add("c7doctor.version", r.Tool.Version)
	add("gateway", r.Target.Gateway)
	add("mcp_endpoint", r.Target.MCPEndpoint)
	add("tenant", r.Target.Tenant)
	add("gateway_app_id", r.Target.GatewayAppID)
	add("mcp_api_app_id", r.Target.MCPAPIAppID)
	add("inferred", strings.Join(r.Target.Inferred, ","))
	if !r.StartedAt.IsZero() {
		add("started_at", r.StartedAt.Format(time.RFC3339))
	}
	add("status", string(r.Status))
	add("exit_code", fmt.Sprint(r.ExitCode))
	add("coverage", r.CoverageLine())
	return props
}

func junitTestcase(c Check) junitCase {
	tc := junitCase{Name: c.ID, Classname: "c7doctor", Time: seconds(c.Duration, c.DurationMS)}
	var out strings.Builder
	if c.Summary != "" && c.Status != Skip {
		fmt.Fprintf(&out, "%s: %s\n", c.Title, c.Summary)
	}
	switch c.Status {
	case Fail:
		first := firstOf(c.Findings, Error)
		tc.Failure = &junitMessage{Message: c.Summary, Text: xmlText(findingsText(c.Findings, nil))}
		if first != nil {
			tc.Failure.Message = first.Title
			tc.Failure.Type = first.ID
			if n := countOf(c.Findings, Error); n > 1 {
				tc.Failure.Message += fmt.Sprintf(" (and %d more)", n-1)
			}
		}
	case Skip:
		tc.Skipped = &junitMessage{Message: c.Summary, Text: xmlText(findingsText(c.Findings, nil))}
	default:
		// A passed or warned check: its warnings go where a reader of a
		// passed test looks, system-out.
		out.WriteString(findingsText(c.Findings, func(f Finding) bool { return f.Severity != Info }))
	}
	if c.Status != Skip {
		for _, e := range c.Evidence {
			fmt.Fprintf(&out, "%s: %s\n", e.Key, e.Value)
		}
	}
	if out.Len() > 0 {
		tc.SystemOut = &junitText{Text: xmlText(out.String())}
	}
	return tc
}

// xmlText escapes character data by hand so that the report stays readable
// (encoding/xml would write every newline and quote as a character
// reference): markup characters are escaped, characters XML cannot carry
// become U+FFFD, and line breaks stay line breaks.
func xmlText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;") // so that "]]>" never appears
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == '\r':
			b.WriteString("&#xD;")
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// findingsText writes findings as plain text: what, why, how to fix, where
// the guide explains it. keep filters them (nil keeps all).
func findingsText(findings []Finding, keep func(Finding) bool) string {
	var b strings.Builder
	for _, f := range findings {
		if keep != nil && !keep(f) {
			continue
		}
		fmt.Fprintf(&b, "[%s] %s (%s)\n", f.Severity, f.Title, f.ID)
		for _, line := range wrapLines(f.Detail) {
			fmt.Fprintf(&b, "  %s\n", line)
		}
		if len(f.AADSTS) > 0 || f.TraceID != "" || f.CorrelationID != "" {
			b.WriteString("  entra:")
			for _, c := range f.AADSTS {
				fmt.Fprintf(&b, " AADSTS%d", c)
			}
			if f.TraceID != "" {
				fmt.Fprintf(&b, " trace %s", f.TraceID)
			}
			if f.CorrelationID != "" {
				fmt.Fprintf(&b, " correlation %s", f.CorrelationID)
			}
			b.WriteByte('\n')
		}
		for _, fix := range f.Fix {
			fmt.Fprintf(&b, "  fix: %s\n", fix)
		}
		for _, c := range f.Commands {
			fmt.Fprintf(&b, "  $ %s\n", c)
		}
		if f.Guide != nil {
			fmt.Fprintf(&b, "  guide: %s %s\n", f.Guide.Section, f.Guide.URL())
		}
	}
	return b.String()
}

func firstOf(findings []Finding, s Severity) *Finding {
	for i := range findings {
		if findings[i].Severity == s {
			return &findings[i]
		}
	}
	return nil
}

func countOf(findings []Finding, s Severity) int {
	n := 0
	for _, f := range findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// seconds formats a duration the way JUnit consumers parse it: decimal
// seconds with millisecond precision. A report read back from JSON has only
// the milliseconds.
func seconds(d time.Duration, ms int64) string {
	if d == 0 {
		d = time.Duration(ms) * time.Millisecond
	}
	return fmt.Sprintf("%.3f", d.Seconds())
}
