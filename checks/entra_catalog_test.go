package checks

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Every entra finding is emitted by the entra checks, names a check and a
// guide heading, and has its commands filled whether or not ids are known.
func TestEntraCatalog(t *testing.T) {
	var literals []string
	fset := token.NewFileSet()
	for _, name := range []string{"entra.go", "entra_apps.go", "entra_consent.go", "entra_secret.go"} {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					literals = append(literals, s)
				}
			}
			return true
		})
	}
	checkIDs := map[string]bool{}
	for _, c := range All {
		checkIDs[c.ID] = true
	}
	full := CommandData{Tenant: "t", GatewayAppID: "g", MCPAPIAppID: "m", ClientID: "c", Subscription: "s", ResourceGroup: "rg",
		APIMName: "a", GraphEndpoint: "https://graph.test", GatewayObjectID: "go", MCPAPIObjectID: "mo", MCPAccessScopeID: "sid"}
	empty := NewCommandData(&Config{})
	for _, e := range entraEntries {
		if !slices.Contains(literals, e.ID) {
			t.Errorf("%s: no entra check emits it", e.ID)
		}
		if !checkIDs[e.Check] || !strings.HasPrefix(e.Check, "entra-") {
			t.Errorf("%s: Check %q is not an entra check", e.ID, e.Check)
		}
		if e.Section == "" {
			t.Errorf("%s: no guide section", e.ID)
		}
		checkEntryShape(t, e, full, empty)
	}
	f := full.Finding("entra-permission-missing", "")
	if !slices.Contains(f.Commands, "az ad app permission add --id g --api m --api-permissions sid=Scope") {
		t.Errorf("commands %q: want Graph's scope id filled in", f.Commands)
	}
}
