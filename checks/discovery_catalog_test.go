package checks

import (
	"slices"
	"strings"
	"testing"
)

func TestDiscoveryCatalog(t *testing.T) {
	checkIDs := map[string]bool{}
	for _, c := range All {
		checkIDs[c.ID] = true
	}
	full := CommandData{Tenant: "t", GatewayAppID: "g", MCPAPIAppID: "m", ClientID: "c", Subscription: "s",
		ResourceGroup: "rg", APIMName: "a", Gateway: "https://h", Host: "h", APIPath: "p", MCPEndpoint: "https://h/p/mcp", AuthorityHost: "https://l"}
	empty := NewCommandData(&Config{})
	for _, e := range discoveryEntries {
		if !checkIDs[e.Check] {
			t.Errorf("%s: Check %q is not a check", e.ID, e.Check)
		}
		checkEntryShape(t, e, full, empty)
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

// checkEntryShape holds a catalog entry to what every finding needs: a title,
// a fix and a severity, a section (when it has one) that is a guide heading,
// and fix and command templates that fill with a full and an empty run.
func checkEntryShape(t *testing.T, e Entry, full, empty CommandData) {
	t.Helper()
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
