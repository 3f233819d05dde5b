package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// NamedValue is an APIM named value as far as the linter needs it.
type NamedValue struct {
	Name   string
	Value  string
	Secret bool
	// Known is false when the value itself is not available (a secret, a
	// Key Vault reference): it exists, but its text cannot be checked.
	Known bool
}

// Input is everything one lint run looks at.
type Input struct {
	Files []File
	// NamedValues are the instance's named values by name; nil when no
	// source was given, which keeps unresolved references at info.
	NamedValues map[string]NamedValue
	// ProductAPIs lists each product's APIs, for composing product policies.
	ProductAPIs map[string][]string
	// APIPaths holds each API's URL suffix (apiInformation.json "path").
	// An API at the host root is the OAuth proxy of the discovery surface,
	// whose answers must then be somewhere in the input.
	APIPaths map[string]string
	// MCPAPIs are APIs known to serve MCP (a live instance knows its MCP
	// API by its path): their pipelines are the MCP route whatever they
	// hold, so an API that validates nothing is judged, not passed over.
	MCPAPIs []string
}

// Finding is one rule tripped at one place.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
	Path     string   `json:"path"`
	Pos      Pos      `json:"position"`
	// Pipeline names the operation whose composed policy showed it, when
	// the rule looks at what a request meets.
	Pipeline string `json:"pipeline,omitempty"`
}

// Result is the outcome of a lint run.
type Result struct {
	Files    []File    `json:"files"`
	Findings []Finding `json:"findings"`
}

// Count returns how many findings have the severity.
func (r *Result) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// ExitCode is 0 when clean, 1 when an error (strict: a warning too) was found.
func (r *Result) ExitCode(strict bool) int {
	if r.Count(Error) > 0 || strict && r.Count(Warning) > 0 {
		return 1
	}
	return 0
}

type linter struct {
	in        Input
	docs      []*Document
	pipelines []*Pipeline
	out       []Finding
	resp      []*response // the return-responses, read once
	routes    []*mcpRoute // the MCP route's pipelines
}

// Lint parses every file and runs every rule. It does no I/O.
func Lint(in Input) *Result {
	l := &linter{in: in}
	res := &Result{Files: []File{}, Findings: []Finding{}}
	for _, f := range in.Files {
		f.Path = strings.ReplaceAll(f.Path, "\\", "/")
		f.place()
		d, err := Parse(f)
		if err != nil {
			pe := err.(*parseError)
			l.add(pe.rule, d, pe.off, "", "%s", pe.msg)
		}
		f.Format = d.Format
		res.Files = append(res.Files, f)
		l.docs = append(l.docs, d)
	}
	for _, d := range l.docs {
		if d.Root != nil {
			l.document(d)
		}
	}
	var parsed []*Document
	for _, d := range l.docs {
		if d.Root != nil {
			parsed = append(parsed, d)
		}
	}
	l.pipelines = compose(parsed, in.ProductAPIs)
	for _, p := range l.pipelines {
		l.pipeline(p)
	}
	l.discovery()
	res.Findings = dedupe(l.out)
	return res
}

func (l *linter) add(rule string, d *Document, off int, pipeline, format string, args ...any) {
	r, ok := RuleByID(rule)
	if !ok {
		panic("policy: unknown rule " + rule)
	}
	l.out = append(l.out, Finding{
		Rule: rule, Severity: r.Severity, Title: r.Title, Message: fmt.Sprintf(format, args...),
		Path: d.Path, Pos: d.PosAt(off), Pipeline: pipeline,
	})
}

// at reports a rule at a node of a pipeline.
func (l *linter) at(rule string, p *Pipeline, n *Node, format string, args ...any) {
	l.add(rule, n.Doc, n.Off, p.Name, format, args...)
}

// dedupe keeps one finding per rule and place: operations that share an
// API policy see the same statements. Sorted by file, line, column, rule.
func dedupe(in []Finding) []Finding {
	seen := map[string]bool{}
	out := []Finding{}
	for _, f := range in {
		k := fmt.Sprintf("%s\x00%s\x00%d\x00%d\x00%s", f.Rule, f.Path, f.Pos.Line, f.Pos.Col, f.Message)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col), cmp.Compare(a.Rule, b.Rule))
	})
	return out
}

// resolve substitutes named values in plain text; ok is false when one is
// unknown or its value is not available.
func (l *linter) resolve(v Value) (string, bool) {
	ok := true
	s := namedRefRe().ReplaceAllStringFunc(v.Text, func(m string) string {
		name := namedRefRe().FindStringSubmatch(m)[1]
		nv, found := l.in.NamedValues[name]
		if !found || !nv.Known {
			ok = false
			return m
		}
		return nv.Value
	})
	return s, ok
}
