package policy

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// RenderOptions are what the renderers need from outside the package.
type RenderOptions struct {
	ToolVersion string
	Strict      bool
	// GuideURL gives the published address of a guide section.
	GuideURL func(section string) string
}

func (o RenderOptions) guideURL(section string) string {
	if o.GuideURL == nil || section == "" {
		return ""
	}
	return o.GuideURL(section)
}

// WriteText writes one block per finding, compiler style, and a summary.
func WriteText(w io.Writer, res *Result, o RenderOptions) error {
	var b strings.Builder
	for _, f := range res.Findings {
		r, _ := RuleByID(f.Rule)
		fmt.Fprintf(&b, "%s:%d:%d: %s %s: %s\n", f.Path, f.Pos.Line, f.Pos.Col, f.Severity, f.Rule, r.Title)
		fmt.Fprintf(&b, "  %s\n", f.Message)
		if f.Pipeline != "" && f.Pipeline != f.Path {
			fmt.Fprintf(&b, "  seen in: %s\n", f.Pipeline)
		}
		for _, fix := range r.Fix {
			fmt.Fprintf(&b, "  fix: %s\n", fix)
		}
		if r.Section != "" {
			fmt.Fprintf(&b, "  guide: %s %s\n", r.Section, o.guideURL(r.Section))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%d %s: %d %s, %d %s, %d info\n", len(res.Files), plural(len(res.Files), "document"),
		res.Count(Error), plural(res.Count(Error), "error"), res.Count(Warning), plural(res.Count(Warning), "warning"), res.Count(Info))
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// JSONReport is the contract of `policy lint -o json`, schema version 1.
type JSONReport struct {
	SchemaVersion int           `json:"schema_version"`
	Tool          JSONTool      `json:"tool"`
	ExitCode      int           `json:"exit_code"`
	Summary       JSONSummary   `json:"summary"`
	Files         []File        `json:"files"`
	Findings      []JSONFinding `json:"findings"`
}

// JSONTool names the program that wrote the report.
type JSONTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// JSONSummary counts documents and findings.
type JSONSummary struct {
	Documents int `json:"documents"`
	Error     int `json:"error"`
	Warning   int `json:"warning"`
	Info      int `json:"info"`
}

// JSONFinding is a finding with its rule's fix and guide section.
type JSONFinding struct {
	Finding
	Fix   []string   `json:"fix"`
	Guide *JSONGuide `json:"guide"`
}

// JSONGuide points at the guide section that fixes a finding.
type JSONGuide struct {
	Section string `json:"section"`
	URL     string `json:"url,omitempty"`
}

// WriteJSON writes the JSON report.
func WriteJSON(w io.Writer, res *Result, o RenderOptions) error {
	rep := JSONReport{
		SchemaVersion: 1, Tool: JSONTool{Name: "c7doctor", Version: o.ToolVersion},
		ExitCode: res.ExitCode(o.Strict),
		Summary:  JSONSummary{Documents: len(res.Files), Error: res.Count(Error), Warning: res.Count(Warning), Info: res.Count(Info)},
		Files:    res.Files, Findings: []JSONFinding{},
	}
	for _, f := range res.Findings {
		r, _ := RuleByID(f.Rule)
		jf := JSONFinding{Finding: f, Fix: r.Fix}
		if r.Section != "" {
			jf.Guide = &JSONGuide{Section: r.Section, URL: o.guideURL(r.Section)}
		}
		rep.Findings = append(rep.Findings, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}
