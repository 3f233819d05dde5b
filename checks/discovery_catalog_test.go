package checks

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// discoverySources are the files of checks 1–6.
var discoverySources = []string{
	"discovery.go", "discovery_json.go", "discovery_tenant.go", "challenge.go", "prm.go", "prm_parse.go",
	"as_metadata.go", "as_metadata_parse.go", "authorize_redirect.go", "token_proxy.go", "tenant_keys.go",
}

// discoveryLiterals returns every string literal of the discovery sources,
// and those passed first to a Find call.
func discoveryLiterals(t *testing.T) (all, found []string) {
	t.Helper()
	fset := token.NewFileSet()
	for _, name := range discoverySources {
		f, err := parser.ParseFile(fset, filepath.Join(".", name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING {
					all = append(all, s)
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Find" && len(n.Args) > 0 {
					if lit, ok := n.Args[0].(*ast.BasicLit); ok {
						s, _ := strconv.Unquote(lit.Value)
						found = append(found, s)
					}
				}
			}
			return true
		})
	}
	return all, found
}

func TestDiscoveryCatalog(t *testing.T) {
	all, found := discoveryLiterals(t)
	if len(found) < 40 {
		t.Fatalf("only %d Find calls seen: the parse missed them", len(found))
	}
	for _, id := range found {
		if _, ok := Catalog[id]; !ok {
			t.Errorf("Find(%q): not in the catalog", id)
		}
	}
	checkIDs := map[string]bool{}
	for _, c := range All {
		checkIDs[c.ID] = true
	}
	full := CommandData{Tenant: "t", GatewayAppID: "g", MCPAPIAppID: "m", ClientID: "c", Subscription: "s",
		ResourceGroup: "rg", APIMName: "a", Gateway: "https://h", Host: "h", APIPath: "p", MCPEndpoint: "https://h/p/mcp", AuthorityHost: "https://l"}
	empty := NewCommandData(&Config{})
	for _, e := range discoveryEntries {
		if !slices.Contains(all, e.ID) {
			t.Errorf("%s: no discovery check emits it", e.ID)
		}
		if !checkIDs[e.Check] {
			t.Errorf("%s: Check %q is not a check", e.ID, e.Check)
		}
		if e.Section != "" && !slices.Contains(GuideSections, e.Section) {
			t.Errorf("%s: section %q is not a guide heading", e.ID, e.Section)
		}
		if e.Title == "" || len(e.Fix) == 0 || e.Severity == "" {
			t.Errorf("%s: title, fix and severity are required", e.ID)
		}
		for _, d := range []CommandData{full, empty} {
			f := d.Finding(e.ID, "detail")
			for _, s := range append(f.Fix, f.Commands...) {
				if strings.Contains(s, "{{") || strings.Contains(s, "<no value>") {
					t.Errorf("%s: template not filled: %q", e.ID, s)
				}
			}
		}
	}
	// Commands name the run's own resources.
	f := full.Finding("www-authenticate-missing", "")
	if !strings.Contains(strings.Join(f.Commands, " "), "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/a/apis/context7-mcp/policies/policy") {
		t.Errorf("commands %q", f.Commands)
	}
	if !strings.Contains(strings.Join(f.Fix, " "), `Bearer resource_metadata="https://h/.well-known/oauth-protected-resource"`) {
		t.Errorf("fix %q", f.Fix)
	}
}
