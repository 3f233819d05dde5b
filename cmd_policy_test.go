package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/policy"
)

// The guide's policies, filled in, lint with exactly the documented
// warnings and no error.
func TestPolicyLintGuideGolden(t *testing.T) {
	for _, tc := range []struct{ output, golden string }{
		{"text", "policy-lint-guide.golden"},
		{"json", "policy-lint-guide-json.golden"},
		{"sarif", "policy-lint-guide-sarif.golden"},
	} {
		t.Run(tc.output, func(t *testing.T) {
			res := runCLI(t, cliOpts{}, "policy", "lint", "-o", tc.output, "testdata/policy/guide")
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			golden(t, tc.golden, res.stdout)
		})
	}
	rep := lintJSON(t, "testdata/policy/guide")
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Rule)
	}
	want := []string{ // the guide's policies, line by line
		"token-validation-scp-separator", "secret-in-variable", "bearer-case-sensitive", "bearer-case-sensitive",
		"obo-response-unchecked", "cache-key-empty", "cache-key-tenant", "cache-unconditional",
		"challenge-upstream-passed", "base-missing", "base-missing", "authorize-resource-forwarded", "base-missing",
	}
	if !slices.Equal(got, want) {
		t.Errorf("guide findings\n got %q\nwant %q", got, want)
	}
	if rep.Summary.Error != 0 || rep.ExitCode != 0 {
		t.Errorf("the guide's policies have errors: %+v", rep.Summary)
	}
	if res := runCLI(t, cliOpts{}, "policy", "lint", "--strict", "testdata/policy/guide"); res.code != 1 {
		t.Errorf("--strict on warnings: exit %d, want 1", res.code)
	}
}

// The guide with c7doctor's fixes is clean, even under --strict.
func TestPolicyLintRecommendedIsClean(t *testing.T) {
	res := runCLI(t, cliOpts{}, "policy", "lint", "--strict", "testdata/policy/recommended")
	if res.code != 0 || !strings.Contains(res.stdout, "5 documents: 0 errors, 0 warnings, 0 info") {
		t.Fatalf("exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	rep := lintJSON(t, "testdata/policy/recommended")
	formats := map[string]policy.Format{}
	for _, f := range rep.Files {
		formats[f.Operation+f.API] = f.Format
	}
	if formats["context7-mcp"] != policy.FormatRawXML || formats["authorizeoauth-proxy"] != policy.FormatXML || formats["tokenoauth-proxy"] != policy.FormatXML {
		t.Errorf("formats %v: the MCP API policy is rawxml, the operations xml", formats)
	}
}

func lintJSON(t *testing.T, args ...string) policy.JSONReport {
	t.Helper()
	res := runCLI(t, cliOpts{}, append([]string{"policy", "lint", "-o", "json"}, args...)...)
	var rep policy.JSONReport
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s%s", res.code, err, res.stdout, res.stderr)
	}
	if rep.ExitCode != res.code {
		t.Errorf("exit_code %d, process exit %d", rep.ExitCode, res.code)
	}
	return rep
}

// Every rule has a fixture that trips it and one that does not, each a
// small change to the guide or to the recommended tree.
func TestPolicyRuleFixtures(t *testing.T) {
	for _, r := range policy.Rules {
		t.Run(r.ID, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "policy", "rules", r.ID+".txtar"))
			if err != nil {
				t.Fatalf("every rule needs a fixture: %v", err)
			}
			fx := parseFixture(t, string(data))
			for _, side := range []string{"trip", "pass"} {
				dir := fx.build(t, side)
				rep := lintJSON(t, dir)
				var hits []policy.JSONFinding
				for _, f := range rep.Findings {
					if f.Rule == r.ID {
						hits = append(hits, f)
					}
				}
				switch {
				case side == "trip" && len(hits) == 0:
					t.Errorf("trip: %s not reported; got %v", r.ID, rules(rep))
				case side == "pass" && len(hits) > 0:
					t.Errorf("pass: %s reported: %s", r.ID, hits[0].Message)
				}
				for _, h := range hits {
					if h.Severity != r.Severity || h.Pos.Line < 1 || h.Pos.Col < 1 || h.Guide == nil {
						t.Errorf("finding %+v", h)
					}
				}
			}
		})
	}
}

func rules(rep policy.JSONReport) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Rule)
	}
	return out
}

// fixture is a rule's txtar: per side ("trip", "pass") a base tree
// (recommended unless "-- side base guide --") and edits to it:
// "-- side edit PATH --" (old, a line "==>", new; every occurrence),
// "-- side file PATH --" (the whole file), "-- side delete PATH --".
type fixture struct {
	ops []fixtureOp
}

type fixtureOp struct {
	side, verb, path, body string
}

