package checks

import "github.com/c7doctor/c7doctor/report"

// The APIM instance's resource id and the az commands that show and fix its
// configuration, filled with the run's ids.
const (
	apimScope       = mgmtService
	grantReader     = `az role assignment create --assignee "$(az ad signed-in-user show --query id -o tsv)" --role Reader --scope ` + apimScope
	showService     = "az apim show -g {{.ResourceGroup}} -n {{.APIMName}} --query \"{sku:sku.name, state:provisioningState, gatewayUrl:gatewayUrl}\""
	listNamedValues = "az apim nv list -g {{.ResourceGroup}} --service-name {{.APIMName}} --query \"[].{id:name, secret:secret, keyVault:keyVault.secretIdentifier, lastStatus:keyVault.lastStatus.code}\" -o table"
	nvCreate        = "az apim nv create -g {{.ResourceGroup}} --service-name {{.APIMName}} --named-value-id "
	nvUpdate        = "az apim nv update -g {{.ResourceGroup}} --service-name {{.APIMName}} --named-value-id "
)

// apimEntries are the findings of the configuration checks: the APIM
// instance as Azure Resource Manager shows it (guide Parts 1, 3 and 5).
var apimEntries = []Entry{
	// Reading the instance.
	{
		ID: "arm-no-access", Title: "No read access to the APIM instance", Severity: report.Info, Check: "apim-service",
		Fix: []string{
			"The configuration checks need Reader on the APIM instance (or its resource group or subscription); reading secret named values with --read-secrets needs the listValue action too (API Management Service Contributor, or a custom role with Microsoft.ApiManagement/service/namedValues/listValue/action).",
			"Without it they are skipped; the wire checks still run. --require apim-service makes a run without access incomplete (exit 3).",
		},
		Commands: []string{grantReader},
	},
	{
		ID: "arm-no-credential", Title: "No Azure sign-in to read the APIM instance with", Severity: report.Info, Check: "apim-service",
		Fix: []string{
			"Sign in with az login (on GitHub Actions: azure/login, then the Azure CLI credential; on Azure DevOps: the Azure CLI task, or AZURE_TOKEN_CREDENTIALS=AzurePipelinesCredential), or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal.",
			"--azure-credential (or AZURE_TOKEN_CREDENTIALS) picks one credential by azidentity's name, e.g. AzureCLICredential, so a wrong guess costs one line.",
		},
		Commands: []string{"az login --tenant {{.Tenant}}"},
	},
	{
		ID: "arm-target-unknown", Title: "The APIM instance could not be located", Severity: report.Info, Check: "apim-service",
		Fix: []string{
			"Give the instance with --subscription, --resource-group and --apim-name (or $AZURE_SUBSCRIPTION_ID); c7doctor infers the subscription only when the credential sees exactly one, and the resource group by listing the subscription's APIM instances.",
		},
		Commands: []string{"az apim list --query \"[].{name:name, resourceGroup:resourceGroup, gatewayUrl:gatewayUrl}\" -o table"},
	},
	{
		ID: "arm-unavailable", Title: "Azure Resource Manager did not answer", Severity: report.Info, Check: "apim-service",
		Fix: []string{"Throttling (429) or a server error after one retry: run again later; the wire checks do not depend on it."},
	},
	{
		ID: "arm-partial-read", Title: "Part of the instance could not be read", Severity: report.Info, Check: "apim-apis",
		Fix:      []string{"The check judged what it could read. A 403 on one part means the role is narrower than Reader on the instance."},
		Commands: []string{grantReader},
	},

	// apim-service
	{
		ID: "apim-sku-consumption", Title: "The instance is on the Consumption tier", Severity: report.Error,
		Section: SecPart1, Check: "apim-service",
		Fix: []string{
			"The Consumption tier does not support MCP backends (Part 1). Provision Basic v2 (or another classic or v2 tier) and move the APIs, named values and policies to it.",
		},
		Commands: []string{showService},
	},
	{
		ID: "apim-not-provisioned", Title: "The instance is not in the Succeeded state", Severity: report.Warning,
		Section: SecPart1, Check: "apim-service",
		Fix:      []string{"An instance that is still deploying or updating answers with its old configuration, or not at all; a Failed one needs to be deployed again (Part 1)."},
		Commands: []string{showService},
	},
	{
		ID: "apim-gateway-mismatch", Title: "--gateway is not this instance's gateway", Severity: report.Error,
		Section: SecPart1, Check: "apim-service",
		Fix: []string{
			"The wire checks went to one gateway and the configuration came from another instance: pass the instance's gateway URL (az apim show --query gatewayUrl) or one of its custom domains as --gateway, or name the right instance with --apim-name and --resource-group.",
		},
		Commands: []string{showGatewayURL},
	},

	// apim-apis: the MCP API (Part 3 Step 2)
	{
		ID: "apim-mcp-api-missing", Title: "No API at the MCP API's path", Severity: report.Error,
		Section: SecCreateAPI, Check: "apim-apis",
		Fix:      []string{"Create the context7-mcp API at path {{.APIPath}} (Part 3 Step 2), or pass the path your API uses with --api-path."},
		Commands: []string{"az apim api list -g {{.ResourceGroup}} --service-name {{.APIMName}} --query \"[].{id:name, path:path, serviceUrl:serviceUrl}\" -o table"},
	},
	{
		ID: "apim-mcp-service-url", Title: "The MCP API's service URL is not Context7's", Severity: report.Error,
		Section: SecCreateAPI, Check: "apim-apis",
		Fix:      []string{"The service URL must be the origin of --upstream, with no path: the policy's rewrite-uri appends /mcp/oauth (Part 3 Step 2)."},
		Commands: []string{showMCPAPI},
	},
	{
		ID: "apim-mcp-http-allowed", Title: "The MCP API also accepts plain http", Severity: report.Warning,
		Section: SecCreateAPI, Check: "apim-apis",
		Fix:      []string{"Bearer tokens must not cross the network in clear: set the API's protocols to https only (Part 3 Step 2)."},
		Commands: []string{"az apim api update -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id context7-mcp --protocols https"},
	},
	{
		ID: "apim-mcp-subscription-required", Title: "The MCP API requires a subscription key", Severity: report.Error,
		Section: SecCreateAPI, Check: "apim-apis",
		Fix:      []string{"MCP clients send no Ocp-Apim-Subscription-Key: set subscriptionRequired to false (Part 3 Step 2); the Entra token protects the API."},
		Commands: []string{"az apim api update -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id context7-mcp --subscription-required false"},
	},
	{
		ID: "apim-mcp-operation-missing", Title: "The MCP API has no POST /mcp operation", Severity: report.Error,
		Section: SecCreateAPI, Check: "apim-apis",
		Fix: []string{"Add the operation POST /mcp (Part 3 Step 2); without it APIM answers 404 before any policy runs."},
		Commands: []string{
			"az apim api operation create -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id context7-mcp --operation-id post-mcp --display-name MCP --method POST --url-template /mcp",
			listMCPOps,
		},
	},

	// apim-apis: the OAuth proxy API (Part 5 Step 1)
	{
		ID: "apim-proxy-api-missing", Title: "No OAuth proxy API at the host root", Severity: report.Error,
		Section: SecOAuthProxyAPI, Check: "apim-apis",
		Fix:      []string{"Create the oauth-proxy API with an empty path (Part 5 Step 1): it serves the discovery documents, /authorize and /token."},
		Commands: []string{"az apim api list -g {{.ResourceGroup}} --service-name {{.APIMName}} --query \"[].{id:name, path:path, serviceUrl:serviceUrl}\" -o table"},
	},
	{
		ID: "apim-proxy-wrong-tenant", Title: "The OAuth proxy API forwards to another tenant", Severity: report.Error,
		Section: SecOAuthProxyAPI, Check: "apim-apis",
		Fix:      []string{"/token goes to the service URL: it must be {{.AuthorityHost}}/{{.Tenant}}/oauth2/v2.0, this tenant's v2 endpoint (Part 5 Step 1)."},
		Commands: []string{setProxyService, showProxyAPI},
	},
	{
		ID: "apim-proxy-service-url", Title: "The OAuth proxy API's service URL is not the tenant's v2 endpoint", Severity: report.Error,
		Section: SecOAuthProxyAPI, Check: "apim-apis",
		Fix:      []string{"The service URL must be {{.AuthorityHost}}/{{.Tenant}}/oauth2/v2.0 (Part 5 Step 1): APIM appends /token to it."},
		Commands: []string{setProxyService, showProxyAPI},
	},
	{
		ID: "apim-proxy-subscription-required", Title: "The OAuth proxy API requires a subscription key", Severity: report.Error,
		Section: SecOAuthProxyAPI, Check: "apim-apis",
		Fix:      []string{"MCP clients fetch the discovery documents and call /token without a subscription key: set subscriptionRequired to false (Part 5 Step 1)."},
		Commands: []string{"az apim api update -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id oauth-proxy --subscription-required false"},
	},
	{
		ID: "apim-proxy-operation-missing", Title: "The OAuth proxy API lacks an operation", Severity: report.Error,
		Section: SecOAuthProxyAPI, Check: "apim-apis",
		Fix:      []string{"The oauth-proxy API needs GET /.well-known/oauth-protected-resource, GET /.well-known/oauth-authorization-server, GET /authorize and POST /token (Part 5 Step 1); APIM answers 404 where one is missing."},
		Commands: []string{listProxyOps},
	},

	// apim-named-values (Part 3 Step 1)
	{
		ID: "apim-named-value-missing", Title: "A named value of the guide is missing", Severity: report.Error,
		Section: SecNamedValues, Check: "apim-named-values",
		Fix:      []string{"The policy reads entra-tenant-id, apim-gateway-app-id, apim-gateway-client-secret and mcp-api-app-id (Part 3 Step 1); a missing one fails the policy with a 500."},
		Commands: []string{listNamedValues},
	},
	{
		ID: "apim-named-value-mismatch", Title: "A named value differs from what the run knows", Severity: report.Error,
		Section: SecNamedValues, Check: "apim-named-values",
		Fix: []string{"The policy validates and exchanges tokens with these values: they must be this tenant and these apps (Part 3 Step 1)."},
		Commands: []string{
			nvUpdate + "entra-tenant-id --value {{.Tenant}}",
			nvUpdate + "apim-gateway-app-id --value {{.GatewayAppID}}",
			nvUpdate + "mcp-api-app-id --value {{.MCPAPIAppID}}",
		},
	},
	{
		ID: "apim-secret-not-secret", Title: "The client secret is a plain named value", Severity: report.Warning,
		Section: SecNamedValues, Check: "apim-named-values",
		Fix:      []string{"Anyone with Reader on the instance can read it: mark apim-gateway-client-secret secret (--secret true, Part 3 Step 1), or back it with Key Vault."},
		Commands: []string{nvUpdate + "apim-gateway-client-secret --secret true"},
	},
	{
		ID: "apim-keyvault-refresh-failed", Title: "The Key Vault-backed secret's last refresh failed", Severity: report.Error,
		Section: SecNamedValues, Check: "apim-named-values",
		Fix: []string{
			"APIM keeps serving the last value it fetched; when the secret rotates (or the cached value is dropped) the OBO exchange fails. Give APIM's managed identity get on the vault's secrets (the guide's Tip), then refresh the named value.",
		},
		Commands: []string{
			listNamedValues,
			`az rest --method post --uri "` + apimScope + `/namedValues/apim-gateway-client-secret/refreshSecret?api-version=2024-05-01"`,
		},
	},
	{
		ID: "apim-secret-is-secret-id", Title: "The client-secret named value holds the secret's ID, not its value", Severity: report.Error,
		Section: SecNamedValues, Check: "apim-named-values",
		Fix: []string{
			"apim-gateway-client-secret holds a GUID: the portal's Secret ID column was copied instead of the Value (Part 2 Step 2, item 3). Entra refuses the OBO exchange (AADSTS7000215). Create a new client secret, copy its Value, and store that.",
		},
		Commands: []string{nvUpdate + "apim-gateway-client-secret --value \"$GATEWAY_SECRET\" --secret true"},
	},
	{
		ID: "apim-secret-not-current", Title: "The client-secret named value is none of the Gateway app's current secrets", Severity: report.Error,
		Section: SecNamedValues, Check: "apim-named-values",
		Fix: []string{
			"Graph's hints (the first characters of each secret) match none of the APIM Gateway app's unexpired secrets: the named value holds a deleted secret, another app's, or a typo, and Entra refuses APIM's OBO exchange (AADSTS7000215). Store the Value of a current secret.",
		},
		Commands: []string{nvUpdate + "apim-gateway-client-secret --value \"$GATEWAY_SECRET\" --secret true"},
	},
	{
		ID: "apim-secret-differs", Title: "The client-secret named value is not the secret c7doctor was given", Severity: report.Warning,
		Section: SecNamedValues, Check: "apim-named-values",
		Fix:      []string{"APIM exchanges tokens with another secret than the one this run tested: if that one is older it may expire first. Store the secret you tested, or test the one APIM holds."},
		Commands: []string{nvUpdate + "apim-gateway-client-secret --value \"$GATEWAY_SECRET\" --secret true"},
	},
	{
		ID: "apim-secret-not-read", Title: "The secret named value could not be read", Severity: report.Info,
		Section: SecNamedValues, Check: "apim-named-values",
		Fix: []string{"--read-secrets needs the listValue action (API Management Service Contributor, or a custom role with Microsoft.ApiManagement/service/namedValues/listValue/action); without it the value is not compared."},
	},

	// apim-diagnostics ("Streaming responses get cut off")
	{
		ID: "apim-diagnostics-body-logging", Title: "A diagnostic logs response bodies of the MCP API", Severity: report.Error,
		Section: SecStreamingCut, Check: "apim-diagnostics",
		Fix: []string{
			"Set the diagnostic's frontend and backend response body bytes to 0 at the level the finding names: an API-level diagnostic overrides the service-level one of the same name for that API, so zeroing the service's alone leaves an API-level one cutting the stream.",
			"Request body logging does not cut the stream and may stay.",
		},
	},
	{
		ID: "apim-diagnostics-overridden", Title: "A service-level diagnostic logs response bodies, but not for the MCP API", Severity: report.Info,
		Section: SecStreamingCut, Check: "apim-diagnostics",
		Fix: []string{"The MCP API's own diagnostic of the same name logs no response body and overrides the service's for it: MCP streams are safe. An API added later without its own diagnostic inherits the service's setting."},
	},
}
