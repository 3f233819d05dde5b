package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

func init() { Register("markdown", RenderMarkdown) }

// RenderMarkdown writes the report as GitHub-flavoured Markdown: a verdict, a
// table of checks, then a section per finding with its fix, commands and a
// link to the guide. It reads well in $GITHUB_STEP_SUMMARY, in a pull
// request comment and pasted into a support ticket.
func RenderMarkdown(w io.Writer, r *Report, opts Options) error {
	var b bytes.Buffer
	mdHeader(&b, r)
	mdTable(&b, r)
	mdFindings(&b, r, opts.Verbose)
	mdEvidence(&b, r)
	// One write, so that a redacting writer sees every secret whole.
	_, err := w.Write(b.Bytes())
	return err
}

func mdMark(s Status) string {
	switch s {
	case Pass:
		return "✅"
	case Warn:
		return "⚠️"
	case Fail:
		return "❌"
	}
	return "⏭️"
}

func mdSeverityMark(s Severity) string {
	switch s {
	case Error:
		return "❌"
	case Warning:
		return "⚠️"
	}
	return "ℹ️"
}

func mdHeader(b *bytes.Buffer, r *Report) {
	mark := mdMark(r.Status)
	switch r.ExitCode {
	case ExitIncomplete:
		mark = "⚠️"
	case ExitInterrupted, ExitFailed:
		mark = "❌"
	}
	// The text renderer's verdict, without colour: one wording for both.
	head, cause, _ := strings.Cut(verdict(newPalette(false), r), "\n")
	fmt.Fprintf(b, "## %s c7doctor: %s\n\n", mark, mdText(head))
	if cause != "" {
		fmt.Fprintf(b, "**%s**\n\n", mdText(cause))
	}
	if line := r.CoverageLine(); line != "" {
		fmt.Fprintf(b, "⚠️ %s\n\n", mdText(line))
	}
	target := r.Target.MCPEndpoint
	if target == "" {
		target = r.Target.Gateway
	}
	var facts []string
	if target != "" {
		facts = append(facts, mdCode(target))
	}
	inferred := func(key string) string {
		for _, k := range r.Target.Inferred {
			if k == key {
				return " (inferred)"
			}
		}
		return ""
	}
	if r.Target.Tenant != "" {
		facts = append(facts, "tenant "+mdCode(r.Target.Tenant)+inferred("tenant"))
	}
	if r.Target.GatewayAppID != "" {
		facts = append(facts, "gateway app "+mdCode(r.Target.GatewayAppID)+inferred("gateway_app_id"))
	}
	if r.Target.MCPAPIAppID != "" {
		facts = append(facts, "MCP API app "+mdCode(r.Target.MCPAPIAppID)+inferred("mcp_api_app_id"))
	}
	if len(facts) > 0 {
		fmt.Fprintf(b, "%s\n\n", strings.Join(facts, " · "))
	}
	var run []string
	if r.Tool.Version != "" {
		run = append(run, "c7doctor "+mdText(r.Tool.Version))
	}
	if !r.StartedAt.IsZero() {
		run = append(run, "started "+r.StartedAt.UTC().Format(time.RFC3339))
	}
	run = append(run, "took "+shortDuration(mdDuration(r.Duration, r.DurationMS)), fmt.Sprintf("exit code %d", r.ExitCode))
	fmt.Fprintf(b, "<sub>%s</sub>\n\n", strings.Join(run, " · "))
}

func mdTable(b *bytes.Buffer, r *Report) {
	b.WriteString("| | Check | Time | Result |\n|:-:|---|--:|---|\n")
	for _, c := range r.Checks {
		dur := ""
		if c.Status != Skip {
			dur = shortDuration(mdDuration(c.Duration, c.DurationMS))
		}
		fmt.Fprintf(b, "| %s | %s %s | %s | %s |\n",
			mdMark(c.Status), mdCode(c.ID), mdCell(c.Title), dur, mdCell(c.Summary))
	}
	b.WriteByte('\n')
}

// shown says whether a finding is printed in text and Markdown, one rule
// for both: info findings ("nothing to fix") only with -v.
func shown(f Finding, verbose bool) bool {
	return f.Severity != Info || verbose
}

func mdFindings(b *bytes.Buffer, r *Report, verbose bool) {
	n := 0
	for _, c := range r.Checks {
		for _, f := range c.Findings {
			if shown(f, verbose) {
				n++
			}
		}
	}
	if n == 0 {
		return
	}
	b.WriteString("### Findings\n\n")
	for _, c := range r.Checks {
		for _, f := range c.Findings {
			if !shown(f, verbose) {
				continue
			}
			mdFinding(b, c, f)
		}
	}
}

