package checks

import (
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/azure"
)

func TestJudgeFederated(t *testing.T) {
	cfg := &Config{Tenant: "contoso.onmicrosoft.com", GatewayAppID: "gw-app", ResourceGroup: "rg", APIMName: "apim"}
	const tid, principal = "11111111-2222-3333-4444-555555555555", "66666666-7777-8888-9999-000000000000"
	issuer := "https://login.microsoftonline.com/" + tid + "/v2.0"
	on := azure.ServiceIdentity{Type: "SystemAssigned", PrincipalID: principal, TenantID: tid}
	trusted := azure.FederatedCredential{Name: "apim", Issuer: issuer, Subject: principal, Audiences: []string{tokenExchangeAudience}}
	with := func(fc ...azure.FederatedCredential) *azure.Apps {
		return &azure.Apps{Gateway: &azure.Application{}, GatewayFederated: fc}
	}
	tests := []struct {
		name string
		id   azure.ServiceIdentity
		apps *azure.Apps
		says []string // empty: no cause
	}{
		{"trusted", on, with(trusted), nil},
		{"trusted among others", on, with(azure.FederatedCredential{Name: "github", Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:x"}, trusted), nil},
		{"issuer with a trailing slash", on, with(azure.FederatedCredential{Issuer: issuer + "/", Subject: strings.ToUpper(principal), Audiences: []string{tokenExchangeAudience}}), nil},
		{"identity off", azure.ServiceIdentity{Type: "None"}, nil, []string{"managed identity is off (identity type None)"}},
		{"no identity at all", azure.ServiceIdentity{}, nil, []string{"identity type none"}},
		{"no credential", on, with(), []string{"no federated credential at all", "subject " + principal, issuer}},
		{"another subject", on, with(azure.FederatedCredential{Name: "old-apim", Issuer: issuer, Subject: "someone-else", Audiences: []string{tokenExchangeAudience}}), []string{"nearest it holds: old-apim", "subject someone-else"}},
		{"another audience", on, with(azure.FederatedCredential{Name: "apim", Issuer: issuer, Subject: principal, Audiences: []string{"api://something"}}), []string{"audiences api://something"}},
		{"the v1 issuer", on, with(azure.FederatedCredential{Name: "apim", Issuer: "https://sts.windows.net/" + tid + "/", Subject: principal, Audiences: []string{tokenExchangeAudience}}), []string{"issuer https://sts.windows.net/"}},
		{"unrelated only", on, with(azure.FederatedCredential{Name: "github", Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:x"}), []string{"none of its 1 federated credentials"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := judgeFederated(cfg, tt.id, tt.apps)
			if len(tt.says) == 0 {
				if c.found() {
					t.Fatalf("a cause where there is none: %s", c.Sentence)
				}
				return
			}
			if len(c.Keys) != 1 || c.Keys[0] != federatedKey {
				t.Fatalf("keys %q", c.Keys)
			}
			for _, s := range append(tt.says, "ARM shows the cause", federatedKey) {
				if !strings.Contains(c.Sentence, s) {
					t.Errorf("the sentence lacks %q: %s", s, c.Sentence)
				}
			}
			if !strings.Contains(strings.Join(c.Commands, "\n"), "federated-credential create --id gw-app") {
				t.Errorf("commands %q", c.Commands)
			}
			for _, cmd := range c.Commands {
				assertAzCommand(t, cmd)
			}
		})
	}
}

func TestUsesManagedIdentityExchange(t *testing.T) {
	doc := func(scope azure.PolicyScope, api, xml string) *azure.APIM {
		return &azure.APIM{Policies: azure.Policies{Docs: []azure.PolicyDoc{{Scope: scope, API: api, XML: xml}}}}
	}
	mi := `<policies><inbound><base /><choose><when condition="true"><authentication-managed-identity resource="api://AzureADTokenExchange" output-token-variable-name="a" /></when></choose></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`
	other := strings.Replace(mi, "api://AzureADTokenExchange", "https://vault.azure.net", 1)
	for name, tt := range map[string]struct {
		snap *azure.APIM
		want bool
	}{
		"the MCP API's policy":      {doc(azure.PolicyAPI, "context7-mcp", mi), true},
		"an operation of it":        {doc(azure.PolicyOperation, "context7-mcp", mi), true},
		"another API":               {doc(azure.PolicyAPI, "oauth-proxy", mi), false},
		"another resource":          {doc(azure.PolicyAPI, "context7-mcp", other), false},
		"the guide's secret policy": {doc(azure.PolicyAPI, "context7-mcp", `<policies><inbound><base /></inbound></policies>`), false},
		"not XML":                   {doc(azure.PolicyAPI, "context7-mcp", `<policies><inbound>`), false},
	} {
		if got := usesManagedIdentityExchange(tt.snap, "context7-mcp"); got != tt.want {
			t.Errorf("%s: %v, want %v", name, got, tt.want)
		}
	}
}
