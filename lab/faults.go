package lab

import "sort"

// Fault is a named switch that breaks the world the way the guide says it breaks.
type Fault struct {
	Name      string
	Area      string // tenant, directory (app registrations and consent), context7, gateway, apim (the instance's configuration)
	Behaviour string // what goes over the wire
	Guide     string // the guide section it exercises
}

var faults = []Fault{
	{"gateway-v1-token", "tenant", "user tokens carry iss https://sts.windows.net/<tid>/ and ver 1.0", "401 Unauthorized at APIM"},
	{"mcp-api-v1-token", "tenant", "OBO tokens carry iss https://sts.windows.net/<tid>/ and ver 1.0", "Step 1: Register the MCP API app"},
	{"wrong-audience", "tenant", "user tokens carry aud = the MCP API app id", "401 Unauthorized at APIM"},
	{"missing-scope", "tenant", "user tokens carry no Mcp.Gateway.Access in scp", "401 Unauthorized at APIM"},
	{"expired-token", "tenant", "user tokens are already expired when issued", "401 Unauthorized at APIM"},
	{"client-not-authorized", "tenant", "no client is pre-authorized on the Gateway app: device code and sign-in refused with AADSTS65005", "Wrong client ID returned to MCP clients"},
	{"vscode-redirect-missing", "tenant", "the Gateway app holds none of VS Code's redirect URIs: /authorize answers AADSTS50011", "Part 7: Connect an MCP client"},
	{"redirect-on-web-platform", "tenant", "VS Code's redirect URIs are on the Gateway app's web platform: codes are redeemed only with a secret (AADSTS7000218)", "Part 7: Connect an MCP client"},
	{"client-unknown", "tenant", "the tenant does not know VS Code's client id: /authorize answers AADSTS700016", "Wrong client ID returned to MCP clients"},
	{"device-code-declined", "tenant", "device code polling ends with authorization_declined", "Part 6: Smoke test the gateway from CLI"},
	{"mfa-required", "tenant", "OBO refused: AADSTS50076 interaction_required with claims", "OBO exchange returns AADSTS50013 or AADSTS65001"},
	{"obo-no-consent", "tenant", "OBO refused: AADSTS65001 consent_required", "OBO exchange returns AADSTS50013 or AADSTS65001"},
	{"obo-invalid-assertion", "tenant", "OBO refused: AADSTS50013 invalid_grant (assertion refused)", "OBO exchange returns AADSTS50013 or AADSTS65001"},
	{"obo-invalid-scope", "tenant", "OBO refused: AADSTS70011 invalid_scope", "OBO exchange returns AADSTS70011: Invalid scope"},
	{"obo-bad-secret", "tenant", "OBO refused: AADSTS7000215 invalid_client (HTTP 401)", "Step 2: Register the APIM Gateway app"},
	{"mcp-api-no-service-principal", "directory", "the MCP API app has no service principal: Graph finds none, OBO refused with AADSTS500011", "Step 1: Register the MCP API app"},
	{"no-admin-consent", "directory", "the gateway's mcp.access permission was never admin-consented: Graph holds no AllPrincipals grant, OBO refused with AADSTS65001", "Step 3: Wire the permission chain"},
	{"vscode-not-preauthorized", "directory", "VS Code is not an authorized client application of the gateway app: Graph shows it, /authorize refuses VS Code with AADSTS65005", "Step 3: Wire the permission chain"},
	{"cli-not-preauthorized", "directory", "the Azure CLI is not an authorized client application of the gateway app: Graph shows it, device code refused with AADSTS65005", "Step 1: Authorize the Azure CLI on the Gateway app"},
	{"secret-expiring", "directory", "the gateway app's client secret (the one APIM uses) expires in 10 days", "Step 2: Register the APIM Gateway app"},
	{"secret-expired", "directory", "the gateway app's client secret expired 2 days ago: OBO refused with AADSTS7000222", "Step 2: Register the APIM Gateway app"},
	{"secret-unused-newer", "directory", "APIM's client secret expires in 5 days; a newer secret exists that APIM does not use", "Step 1: Store credentials as named values"},
	{"federated-credential-missing", "directory", "the Gateway app holds no federated credential for APIM's managed identity: the tenant refuses the gateway's exchange (AADSTS70021), MCP calls answer 502 obo_failed", "Step 3: Attach the OBO policy"},
	{"graph-forbidden", "directory", "Microsoft Graph answers 403 Authorization_RequestDenied to every read", "Part 2: Register Entra applications"},
	{"c7-unknown-audience", "context7", "Context7's dashboard holds another audience: 401 -32001 Unknown audience", "401 Unauthorized from Context7 with a valid OBO token"},
	{"c7-missing-scope", "context7", "Context7's dashboard requires another scope: 401 -32001 Missing required scope", "401 Unauthorized from Context7 with a valid OBO token"},
	{"c7-tenant-mismatch", "context7", "Context7's dashboard holds another tenant: 401 -32001 Invalid token claims", "401 Unauthorized from Context7 with a valid OBO token"},
	{"c7-user-not-provisioned", "context7", "the lab user's oid is not provisioned: tool calls answer 'Invalid API key…'", "Step 2: Pre-provision your developers"},
	{"sse-truncated", "gateway", "the service-level diagnostic logs 1024 bytes of every body: the initialize event stream is cut mid-event, no event ids", "Streaming responses get cut off"},
	{"no-www-authenticate", "gateway", "the 401 from the MCP API carries no WWW-Authenticate", "Step 3: Add WWW-Authenticate to the MCP API on 401"},
	{"prm-placeholder", "gateway", "the PRM still holds <your-apim-host>", "Step 2: Attach the discovery + redirect policies"},
	{"prm-wrong-resource", "gateway", "the PRM resource names another host", "Step 2: Attach the discovery + redirect policies"},
	{"as-metadata-missing", "gateway", "404 on every authorization-server metadata URL", "Step 2: Attach the discovery + redirect policies"},
	{"authorize-broken", "gateway", "404 on /authorize", "Step 2: Attach the discovery + redirect policies"},
	{"token-proxy-broken", "gateway", "APIM's own 404 body on /token", "Step 1: Create the OAuth proxy API at the host root"},
	{"guide-as-written", "gateway", "the guide's /authorize and /token verbatim: both pass the RFC 8707 resource on to Entra, which refuses it (AADSTS9010010)", "Step 2: Attach the discovery + redirect policies"},
	{"authorize-forwards-resource", "gateway", "/authorize passes the RFC 8707 resource on to Entra, which refuses it (AADSTS9010010)", "Step 2: Attach the discovery + redirect policies"},
	{"mcp-subscription-required", "gateway", "the MCP API requires a subscription key: 401 \"Access denied due to missing subscription key\" before any policy", "Step 2: Create the API and the MCP operation"},
	{"oauth-proxy-subscription-required", "gateway", "the OAuth proxy API requires a subscription key: 401 on the metadata, /authorize and /token", "Step 1: Create the OAuth proxy API at the host root"},
	{"mcp-policy-missing", "gateway", "the MCP API has no policy of its own: APIM forwards every request as it is to Context7's open /mcp, which answers without a token", "Step 3: Attach the OBO policy"},
	{"rewrite-missing", "gateway", "the policy has no rewrite-uri: requests go to Context7's open /mcp, which takes the OBO token for an API key", "Step 3: Attach the OBO policy"},
	{"gateway-slow", "gateway", "every gateway answer waits --slow-delay (default 30s) before it starts", "Part 5: Expose OAuth discovery for MCP clients"},
	{"sku-consumption", "apim", "the instance is on the Consumption tier (ARM shows sku Consumption)", "Part 1: Provision API Management"},
	{"keyvault-refresh-failed", "apim", "the Key Vault-backed client secret's last refresh failed (Forbidden); the gateway still uses the old value", "Step 1: Store credentials as named values"},
	{"proxy-wrong-tenant", "apim", "the OAuth proxy API's service URL names another tenant: /token goes there", "Step 1: Create the OAuth proxy API at the host root"},
	{"named-value-secret-id", "apim", "the client-secret named value holds the secret's ID (a GUID): APIM's OBO exchange is refused", "Step 1: Store credentials as named values"},
	{"diagnostics-body-logging", "apim", "an API-level diagnostic on the MCP API logs 8192 bytes of response bodies over a clean service-level one: the initialize event stream is cut", "Streaming responses get cut off"},
	{"arm-forbidden", "apim", "the management plane answers 403 AuthorizationFailed: the reader has no role on the instance", "Part 1: Provision API Management"},
}

// Faults lists every fault switch, in a stable order.
func Faults() []Fault {
	out := append([]Fault(nil), faults...)
	sort.SliceStable(out, func(i, j int) bool { return areaOrder(out[i].Area) < areaOrder(out[j].Area) })
	return out
}

func areaOrder(a string) int {
	switch a {
	case "tenant":
		return 0
	case "directory":
		return 1
	case "context7":
		return 2
	case "apim":
		return 4
	}
	return 3
}

func faultByName(name string) (Fault, bool) {
	for _, f := range faults {
		if f.Name == name {
			return f, true
		}
	}
	return Fault{}, false
}