func mdFinding(b *bytes.Buffer, c Check, f Finding) {
	fmt.Fprintf(b, "#### %s %s: %s\n\n", mdSeverityMark(f.Severity), mdText(c.ID), mdText(f.Title))
	meta := []string{mdCode(f.ID), string(f.Severity)}
	if f.Guide != nil {
		meta = append(meta, fmt.Sprintf("guide: [%s](%s)", mdText(f.Guide.Section), f.Guide.URL()))
	}
	fmt.Fprintf(b, "%s\n\n", strings.Join(meta, " · "))
	if lines := wrapLines(f.Detail); len(lines) > 0 {
		// A backslash at the end of a line is a hard line break: the
		// detail keeps its lines without trailing spaces an editor strips.
		for i, line := range lines {
			lines[i] = mdLine(line)
		}
		fmt.Fprintf(b, "%s\n\n", strings.Join(lines, "\\\n"))
	}
	if len(f.AADSTS) > 0 || f.TraceID != "" || f.CorrelationID != "" {
		var parts []string
		for _, code := range f.AADSTS {
			parts = append(parts, fmt.Sprintf("AADSTS%d", code))
		}
		if f.TraceID != "" {
			parts = append(parts, "trace id "+mdCode(f.TraceID))
		}
		if f.CorrelationID != "" {
			parts = append(parts, "correlation id "+mdCode(f.CorrelationID))
		}
		fmt.Fprintf(b, "**Entra:** %s\n\n", strings.Join(parts, " · "))
	}
	if len(f.Fix) > 0 {
		b.WriteString("**Fix**\n\n")
		for i, step := range f.Fix {
			fmt.Fprintf(b, "%d. %s\n", i+1, mdText(oneLine(step)))
		}
		b.WriteByte('\n')
	}
	if len(f.Commands) > 0 {
		fence := mdFence(f.Commands)
		fmt.Fprintf(b, "%ssh\n%s\n%s\n\n", fence, strings.Join(f.Commands, "\n"), fence)
	}
}

func mdEvidence(b *bytes.Buffer, r *Report) {
	has := false
	for _, c := range r.Checks {
		if len(c.Evidence) > 0 {
			has = true
		}
	}
	if !has {
		return
	}
	// Collapsed: evidence is for the person digging in, not the first read.
	b.WriteString("<details><summary>Evidence</summary>\n\n")
	for _, c := range r.Checks {
		if len(c.Evidence) == 0 {
			continue
		}
		fmt.Fprintf(b, "**%s**\n\n| Key | Value |\n|---|---|\n", mdText(c.ID))
		for _, e := range c.Evidence {
			fmt.Fprintf(b, "| %s | %s |\n", mdCell(e.Key), mdCellCode(e.Value))
		}
		b.WriteByte('\n')
	}
	b.WriteString("</details>\n")
}

func mdDuration(d time.Duration, ms int64) time.Duration {
	if d == 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return d
}

// mdText escapes what Markdown or the HTML it allows would otherwise
// interpret, so that a detail such as "<your-apim-host>" stays visible.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '|', '~', '#':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\r', '\n', '\t':
			b.WriteByte(' ')
		default:
			if r < 0x20 || r == 0x7f {
				b.WriteRune('\uFFFD')
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdLine is mdText for a whole line: a line that Markdown would read as a
// list item, heading, quote or rule starts with a backslash instead.
func mdLine(s string) string {
	t := mdText(s)
	trimmed := strings.TrimLeft(t, " ")
	if trimmed == "" {
		return t
	}
	switch trimmed[0] {
	case '-', '+', '=', '&':
		return `\` + t
	}
	if i := strings.IndexFunc(trimmed, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && (trimmed[i] == '.' || trimmed[i] == ')') {
		lead := t[:len(t)-len(trimmed)]
		return lead + trimmed[:i] + `\` + trimmed[i:]
	}
	return t
}

// mdCell is text for a table cell: no line breaks, pipes escaped.
func mdCell(s string) string { return mdText(oneLine(s)) }

// mdCellCode shows a value verbatim in a table cell. GitHub splits cells on
// "|" even inside code spans, so those are escaped there too.
func mdCellCode(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	return strings.ReplaceAll(mdCode(s), "|", `\|`)
}

// mdCode wraps s in a code span long enough that no backtick run inside it
// ends the span.
func mdCode(s string) string {
	s = oneLine(s)
	n := longestRun(s, '`') + 1
	fence := strings.Repeat("`", n)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// mdFence is a code fence longer than any backtick run in the block.
func mdFence(lines []string) string {
	n := 3
	for _, l := range lines {
		n = max(n, longestRun(l, '`')+1)
	}
	return strings.Repeat("`", n)
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\r", "")), " ")
}
