package checks

import "github.com/c7doctor/c7doctor/report"

// mcpEntries are the findings of mcp-initialize, mcp-tools and the MCP side
// of upstream. apim-401, context7-401 and sse-truncated are core entries.
var mcpEntries = []Entry{
	{
		ID: "context7-401-audience", Title: "Context7 does not know the OBO token's audience", Severity: report.Error,
		Section: SecContext7401, Check: "mcp-initialize",
		Fix: []string{
			"In the Context7 dashboard (Settings → Microsoft Entra ID) the Audience must be the MCP API app's client id, {{.MCPAPIAppID}}, exactly (GUID form, not api://…, not the gateway app's id).",
		},
	},
	{
		ID: "context7-401-scope", Title: "Context7 requires a scope the OBO token does not carry", Severity: report.Error,
		Section: SecContext7401, Check: "mcp-initialize",
		Fix: []string{
			"In the Context7 dashboard (Settings → Microsoft Entra ID) the Required scope must be mcp.access, the bare scope name the OBO token's scp carries (not api://{{.MCPAPIAppID}}/mcp.access).",
		},
	},
	{
		ID: "context7-401-claims", Title: "Context7 refused the OBO token's claims (tenant or validity)", Severity: report.Error,
		Section: SecContext7401, Check: "mcp-initialize",
		Fix: []string{
			"In the Context7 dashboard (Settings → Microsoft Entra ID) the Tenant ID must be the OBO token's tid, {{.Tenant}}: Context7 checks the issuer https://login.microsoftonline.com/<Tenant ID>/v2.0 and the audience against it. A token not yet valid (nbf ahead of Context7's clock) earns the same answer.",
		},
	},
	{
		ID: "context7-401-signature", Title: "Context7 could not verify the OBO token's signature", Severity: report.Error,
		Section: SecContext7401, Check: "mcp-initialize",
		Fix: []string{
			"Context7 verifies the token against the signing keys of the dashboard's Tenant ID; it must be the tenant that issued the token ({{.Tenant}}). Use Test connection in the dashboard.",
		},
	},
	{
		ID: "context7-401-token", Title: "Context7 does not take the OBO token for an Entra v2 token", Severity: report.Error,
		Section: SecContext7401, Check: "mcp-initialize",
		Fix: []string{
			"Context7 accepts Entra tokens only with issuer https://login.microsoftonline.com/<tenant-id>/v2.0: a v1 token (sts.windows.net) means the MCP API app's manifest lacks requestedAccessTokenVersion 2 (Part 2 Step 1); other clouds are not supported.",
		},
		Commands: []string{"az ad app update --id {{.MCPAPIAppID}} --set api.requestedAccessTokenVersion=2"},
	},
	{
		ID: "context7-401-expired", Title: "Context7 received an expired OBO token", Severity: report.Error,
		Section: SecContext7401, Check: "mcp-initialize",
		Fix: []string{
			"APIM caches each user's OBO token for the policy's cache-store-value duration (3000 s in the guide). When Conditional Access shortens token lifetimes below that, APIM forwards expired tokens: lower the duration under the token lifetime.",
		},
	},
	{
		ID: "context7-no-token", Title: "APIM forwarded no OBO token to Context7", Severity: report.Error,
		Section: SecOBOPolicy, Check: "mcp-initialize",
		Fix: []string{
			"Context7 answered \"Authentication required\": the request reached it without a bearer token. The guide's policy does not check the token endpoint's answer: when Entra refuses APIM's OBO exchange, APIM forwards the request without a token. The obo check shows why Entra refuses.",
		},
	},
	{
		ID: "mcp-401-unknown", Title: "The MCP endpoint answered 401", Severity: report.Error,
		Section: SecAPIM401, Check: "mcp-initialize",
		Fix: []string{"Neither APIM's validate-azure-ad-token nor Context7 wrote this answer: look at the body and WWW-Authenticate in the detail for what did."},
	},
	{
		ID: "mcp-forbidden", Title: "The MCP endpoint answered 403 Forbidden", Severity: report.Error,
		Check: "mcp-initialize",
		Fix:   []string{"Something between here and Context7 refuses this caller outright (an APIM ip-filter or rate-limit policy, a firewall, a WAF): see the body in the detail."},
	},
	{
		ID: "mcp-not-found", Title: "The MCP endpoint does not exist (404)", Severity: report.Error,
		Section: SecCreateAPI, Check: "mcp-initialize",
		Fix: []string{
			"APIM matched no operation for POST {{.MCPEndpoint}}: the context7-mcp API must have path {{.APIPath}} and a POST /mcp operation (Part 3 Step 2). Check --gateway and --api-path.",
		},
		Commands: []string{"az apim api operation list -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id context7-mcp -o table"},
	},
	{
		ID: "mcp-policy-error", Title: "APIM's policy failed (500)", Severity: report.Error,
		Section: SecOBOPolicy, Check: "mcp-initialize",
		Fix: []string{
			"A policy expression or send-request of the context7-mcp API failed. In the guide's policy that is usually the OBO send-request (the token endpoint unreachable, or its answer not JSON) or a named value that does not resolve. Trace the request in APIM (Test console with tracing) using the activity id in the detail.",
		},
	},
	{
		ID: "gateway-obo-failed", Title: "APIM's OBO exchange with its managed identity was refused (502 obo_failed)", Severity: report.Error,
		Section: SecOBOPolicy, Check: "mcp-initialize",
		Fix: []string{
			"c7doctor's MCP policy exchanges the user's token without a client secret: authentication-managed-identity resource=\"api://AzureADTokenExchange\" gets a token for APIM's system-assigned managed identity, sent as client_assertion, and the Gateway app ({{.GatewayAppID}}) must trust it through a federated identity credential. Entra refuses the exchange when APIM's system-assigned identity is off, or when the Gateway app holds no federated credential for it, or one with another subject (it must be the identity's principal id), issuer ({{.AuthorityHost}}/<tenant-id>/v2.0) or audience (api://AzureADTokenExchange).",
			"Turn the identity on, then add the federated credential (the second command reads the identity's principal id and the tenant's id itself).",
		},
		Commands: []string{
			enableSystemIdentity,
			createFederatedCredential,
			"az ad app federated-credential list --id {{.GatewayAppID}} -o table",
		},
	},
	{
		ID: "mcp-backend-error", Title: "APIM could not reach Context7 (502/503/504)", Severity: report.Error,
		Section: SecCreateAPI, Check: "mcp-initialize",
		Fix:      []string{"The context7-mcp API's service URL must be https://mcp.context7.com (Part 3 Step 2), reachable from APIM."},
		Commands: []string{"az apim api show -g {{.ResourceGroup}} --service-name {{.APIMName}} --api-id context7-mcp --query serviceUrl"},
	},
	{
		ID: "mcp-server-error", Title: "The MCP server failed (5xx)", Severity: report.Error,
		Check: "mcp-initialize",
		Fix:   []string{"The server itself answered with an error; see the body in the detail. If it persists, it is Context7's to fix."},
	},
	{
		ID: "mcp-html", Title: "An HTML page answered instead of the MCP server", Severity: report.Error,
		Check: "mcp-initialize",
		Fix:   []string{"A web page (a proxy's block page, a sign-in page, a default site) answered at {{.MCPEndpoint}}: check --gateway and whatever sits in front of APIM."},
	},
	{
		ID: "mcp-http-error", Title: "The MCP endpoint answered with an HTTP error", Severity: report.Error,
		Check: "mcp-initialize",
		Fix:   []string{"See the status and body in the detail."},
	},
	{
		ID: "mcp-protocol-version", Title: "The server refused the MCP protocol version", Severity: report.Error,
		Section: SecSmokeCall, Check: "mcp-initialize",
		Fix: []string{"Pick a version the server supports with --protocol-version (Context7 4.x: 2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05)."},
	},
	{
		ID: "mcp-bad-response", Title: "The answer is not an MCP response", Severity: report.Error,
		Check: "mcp-initialize",
		Fix:   []string{"The endpoint answered 200 with something other than a JSON-RPC response over JSON or SSE: see the detail for what came."},
	},
	{
		ID: "mcp-rpc-error", Title: "The server answered with a JSON-RPC error", Severity: report.Error,
		Check: "mcp-initialize",
		Fix:   []string{"See the code and message in the detail."},
	},
	{
		ID: "mcp-too-large", Title: "The answer is larger than c7doctor reads", Severity: report.Error,
		Check: "mcp-initialize",
		Fix:   []string{"The answer exceeded 8 MiB; an MCP answer to this request is a few KiB. Something answers that is not the MCP server."},
	},
	{
		ID: "mcp-timeout", Title: "No complete answer in time", Severity: report.Error,
		Check: "mcp-initialize",
		Fix:   []string{"Raise --timeout if the gateway is slow; a stream that starts but never finishes an event is held up between APIM and Context7 (see Streaming responses get cut off)."},
	},
	{
		ID: "mcp-unreachable", Title: "The MCP endpoint did not answer", Severity: report.Error,
		Check: "mcp-initialize",
		Fix:   []string{"Check --gateway ({{.Gateway}}), DNS, proxies and TLS trust (--ca-file) from this machine."},
	},
	{
		ID: "mcp-no-session-id", Title: "No mcp-session-id header (the server is stateless)", Severity: report.Info,
		Section: SecSmokeCall, Check: "mcp-initialize",
		Fix: []string{"Nothing to fix: Context7 4.x serves each request on its own and sends no session id, although the guide's smoke test expects one."},
	},
	{
		ID: "mcp-not-context7", Title: "The MCP server is not Context7", Severity: report.Warning,
		Section: SecCreateAPI, Check: "mcp-initialize",
		Fix: []string{"The context7-mcp API's service URL should be https://mcp.context7.com (Part 3 Step 2)."},
	},
	{
		ID: "mcp-passed-without-token", Title: "initialize passed although APIM had no OBO token to forward", Severity: report.Warning,
		Section: SecOBOPolicy, Check: "mcp-initialize",
		Fix: []string{
			"When Entra refuses APIM's OBO exchange, the guide's policy forwards \"Authorization: Bearer \" with nothing after it, and Context7 4.x takes the bare word Bearer as an API key: initialize works, every tool call is refused. Fix what the obo check reports.",
		},
	},

	// mcp-tools
	{
		ID: "mcp-tools-missing", Title: "Context7's tools are missing from tools/list", Severity: report.Error,
		Section: SecPart7, Check: "mcp-tools",
		Fix: []string{"Context7 serves resolve-library-id and query-docs; a server without them is not Context7 (check the context7-mcp API's service URL, Part 3 Step 2)."},
	},
	{
		ID: "context7-user-not-provisioned", Title: "Context7 does not know this user", Severity: report.Error,
		Section: SecProvisionUsers, Check: "mcp-tools", Decides: []string{"context7-call-refused"},
		Fix: []string{
			"Add the user under Settings → Microsoft Entra ID users in the Context7 dashboard (Part 4 Step 2) with the Email and Object ID (oid) in the detail: Context7 resolves every call's oid against that list and does not provision anyone by itself.",
		},
	},
	{
		ID: "context7-call-refused", Title: "Context7 refused the tool call's key: an unprovisioned user or a missing rewrite-uri", Severity: report.Error,
		Section: SecContext7401, Check: "mcp-tools", Ambiguous: true,
		Fix: []string{
			"If the user is not in Settings → Microsoft Entra ID users of the Context7 dashboard, add them (Part 4 Step 2).",
			"If the context7-mcp policy has no <rewrite-uri template=\"/mcp/oauth\" />, restore it (Part 3 Step 3): without it APIM forwards to Context7's open /mcp, which takes the OBO token for an API key.",
			"The upstream check (--upstream-probe) tells the two apart.",
			"If apim-gateway-client-secret does not hold a current secret of the APIM Gateway app (apim-named-values, with --read-secrets), APIM's own OBO exchange fails and it forwards an empty token, which Context7 refuses the same way: store a current secret's Value (Part 3 Step 1).",
		},
	},
	{
		ID: "gateway-rewrite-missing", Title: "The policy's rewrite-uri is missing: APIM forwards to Context7's open /mcp", Severity: report.Error,
		Section: SecOBOPolicy, Check: "upstream", Decides: []string{"context7-call-refused"},
		Fix: []string{
			"Put <rewrite-uri template=\"/mcp/oauth\" /> back at the end of the context7-mcp API's inbound policy (Part 3 Step 3) and re-apply it: Context7 validates Entra tokens only on /mcp/oauth.",
		},
	},
	{
		ID: "mcp-call-without-token", Title: "The tool call reached Context7 without an OBO token", Severity: report.Error,
		Section: SecOBOPolicy, Check: "mcp-tools",
		Fix: []string{
			"APIM's OBO exchange failed (see the obo check), so the policy forwarded \"Authorization: Bearer \" with nothing after it; Context7 took the bare word Bearer as an API key and the Context7 API refused it.",
		},
	},
	{
		ID: "mcp-call-apim-obo-failed", Title: "APIM's OBO exchange fails on its client-secret named value: the call reached Context7 without a token", Severity: report.Error,
		Section: SecNamedValues, Check: "mcp-tools",
		Fix: []string{
			"APIM exchanges the user's token with the apim-gateway-client-secret named value, not with the secret c7doctor tested: Entra refuses it, the policy forwards \"Authorization: Bearer \" with nothing after it, and Context7 takes the bare word Bearer for an API key. Store a current secret's Value in the named value (Part 3 Step 1); apim-named-values shows what it holds.",
		},
	},
	{
		ID: "context7-rate-limited", Title: "Context7 rate-limited the call", Severity: report.Warning,
		Check: "mcp-tools",
		Fix:   []string{"The Context7 API answered 429: the teamspace's quota is spent for now. The gateway path itself works."},
	},
	{
		ID: "context7-api-error", Title: "Context7 could not reach its own API", Severity: report.Warning,
		Check: "mcp-tools",
		Fix:   []string{"The MCP server answered, but its call to the Context7 API failed; that is on Context7's side. Try again later."},
	},
	{
		ID: "mcp-call-no-results", Title: "resolve-library-id found nothing for Next.js", Severity: report.Warning,
		Check: "mcp-tools",
		Fix:   []string{"The call went through but found no library: the gateway path works; the answer is Context7's."},
	},
	{
		ID: "mcp-call-error", Title: "The tool call failed", Severity: report.Error,
		Check: "mcp-tools",
		Fix:   []string{"See Context7's answer in the detail."},
	},
}
