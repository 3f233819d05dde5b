package checks

import "github.com/c7doctor/c7doctor/report"

// oboEntries are the findings of obo, obo-claims and upstream. The guide's
// own two OBO entries (obo-consent, obo-invalid-scope) are core entries.
var oboEntries = []Entry{
	{
		ID: "obo-assertion-refused", Title: "Entra refused the gateway token as the OBO assertion (AADSTS50013)", Severity: report.Error,
		Section: SecOBO50013, Check: "obo",
		Fix: []string{
			"This is not a permission problem: Entra would not accept the user's gateway token itself as the assertion. It must be signed by this tenant, carry aud = the APIM Gateway app ({{.GatewayAppID}}), a v2 issuer (requestedAccessTokenVersion 2 on the APIM Gateway app) and an unexpired exp.",
			"Get a fresh token for api://{{.GatewayAppID}}/Mcp.Gateway.Access from this tenant and run again; APIM receives the same token from clients, so its exchange fails the same way.",
		},
	},
	{
		ID: "obo-bad-secret", Title: "Entra refused the gateway app's client secret (AADSTS7000215)", Severity: report.Error,
		Section: SecOBO50013, Check: "obo",
		Fix: []string{
			"The secret must be the Value column of the APIM Gateway app's client secret (shown once, when it is created), not its Secret ID (a GUID).",
			"If the value is lost, create a new secret (Part 2 Step 2, Certificates & secrets), then store it in the apim-gateway-client-secret named value (Part 3 Step 1) and in c7doctor's --gateway-secret-file.",
		},
		Commands: []string{
			"az ad app credential reset --id {{.GatewayAppID}} --append --display-name apim-obo --query password -o tsv",
			"az apim nv update -g {{.ResourceGroup}} --service-name {{.APIMName}} --named-value-id apim-gateway-client-secret --value <new-secret-value> --secret true",
		},
	},
	{
		ID: "obo-secret-expired", Title: "The gateway app's client secret has expired (AADSTS7000222)", Severity: report.Error,
		Section: SecGatewayApp, Check: "obo",
		Fix: []string{
			"Create a new client secret for the APIM Gateway app (Certificates & secrets), store its Value in the apim-gateway-client-secret named value, and give it to c7doctor with --gateway-secret-file. Every OBO exchange APIM performs fails until then.",
		},
		Commands: []string{
			"az ad app credential reset --id {{.GatewayAppID}} --append --display-name apim-obo --query password -o tsv",
			"az apim nv update -g {{.ResourceGroup}} --service-name {{.APIMName}} --named-value-id apim-gateway-client-secret --value <new-secret-value> --secret true",
		},
	},
	{
		ID: "obo-unknown-client", Title: "The gateway app id names no application in this tenant (AADSTS700016)", Severity: report.Error,
		Section: SecGatewayApp, Check: "obo",
		Fix: []string{
			"Use the Application (client) ID of the Context7 APIM Gateway app registered in tenant {{.Tenant}}, in --gateway-app-id and in the apim-gateway-app-id named value.",
		},
		Commands: []string{"az ad app show --id {{.GatewayAppID}} --query '{appId:appId,name:displayName}'"},
	},
	{
		ID: "obo-resource-not-found", Title: "The MCP API app id names no service principal in this tenant (AADSTS500011)", Severity: report.Error,
		Section: SecMCPAPIApp, Check: "obo",
		Fix: []string{
			"The scope api://{{.MCPAPIAppID}}/.default names a resource this tenant does not hold: use the Context7 MCP API app's Application (client) ID (in --mcp-api-app-id and the mcp-api-app-id named value), and make sure the app has a service principal in the tenant.",
		},
		Commands: []string{
			"az ad sp show --id {{.MCPAPIAppID}} --query '{appId:appId,name:displayName}'",
			"az ad sp create --id {{.MCPAPIAppID}}",
		},
	},
	{
		ID: "obo-interaction-required", Title: "Conditional Access asks the user to interact (AADSTS50076)", Severity: report.Error,
		Section: SecOBO50013, Check: "obo",
		Fix: []string{
			"An OBO exchange cannot show a prompt: a Conditional Access policy on the Context7 MCP API demands MFA (or blocks the sign-in) that the user's gateway token does not already satisfy. APIM's own exchange fails the same way for this user, and Context7 then sees no token.",
			"Apply the same Conditional Access policy to the Context7 APIM Gateway app, so that it is satisfied when the user signs in to the gateway (the gateway token then carries the MFA claim into the exchange), or exclude the MCP API app from the policy.",
		},
	},
	{
		ID: "obo-resource-misconfigured", Title: "Entra refused the permission the gateway app asks for (AADSTS65005)", Severity: report.Error,
		Section: SecPermChain, Check: "obo",
		Fix: []string{
			"The Context7 MCP API app must expose an enabled mcp.access scope (Part 2 Step 1), and the APIM Gateway app's API permissions must list Context7 MCP API → mcp.access (Delegated) with admin consent granted (Part 2 Step 3).",
		},
		Commands: []string{
			"az ad app show --id {{.MCPAPIAppID}} --query 'api.oauth2PermissionScopes[].{value:value,enabled:isEnabled}'",
			"az ad app permission list --id {{.GatewayAppID}}",
		},
	},
	{
		ID: "obo-refused", Title: "Entra refused the OBO exchange", Severity: report.Error,
		Section: SecOBO50013, Check: "obo",
		Fix: []string{"Look up the AADSTS code in the detail (c7doctor explain AADSTSnnnn, or Entra's error lookup) and the trace id in the tenant's sign-in logs."},
	},
	{
		ID: "obo-unreachable", Title: "The token endpoint did not answer", Severity: report.Error,
		Check: "obo",
		Fix:   []string{"Check that {{.AuthorityHost}} is reachable from here (proxy, firewall, DNS) and that the tenant {{.Tenant}} exists."},
	},
	{
		ID: "obo-failed", Title: "The OBO exchange could not be made", Severity: report.Error,
		Check: "obo",
		Fix:   []string{"The detail says what went wrong before or after Entra answered."},
	},

	// obo-claims
	{
		ID: "obo-v1-token", Title: "The OBO token has a v1 issuer (sts.windows.net)", Severity: report.Error,
		Section: SecMCPAPIApp, Check: "obo-claims",
		Fix: []string{
			"Set requestedAccessTokenVersion to 2 in the Context7 MCP API app's manifest (Part 2 Step 1): Context7 accepts only issuer https://login.microsoftonline.com/<tenant-id>/v2.0.",
		},
		Commands: []string{"az ad app update --id {{.MCPAPIAppID}} --set api.requestedAccessTokenVersion=2"},
	},
	{
		ID: "obo-wrong-audience", Title: "The OBO token's audience is not the MCP API app", Severity: report.Error,
		Section: SecTokenClaims, Check: "obo-claims",
		Fix: []string{
			"The OBO token's aud must be the Context7 MCP API app's client id ({{.MCPAPIAppID}}) in GUID form: the scope APIM requests is api://<mcp-api-app-id>/.default and the app must issue v2 tokens.",
		},
	},
	{
		ID: "obo-scope-missing", Title: "The OBO token does not carry mcp.access", Severity: report.Error,
		Section: SecPermChain, Check: "obo-claims",
		Fix: []string{
			"The MCP API app must expose the mcp.access scope (Part 2 Step 1) and the APIM Gateway app must hold the delegated permission Context7 MCP API → mcp.access with admin consent (Part 2 Step 3). Context7's Required scope is mcp.access.",
		},
		Commands: []string{"az ad app permission list --id {{.GatewayAppID}}"},
	},
	{
		ID: "obo-user-mismatch", Title: "The OBO token names another user or tenant than the gateway token", Severity: report.Error,
		Section: SecTokenClaims, Check: "obo-claims",
		Fix: []string{"Both tokens must carry the same oid and tid: the OBO exchange acts for the user of the gateway token."},
	},
	{
		ID: "obo-bad-signature", Title: "The OBO token's signature does not verify against the tenant's keys", Severity: report.Error,
		Section: SecTokenClaims, Check: "obo-claims",
		Fix: []string{"Context7 verifies the OBO token against tenant {{.Tenant}}'s signing keys and will refuse it (\"Invalid signature\" or \"Invalid token\"). Check --authority-host and --tenant."},
	},
	{
		ID: "obo-not-verified", Title: "The OBO token's signature was not checked", Severity: report.Warning,
		Check: "obo-claims",
		Fix:   []string{"tenant-keys did not load the tenant's signing keys; fix that check first."},
	},
	{
		ID: "obo-expired", Title: "The OBO token is already expired", Severity: report.Error,
		Section: SecTokenClaims, Check: "obo-claims",
		Fix: []string{"Check this machine's clock against the tenant's; Context7 answers \"Token expired\" to such a token."},
	},
	{
		ID: "obo-issuer-host", Title: "The OBO token is not issued by login.microsoftonline.com", Severity: report.Warning,
		Section: SecConfigTenant, Check: "obo-claims",
		Fix: []string{"Context7 accepts Entra tokens only with issuer https://login.microsoftonline.com/<tenant-id>/v2.0; tokens of other clouds are refused as \"Invalid token\"."},
	},
	{
		ID: "obo-lifetime-short", Title: "The OBO token lives shorter than APIM caches it", Severity: report.Warning,
		Section: SecOBOPolicy, Check: "obo-claims",
		Fix: []string{
			"The guide's policy caches the OBO token for 3000 seconds; a token that expires sooner is forwarded expired and Context7 answers \"Token expired\". Lower the cache-store-value duration below the token's lifetime (Conditional Access sign-in frequency shortens it).",
		},
	},

	// upstream
	{
		ID: "upstream-apim-fault", Title: "Context7 accepts the OBO token directly: the fault is in APIM", Severity: report.Error,
		Section: SecOBOPolicy, Check: "upstream",
		Fix: []string{
			"Context7 accepts a fresh OBO token sent straight to it, but refuses what APIM forwards. APIM may be forwarding an OBO token it cached before a fix (cache-store-value, 3000 s in the guide: wait it out, or change the cache key), or its named values (apim-gateway-app-id, apim-gateway-client-secret, mcp-api-app-id) differ from the values c7doctor used.",
		},
		Commands: []string{"az apim nv list -g {{.ResourceGroup}} --service-name {{.APIMName}} --query '[].{name:name,value:value}'"},
	},
	{
		ID: "upstream-context7-fault", Title: "Context7 refuses the OBO token directly too: the fault is not in APIM", Severity: report.Error,
		Section: SecContext7401, Check: "upstream",
		Fix: []string{
			"APIM is not at fault: the token c7doctor obtained with the OBO exchange is refused by Context7 itself. The finding beside this one says what Context7 objects to; compare the dashboard's Microsoft Entra ID card (Tenant ID, Audience, Required scope) and users list with the OBO token's tid, aud, scp and oid.",
		},
	},
	{
		ID: "upstream-cached-token", Title: "Context7 refuses a fresh OBO token that APIM's cached one still gets past", Severity: report.Error,
		Section: SecOBOPolicy, Check: "upstream",
		Fix: []string{
			"Through the gateway the call works, straight to Context7 a fresh OBO token is refused: APIM is most likely serving an OBO token it cached earlier (up to 3000 s in the guide). When that entry expires, users will see the refusal below; fix it now.",
		},
	},
	{
		ID: "upstream-unreachable", Title: "The Context7 MCP server did not answer", Severity: report.Error,
		Check: "upstream",
		Fix:   []string{"Check --upstream (https://mcp.context7.com/mcp/oauth, the URL APIM forwards to) and that it is reachable from here."},
	},
}
