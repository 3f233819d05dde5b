package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/checks"
)

func TestVersionFlagPrintsWhatVersionPrints(t *testing.T) {
	flag := runCLI(t, cliOpts{}, "--version")
	cmd := runCLI(t, cliOpts{}, "version")
	if flag.code != 0 || cmd.code != 0 {
		t.Fatalf("exit codes: --version %d, version %d (%s)", flag.code, cmd.code, flag.stderr)
	}
	if flag.stdout != cmd.stdout || !strings.HasPrefix(flag.stdout, "c7doctor ") || flag.stderr != "" {
		t.Errorf("--version %q, version %q, stderr %q", flag.stdout, cmd.stdout, flag.stderr)
	}
}

func TestUnknownCommandIsAUsageError(t *testing.T) {
	res := runCLI(t, cliOpts{}, "rnu")
	if res.code != 2 || !strings.Contains(res.stderr, `unknown command "rnu"`) || res.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	if res := runCLI(t, cliOpts{}); res.code != 0 || !strings.Contains(res.stdout, "COMMANDS") {
		t.Errorf("no arguments: exit %d, %q", res.code, res.stdout)
	}
}

func hasColour(s string) bool { return strings.Contains(s, "\x1b[") }

func TestColourConventions(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "r.md")
	cases := []struct {
		name     string
		terminal bool
		env      map[string]string
		extra    []string
		want     bool
	}{
		{"a terminal", true, nil, nil, true},
		{"empty NO_COLOR is unset", true, map[string]string{"NO_COLOR": ""}, nil, true},
		{"NO_COLOR=1", true, map[string]string{"NO_COLOR": "1"}, nil, false},
		{"no terminal", false, nil, nil, false},
		{"CLICOLOR_FORCE without a terminal", false, map[string]string{"CLICOLOR_FORCE": "1"}, nil, true},
		{"CLICOLOR_FORCE=0", false, map[string]string{"CLICOLOR_FORCE": "0"}, nil, false},
		{"empty CLICOLOR_FORCE", false, map[string]string{"CLICOLOR_FORCE": ""}, nil, false},
		{"NO_COLOR beats CLICOLOR_FORCE", false, map[string]string{"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}, nil, false},
		{"--no-color beats CLICOLOR_FORCE", false, map[string]string{"CLICOLOR_FORCE": "1"}, []string{"--no-color"}, false},
		{"CLICOLOR_FORCE never colours JSON", true, map[string]string{"CLICOLOR_FORCE": "1"}, []string{"-o", "json"}, false},
		{"CLICOLOR_FORCE never colours JUnit", true, map[string]string{"CLICOLOR_FORCE": "1"}, []string{"-o", "junit"}, false},
		{"CLICOLOR_FORCE never colours Markdown", true, map[string]string{"CLICOLOR_FORCE": "1"}, []string{"-o", "markdown"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append(append([]string{}, goldenArgs...), tc.extra...), "--out", "markdown="+md)
			res := runCLI(t, cliOpts{checks: fakeChecks(nil), terminal: tc.terminal, env: tc.env}, args...)
			if res.code != 1 { // the fake journey has one failing check
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			if got := hasColour(res.stdout); got != tc.want {
				t.Errorf("colour %v, want %v:\n%s", got, tc.want, res.stdout)
			}
			file, err := os.ReadFile(md)
			if err != nil || hasColour(string(file)) {
				t.Errorf("--out markdown: %v, colour %v", err, hasColour(string(file)))
			}
		})
	}
}

func TestChecksJSON(t *testing.T) {
	res := runCLI(t, cliOpts{}, "checks", "-o", "json")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var doc struct {
		SchemaVersion int `json:"schema_version"`
		Checks        []struct {
			Position      int      `json:"position"`
			ID            string   `json:"id"`
			Title         string   `json:"title"`
			Needs         []string `json:"needs"`
			NeedsSettings []string `json:"needs_settings"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	if doc.SchemaVersion != 1 || len(doc.Checks) != len(checks.All) {
		t.Fatalf("schema %d, %d checks, want %d", doc.SchemaVersion, len(doc.Checks), len(checks.All))
	}
	for i, c := range checks.All {
		got := doc.Checks[i]
		if got.Position != i+1 || got.ID != c.ID || got.Title != c.Title || strings.Join(got.Needs, ",") != strings.Join(c.Needs, ",") {
			t.Errorf("check %d: %+v, want %s %q needs %v", i+1, got, c.ID, c.Title, c.Needs)
		}
		if got.Needs == nil || got.NeedsSettings == nil {
			t.Errorf("%s: needs and needs_settings must be lists, never null", c.ID)
		}
		if c.NeedsText != "" && len(got.NeedsSettings) == 0 {
			t.Errorf("%s: needs_settings empty, want %q", c.ID, c.NeedsText)
		}
	}
	var raw map[string]any
	_ = json.Unmarshal([]byte(runCLI(t, cliOpts{}, "checks", "-o", "json").stdout), &raw)
	first := raw["checks"].([]any)[0].(map[string]any)
	for _, k := range []string{"position", "id", "title", "needs", "needs_settings"} {
		if _, ok := first[k]; !ok {
			t.Errorf("checks -o json: field %q missing", k)
		}
	}
	if res := runCLI(t, cliOpts{}, "checks", "-o", "junit"); res.code != 2 || res.stdout != "" {
		t.Errorf("checks -o junit: exit %d, %q", res.code, res.stdout)
	}
}

type explainJSON struct {
	SchemaVersion int    `json:"schema_version"`
	Query         string `json:"query"`
	Findings      []struct {
		ID       string   `json:"id"`
		Title    string   `json:"title"`
		Severity string   `json:"severity"`
		Check    string   `json:"check"`
		AADSTS   []int    `json:"aadsts"`
		Fix      []string `json:"fix"`
		Commands []string `json:"commands"`
		Guide    *struct {
			Section, Anchor, URL string
		} `json:"guide"`
	} `json:"findings"`
}

func TestExplainJSON(t *testing.T) {
	res := runCLI(t, cliOpts{}, "explain", "--list", "-o", "json")
	var list explainJSON
	if err := json.Unmarshal([]byte(res.stdout), &list); err != nil || res.code != 0 {
		t.Fatalf("exit %d, %v\n%s", res.code, err, res.stdout)
	}
	if list.SchemaVersion != 1 || len(list.Findings) != len(checks.Entries()) {
		t.Fatalf("schema %d, %d findings, want %d", list.SchemaVersion, len(list.Findings), len(checks.Entries()))
	}
	for i, e := range checks.Entries() {
		f := list.Findings[i]
		if f.ID != e.ID || f.Title != e.Title || f.Severity != string(e.Severity) || f.Check != e.Check {
			t.Errorf("finding %d: %+v, want %+v", i, f, e)
		}
		if (f.Guide == nil) != (e.Section == "") || (f.Guide != nil && (f.Guide.Section != e.Section || !strings.HasSuffix(f.Guide.URL, "#"+f.Guide.Anchor))) {
			t.Errorf("%s: guide %+v, want section %q", e.ID, f.Guide, e.Section)
		}
		if f.Fix == nil || f.Commands == nil || f.AADSTS == nil {
			t.Errorf("%s: fix, commands and aadsts must be lists, never null", e.ID)
		}
	}

	res = runCLI(t, cliOpts{}, "explain", "-o", "json", "AADSTS65001")
	var one explainJSON
	if err := json.Unmarshal([]byte(res.stdout), &one); err != nil || res.code != 0 {
		t.Fatalf("exit %d, %v\n%s", res.code, err, res.stdout)
	}
	if one.Query != "AADSTS65001" || len(one.Findings) == 0 || one.Findings[0].ID != "obo-consent" || one.Findings[0].AADSTS[0] != 65001 {
		t.Errorf("explain AADSTS65001: %+v", one)
	}

	// Nothing found: still one document (empty), and exit 1 as in text.
	res = runCLI(t, cliOpts{}, "explain", "-o", "json", "zzz-nothing")
	var none explainJSON
	if err := json.Unmarshal([]byte(res.stdout), &none); err != nil || res.code != 1 || none.Findings == nil || len(none.Findings) != 0 {
		t.Errorf("exit %d, %v, %q", res.code, err, res.stdout)
	}
}

func TestManPageCoversTheCLI(t *testing.T) {
	res := runCLI(t, cliOpts{}, "man")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	page := res.stdout
	if !strings.HasPrefix(page, ".nh\n.TH c7doctor 1") {
		t.Errorf("not a section 1 roff page: %.60q", page)
	}
	for _, c := range (&app{}).cli().Commands {
		if !c.Hidden && !strings.Contains(page, "\n.SH "+c.Name+"\n") {
			t.Errorf("man page lacks command %s", c.Name)
		}
	}
	for _, want := range []string{"EXIT STATUS", "ENVIRONMENT", "NO_COLOR", "CLICOLOR_FORCE", `[$C7DOCTOR_API_PATH] (default: "context7")`, "--gateway", "--version"} {
		if !strings.Contains(strings.ReplaceAll(page, `\-`, "-"), want) {
			t.Errorf("man page lacks %q", want)
		}
	}
	if strings.Contains(page, "__complete") {
		t.Error("man page shows the hidden __complete command")
	}
}
