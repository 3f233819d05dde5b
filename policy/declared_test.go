package policy

import (
	"slices"
	"testing"
)

// An API the caller knows serves MCP is judged even when its policy holds
// nothing of the route: a live MCP API with APIM's default policy is open.
func TestDeclaredMCPAPIIsJudged(t *testing.T) {
	empty := File{Path: "apis/context7-mcp/policy.xml", Scope: ScopeAPI, API: "context7-mcp",
		Content: "<policies>\n  <inbound>\n    <base />\n  </inbound>\n  <backend>\n    <base />\n  </backend>\n  <outbound>\n    <base />\n  </outbound>\n  <on-error>\n    <base />\n  </on-error>\n</policies>\n"}
	global := File{Path: "policy.xml", Scope: ScopeGlobal, Content: "<policies>\n  <inbound>\n    <set-header name=\"X-Trace\" exists-action=\"override\"><value>1</value></set-header>\n  </inbound>\n</policies>\n"}
	want := []string{"token-validation-missing", "obo-missing", "rewrite-uri-missing", "challenge-header-missing"}
	res := Lint(Input{Files: []File{global, empty}, MCPAPIs: []string{"Context7-MCP"}})
	got := map[string]Finding{}
	for _, f := range res.Findings {
		got[f.Rule] = f
	}
	for _, id := range want {
		f, ok := got[id]
		switch {
		case !ok:
			t.Errorf("%s not reported: %+v", id, res.Findings)
		case f.Path != empty.Path:
			t.Errorf("%s cited %s, not the MCP API's own policy", id, f.Path)
		}
	}
	if res := Lint(Input{Files: []File{global, empty}}); slices.ContainsFunc(res.Findings, func(f Finding) bool { return slices.Contains(want, f.Rule) }) {
		t.Errorf("undeclared, the empty API was judged as the MCP route: %+v", res.Findings)
	}
}