func parseFixture(t *testing.T, s string) fixture {
	var fx fixture
	var cur *fixtureOp
	for _, line := range strings.SplitAfter(s, "\n") {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(strings.TrimSpace(line), " --") {
			head := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "-- "), " --"))
			if len(head) < 3 {
				t.Fatalf("bad fixture header %q", line)
			}
			fx.ops = append(fx.ops, fixtureOp{side: head[0], verb: head[1], path: strings.Join(head[2:], " ")})
			cur = &fx.ops[len(fx.ops)-1]
			continue
		}
		if cur != nil {
			cur.body += line
		}
	}
	return fx
}

func (fx fixture) build(t *testing.T, side string) string {
	base := "recommended"
	for _, op := range fx.ops {
		if op.side == side && op.verb == "base" {
			base = op.path
		}
	}
	dir := filepath.Join(t.TempDir(), side)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "policy", base))); err != nil {
		t.Fatal(err)
	}
	for _, op := range fx.ops {
		if op.side != side {
			continue
		}
		path := filepath.Join(dir, filepath.FromSlash(op.path))
		switch op.verb {
		case "base":
		case "delete":
			if err := os.RemoveAll(path); err != nil {
				t.Fatal(err)
			}
		case "file":
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, []byte(op.body), 0o644); err != nil {
				t.Fatal(err)
			}
		case "edit":
			old, repl, ok := strings.Cut(op.body, "\n==>\n")
			if !ok {
				t.Fatalf("%s edit %s: no ==> line", side, op.path)
			}
			repl = strings.TrimSuffix(repl, "\n")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte(old)) {
				t.Fatalf("%s edit %s: %q not found: the fixture is stale", side, op.path, old)
			}
			if err := os.WriteFile(path, bytes.ReplaceAll(data, []byte(old), []byte(repl)), 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("unknown fixture verb %q", op.verb)
		}
	}
	return dir
}

// The SARIF output validates against the SARIF 2.1.0 schema, and each
// result sits at the line of the finding.
func TestPolicyLintSARIFSchema(t *testing.T) {
	schema := compileSchema(t, "sarif-schema-2.1.0.json")
	for _, dir := range []string{"testdata/policy/guide", "testdata/policy/recommended"} {
		validateOutput(t, schema, "sarif", dir)
	}
	// A document the schema must refuse, so the check above can fail.
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"version": "2.1.0", "runs": [{"results": []}]}`))
	if schema.Validate(bad) == nil {
		t.Error("the schema accepted a run without a tool")
	}
}

// The JSON output follows testdata/policy-lint.schema.json.
func TestPolicyLintJSONSchema(t *testing.T) {
	schema := compileSchema(t, "policy-lint.schema.json")
	for _, dir := range []string{"testdata/policy/guide", "testdata/policy/recommended", "testdata/policy/guide/apis/context7-mcp/policy.xml"} {
		validateOutput(t, schema, "json", dir)
	}
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"schema_version": 1, "tool": {"name": "c7doctor", "version": ""}, "exit_code": 0,
		"summary": {"documents": 1, "error": 0, "warning": 0, "info": 0}, "files": [], "findings": [{"rule": "x"}]}`))
	if schema.Validate(bad) == nil {
		t.Error("the schema accepted a finding without a position")
	}
}

func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(name)
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

func validateOutput(t *testing.T, schema *jsonschema.Schema, output, path string) {
	t.Helper()
	res := runCLI(t, cliOpts{}, "policy", "lint", "-o", output, path)
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(res.stdout))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("%s -o %s does not validate: %v", path, output, err)
	}
}

func TestPolicyLintUnreadableInput(t *testing.T) {
	empty := t.TempDir()
	for name, args := range map[string][]string{
		"missing path": {"policy", "lint", filepath.Join(empty, "nope.xml")},
		"no documents": {"policy", "lint", empty},
		"no arguments": {"policy", "lint"},
		"bad output":   {"policy", "lint", "-o", "yaml", "testdata/policy/guide"},
		"bad format":   {"policy", "lint", "--format", "json", "testdata/policy/guide"},
		"bad scope":    {"policy", "lint", "--scope", "tenant", "testdata/policy/guide"},
		"named values": {"policy", "lint", "--named-values", filepath.Join(empty, "nv.json"), "testdata/policy/guide"},
	} {
		if res := runCLI(t, cliOpts{}, args...); res.code != 2 || res.stderr == "" {
			t.Errorf("%s: exit %d, stderr %q; want 2 and a message", name, res.code, res.stderr)
		}
	}
}

