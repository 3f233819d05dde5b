package checks

import "github.com/c7doctor/c7doctor/report"

// The fix for Entra v2's refusal of the RFC 8707 resource parameter: the
// oauth-proxy's /authorize and /token policies drop it before Entra sees
// it. Expressions sit in element content, so <, > and & are escaped.
const (
	stripResourceAuthorize = `authorize-policy.xml, Location without resource: <set-header name="Location" exists-action="override"><value>@{
  var kept = context.Request.OriginalUrl.QueryString.TrimStart('?').Split('&amp;').Where(p =&gt; p != "resource" &amp;&amp; !p.StartsWith("resource="));
  return "{{.AuthorityHost}}/{{.Tenant}}/oauth2/v2.0/authorize?" + string.Join("&amp;", kept);
}</value></set-header>`
	stripResourceToken = `token operation, a new inbound policy (it had none): <policies><inbound><base /><set-body>@{
  var form = context.Request.Body.As&lt;string&gt;(preserveContent: true);
  return string.Join("&amp;", form.Split('&amp;').Where(p =&gt; p != "resource" &amp;&amp; !p.StartsWith("resource=")));
}</set-body></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`
	putTokenPolicy       = `az rest --method put --uri "` + mgmtService + `/apis/oauth-proxy/operations/token/policies/policy?api-version=2024-05-01" --body @/tmp/body.json`
	setPublicRedirects   = "az ad app update --id {{.GatewayAppID}} --public-client-redirect-uris http://127.0.0.1:33418 https://vscode.dev/redirect"
	showGatewayRedirects = "az ad app show --id {{.GatewayAppID}} --query \"{publicClient:publicClient.redirectUris, web:web.redirectUris, spa:spa.redirectUris}\""
)

// signInEntries are the findings of the route an MCP client's sign-in
// takes: what Entra answers the authorization request a client sends
// (client-authorize), what it says of resource at /token (token-proxy),
// and what a real browser sign-in meets (gateway-token with --flow browser).
var signInEntries = []Entry{
	{
		ID: "authorize-resource-refused", Title: "Entra refuses the resource parameter MCP clients send to /authorize (AADSTS9010010)", Severity: report.Warning,
		Section: SecDiscoveryPol, Check: "client-authorize",
		Fix: []string{
			"Clients that follow the MCP authorization spec (VS Code, Claude Code, mcp-remote, SDK clients) send resource = the PRM's resource to /authorize and /token; Entra v2 refuses any resource but the identifier URI of the app whose scopes are asked. Let the gateway drop it: the guide's authorize-policy.xml passes the whole query string on.",
			stripResourceAuthorize,
			stripResourceToken,
		},
		Commands: []string{showAuthzPolicy, putAuthzPolicy, putTokenPolicy},
	},
	{
		ID: "token-resource-refused", Title: "Entra refuses the resource parameter MCP clients send to /token (AADSTS9010010)", Severity: report.Warning,
		Section: SecDiscoveryPol, Check: "token-proxy",
		Fix: []string{
			"The /token operation passes the form on as it is (Part 5 Step 2: no policy), resource included, and Entra refuses it before it looks at the code: spec-following clients cannot redeem the code they got. Give the operation a policy that drops resource.",
			stripResourceToken,
		},
		Commands: []string{putTokenPolicy},
	},
	{
		ID: "client-redirect-not-registered", Title: "The client's redirect URI is not registered (AADSTS50011)", Severity: report.Error,
		Section: SecPart7, Check: "client-authorize",
		Fix: []string{
			"Register the redirect URIs VS Code shows at \"Copy URIs & Proceed\" (http://127.0.0.1:33418 and https://vscode.dev/redirect) on the APIM Gateway app, under Authentication → Mobile and desktop applications: there Entra redeems the code with PKCE and no secret. Entra ignores the port of a loopback URI.",
		},
		Commands: []string{showGatewayRedirects, setPublicRedirects},
	},
	{
		ID: "client-unknown", Title: "Entra does not know the client (AADSTS700016)", Severity: report.Error,
		Section: SecWrongClientID, Check: "client-authorize",
		Fix: []string{
			"The client id an MCP client signs in with must be an application the tenant knows: the APIM Gateway app's id (Part 7), or a Microsoft first-party client such as VS Code's (aebc6443-996d-45c2-90f0-388ff96faa56) whose service principal exists in the tenant.",
			"Pre-authorize the client on the Gateway app's Mcp.Gateway.Access scope (Part 2 Step 3).",
		},
	},
	{
		ID: "client-authorize-refused", Title: "Entra refuses the sign-in request an MCP client sends", Severity: report.Error,
		Section: SecPart7, Check: "client-authorize",
		Fix: []string{
			"Look the AADSTS code up (c7doctor explain AADSTSnnnn); the request is what an MCP client sends: PKCE S256, the PRM's scopes and offline_access, VS Code's redirect URIs.",
		},
		Commands: []string{showGatewayRedirects},
	},
	{
		ID: "client-authorize-unclear", Title: "Entra's answer to a client's sign-in request is neither a sign-in page nor an error", Severity: report.Warning,
		Section: SecPart7, Check: "client-authorize",
		Fix: []string{
			"Run with -v to see each hop. Federated sign-in or a proxy in front of Entra may answer differently; c7doctor follows redirects on the authority host only.",
		},
	},
	{
		ID: "token-browser-web-platform", Title: "Entra wants a client secret for the code: the redirect URI is on the web platform (AADSTS7000218)", Severity: report.Error,
		Section: SecPart7, Check: "gateway-token",
		Fix: []string{
			"MCP clients redeem the code with PKCE and no secret (Part 7). A redirect URI registered on the Gateway app's Web platform makes Entra take the client for a confidential one. Move VS Code's redirect URIs (http://127.0.0.1:33418, https://vscode.dev/redirect) from Authentication → Web to Authentication → Mobile and desktop applications.",
		},
		Commands: []string{showGatewayRedirects, "az ad app update --id {{.GatewayAppID}} --web-redirect-uris \"\"", setPublicRedirects},
	},
	{
		ID: "token-browser-failed", Title: "The browser sign-in through the gateway did not complete", Severity: report.Error,
		Section: SecPart7, Check: "gateway-token",
		Fix: []string{
			"Sign in within the time shown, in the browser c7doctor opens (or open the URL it prints). Run with -v to see the exchanges with the gateway's /authorize and /token.",
		},
	},
	{
		ID: "token-browser-no-refresh", Title: "The browser sign-in gave no refresh token", Severity: report.Warning,
		Section: SecPart7, Check: "gateway-token",
		Fix: []string{
			"MCP clients ask for offline_access to stay signed in; the AS metadata's scopes_supported lists it (Part 5 Step 2). Without a refresh token every user signs in again each hour.",
		},
		Commands: []string{showASPolicy},
	},
}
