package checks

import (
	"regexp"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/auth"
)

var (
	bodyFile = regexp.MustCompile(`--body @([^\s;]+)`)
	// Placeholders for what a run knows (or one command finds); a value no
	// run can know, like a CI identity's app id, may stay a placeholder.
	idPlaceholder = regexp.MustCompile(`<(tenant-id|gateway-app-id|mcp-api-app-id|subscription-id|resource-group|apim-name|apim-host|mcp\.access-scope-id|[a-z-]*secret[a-z-]*)>`)
)

// realIDs is a full set of ids as a real run knows them.
var realIDs = CommandData{Tenant: "7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70", GatewayAppID: "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83",
	MCPAPIAppID: "b8e4d2a6-1c7f-4e3b-9a5d-6f0c2e8b4d19", ClientID: AzureCLIClientID, Subscription: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
	ResourceGroup: "rg-context7-mcp", APIMName: "apim-context7-1a2b3c", Gateway: "https://apim-context7-1a2b3c.azure-api.net",
	Host: "apim-context7-1a2b3c.azure-api.net", APIPath: "context7", MCPEndpoint: "https://apim-context7-1a2b3c.azure-api.net/context7/mcp",
	AuthorityHost: "https://login.microsoftonline.com"}

// Every command the catalog renders with a run's full set of ids pastes as
// it is: no placeholder for a value the run knew or one command can find, a
// policy PUT's body file written by the command itself, and no secret value
// typed on a command line.
func TestFixCommandsPaste(t *testing.T) {
	full := realIDs
	for _, e := range Entries() {
		f := full.Finding(e.ID, "")
		for i, cmd := range f.Commands {
			if m := idPlaceholder.FindString(cmd); m != "" {
				t.Errorf("%s: %s left in %q", e.ID, m, cmd)
			}
			if strings.Contains(cmd, "/tmp/") {
				t.Errorf("%s: %q uses a shared /tmp file", e.ID, cmd)
			}
			if strings.Contains(cmd, "--value <") || strings.Contains(cmd, "--value '") {
				t.Errorf("%s: a secret typed on the command line: %q", e.ID, cmd)
			}
			if m := bodyFile.FindStringSubmatch(cmd); m != nil {
				written := false
				for _, before := range f.Commands[:i+1] {
					if strings.Contains(before, "> "+m[1]) {
						written = true
					}
				}
				if !written {
					t.Errorf("%s: %q sends %s, which no command of the finding writes", e.ID, cmd, m[1])
				}
			}
		}
	}
}

// No command targets a Microsoft first-party app: the tenant cannot change it.
func TestNoCommandForFirstPartyApps(t *testing.T) {
	for _, client := range firstPartyApps {
		env := testEnv(t)
		env.Config.ClientID = client
		env.Config.GatewayAppID = "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"
		r := &Result{env: env}
		findEntra(env, r, &auth.EntraError{Error: "invalid_client", Codes: []int{7000218}, Description: "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}, "device code")
		for _, f := range r.findings {
			for _, cmd := range f.Commands {
				if strings.Contains(cmd, client) {
					t.Errorf("%s: %q targets Microsoft's app %s", f.ID, cmd, client)
				}
			}
		}
	}
}

// AADSTS7000218 in the OBO exchange is a missing secret, not a wrong one.
func TestOBOMissingSecretIsItsOwnFinding(t *testing.T) {
	e := &auth.EntraError{Error: "invalid_client", Codes: []int{7000218}}
	if got := EntraFinding("obo", e, &Config{}); got != "obo-secret-missing" {
		t.Errorf("AADSTS7000218 in obo → %s", got)
	}
	e.Codes = []int{7000215}
	if got := EntraFinding("obo", e, &Config{}); got != "obo-bad-secret" {
		t.Errorf("AADSTS7000215 in obo → %s", got)
	}
	if Catalog()["obo-bad-secret"].Section != SecGatewayApp || Catalog()["obo-secret-missing"].Section != SecNamedValues {
		t.Error("secret findings point at the wrong guide sections")
	}
}

// The streaming fix reaches both levels: an API-level diagnostic overrides
// the service's, so zeroing only the service's leaves the stream cut.
func TestSSETruncatedZeroesBothLevels(t *testing.T) {
	d := CommandData{Subscription: "s", ResourceGroup: "rg", APIMName: "a"}
	f := d.Finding("sse-truncated", "")
	service := "/providers/Microsoft.ApiManagement/service/a/diagnostics?"
	api := "/providers/Microsoft.ApiManagement/service/a/apis/context7-mcp/diagnostics?"
	var sawService, sawAPI bool
	for _, cmd := range f.Commands {
		if !strings.Contains(cmd, ".properties.frontend.response.body.bytes = 0") || !strings.Contains(cmd, ".properties.backend.response.body.bytes = 0") {
			t.Errorf("command does not zero both response bodies: %q", cmd)
		}
		sawService = sawService || strings.Contains(cmd, service)
		sawAPI = sawAPI || strings.Contains(cmd, api)
	}
	if !sawService || !sawAPI {
		t.Errorf("service level %v, API level %v: %q", sawService, sawAPI, f.Commands)
	}
}
