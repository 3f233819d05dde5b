package checks

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/policy"
)

// idShape is what a finding id (and a check id) looks like.
var idShape = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)+$`)

// idLiteral is a string literal with the shape of an id, and where it is.
type idLiteral struct {
	value, file string
	line        int
}

// sourceIDLiterals walks every Go file of the package but the tests and
// returns the literals shaped like ids: a finding id written anywhere, in
// a Find call, a table, a switch or an assignment, is among them.
func sourceIDLiterals(t *testing.T) []idLiteral {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []idLiteral
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, ok := stringLit(n); ok && idShape.MatchString(s) {
					out = append(out, idLiteral{s, name, fset.Position(n.Pos()).Line})
				}
			case *ast.CallExpr:
				// One-word ids ("deadline") are found where they are used.
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || len(n.Args) == 0 || !slices.Contains([]string{"Find", "Findf", "Finding", "add"}, sel.Sel.Name) {
					break
				}
				if lit, ok := n.Args[0].(*ast.BasicLit); ok {
					if s, ok := stringLit(lit); ok && !idShape.MatchString(s) {
						out = append(out, idLiteral{s, name, fset.Position(lit.Pos()).Line})
					}
				}
			}
			return true
		})
	}
	if len(out) < 200 {
		t.Fatalf("only %d id-shaped literals: the walk missed the sources", len(out))
	}
	return out
}

func stringLit(lit *ast.BasicLit) (string, bool) {
	if lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// catalogFile holds catalog entries rather than code that emits them.
func catalogFile(name string) bool {
	return strings.HasSuffix(name, "_catalog.go") || name == "catalog_entry.go"
}

// Every id-shaped literal in the checks' code is a catalog id, a check id
// or one of Context7's tool names: a finding id cannot drift from the catalog.
func TestEveryLiteralFindingIDIsCataloged(t *testing.T) {
	checkIDs := map[string]bool{}
	for _, c := range All {
		checkIDs[c.ID] = true
	}
	for _, l := range sourceIDLiterals(t) {
		if _, ok := Catalog()[l.value]; ok || checkIDs[l.value] || slices.Contains(context7Tools, l.value) || slices.Contains(guideNamedValues, l.value) || isPolicySetting(l.value) || l.value == FlowDeviceCode || l.value == guideMCPAPI || l.value == managedIdentityElement || auth.IsGUID(l.value) {
			continue
		}
		t.Errorf("%s:%d: %q is neither a catalog id nor a check id (a name of another kind belongs in this test's exceptions)", l.file, l.line, l.value)
	}
}

// isPolicySetting: a policy statement a cause names, like rewrite-uri.
func isPolicySetting(s string) bool {
	for _, t := range policyTopics {
		if t.setting == s {
			return true
		}
	}
	return false
}

// Every catalog entry is emitted by its own check: written in the code
// outside the catalogs, or reached through an Entra rule of that check.
func TestEveryCatalogEntryIsReachableFromItsCheck(t *testing.T) {
	checkIDs := map[string]bool{"any": true}
	for _, c := range All {
		checkIDs[c.ID] = true
	}
	inCode := map[string][]string{} // id -> files
	for _, l := range sourceIDLiterals(t) {
		if !catalogFile(l.file) {
			inCode[l.value] = append(inCode[l.value], l.file)
		}
	}
	byRule := map[string][]string{} // id -> checks of its rules
	for _, rule := range EntraRules {
		if _, ok := Catalog()[rule.Finding]; !ok {
			t.Errorf("EntraRule %s → %s: not in the catalog", rule.Check, rule.Finding)
		}
		if !checkIDs[rule.Check] {
			t.Errorf("EntraRule %s → %s: %s is not a check", rule.Check, rule.Finding, rule.Check)
		}
		byRule[rule.Finding] = append(byRule[rule.Finding], rule.Check)
	}
	for _, e := range Entries() {
		if e.PolicyRule {
			// Built from policy.Rules: the linter emits each (its fixtures
			// prove it) and apim-policies reports what the linter found.
			if _, ok := policy.RuleByID(e.ID); !ok || e.Check != "apim-policies" {
				t.Errorf("%s: a policy entry that is not a rule reported by apim-policies", e.ID)
			}
			continue
		}
		if !checkIDs[e.Check] {
			t.Errorf("%s: Check %q is not a check", e.ID, e.Check)
		}
		if len(inCode[e.ID]) == 0 && !slices.Contains(byRule[e.ID], e.Check) {
			t.Errorf("%s: no code emits it", e.ID)
		}
		// Where its id is written in a file named after a check, one of
		// them is its own (a consequence may be reported by a later check).
		var owners []string
		for _, file := range inCode[e.ID] {
			if owner := strings.ReplaceAll(strings.TrimSuffix(file, ".go"), "_", "-"); checkIDs[owner] {
				owners = append(owners, owner)
			}
		}
		if len(owners) == len(inCode[e.ID]) && len(owners) > 0 && e.Check != "any" && !slices.Contains(owners, e.Check) && !slices.Contains(byRule[e.ID], e.Check) {
			t.Errorf("%s belongs to %s but only %v emit it", e.ID, e.Check, owners)
		}
	}
}

// The AADSTS codes explain answers with are exactly those of the rules.
func TestCatalogCodesComeFromTheEntraRules(t *testing.T) {
	codes := entraCodes()
	for _, e := range Entries() {
		want := codes[e.ID]
		if len(e.AADSTS) != len(want) {
			t.Errorf("%s: AADSTS %v, but the Entra rules map %v to it: add a rule to EntraRules instead", e.ID, e.AADSTS, want)
		}
	}
	if got := Explain("AADSTS65001"); len(got) != 3 {
		t.Errorf("explain AADSTS65001: %d entries, want the two sign-in ones and obo-consent", len(got))
	}
}

// Each rule can win: no rule sits behind a catch-all or a rule that
// matches everything it does.
func TestEveryEntraRuleCanWin(t *testing.T) {
	for i, rule := range EntraRules {
		for _, c := range rule.Codes {
			cfg := &Config{}
			if rule.When != nil && !rule.When.Holds(cfg) {
				cfg.ClientID = "11111111-2222-3333-4444-555555555555"
				cfg.Flow = FlowBrowser
			}
			e := &auth.EntraError{Codes: []int{c}}
			if got := EntraFinding(rule.Check, e, cfg); got != rule.Finding {
				t.Errorf("rule %d (%s, AADSTS%d): decides %s, want %s", i, rule.Check, c, got, rule.Finding)
			}
		}
	}
	for _, tc := range []struct {
		client, want string
	}{{AzureCLIClientID, "token-consent-cli"}, {"", "token-consent-cli"}, {"11111111-2222-3333-4444-555555555555", "token-consent-client"}} {
		e := &auth.EntraError{Codes: []int{65001}}
		if got := EntraFinding("gateway-token", e, &Config{ClientID: tc.client}); got != tc.want {
			t.Errorf("AADSTS65001 with client %q: %s, want %s", tc.client, got, tc.want)
		}
	}
	if got := EntraFinding("token-proxy", &auth.EntraError{Codes: []int{9002313}}, &Config{}); got != "" {
		t.Errorf("token-proxy, an expected refusal: %q, want none", got)
	}
}
