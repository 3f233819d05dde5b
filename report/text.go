package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fatih/color"
)

type palette struct {
	pass, warn, fail, skip, dim, bold, cmd *color.Color
}

func newPalette(on bool) palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return palette{
		pass: mk(color.FgGreen), warn: mk(color.FgYellow), fail: mk(color.FgRed, color.Bold),
		skip: mk(color.FgHiBlack), dim: mk(color.Faint), bold: mk(color.Bold), cmd: mk(color.FgCyan),
	}
}

func (p palette) status(s Status) (string, *color.Color) {
	switch s {
	case Pass:
		return "✓", p.pass
	case Warn:
		return "!", p.warn
	case Fail:
		return "✗", p.fail
	}
	return "–", p.skip
}

func (p palette) severity(s Severity) (string, *color.Color) {
	switch s {
	case Error:
		return "✗", p.fail
	case Warning:
		return "!", p.warn
	}
	return "i", p.dim
}

// RenderText writes the report for a person: one line per check, findings
// beneath with their fix, commands and guide section, and a verdict.
func RenderText(w io.Writer, r *Report, opts Options) error {
	verbose := opts.Verbose
	p := newPalette(opts.Color)
	ew := &errWriter{w: w}
	target := r.Target.MCPEndpoint
	if target == "" {
		target = r.Target.Gateway
	}
	ew.printf("%s %s\n", p.bold.Sprint("c7doctor"), target)
	if r.Target.Tenant != "" || r.Target.GatewayAppID != "" {
		ew.printf("%s\n", p.dim.Sprint(targetLine(r.Target)))
	}
	ew.printf("\n")
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.ID))
	}
	for _, c := range r.Checks {
		mark, col := p.status(c.Status)
		dur := "     "
		if c.Status != Skip {
			dur = fmt.Sprintf("%5s", shortDuration(c.Duration))
		}
		ew.printf("%s %-*s %s  %s\n", col.Sprint(mark), width, c.ID, p.dim.Sprint(dur), c.Summary)
		for _, f := range c.Findings {
			if !shown(f, verbose) {
				continue
			}
			writeFinding(ew, p, f)
		}
	}
	ew.printf("\n%s\n", verdict(p, r))
	if line := r.CoverageLine(); line != "" {
		ew.printf("%s\n", p.warn.Sprint(line))
	}
	return ew.err
}

func targetLine(t Target) string {
	var parts []string
	add := func(label, v, key string) {
		if v == "" {
			return
		}
		for _, k := range t.Inferred {
			if k == key {
				v += " (inferred)"
			}
		}
		parts = append(parts, label+" "+v)
	}
	add("tenant", t.Tenant, "tenant")
	add("gateway app", t.GatewayAppID, "gateway_app_id")
	add("MCP API app", t.MCPAPIAppID, "mcp_api_app_id")
	return strings.Join(parts, " · ")
}

func writeFinding(ew *errWriter, p palette, f Finding) {
	mark, col := p.severity(f.Severity)
	ew.printf("    %s %s %s\n", col.Sprint(mark), p.bold.Sprint(f.Title), p.dim.Sprintf("[%s]", f.ID))
	for _, line := range wrapLines(f.Detail) {
		ew.printf("      %s\n", line)
	}
	for _, c := range f.AADSTS {
		ew.printf("      %s AADSTS%d", p.dim.Sprint("entra:"), c)
		if f.TraceID != "" {
			ew.printf(" trace %s", f.TraceID)
		}
		if f.CorrelationID != "" {
			ew.printf(" correlation %s", f.CorrelationID)
		}
		ew.printf("\n")
	}
	for _, fix := range f.Fix {
		ew.printf("      %s %s\n", p.dim.Sprint("fix:"), fix)
	}
	for _, c := range f.Commands {
		ew.printf("      %s\n", p.cmd.Sprint("$ "+c))
	}
	if f.Guide != nil {
		ew.printf("      %s %s %s\n", p.dim.Sprint("guide:"), f.Guide.Section, p.dim.Sprint(f.Guide.URL()))
	}
}

func verdict(p palette, r *Report) string {
	s := r.Summary
	counts := fmt.Sprintf("%d checks: %d passed, %s, %d failed, %d skipped",
		len(r.Checks), s.Pass, plural(s.Warn, "warning"), s.Fail, s.Skip)
	var failed []string
	for _, c := range r.Checks {
		if c.Status == Fail {
			failed = append(failed, c.ID)
		}
	}
	switch r.ExitCode {
	case ExitHealthy:
		if s.Warn > 0 {
			return p.warn.Sprint("healthy, with warnings") + " — " + counts
		}
		return p.pass.Sprint("healthy") + " — " + counts
	case ExitInterrupted:
		return p.fail.Sprint("interrupted") + " — " + counts
	case ExitIncomplete:
		return p.warn.Sprint("incomplete: a required check was skipped") + " — " + counts
	}
	if len(failed) == 0 {
		return p.fail.Sprint("broken (strict: warnings fail)") + " — " + counts
	}
	line := p.fail.Sprint("broken at "+failed[0]) + " — " + counts
	if c := r.Cause; c != nil {
		line += "\ncause: " + c.Title + " [" + c.Finding + "], decided by " + c.Check
	}
	return line
}

func shortDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "0ms"
	case d < 10*time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

func wrapLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
