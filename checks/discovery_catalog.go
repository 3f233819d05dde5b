package checks

import "github.com/c7doctor/c7doctor/report"

// The APIM management URLs of the guide's APIs and policies, filled with the
// run's ids. They are resource ids, not URLs: az rest puts the ARM endpoint
// of the signed-in cloud (az cloud show) in front, so one command serves
// every cloud.
const (
	mgmtService      = "/subscriptions/{{.Subscription}}/resourceGroups/{{.ResourceGroup}}/providers/Microsoft.ApiManagement/service/{{.APIMName}}"
	mgmtMCPPolicy    = mgmtService + "/apis/context7-mcp/policies/policy?api-version=2024-05-01"
	showMCPPolicy    = `az rest --method get --uri "` + mgmtMCPPolicy + `&format=rawxml" --query properties.value -o tsv`
	putMCPPolicy     = `jq -Rs '{properties: {value: ., format: "xml"}}' policy.xml > policy-body.json && az rest --method put --uri "` + mgmtMCPPolicy + `" --body @policy-body.json`
	showPRMPolicy    = `az rest --method get --uri "` + mgmtService + `/apis/oauth-proxy/operations/prm-metadata/policies/policy?api-version=2024-05-01&format=rawxml" --query properties.value -o tsv`
	putPRMPolicy     = `jq -Rs '{properties: {value: ., format: "xml"}}' prm-policy.xml > prm-policy-body.json && az rest --method put --uri "` + mgmtService + `/apis/oauth-proxy/operations/prm-metadata/policies/policy?api-version=2024-05-01" --body @prm-policy-body.json`
	showASPolicy     = `az rest --method get --uri "` + mgmtService + `/apis/oauth-proxy/operations/as-metadata/policies/policy?api-version=2024-05-01&format=rawxml" --query properties.value -o tsv`
	putASPolicy      = `jq -Rs '{properties: {value: ., format: "xml"}}' as-metadata-policy.xml > as-metadata-policy-body.json && az rest --method put --uri "` + mgmtService + `/apis/oauth-proxy/operations/as-metadata/policies/policy?api-version=2024-05-01" --body @as-metadata-policy-body.json`
	showAuthzPolicy  = `az rest --method get --uri "` + mgmtService + `/apis/oauth-proxy/operations/authorize/policies/policy?api-version=2024-05-01&format=rawxml" --query properties.value -o tsv`
	putAuthzPolicy   = `jq -Rs '{properties: {value: ., format: "xml"}}' authorize-policy.xml > authorize-policy-body.json && az rest --method put --uri "` + mgmtService + `/apis/oauth-proxy/operations/authorize/policies/policy?api-version=2024-05-01" --body @authorize-policy-body.json`
	listProxyOps     = "az apim api operation list -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id oauth-proxy --query \"[].{op:name, method:method, url:urlTemplate}\" -o table"
	showProxyAPI     = "az apim api show -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id oauth-proxy --query \"{path:path, serviceUrl:serviceUrl}\""
	setProxyService  = `az apim api update -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id oauth-proxy --service-url "{{.AuthorityHost}}/{{.Tenant}}/oauth2/v2.0"`
	showMCPAPI       = "az apim api show -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id context7-mcp --query \"{path:path, serviceUrl:serviceUrl, subscriptionRequired:subscriptionRequired}\""
	listMCPOps       = "az apim api operation list -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id context7-mcp --query \"[].{op:name, method:method, url:urlTemplate}\" -o table"
	showGatewayURL   = "az apim show -g {{.ResourceGroup}} -n {{.APIMName}} --query gatewayUrl -o tsv"
	expectedPRM      = `{"resource": "{{.Gateway}}/{{.APIPath}}", "authorization_servers": ["{{.Gateway}}"], "scopes_supported": ["api://{{.GatewayAppID}}/Mcp.Gateway.Access"], "bearer_methods_supported": ["header"]}`
	expectedLocation = `@($"{{.AuthorityHost}}/{{.Tenant}}/oauth2/v2.0/authorize{context.Request.OriginalUrl.QueryString}")`
	expectedWWWAuth  = `Bearer resource_metadata="{{.Gateway}}/.well-known/oauth-protected-resource"`
)

