package checks

import "github.com/c7doctor/c7doctor/report"

// Microsoft Graph's app and permission ids, for the commands that grant a
// CI identity read access to app registrations.
const (
	graphAppID                = "00000003-0000-0000-c000-000000000000"
	applicationReadAllRoleID  = "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"
	applicationReadAllScopeID = "c79f8feb-a9db-4090-85f9-90d820caa0eb"
)

const (
	// The secret's value is never typed: it goes from the command that makes
	// it (or a silent prompt) into a variable, so no shell history keeps it.
	cmdSecretReset  = "SECRET=$(az ad app credential reset --id {{.GatewayAppID}} --append --display-name apim-obo --query password -o tsv)"
	cmdSecretPrompt = "read -rsp 'Value of the new client secret: ' SECRET; echo"
	cmdNamedValue   = `az apim nv update -g {{.ResourceGroup}} --service-name {{.APIMName}} --named-value-id apim-gateway-client-secret --value "$SECRET" --secret true`
)

// entraEntries are the findings of the entra-* checks, which read the app
// registrations, service principals and consent from Microsoft Graph.
var entraEntries = []Entry{
	{
		ID: "entra-forbidden", Title: "No read access to the app registrations in Microsoft Graph", Severity: report.Info,
		Section: SecPart2, Check: "entra-gateway-app",
		Fix: []string{
			"The Entra checks need to read applications and service principals: Application.Read.All or Directory.Read.All for a service principal (CI), or a user in a directory that lets users read applications (the default), or the Directory Readers role.",
			"Without it they are skipped; add --require entra-gateway-app to make that an incomplete run (exit 3).",
		},
		Commands: []string{
			"az ad app permission add --id <ci-app-id> --api " + graphAppID + " --api-permissions " + applicationReadAllRoleID + "=Role",
			"az ad app permission admin-consent --id <ci-app-id>",
		},
	},
	{
		ID: "entra-no-credential", Title: "No Azure sign-in to read Microsoft Graph with", Severity: report.Info,
		Section: SecPart2, Check: "entra-gateway-app",
		Fix: []string{
			"Sign in with the Azure CLI (az login --tenant {{.Tenant}}), or set a service principal in AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET; AZURE_TOKEN_CREDENTIALS picks one credential by name.",
		},
		Commands: []string{"az login --tenant {{.Tenant}}"},
	},
	{
		ID: "entra-graph-unreadable", Title: "Microsoft Graph did not answer with the app registrations", Severity: report.Warning,
		Section: SecPart2, Check: "entra-gateway-app",
		Fix: []string{
			"Run again with -v to see Graph's answer; throttling (429) and outages pass, a proxy answering in Graph's place does not.",
		},
	},
	{
		ID: "entra-app-missing", Title: "The app id names no application in this tenant", Severity: report.Error,
		Section: SecPart2, Check: "entra-gateway-app",
		Fix: []string{"Use the Application (client) ID shown on the app's Overview page in tenant {{.Tenant}}."},
		Commands: []string{
			"az ad app list --display-name 'Context7' --query '[].{name:displayName,appId:appId}' -o table",
		},
	},
	{
		ID: "entra-gateway-token-v1", Title: "The APIM Gateway app issues v1 tokens (api.requestedAccessTokenVersion)", Severity: report.Error,
		Section: SecGatewayApp, Check: "entra-gateway-app",
		Fix:      []string{"Set requestedAccessTokenVersion to 2 in the APIM Gateway app's manifest (Part 2 Step 2, item 6); tokens issued before keep their v1 issuer until they expire."},
		Commands: []string{"az ad app update --id {{.GatewayAppID}} --set api.requestedAccessTokenVersion=2"},
	},
	{
		ID: "entra-mcp-api-token-v1", Title: "The Context7 MCP API app issues v1 tokens (api.requestedAccessTokenVersion)", Severity: report.Error,
		Section: SecMCPAPIApp, Check: "entra-mcp-api-app",
		Fix:      []string{"Set requestedAccessTokenVersion to 2 in the Context7 MCP API app's manifest (Part 2 Step 1, item 5): Context7 accepts only v2 issuers."},
		Commands: []string{"az ad app update --id {{.MCPAPIAppID}} --set api.requestedAccessTokenVersion=2"},
	},
	{
		ID: "entra-gateway-identifier-uri", Title: "The APIM Gateway app lacks its Application ID URI (identifierUris)", Severity: report.Error,
		Section: SecGatewayApp, Check: "entra-gateway-app",
		Fix:      []string{"Expose an API → Application ID URI → accept the default api://{{.GatewayAppID}} (Part 2 Step 2, item 4)."},
		Commands: []string{"az ad app update --id {{.GatewayAppID}} --identifier-uris api://{{.GatewayAppID}}"},
	},
	{
		ID: "entra-mcp-api-identifier-uri", Title: "The Context7 MCP API app lacks its Application ID URI (identifierUris)", Severity: report.Error,
		Section: SecMCPAPIApp, Check: "entra-mcp-api-app",
		Fix:      []string{"Expose an API → Application ID URI → accept the default api://{{.MCPAPIAppID}} (Part 2 Step 1, item 3)."},
		Commands: []string{"az ad app update --id {{.MCPAPIAppID}} --identifier-uris api://{{.MCPAPIAppID}}"},
	},
	{
		ID: "entra-gateway-federated-credential", Title: "The APIM Gateway app does not trust APIM's managed identity (federated credential)", Severity: report.Error,
		Section: SecOBOPolicy, Check: "entra-gateway-app",
		Fix: []string{
			"c7doctor's MCP policy presents a token of APIM's system-assigned managed identity (audience api://AzureADTokenExchange) as the Gateway app's client credential. The Gateway app needs a federated identity credential with issuer {{.AuthorityHost}}/<tenant-id>/v2.0, subject the identity's principal id, and audience api://AzureADTokenExchange; the identity must be on.",
		},
	},
	{
		ID: "entra-gateway-scope", Title: "The APIM Gateway app does not expose an enabled Mcp.Gateway.Access scope", Severity: report.Error,
		Section: SecGatewayApp, Check: "entra-gateway-app",
		Fix: []string{"Expose an API → Add a scope: Mcp.Gateway.Access, admins and users, state Enabled (Part 2 Step 2, item 5)."},
		Commands: []string{
			"az ad app show --id {{.GatewayAppID}} --query 'api.oauth2PermissionScopes[].{value:value,enabled:isEnabled,id:id}'",
		},
	},
	{
		ID: "entra-mcp-api-scope", Title: "The Context7 MCP API app does not expose an enabled mcp.access scope", Severity: report.Error,
		Section: SecMCPAPIApp, Check: "entra-mcp-api-app",
		Fix: []string{"Expose an API → Add a scope: mcp.access, admins and users, state Enabled (Part 2 Step 1, item 4)."},
		Commands: []string{
			"az ad app show --id {{.MCPAPIAppID}} --query 'api.oauth2PermissionScopes[].{value:value,enabled:isEnabled,id:id}'",
		},
	},
	{
		ID: "entra-client-not-preauthorized", Title: "The client c7doctor signs in with is not an authorized client of the Gateway app", Severity: report.Error,
		Section: SecAuthorizeCLI, Check: "entra-gateway-app",
		Fix: []string{
			"APIM Gateway app → Expose an API → Authorized client applications → add {{.ClientID}} with the Mcp.Gateway.Access scope ticked (Part 6 Step 1). The command below keeps the clients already there: Graph replaces the whole list.",
		},
	},
	{
		ID: "entra-mcp-client-not-preauthorized", Title: "An expected MCP client is not an authorized client of the Gateway app", Severity: report.Warning,
		Section: SecPermChain, Check: "entra-gateway-app",
		Fix: []string{
			"APIM Gateway app → Expose an API → Authorized client applications → add the client (VS Code: aebc6443-996d-45c2-90f0-388ff96faa56) with the Mcp.Gateway.Access scope ticked (Part 2 Step 3). Not needed for VS Code if its users paste the Gateway app's own id (Part 7). The command below keeps the clients already there.",
		},
	},
	{
		ID: "entra-gateway-not-preauthorized", Title: "The MCP API app does not pre-authorize the Gateway app", Severity: report.Warning,
		Section: SecPermChain, Check: "entra-mcp-api-app",
		Fix: []string{
			"Context7 MCP API app → Expose an API → Authorized client applications → add the APIM Gateway app ({{.GatewayAppID}}) with mcp.access ticked (Part 2 Step 3).",
		},
	},
	{
		ID: "entra-redirect-web-platform", Title: "VS Code's redirect URIs are on the web platform", Severity: report.Warning,
		Section: SecPart7, Check: "entra-gateway-app",
		Fix: []string{
			"APIM Gateway app → Authentication: remove http://127.0.0.1:33418 and https://vscode.dev/redirect from Web and add them under Mobile and desktop applications, so VS Code can redeem its code with PKCE and no secret.",
		},
		Commands: []string{
			"az ad app update --id {{.GatewayAppID}} --web-redirect-uris --public-client-redirect-uris http://127.0.0.1:33418 https://vscode.dev/redirect",
		},
	},
	{
		ID: "entra-redirect-missing", Title: "VS Code's redirect URIs are not registered on the Gateway app", Severity: report.Info,
		Section: SecPart7, Check: "entra-gateway-app",
		Fix: []string{
			"If VS Code users paste the Gateway app's id (Part 7), register VS Code's redirect URIs on the Mobile and desktop applications platform.",
		},
		Commands: []string{
			"az ad app update --id {{.GatewayAppID}} --public-client-redirect-uris http://127.0.0.1:33418 https://vscode.dev/redirect",
		},
	},
	{
		ID: "entra-sign-in-audience", Title: "The app is not single tenant (signInAudience)", Severity: report.Warning,
		Section: SecPart2, Check: "entra-gateway-app",
		Fix: []string{"The guide registers both apps as single tenant: Authentication → Supported account types → this organizational directory only."},
	},
	{
		ID: "entra-no-service-principal", Title: "An app has no service principal in the tenant", Severity: report.Error,
		Section: SecPart2, Check: "entra-consent",
		Fix: []string{
			"Create the service principal (the portal does so when an app is registered in the tenant; a registration made by API or in another tenant has none). Then grant admin consent again (Part 2 Step 3).",
		},
	},
	{
		ID: "entra-permission-missing", Title: "The Gateway app's API permissions lack the MCP API's mcp.access", Severity: report.Error,
		Section: SecPermChain, Check: "entra-consent",
		Fix: []string{"APIM Gateway app → API permissions → Add a permission → My APIs → Context7 MCP API → Delegated → mcp.access, then Grant admin consent (Part 2 Step 3)."},
		Commands: []string{
			"az ad app permission add --id {{.GatewayAppID}} --api {{.MCPAPIAppID}} --api-permissions {{.MCPAccessScopeID}}=Scope",
			"az ad app permission admin-consent --id {{.GatewayAppID}}",
		},
	},
	{
		ID: "entra-no-admin-consent", Title: "mcp.access is not admin-consented for the Gateway app", Severity: report.Error,
		Section: SecPermChain, Check: "entra-consent",
		Fix:      []string{"APIM Gateway app → API permissions → Grant admin consent for the tenant (Part 2 Step 3, item 2)."},
		Commands: []string{"az ad app permission admin-consent --id {{.GatewayAppID}}"},
	},
	{
		ID: "entra-user-not-assigned", Title: "The user is not assigned to an app that requires assignment", Severity: report.Error,
		Section: SecPart2, Check: "entra-consent",
		Fix: []string{
			"Enterprise applications → the app → Users and groups → add the user (or a group they are in), or set Assignment required to No.",
		},
	},
	{
		ID: "entra-assignment-unknown", Title: "User assignment could not be checked", Severity: report.Info,
		Section: SecPart2, Check: "entra-consent",
		Fix: []string{"Check in Enterprise applications → the app → Users and groups that the users of the gateway are assigned."},
	},
	{
		ID: "entra-secret-none", Title: "The Gateway app has no client secret", Severity: report.Error,
		Section: SecGatewayApp, Check: "entra-secret",
		Fix:      []string{"Create a client secret (Part 2 Step 2, item 3) and store its Value in the apim-gateway-client-secret named value (Part 3 Step 1)."},
		Commands: []string{cmdSecretReset, cmdNamedValue},
	},
	{
		ID: "entra-secret-unknown", Title: "The secret c7doctor was given is not one of the Gateway app's", Severity: report.Warning,
		Section: SecNamedValues, Check: "entra-secret",
		Fix: []string{"Give c7doctor the secret APIM uses (the apim-gateway-client-secret named value), so its end date can be watched."},
	},
	{
		ID: "entra-secret-expired", Title: "The Gateway app's client secret has expired", Severity: report.Error,
		Section: SecGatewayApp, Check: "entra-secret",
		Fix: []string{
			"Create a new client secret for the APIM Gateway app and store its Value in the apim-gateway-client-secret named value; every OBO exchange APIM makes fails until then.",
		},
		Commands: []string{cmdSecretReset, cmdNamedValue},
	},
	{
		ID: "entra-secret-expiring", Title: "The Gateway app's client secret expires soon", Severity: report.Warning,
		Section: SecGatewayApp, Check: "entra-secret",
		Fix: []string{
			"Create a new secret now (--append keeps the old one working), store its Value in the apim-gateway-client-secret named value, then delete the old secret.",
		},
		Commands: []string{cmdSecretReset, cmdNamedValue},
	},
	{
		ID: "entra-secret-rotation-pending", Title: "APIM still uses the old client secret, which expires soon", Severity: report.Warning,
		Section: SecNamedValues, Check: "entra-secret",
		Fix: []string{
			"A newer secret exists: store its Value in the apim-gateway-client-secret named value (its value was shown once, when it was created; if it is lost, create another).",
		},
		Commands: []string{cmdSecretPrompt, cmdNamedValue},
	},
}