// --named-values resolves references of a lone file; without any source an
// unknown reference is info, never an error.
func TestPolicyLintNamedValues(t *testing.T) {
	file := "testdata/policy/guide/apis/context7-mcp/policy.xml"
	rep := lintJSON(t, file)
	if !slices.Contains(rules(rep), "named-value-unresolved") || rep.Summary.Error != 0 {
		t.Errorf("a lone file: %v", rules(rep))
	}
	nv := filepath.Join(t.TempDir(), "nv.json")
	os.WriteFile(nv, []byte(`[{"name": "entra-tenant-id", "displayName": "entra-tenant-id", "value": "contoso.onmicrosoft.com"},
		{"name": "apim-gateway-app-id", "displayName": "apim-gateway-app-id", "value": "3f9d2c41-8e6b-4a57-b1c0-9d8e7f6a5b43"}]`), 0o600)
	rep = lintJSON(t, "--named-values", nv, file)
	var missing []string
	for _, f := range rep.Findings {
		if f.Rule == "named-value-missing" {
			missing = append(missing, f.Message)
		}
	}
	if len(missing) != 2 || !strings.Contains(strings.Join(missing, "\n"), "{{mcp-api-app-id}}") {
		t.Errorf("missing named values: %q", missing)
	}
	// The guide's secret named value is known to be secret from the tree.
	rep = lintJSON(t, "--named-values", "testdata/policy/guide/named values", file)
	if rep.Summary.Error != 0 || !slices.Contains(rules(rep), "secret-in-variable") {
		t.Errorf("with the tree's named values: %v", rules(rep))
	}
}

// --scope and --format override the layout and the detection.
func TestPolicyLintOverrides(t *testing.T) {
	file := "testdata/policy/recommended/apis/context7-mcp/policy.xml"
	rep := lintJSON(t, "--format", "xml", file)
	if !slices.Contains(rules(rep), "expression-attribute-escaping") && !slices.Contains(rules(rep), "xml-not-well-formed") {
		t.Errorf("rawxml read as xml: %v", rules(rep))
	}
	prm := "testdata/policy/guide/apis/oauth-proxy/operations/prm-metadata/policy.xml"
	if rep := lintJSON(t, prm); !slices.Contains(rules(rep), "base-missing") {
		t.Errorf("operation scope from the layout: %v", rules(rep))
	}
	if rep := lintJSON(t, "--scope", "global", prm); slices.Contains(rules(rep), "base-missing") {
		t.Errorf("--scope global: %v", rules(rep))
	}
}

func TestExplainKnowsEveryPolicyRule(t *testing.T) {
	for _, r := range policy.Rules {
		res := runCLI(t, cliOpts{}, "explain", r.ID)
		if res.code != 0 || !strings.Contains(res.stdout, r.Title) || !strings.Contains(res.stdout, "reported by: apim-policies (run), "+checks.PolicyLint) {
			t.Errorf("explain %s: exit %d\n%s", r.ID, res.code, res.stdout)
		}
		if len(r.Fix) > 0 && !strings.Contains(res.stdout, strings.SplitN(r.Fix[0], "{{", 2)[0]) {
			t.Errorf("explain %s does not show the fix", r.ID)
		}
	}
}

// The README's rules table lists every rule with its severity and section.
func TestREADMEListsEveryPolicyRule(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range policy.Rules {
		row := "| `" + r.ID + "` | " + string(r.Severity) + " | "
		i := strings.Index(string(readme), row)
		if i < 0 {
			t.Errorf("README: no row %q", row)
			continue
		}
		line, _, _ := strings.Cut(string(readme[i:]), "\n")
		if !strings.HasSuffix(line, "| "+r.Section+" |") {
			t.Errorf("README: %s row does not end with its section %q", r.ID, r.Section)
		}
	}
}

// A product's policy applies to the APIs its apis.json lists: its rewrite
// and the API's make two for the MCP route; unlisted, it does not apply.
func TestPolicyLintComposesProducts(t *testing.T) {
	product := "<policies>\n  <inbound>\n    <base />\n    <rewrite-uri template=\"/mcp/oauth\" />\n  </inbound>\n</policies>\n"
	for apis, want := range map[string]bool{`[{"name": "context7-mcp"}]`: true, `[{"name": "oauth-proxy"}]`: false} {
		fx := fixture{ops: []fixtureOp{
			{side: "trip", verb: "file", path: "products/starter/policy.xml", body: product},
			{side: "trip", verb: "file", path: "products/starter/apis.json", body: apis},
		}}
		rep := lintJSON(t, fx.build(t, "trip"))
		if got := slices.Contains(rules(rep), "rewrite-uri-duplicate"); got != want {
			t.Errorf("product for %s: rewrite-uri-duplicate %v, want %v (%v)", apis, got, want, rules(rep))
		}
	}
}