// discoveryEntries are the findings of checks 1–6: the surface an MCP client
// walks before it has a token (guide Part 5), the MCP API itself (Part 3)
// and the tenant (Part 2).
var discoveryEntries = []Entry{
	// The gateway itself.
	{
		ID: "gateway-unreachable", Title: "The gateway cannot be reached", Severity: report.Error,
		Section: SecPart1, Check: "challenge",
		Fix: []string{
			"--gateway must be the APIM gateway URL (Part 1: az apim show --query gatewayUrl), reachable from where c7doctor runs.",
			"A name that does not resolve is a typo or a private APIM instance; a refused connection is a wrong port or a firewall.",
		},
		Commands: []string{showGatewayURL},
	},
	{
		ID: "gateway-timeout", Title: "The gateway did not answer in time", Severity: report.Error,
		Section: SecPart5, Check: "challenge",
		Fix: []string{
			"An MCP client gives up on a discovery request this slow. Look at APIM's health (portal → API Management → Diagnose and solve problems) and at the request in APIM's analytics.",
			"If the gateway is only slow from here, raise --timeout to see whether it answers at all.",
		},
		Commands: []string{showGatewayURL},
	},
	{
		ID: "gateway-tls", Title: "The gateway's TLS certificate is not trusted", Severity: report.Error,
		Section: SecPart1, Check: "challenge",
		Fix: []string{
			"MCP clients refuse the same certificate. With a custom domain, give APIM a certificate from a public CA; for a private CA, pass it to c7doctor with --ca-file.",
		},
	},

	// challenge: the MCP API's unauthenticated answer.
	{
		ID: "mcp-api-open", Title: "The MCP API answers without a token", Severity: report.Error,
		Section: SecOBOPolicy, Check: "challenge",
		Fix: []string{
			"Anyone can call Context7 through this gateway. The context7-mcp API's inbound policy must start with validate-azure-ad-token (Part 3 Step 3); re-apply policy.xml.",
		},
		Commands: []string{showMCPPolicy, putMCPPolicy},
	},
	{
		ID: "challenge-from-context7", Title: "The 401 came from Context7, not from APIM", Severity: report.Error,
		Section: SecOBOPolicy, Check: "challenge",
		Fix: []string{
			"APIM forwarded a request without a token to Context7, which refused it: validate-azure-ad-token is not running on the context7-mcp API (Part 3 Step 3), or its failure is not answered with 401.",
			"Re-apply policy.xml with the on-error block of Part 5 Step 3.",
		},
		Commands: []string{showMCPPolicy, putMCPPolicy},
	},
	{
		ID: "mcp-endpoint-not-found", Title: "The MCP endpoint does not exist (404)", Severity: report.Error,
		Section: SecCreateAPI, Check: "challenge",
		Fix: []string{
			"The context7-mcp API must sit at path {{.APIPath}} with a POST /mcp operation (Part 3 Step 2), so that {{.MCPEndpoint}} exists; if your API uses another path, pass it with --api-path.",
		},
		Commands: []string{showMCPAPI, listMCPOps},
	},
	{
		ID: "oauth-proxy-subscription-required", Title: "The OAuth proxy API requires an APIM subscription key", Severity: report.Error,
		Section: SecOAuthProxyAPI, Check: "prm",
		Fix: []string{
			"MCP clients send no Ocp-Apim-Subscription-Key to the metadata, /authorize or /token: create the oauth-proxy API with --subscription-required false (Part 5 Step 1).",
		},
		Commands: []string{"az apim api update -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id oauth-proxy --subscription-required false"},
	},
	{
		ID: "apim-subscription-required", Title: "The MCP API requires an APIM subscription key", Severity: report.Error,
		Section: SecCreateAPI, Check: "challenge",
		Fix: []string{
			"MCP clients send no Ocp-Apim-Subscription-Key: create the API with --subscription-required false (Part 3 Step 2) — the Entra token is what protects it.",
		},
		Commands: []string{"az apim api update -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id context7-mcp --subscription-required false"},
	},
	{
		ID: "challenge-unexpected-status", Title: "The MCP endpoint did not answer 401 without a token", Severity: report.Error,
		Section: SecOBOPolicy, Check: "challenge",
		Fix: []string{
			"Without a token the gateway must answer 401 (validate-azure-ad-token, Part 3 Step 3). A 5xx is a policy that fails before it: look at the request's trace in APIM (Test console with tracing).",
		},
		Commands: []string{showMCPPolicy},
	},
	{
		ID: "www-authenticate-missing", Title: "The 401 carries no WWW-Authenticate header", Severity: report.Error,
		Section: SecWWWAuth, Check: "challenge",
		Fix: []string{
			"MCP clients find the metadata through this header. Add the on-error block of Part 5 Step 3 to the context7-mcp policy, setting WWW-Authenticate to: " + expectedWWWAuth,
			"Re-apply the policy with the az rest command of Part 3.",
		},
		Commands: []string{showMCPPolicy, putMCPPolicy},
	},
	{
		ID: "www-authenticate-malformed", Title: "The WWW-Authenticate header does not parse", Severity: report.Error,
		Section: SecWWWAuth, Check: "challenge",
		Fix: []string{
			"The header must follow RFC 7235: the value of resource_metadata in double quotes. The guide's value is: " + expectedWWWAuth,
			"In the policy XML the quotes are plain inside <value>…</value>; inside an attribute they must be &quot;.",
		},
		Commands: []string{showMCPPolicy, putMCPPolicy},
	},
	{
		ID: "www-authenticate-not-bearer", Title: "The 401 offers no Bearer challenge", Severity: report.Error,
		Section: SecWWWAuth, Check: "challenge",
		Fix:      []string{"MCP clients look for a Bearer challenge. Set the header to: " + expectedWWWAuth},
		Commands: []string{showMCPPolicy, putMCPPolicy},
	},
	{
		ID: "resource-metadata-missing", Title: "The Bearer challenge has no resource_metadata", Severity: report.Error,
		Section: SecWWWAuth, Check: "challenge",
		Fix: []string{
			"Without resource_metadata an MCP client has to guess where the metadata is. Set the header to: " + expectedWWWAuth,
		},
		Commands: []string{showMCPPolicy, putMCPPolicy},
	},
	{
		ID: "resource-metadata-placeholder", Title: "resource_metadata still holds a template placeholder", Severity: report.Error,
		Section: SecWWWAuth, Check: "challenge",
		Fix:      []string{"Replace <your-apim-host> in the on-error block with {{.Host}}: " + expectedWWWAuth},
		Commands: []string{showMCPPolicy, putMCPPolicy},
	},
	{
		ID: "resource-metadata-invalid", Title: "resource_metadata is not an absolute https URL", Severity: report.Error,
		Section: SecWWWAuth, Check: "challenge",
		Fix:      []string{"MCP clients only follow an absolute https URL. Set the header to: " + expectedWWWAuth},
		Commands: []string{showMCPPolicy, putMCPPolicy},
	},
	{
		ID: "resource-metadata-foreign", Title: "resource_metadata points away from the gateway", Severity: report.Error,
		Section: SecWWWAuth, Check: "challenge",
		Fix: []string{
			"MCP clients would take their authorization server from someone else's metadata. The URL must be on {{.Gateway}}: " + expectedWWWAuth,
			"If it names mcp.context7.com, APIM passes Context7's own header through: the on-error block of Part 5 Step 3 is missing or does not override it.",
		},
		Commands: []string{showMCPPolicy, putMCPPolicy},
	},
	{
		ID: "resource-metadata-ambiguous", Title: "The 401 names several different metadata URLs", Severity: report.Warning,
		Section: SecWWWAuth, Check: "challenge",
		Fix: []string{
			"Clients pick one Bearer challenge and differ in which: keep exactly one. The on-error block must set the header with exists-action=\"override\".",
		},
		Commands: []string{showMCPPolicy, putMCPPolicy},
	},
	{
		ID: "challenge-scope-mismatch", Title: "The challenge's scope is not the gateway's scope", Severity: report.Warning,
		Section: SecWWWAuth, Check: "challenge",
		Fix:      []string{"Clients that honour the challenge's scope request it instead of api://{{.GatewayAppID}}/Mcp.Gateway.Access: fix it or drop scope from the header."},
		Commands: []string{showMCPPolicy, putMCPPolicy},
	},

	// prm: protected resource metadata (RFC 9728).
	{
		ID: "prm-not-found", Title: "No protected resource metadata", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "prm",
		Fix: []string{
			"The oauth-proxy API at the host root needs the GET /.well-known/oauth-protected-resource operation (Part 5 Step 1) with the prm-policy.xml return-response policy (Part 5 Step 2).",
			"Its body, filled for this gateway: " + expectedPRM,
		},
		Commands: []string{listProxyOps, showPRMPolicy, putPRMPolicy},
	},
	{
		ID: "prm-not-json", Title: "The protected resource metadata is not JSON", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "prm",
		Fix: []string{
			"The prm-metadata operation must answer with its return-response policy (Part 5 Step 2): Content-Type application/json and the JSON body. Without that policy APIM forwards the request to Entra.",
			"Its body, filled for this gateway: " + expectedPRM,
		},
		Commands: []string{showPRMPolicy, putPRMPolicy},
	},
	{
		ID: "prm-invalid", Title: "The protected resource metadata is malformed", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "prm",
		Fix:      []string{"Fix the JSON in prm-policy.xml's set-body. Its body, filled for this gateway: " + expectedPRM},
		Commands: []string{showPRMPolicy, putPRMPolicy},
	},
	{
		ID: "prm-content-type", Title: "The protected resource metadata is not served as application/json", Severity: report.Warning,
		Section: SecDiscoveryPol, Check: "prm",
		Fix:      []string{"Keep the set-header Content-Type application/json of prm-policy.xml; strict clients refuse other types."},
		Commands: []string{showPRMPolicy, putPRMPolicy},
	},
	{
		ID: "prm-placeholder", Title: "The protected resource metadata still holds template placeholders", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "prm",
		Fix: []string{
			"Replace the guide's placeholders in prm-policy.xml: <your-apim-host> with {{.Host}}, <gateway-app-id> with {{.GatewayAppID}}.",
			"Its body, filled for this gateway: " + expectedPRM,
		},
		Commands: []string{showPRMPolicy, putPRMPolicy},
	},
	{
		ID: "prm-disagree", Title: "The metadata URLs serve different documents", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "prm",
		Fix: []string{
			"Clients that follow the 401's resource_metadata and clients that probe the well-known URLs must get the same document: serve one body, or make the challenge point at the one that is right.",
		},
		Commands: []string{listProxyOps, showPRMPolicy},
	},
	{
		ID: "prm-resource-missing", Title: "The protected resource metadata has no resource", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "prm",
		Fix:      []string{`RFC 9728 requires "resource". Set it to "{{.Gateway}}/{{.APIPath}}": ` + expectedPRM},
		Commands: []string{showPRMPolicy, putPRMPolicy},
	},
	{
		ID: "prm-resource-mismatch", Title: "The metadata's resource is not this MCP endpoint", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "prm",
		Fix: []string{
			"MCP clients compare the resource with the URL they called and stop when they differ. Set it to {{.Gateway}}/{{.APIPath}} (the guide's layout) or {{.MCPEndpoint}}.",
			"Its body, filled for this gateway: " + expectedPRM,
		},
		Commands: []string{showPRMPolicy, putPRMPolicy},
	},
	{
		ID: "prm-resource-prefix", Title: "The metadata's resource is a prefix of the endpoint (the guide's layout)", Severity: report.Info,
		Section: SecDiscoveryPol, Check: "prm",
		Fix: []string{
			"This is the guide's layout and works with VS Code. RFC 9728 §3.3 asks clients for an exact match: if a strict client refuses it, set resource to {{.MCPEndpoint}}.",
		},
	},
	{
		ID: "prm-no-authorization-servers", Title: "The metadata names no authorization server", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "prm",
		Fix:      []string{`MCP requires at least one entry in "authorization_servers": the gateway itself, ["{{.Gateway}}"].`},
		Commands: []string{showPRMPolicy, putPRMPolicy},
	},
	{
		ID: "prm-authorization-server-invalid", Title: "An authorization server is not an https URL", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "prm",
		Fix:      []string{`Each entry of "authorization_servers" is an issuer: an absolute https URL without query or fragment. The guide's is "{{.Gateway}}".`},
		Commands: []string{showPRMPolicy, putPRMPolicy},
	},
	{
		ID: "prm-authorization-server-elsewhere", Title: "The authorization server is not the gateway", Severity: report.Warning,
		Section: SecDiscoveryPol, Check: "prm",
		Fix: []string{
			"In the guide's layout the gateway is the authorization server ({{.Gateway}}): its /authorize and /token bridge to Entra and its metadata advertises the gateway scope. Another issuer skips that bridge.",
		},
		Commands: []string{showPRMPolicy, putPRMPolicy},
	},
	{
		ID: "prm-scope-missing", Title: "The metadata does not offer the gateway scope", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "prm",
		Fix: []string{
			`MCP clients request the scopes in "scopes_supported": it must hold "api://{{.GatewayAppID}}/Mcp.Gateway.Access" (the Gateway app's scope, Part 2 Step 2).`,
		},
		Commands: []string{showPRMPolicy, putPRMPolicy, "az ad app show --id {{.GatewayAppID}} --query \"{appIdUri:identifierUris, scopes:api.oauth2PermissionScopes[].value}\""},
	},
	{
		ID: "prm-scope-wrong-app", Title: "The metadata's scope names another app", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "prm",
		Fix: []string{
			`The scope must be the Gateway app's: "api://{{.GatewayAppID}}/Mcp.Gateway.Access". A scope of the MCP API app or of another registration makes Entra issue tokens APIM refuses.`,
		},
		Commands: []string{showPRMPolicy, putPRMPolicy, "az ad app show --id {{.GatewayAppID}} --query \"{appIdUri:identifierUris, scopes:api.oauth2PermissionScopes[].value}\""},
	},
	{
		ID: "prm-bearer-methods", Title: "The metadata does not allow the Authorization header", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "prm",
		Fix:      []string{`Set "bearer_methods_supported": ["header"]: APIM's validate-azure-ad-token reads the Authorization header.`},
		Commands: []string{showPRMPolicy, putPRMPolicy},
	},

	// as-metadata: authorization server metadata (RFC 8414).
	{
		ID: "as-metadata-not-found", Title: "No authorization server metadata", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix: []string{
			"The oauth-proxy API needs the GET /.well-known/oauth-authorization-server operation (Part 5 Step 1) with the as-metadata-policy.xml return-response policy (Part 5 Step 2).",
			"MCP clients try RFC 8414 first, then OpenID Connect discovery; none of those URLs answered.",
		},
		Commands: []string{listProxyOps, showASPolicy, putASPolicy},
	},
	{
		ID: "as-metadata-not-json", Title: "The authorization server metadata is not JSON", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix:      []string{"The as-metadata operation must answer with its return-response policy (Part 5 Step 2): Content-Type application/json and the JSON body."},
		Commands: []string{showASPolicy, putASPolicy},
	},
	{
		ID: "as-metadata-invalid", Title: "The authorization server metadata is malformed", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix:      []string{"Fix the JSON in as-metadata-policy.xml's set-body (Part 5 Step 2)."},
		Commands: []string{showASPolicy, putASPolicy},
	},
	{
		ID: "as-metadata-placeholder", Title: "The authorization server metadata still holds template placeholders", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix:      []string{"Replace the guide's placeholders in as-metadata-policy.xml: <your-apim-host> with {{.Host}}, <your-tenant-id> with {{.Tenant}}, <gateway-app-id> with {{.GatewayAppID}}."},
		Commands: []string{showASPolicy, putASPolicy},
	},
	{
		ID: "as-issuer-mismatch", Title: "The metadata's issuer is not the URL it was fetched for", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix: []string{
			`RFC 8414 §3.3: clients refuse metadata whose "issuer" differs from the issuer they built the URL from (the PRM's authorization server). Set "issuer": "{{.Gateway}}", exactly as in the PRM, no trailing slash.`,
		},
		Commands: []string{showASPolicy, putASPolicy},
	},
	{
		ID: "as-endpoint-missing", Title: "The metadata lacks the authorization or token endpoint", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix:      []string{`Set "authorization_endpoint": "{{.Gateway}}/authorize" and "token_endpoint": "{{.Gateway}}/token".`},
		Commands: []string{showASPolicy, putASPolicy},
	},
	{
		ID: "as-endpoint-off-gateway", Title: "An endpoint in the metadata is not on the gateway", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix:      []string{`In the guide's layout the gateway bridges to Entra: "authorization_endpoint": "{{.Gateway}}/authorize", "token_endpoint": "{{.Gateway}}/token".`},
		Commands: []string{showASPolicy, putASPolicy},
	},
	{
		ID: "as-jwks-missing", Title: "The metadata has no jwks_uri", Severity: report.Warning,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix:      []string{`Set "jwks_uri": "{{.AuthorityHost}}/{{.Tenant}}/discovery/v2.0/keys" as the guide does; c7doctor also reads the tenant from it.`},
		Commands: []string{showASPolicy, putASPolicy},
	},
	{
		ID: "as-jwks-wrong", Title: "jwks_uri is not the tenant's key set", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix:      []string{`Set "jwks_uri": "{{.AuthorityHost}}/{{.Tenant}}/discovery/v2.0/keys": the tenant's own keys on the authority host.`},
		Commands: []string{showASPolicy, putASPolicy, "az account show --query tenantId -o tsv"},
	},
	{
		ID: "as-pkce-s256-missing", Title: "The metadata does not advertise PKCE S256", Severity: report.Warning,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix: []string{
			`Entra's own metadata omits code_challenge_methods_supported although it supports S256; MCP clients must refuse an authorization server that does not advertise it. The guide's document adds "code_challenge_methods_supported": ["S256"] on Entra's behalf: keep it.`,
		},
		Commands: []string{showASPolicy, putASPolicy},
	},
	{
		ID: "as-pkce-no-s256", Title: "The metadata advertises PKCE without S256", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix:      []string{`MCP clients use S256 only: set "code_challenge_methods_supported": ["S256"].`},
		Commands: []string{showASPolicy, putASPolicy},
	},
	{
		ID: "as-response-type", Title: "The metadata does not support the code response type", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix:      []string{`MCP clients use the authorization code flow: set "response_types_supported": ["code"].`},
		Commands: []string{showASPolicy, putASPolicy},
	},
	{
		ID: "as-grant-types", Title: "The metadata's grant types miss what MCP clients use", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix:      []string{`Set "grant_types_supported": ["authorization_code", "refresh_token"].`},
		Commands: []string{showASPolicy, putASPolicy},
	},
	{
		ID: "as-token-auth-none", Title: "The metadata does not allow public clients at the token endpoint", Severity: report.Warning,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix:      []string{`MCP clients sign in as public clients with PKCE: keep "none" in "token_endpoint_auth_methods_supported": ["none", "client_secret_post"].`},
		Commands: []string{showASPolicy, putASPolicy},
	},
	{
		ID: "as-scope-mismatch", Title: "The metadata's scopes do not match the protected resource's", Severity: report.Warning,
		Section: SecDiscoveryPol, Check: "as-metadata",
		Fix:      []string{`Both documents should list "api://{{.GatewayAppID}}/Mcp.Gateway.Access"; the AS metadata adds "openid", "profile", "email", "offline_access".`},
		Commands: []string{showASPolicy, putASPolicy},
	},

	// authorize-redirect.
	{
		ID: "authorize-not-redirect", Title: "/authorize does not redirect to Entra", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "authorize-redirect",
		Fix: []string{
			"The oauth-proxy API's GET /authorize operation (Part 5 Step 1) must carry authorize-policy.xml (Part 5 Step 2): a 302 to Entra, not a proxied sign-in page.",
			"Its Location value, filled for this tenant: " + expectedLocation,
		},
		Commands: []string{listProxyOps, showAuthzPolicy, putAuthzPolicy},
	},
	{
		ID: "authorize-location-missing", Title: "The /authorize redirect has no Location", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "authorize-redirect",
		Fix:      []string{"authorize-policy.xml must set the Location header: " + expectedLocation},
		Commands: []string{showAuthzPolicy, putAuthzPolicy},
	},
	{
		ID: "authorize-placeholder", Title: "The /authorize redirect still holds a template placeholder", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "authorize-redirect",
		Fix:      []string{"Replace <your-tenant-id> in authorize-policy.xml with {{.Tenant}}: " + expectedLocation},
		Commands: []string{showAuthzPolicy, putAuthzPolicy},
	},
	{
		ID: "authorize-wrong-target", Title: "/authorize redirects somewhere other than the tenant's authorize endpoint", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "authorize-redirect",
		Fix:      []string{"The redirect must go to {{.AuthorityHost}}/{{.Tenant}}/oauth2/v2.0/authorize: " + expectedLocation},
		Commands: []string{showAuthzPolicy, putAuthzPolicy},
	},
	{
		ID: "authorize-query-lost", Title: "The /authorize redirect does not keep the query", Severity: report.Error,
		Section: SecDiscoveryPol, Check: "authorize-redirect",
		Fix: []string{
			"Entra needs every parameter the client sent (client_id, redirect_uri, code_challenge, state…). Append context.Request.OriginalUrl.QueryString as the guide does: " + expectedLocation,
		},
		Commands: []string{showAuthzPolicy, putAuthzPolicy},
	},

	// token-proxy.
	{
		ID: "token-proxy-not-found", Title: "/token does not exist on the gateway (404)", Severity: report.Error,
		Section: SecOAuthProxyAPI, Check: "token-proxy",
		Fix: []string{
			"Create the oauth-proxy API's POST /token operation (Part 5 Step 1); it needs no policy: APIM forwards it to the API's service URL, {{.AuthorityHost}}/{{.Tenant}}/oauth2/v2.0.",
		},
		Commands: []string{
			listProxyOps, showProxyAPI,
			`az apim api operation create -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id oauth-proxy --operation-id token --display-name token --method POST --url-template "/token"`,
		},
	},
	{
		ID: "token-proxy-not-entra", Title: "/token does not reach Entra", Severity: report.Error,
		Section: SecOAuthProxyAPI, Check: "token-proxy",
		Fix: []string{
			"The oauth-proxy API's service URL must be {{.AuthorityHost}}/{{.Tenant}}/oauth2/v2.0 (Part 5 Step 1) and the /token operation must have no policy of its own.",
		},
		Commands: []string{showProxyAPI, setProxyService},
	},
	{
		ID: "token-proxy-wrong-tenant", Title: "/token reaches Entra for a tenant that does not exist", Severity: report.Error,
		Section: SecOAuthProxyAPI, Check: "token-proxy",
		Fix: []string{
			"The oauth-proxy API's service URL still names another or a placeholder tenant: set it to {{.AuthorityHost}}/{{.Tenant}}/oauth2/v2.0.",
		},
		Commands: []string{showProxyAPI, setProxyService},
	},
	{
		ID: "token-proxy-app-not-in-tenant", Title: "/token reaches a tenant that does not know the Gateway app", Severity: report.Error,
		Section: SecOAuthProxyAPI, Check: "token-proxy",
		Fix: []string{
			"Entra does not know client {{.GatewayAppID}} in the tenant the service URL names: the service URL must be {{.AuthorityHost}}/{{.Tenant}}/oauth2/v2.0, the tenant where the Gateway app is registered (Part 2 Step 2).",
		},
		Commands: []string{showProxyAPI, setProxyService, "az ad app show --id {{.GatewayAppID}} --query \"{appId:appId, signInAudience:signInAudience}\""},
	},

	{
		ID: "token-proxy-secret-required", Title: "Entra wants a client secret to redeem codes for the Gateway app", Severity: report.Warning,
		Section: SecPart7, Check: "token-proxy",
		Fix: []string{
			"MCP clients sign in as public clients with PKCE and send no secret (Part 7). In the Gateway app, register the redirect URIs the client shows (VS Code: Copy URIs & Proceed) under Authentication → Mobile and desktop applications, so Entra redeems codes without a secret.",
		},
		Commands: []string{"az ad app show --id {{.GatewayAppID}} --query \"{publicClient:publicClient.redirectUris, web:web.redirectUris, allowPublicClient:isFallbackPublicClient}\""},
	},

	// tenant-keys.
	{
		ID: "tenant-not-found", Title: "Entra does not know the tenant", Severity: report.Error,
		Section: SecGatewayApp, Check: "tenant-keys",
		Fix: []string{
			"--tenant must be the Directory (tenant) ID from the Gateway app's Overview page (Part 2 Step 2), or a verified domain of that tenant.",
		},
		Commands: []string{"az account show --query \"{tenantId:tenantId, name:name}\"", "az ad app show --id {{.GatewayAppID}} --query publisherDomain -o tsv"},
	},
	{
		ID: "authority-unreachable", Title: "The Entra authority cannot be reached", Severity: report.Error,
		Section: SecPart2, Check: "tenant-keys",
		Fix: []string{
			"c7doctor, APIM and Context7 all need {{.AuthorityHost}}. Check the network path (proxy: HTTPS_PROXY) and --authority-host.",
		},
	},
	{
		ID: "tenant-discovery-invalid", Title: "The tenant's OpenID configuration is unusable", Severity: report.Error,
		Section: SecPart2, Check: "tenant-keys",
		Fix: []string{"The v2 discovery document must carry issuer and jwks_uri on {{.AuthorityHost}}: check --authority-host and --tenant."},
	},
	{
		ID: "tenant-issuer-mismatch", Title: "The tenant's issuer is not its v2 issuer", Severity: report.Error,
		Section: SecPart2, Check: "tenant-keys",
		Fix: []string{
			"Context7 accepts only tokens whose iss is {{.AuthorityHost}}/<tenant-guid>/v2.0; the tenant's discovery document must name that issuer. Check --authority-host and --tenant.",
		},
	},
	{
		ID: "tenant-jwks-invalid", Title: "The tenant's signing keys are unusable", Severity: report.Error,
		Section: SecPart2, Check: "tenant-keys",
		Fix: []string{"The tenant's JWKS must hold RSA keys for RS256 signatures; without them no token can be verified (APIM and Context7 verify the same way)."},
	},
	{
		ID: "tenant-mismatch", Title: "The gateway names another tenant", Severity: report.Error,
		Section: SecNamedValues, Check: "tenant-keys",
		Fix: []string{
			"Every tenant reference must be {{.Tenant}}: the entra-tenant-id named value (Part 3 Step 1), the oauth-proxy service URL (Part 5 Step 1) and the jwks_uri and Location of the Part 5 Step 2 policies.",
		},
		Commands: []string{
			"az apim nv show -g {{.ResourceGroup}} --service-name {{.APIMName}} --named-value-id entra-tenant-id --query value -o tsv",
			showProxyAPI, showASPolicy, showAuthzPolicy,
		},
	},
}
