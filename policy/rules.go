package policy

// Severity of a finding: errors break the setup or leak across users;
// warnings are risks the guide's own policies take on purpose.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Guide headings the rules point at, exactly as the guide writes them.
const (
	secNamedValues = "Step 1: Store credentials as named values"
	secOBOPolicy   = "Step 3: Attach the OBO policy"
	secDiscovery   = "Step 2: Attach the discovery + redirect policies"
	secWWWAuth     = "Step 3: Add WWW-Authenticate to the MCP API on 401"
	secAPIM401     = "401 Unauthorized at APIM"
	secOBO70011    = "OBO exchange returns AADSTS70011: Invalid scope"
	secContext7401 = "401 Unauthorized from Context7 with a valid OBO token"
)

// Rule is one lint rule. Its id, severity and section never change.
type Rule struct {
	ID       string
	Severity Severity
	Title    string
	Section  string   // guide heading that fixes it
	Fix      []string // what to do, with a snippet where one helps
}

// Rules is every rule, in the order the README's table lists them.
var Rules = []Rule{
	// The document itself.
	{ID: "xml-not-well-formed", Severity: Error, Section: secOBOPolicy,
		Title: "The policy document cannot be read",
		Fix:   []string{"Fix the XML at the line shown; APIM rejects the whole document."}},
	{ID: "template-placeholder", Severity: Error, Section: secDiscovery,
		Title: "A template placeholder of the guide is left in the policy",
		Fix:   []string{"Replace <your-tenant-id>, <your-apim-host>, <gateway-app-id> … with your values. As tags they make the document ill-formed; as text they reach clients as they are."}},
	{ID: "expression-attribute-escaping", Severity: Error, Section: secOBOPolicy,
		Title: "An attribute expression holds a raw quote, '<' or '&'",
		Fix:   []string{"In format=xml documents write &quot;, &lt; and &amp; inside attribute expressions (the guide's note under Part 3 Step 3), or store the file as rawxml."}},
	{ID: "named-value-in-expression", Severity: Error, Section: secOBOPolicy,
		Title: "A {{named value}} inside a policy expression is not substituted",
		Fix:   []string{`Copy the named value into a variable first: <set-variable name="tenantId" value="{{entra-tenant-id}}" />, then read (string)context.Variables["tenantId"] in the expression.`}},
	{ID: "named-value-missing", Severity: Error, Section: secNamedValues,
		Title: "A referenced named value does not exist",
		Fix:   []string{"Create the named value (az apim nv create … --named-value-id <name>) or correct the reference."}},
	{ID: "named-value-unresolved", Severity: Info, Section: secNamedValues,
		Title: "A named value could not be checked: no named values were given",
		Fix:   []string{"Lint the whole APIOps tree (with its named values folder), or pass --named-values, to check every {{reference}}."}},
	{ID: "base-missing", Severity: Warning, Section: secOBOPolicy,
		Title: "A section does not run the enclosing scope's policies (<base /> missing)",
		Fix:   []string{"Put <base /> in every section of API and operation policies so global and product policies still run."}},
	{ID: "section-duplicate", Severity: Error, Section: secWWWAuth,
		Title: "A policy section appears twice",
		Fix:   []string{"Merge the two sections: the guide's <on-error> block replaces the existing one, it does not sit beside it."}},
	{ID: "secret-in-variable", Severity: Warning, Section: secOBOPolicy,
		Title: "The client secret is copied into a context variable",
		Fix:   []string{`Request traces show context variables. Keep the secret out of the policy: give the Gateway app a federated credential that trusts APIM's managed identity and send <authentication-managed-identity resource="api://AzureADTokenExchange" output-token-variable-name="msiAssertion" />'s token as client_assertion (client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-bearer) instead of client_secret.`}},

	// Entra token validation.
	{ID: "token-validation-missing", Severity: Error, Section: secOBOPolicy,
		Title: "The MCP API does not validate the caller's token",
		Fix:   []string{"Add <validate-azure-ad-token> with the tenant, the Gateway app's audience and the Mcp.Gateway.Access scope before the OBO exchange."}},
	{ID: "token-validation-tenant", Severity: Error, Section: secAPIM401,
		Title: "validate-azure-ad-token does not name a tenant",
		Fix:   []string{`Set tenant-id="{{entra-tenant-id}}" (a GUID or a verified domain of your tenant).`}},
	{ID: "token-validation-audience", Severity: Error, Section: secAPIM401,
		Title: "validate-azure-ad-token does not expect the Gateway app as audience",
		Fix:   []string{"<audiences><audience>{{apim-gateway-app-id}}</audience></audiences>: the Gateway app's client id (or api://<gateway-app-id>), not the MCP API app's."}},
	{ID: "token-validation-scope", Severity: Error, Section: secAPIM401,
		Title: "validate-azure-ad-token does not require the Mcp.Gateway.Access scope",
		Fix:   []string{`<required-claims><claim name="scp" match="any" separator=" "><value>Mcp.Gateway.Access</value></claim></required-claims>`}},
	{ID: "token-validation-scp-separator", Severity: Warning, Section: secAPIM401,
		Title: "The scp claim is matched without a separator",
		Fix:   []string{`scp is a space-separated list: without separator=" " a token that carries a second scope is refused. Add separator=" " to <claim name="scp">.`}},
	{ID: "token-validation-status", Severity: Error, Section: secWWWAuth,
		Title: "A refused token is not answered with 401",
		Fix:   []string{`Set failed-validation-httpcode="401": MCP clients start the sign-in only on a 401 with WWW-Authenticate.`}},

	// The OBO exchange.
	{ID: "obo-missing", Severity: Error, Section: secOBOPolicy,
		Title: "The MCP API forwards the caller's token without an OBO exchange",
		Fix:   []string{"Add the guide's <send-request> to the tenant's token endpoint (grant jwt-bearer, requested_token_use on_behalf_of) and forward its access_token; Context7 accepts only tokens for the MCP API app."}},
	{ID: "obo-endpoint", Severity: Error, Section: secOBOPolicy,
		Title: "The OBO request does not go to the tenant's v2 token endpoint",
		Fix:   []string{`<set-url>@("https://login.microsoftonline.com/" + (string)context.Variables["entraTenantId"] + "/oauth2/v2.0/token")</set-url>: the tenant's own v2 endpoint, not /common and not the v1 /oauth2/token.`}},
	{ID: "obo-grant-type", Severity: Error, Section: secOBOPolicy,
		Title: "The OBO request does not use the jwt-bearer grant",
		Fix:   []string{"grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer with the caller's token as assertion."}},
	{ID: "obo-token-use", Severity: Error, Section: secOBOPolicy,
		Title: "The OBO request does not ask for requested_token_use=on_behalf_of",
		Fix:   []string{"Add requested_token_use=on_behalf_of to the body of the OBO request."}},
	{ID: "obo-scope", Severity: Error, Section: secOBO70011,
		Title: "The OBO scope is not api://<mcp-api-app-id>/.default",
		Fix:   []string{`scope = "api://" + (string)context.Variables["mcpApiAppId"] + "/.default", the MCP API app's client id from the mcp-api-app-id named value.`}},
	{ID: "obo-response-unchecked", Severity: Warning, Section: secOBOPolicy,
		Title: "The OBO response is used without checking its status",
		Fix: []string{
			"When Entra refuses the exchange the policy forwards an empty \"Bearer \" and Context7 answers with its API-key text, not a 401. Check the status first:",
			`<choose><when condition="@(((IResponse)context.Variables[&quot;oboResponse&quot;]).StatusCode != 200)"><return-response><set-status code="502" reason="OBO exchange failed" /></return-response></when></choose>`,
		}},

	// The OBO token cache.
	{ID: "cache-missing", Severity: Warning, Section: secOBOPolicy,
		Title: "The OBO token is not cached",
		Fix:   []string{`Every MCP request then waits for a token exchange with Entra, which throttles a busy tenant. Look the token up before the exchange and store it after a successful one, keyed on the caller: <cache-lookup-value key="@(&quot;obo-mcp-&quot; + (string)context.Variables[&quot;userTid&quot;] + &quot;-&quot; + (string)context.Variables[&quot;userOid&quot;])" variable-name="oboToken" /> … <cache-store-value … duration="3000" />.`}},
	{ID: "cache-key-user", Severity: Error, Section: secOBOPolicy,
		Title: "The OBO token cache key does not depend on the user",
		Fix:   []string{`One user's token would be served to every user. Key the cache on the caller: @("obo-mcp-" + (string)context.Variables["userTid"] + "-" + (string)context.Variables["userOid"]).`}},
	{ID: "cache-key-tenant", Severity: Info, Section: secOBOPolicy,
		Title: "The OBO token cache key holds the oid without the tid",
		Fix:   []string{"An oid is unique within one tenant only; key on tid and oid if the gateway ever accepts a second tenant."}},
	{ID: "cache-key-empty", Severity: Warning, Section: secOBOPolicy,
		Title: "The OBO token cache key can be empty of the user",
		Fix:   []string{`The user id is read with an empty default, so every token without oid shares one cache entry. Refuse such requests first: <choose><when condition="@(string.IsNullOrEmpty((string)context.Variables[&quot;userOid&quot;]))"><return-response><set-status code="401" reason="Unauthorized" /></return-response></when></choose>.`}},
	{ID: "cache-duration", Severity: Error, Section: secOBOPolicy,
		Title: "The OBO token is cached longer than it lives",
		Fix:   []string{"Entra's access tokens live 60 to 90 minutes (less under Conditional Access); cache for at most 3300 s (one hour minus five minutes of skew) — the guide uses 3000."}},
	{ID: "cache-unconditional", Severity: Warning, Section: secOBOPolicy,
		Title: "The OBO token is cached even when the exchange failed",
		Fix:   []string{"Put <cache-store-value> inside the <when> that checked the OBO response's status, so a refused exchange is not served for the cache's whole duration."}},

	// What goes to Context7.
	{ID: "authorization-header", Severity: Error, Section: secContext7401,
		Title: "Context7 does not get \"Bearer \" + the OBO token",
		Fix:   []string{`<set-header name="Authorization" exists-action="override"><value>@("Bearer " + (string)context.Variables["oboToken"])</value></set-header>`}},
	{ID: "bearer-case-sensitive", Severity: Warning, Section: secAPIM401,
		Title: "The bearer prefix is read case-sensitively",
		Fix:   []string{`RFC 6750 schemes are case-insensitive: auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase).`}},
	{ID: "rewrite-uri-missing", Severity: Error, Section: secOBOPolicy,
		Title: "The MCP API does not rewrite to /mcp/oauth",
		Fix:   []string{`Add <rewrite-uri template="/mcp/oauth" />: Context7's /mcp ignores the bearer token.`}},
	{ID: "rewrite-uri-duplicate", Severity: Error, Section: secOBOPolicy,
		Title: "The MCP API rewrites the URL more than once",
		Fix:   []string{"Keep exactly one <rewrite-uri template=\"/mcp/oauth\" /> across the composed scopes."}},
	{ID: "rewrite-uri-target", Severity: Error, Section: secOBOPolicy,
		Title: "The MCP API rewrites to a path other than /mcp/oauth",
		Fix:   []string{`<rewrite-uri template="/mcp/oauth" />`}},

	// What goes back to the client.
	{ID: "challenge-header-missing", Severity: Error, Section: secWWWAuth,
		Title: "A 401 from the gateway carries no WWW-Authenticate with resource_metadata",
		Fix:   []string{"Add the guide's <on-error> block: on 401 set WWW-Authenticate: Bearer resource_metadata=\"https://<your-apim-host>/.well-known/oauth-protected-resource\"."}},
	{ID: "challenge-header-origin", Severity: Error, Section: secWWWAuth,
		Title: "resource_metadata does not point at the gateway's own PRM",
		Fix:   []string{"resource_metadata must be an absolute https URL on the gateway's origin, the same host the PRM's resource names."}},
	{ID: "challenge-upstream-passed", Severity: Warning, Section: secWWWAuth,
		Title: "Context7's own WWW-Authenticate is passed through",
		Fix:   []string{`Context7 answers every response with a challenge that points at its own metadata. Replace it on the way out: in <outbound>, <set-header name="WWW-Authenticate" exists-action="delete" /> (or override it with the gateway's on 401).`}},

	// The discovery surface.
	{ID: "discovery-response-missing", Severity: Error, Section: secDiscovery,
		Title: "The OAuth proxy API does not serve a discovery answer",
		Fix:   []string{"Attach the guide's return-response policies to the OAuth proxy API's prm-metadata, as-metadata and authorize operations: without them APIM forwards those requests to Entra's v2 base URL, which has no such path."}},
	{ID: "discovery-json", Severity: Error, Section: secDiscovery,
		Title: "A discovery document is not valid JSON",
		Fix:   []string{"Fix the JSON of the <set-body> at the position shown; MCP clients stop at the first parse error."}},
	{ID: "prm-resource", Severity: Error, Section: secDiscovery,
		Title: "The PRM's resource does not cover the MCP endpoint",
		Fix:   []string{`"resource": "https://<your-apim-host>/<api-path>" (or the full …/mcp URL), on the gateway's origin.`}},
	{ID: "prm-authorization-server", Severity: Error, Section: secDiscovery,
		Title: "The PRM's authorization_servers does not name the AS metadata's issuer",
		Fix:   []string{`"authorization_servers": ["https://<your-apim-host>"], exactly the "issuer" of the AS metadata document.`}},
	{ID: "authorize-location", Severity: Error, Section: secDiscovery,
		Title: "The /authorize redirect does not go to the tenant's v2 authorize endpoint",
		Fix:   []string{`Location: @($"https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/authorize{context.Request.OriginalUrl.QueryString}") — QueryString already starts with "?".`}},
	{ID: "authorize-resource-forwarded", Severity: Warning, Section: secDiscovery,
		Title: "The /authorize redirect passes the RFC 8707 resource parameter on to Entra",
		Fix:   []string{"Entra v2 refuses resource (AADSTS9010010, AADSTS901002), and MCP clients send it. Build the query without it:", `@{ var q = context.Request.OriginalUrl.Query.Where(p => p.Key != "resource").SelectMany(p => p.Value.Select(v => System.Net.WebUtility.UrlEncode(p.Key) + "=" + System.Net.WebUtility.UrlEncode(v))); return "https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/authorize?" + string.Join("&amp;", q); }`}},
}

// RuleByID finds a rule.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
