package report_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/report"
)

func TestMarkdownGolden(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			golden(t, "markdown-"+fx.name+".md", render(t, "markdown", fx.report()))
		})
	}
}

// outsideCode drops fenced blocks and code spans: what is left is what
// Markdown interprets.
func outsideCode(md string) string {
	var keep []string
	inFence := ""
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimSpace(line)
		if inFence != "" {
			if strings.HasPrefix(trimmed, inFence) && strings.Trim(trimmed, "`") == "" {
				inFence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") {
			inFence = strings.TrimRight(trimmed, "abcdefghijklmnopqrstuvwxyz")
			continue
		}
		keep = append(keep, stripCodeSpans(line))
	}
	return strings.Join(keep, "\n")
}

// stripCodeSpans replaces each code span (a run of n backticks up to the
// next run of exactly n) with CODE.
func stripCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		n := 0
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		end := -1
		for j := i + n; j < len(line); {
			if line[j] != '`' {
				j++
				continue
			}
			m := 0
			for j+m < len(line) && line[j+m] == '`' {
				m++
			}
			if m == n {
				end = j + m
				break
			}
			j += m
		}
		if end < 0 {
			b.WriteString(line[i : i+n])
			i += n
			continue
		}
		b.WriteString("CODE")
		i = end
	}
	return b.String()
}

func TestMarkdownStructure(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.report()
			md := string(render(t, "markdown", r))
			if !strings.HasPrefix(md, "## ") {
				t.Errorf("does not open with a heading:\n%s", md)
			}
			for _, c := range r.Checks {
				row := regexp.MustCompile(`(?m)^\| \S+ \| ` + "`" + regexp.QuoteMeta(c.ID) + "`" + ` .*\|$`)
				if !row.MatchString(md) {
					t.Errorf("no table row for %s:\n%s", c.ID, md)
				}
				for _, f := range c.Findings {
					// As the text output: info findings only with -v.
					if f.Severity == report.Info {
						var v bytes.Buffer
						if err := report.Render("markdown", &v, r, report.Options{Verbose: true}); err != nil || !strings.Contains(v.String(), "`"+f.ID+"`") {
							t.Errorf("info finding %s not shown with -v", f.ID)
						}
						if strings.Contains(md, f.Title) {
							t.Errorf("info finding %s shown for a %s check", f.ID, c.Status)
						}
						continue
					}
					if !strings.Contains(md, "#### ") || !strings.Contains(md, "`"+f.ID+"`") {
						t.Errorf("no section for finding %s", f.ID)
					}
					if f.Guide != nil && !strings.Contains(md, "]("+f.Guide.URL()+")") {
						t.Errorf("finding %s: no link to %s", f.ID, f.Guide.URL())
					}
					for _, cmd := range f.Commands {
						if !strings.Contains(md, "\n"+cmd+"\n") {
							t.Errorf("finding %s: command not verbatim in a code block: %s", f.ID, cmd)
						}
					}
				}
			}
			// Outside code, no raw HTML but the few tags the renderer
			// writes itself: a placeholder like <gateway-app-id> must stay
			// visible, not vanish as an unknown tag.
			prose := outsideCode(md)
			for _, tag := range regexp.MustCompile(`<[^>]*>`).FindAllString(prose, -1) {
				switch tag {
				case "<details>", "</details>", "<summary>", "</summary>", "<sub>", "</sub>":
				default:
					t.Errorf("raw HTML %q outside code", tag)
				}
			}
			if strings.ContainsRune(md, '\x01') {
				t.Error("control character passed through")
			}
		})
	}
}

func TestMarkdownEscapes(t *testing.T) {
	md := string(render(t, "markdown", brokenReport()))
	for _, want := range []string{
		"&lt;gateway-app-id&gt;",                // placeholder stays visible
		"1\\. this line looks like a list item", // not a list
		"\\- and so does this one",              // not a bullet
		"``a|b `c` <d> & e``",                   // code span longer than its backticks
	} {
		if !strings.Contains(strings.ReplaceAll(md, `\|`, "|"), strings.ReplaceAll(want, `\|`, "|")) {
			t.Errorf("missing %q in:\n%s", want, md)
		}
	}
	// In a table a pipe ends the cell even inside a code span.
	if !strings.Contains(md, "a\\|b") {
		t.Errorf("pipe in a table cell not escaped:\n%s", md)
	}
}
