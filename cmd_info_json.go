package main

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/c7doctor/c7doctor/checks"
)

// The JSON of `checks -o json` and `explain -o json`. Scripts read these:
// fields are only ever added, and schema_version changes if one must go.

// infoSchemaVersion versions both documents.
const infoSchemaVersion = 1

type checksDoc struct {
	SchemaVersion int         `json:"schema_version"`
	Checks        []checkInfo `json:"checks"`
}

type checkInfo struct {
	Position      int      `json:"position"`       // 1-based, the order of a run
	ID            string   `json:"id"`             // what --only, --skip and --require take
	Title         string   `json:"title"`          // the report's title for it
	Needs         []string `json:"needs"`          // check ids that must pass first
	NeedsSettings []string `json:"needs_settings"` // settings it needs besides, in words
}

type explainDoc struct {
	SchemaVersion int           `json:"schema_version"`
	Query         string        `json:"query,omitempty"` // absent for --list
	Findings      []explainInfo `json:"findings"`
}

type explainInfo struct {
	ID       string     `json:"id"`
	Title    string     `json:"title"`
	Severity string     `json:"severity"` // error, warning or info
	Check    string     `json:"check"`    // the check that reports it; "" for run-wide findings
	AADSTS   []int      `json:"aadsts"`   // Entra codes it explains
	Fix      []string   `json:"fix"`
	Commands []string   `json:"commands"` // with marked placeholders for the ids a run would know
	Guide    *guideInfo `json:"guide"`    // null when no guide section applies
}

type guideInfo struct {
	Section string `json:"section"`
	Anchor  string `json:"anchor"`
	URL     string `json:"url"`
}

func writeChecksJSON(w io.Writer, list []checks.Check) error {
	doc := checksDoc{SchemaVersion: infoSchemaVersion, Checks: []checkInfo{}}
	for i, c := range list {
		info := checkInfo{Position: i + 1, ID: c.ID, Title: c.Title, Needs: []string{}, NeedsSettings: []string{}}
		info.Needs = append(info.Needs, c.Needs...)
		for _, s := range strings.Split(c.NeedsText, ",") {
			if s = strings.TrimSpace(s); s != "" {
				info.NeedsSettings = append(info.NeedsSettings, s)
			}
		}
		doc.Checks = append(doc.Checks, info)
	}
	return writeJSON(w, doc)
}

func writeExplainJSON(w io.Writer, query string, entries []checks.Entry) error {
	doc := explainDoc{SchemaVersion: infoSchemaVersion, Query: query, Findings: []explainInfo{}}
	data := checks.NewCommandData(&checks.Config{})
	for _, e := range entries {
		f := data.Finding(e.ID, "")
		info := explainInfo{
			ID: e.ID, Title: e.Title, Severity: string(e.Severity), Check: e.Check,
			AADSTS: append([]int{}, e.AADSTS...), Fix: append([]string{}, f.Fix...),
			Commands: append([]string{}, f.Commands...),
		}
		if f.Guide != nil {
			info.Guide = &guideInfo{Section: f.Guide.Section, Anchor: f.Guide.Anchor, URL: f.Guide.URL()}
		}
		doc.Findings = append(doc.Findings, info)
	}
	return writeJSON(w, doc)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
