package checks

import (
	"slices"
	"testing"
)

// The hosted Context7 accepts only login.microsoftonline.com issuers; a
// stand-in validates its own tenant's, so only the hosted one draws the warning.
func TestOBOIssuerHostWarnsOnlyForHostedContext7(t *testing.T) {
	for upstream, want := range map[string]bool{
		"https://mcp.context7.com/mcp/oauth": true,
		"":                                   false, // the lab's own stand-in (set below)
	} {
		lr := runLab(t, Selection{Only: []string{"obo-claims"}}, func(c *Config) {
			if upstream != "" {
				c.Upstream = upstream
			}
		})
		got := slices.Contains(findingIDs(lr.Report, "obo-claims"), "obo-issuer-host")
		if got != want {
			t.Errorf("upstream %q: obo-issuer-host %v, want %v (findings %v)", upstream, got, want, findingIDs(lr.Report, "obo-claims"))
		}
	}
}
