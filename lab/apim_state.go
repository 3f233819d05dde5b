package lab

import (
	"slices"
	"strings"
	"time"
)

// apimState is the APIM instance's configuration: the one state that both
// the gateway (what it does) and the management plane (what ARM shows)
// read, so that a fault shows on every face the real instance would show it.
type apimState struct {
	sku      string
	capacity int
	apis     []labAPI
	// named values, in the order the guide creates them (Part 3 Step 1).
	namedValues []labNamedValue
	// gatewaySecretValue is what the apim-gateway-client-secret named value
	// holds: the value the OBO policy sends.
	gatewaySecretValue string
	policies           apimPolicies
	products           []labProduct
	loggers            []labLogger
	// diagnostics at service level (api "") and API level.
	diagnostics []labDiagnostic
}

// labProduct is a product and the APIs it holds.
type labProduct struct {
	id, displayName, description string
	apis                         []string
	policy                       bool // holds a product policy
	subscriptionRequired         bool
}

type labLogger struct{ id, loggerType, description, resourceID string }

// labDiagnostic is a diagnostic setting: which logger it feeds and how
// many bytes of each body it logs. An API-level one overrides the
// service-level one of the same id for that API.
type labDiagnostic struct {
	api, id, logger                   string
	frontendRequest, frontendResponse int
	backendRequest, backendResponse   int
}

type labAPI struct {
	id, displayName, path, serviceURL string
	subscriptionRequired              bool
	operations                        []labOperation
}

type labOperation struct{ id, displayName, method, urlTemplate string }

type labNamedValue struct {
	id     string
	value  string // for a secret: what listValue answers
	secret bool
	// keyVault: the secret is a Key Vault reference (the guide's Tip),
	// with APIM's last refresh status.
	keyVault            bool
	kvStatus, kvMessage string
	kvRefreshed         time.Time
}

// Named values and API ids of the guide (Part 3, Part 5 Step 1).
const (
	nvTenantID      = "entra-tenant-id"
	nvGatewayAppID  = "apim-gateway-app-id"
	nvGatewaySecret = "apim-gateway-client-secret"
	nvMCPAPIAppID   = "mcp-api-app-id"
	apiMCP          = "context7-mcp"
	apiProxy        = "oauth-proxy"
	// secretIDOfGatewaySecret is the portal's "Secret ID" of the gateway
	// app's client secret: what named-value-secret-id pastes instead of the Value.
	secretIDOfGatewaySecret = "5c1e9a3d-7b2f-4d6e-a8c0-2f4b6d8e0a1c"
	// keyVaultSecretURI is where the healthy lab keeps the gateway secret
	// (the guide's Tip: back it with Key Vault).
	keyVaultSecretURI = "https://kv-context7-lab.vault.azure.net/secrets/apim-gateway-client-secret"
)

// apim builds the instance's state from the world and its faults.
func (w *World) apim() apimState {
	s := apimState{sku: "BasicV2", capacity: 1, gatewaySecretValue: w.GatewaySecret}
	if w.Has("sku-consumption") {
		s.sku, s.capacity = "Consumption", 0
	}
	if w.Has("named-value-secret-id") {
		s.gatewaySecretValue = secretIDOfGatewaySecret
	}
	refreshed := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	kvStatus, kvMessage := "Success", ""
	if w.Has("keyvault-refresh-failed") {
		kvStatus = "Forbidden"
		kvMessage = "Operation returned an invalid status code 'Forbidden'. The user, group or application does not have secrets get permission on key vault 'kv-context7-lab'."
	}
	s.namedValues = []labNamedValue{
		{id: nvTenantID, value: w.TenantID},
		{id: nvGatewayAppID, value: w.GatewayAppID},
		// The guide stores the secret inline; its Tip (and c7doctor's healthy lab) backs it with Key Vault.
		{id: nvGatewaySecret, value: s.gatewaySecretValue, secret: true, keyVault: !w.Has("guide-as-written") || w.Has("keyvault-refresh-failed"), kvStatus: kvStatus, kvMessage: kvMessage, kvRefreshed: refreshed},
		{id: nvMCPAPIAppID, value: w.MCPAPIAppID},
	}
	proxyTenant := w.TenantID
	if w.Has("proxy-wrong-tenant") {
		proxyTenant = OtherTenantID
	}
	proxy := labAPI{
		id: apiProxy, displayName: "OAuth Proxy", path: "",
		serviceURL:           w.AuthorityHost + "/" + proxyTenant + "/oauth2/v2.0",
		subscriptionRequired: w.Has("oauth-proxy-subscription-required"),
	}
	for _, op := range []labOperation{
		{"prm-metadata", "prm-metadata", "GET", "/.well-known/oauth-protected-resource"},
		{"as-metadata", "as-metadata", "GET", "/.well-known/oauth-authorization-server"},
		{"authorize", "authorize", "GET", "/authorize"},
		{"token", "token", "POST", "/token"},
	} {
		// An operation that does not exist is why the gateway answers 404 there.
		if (op.id == "as-metadata" && w.Has("as-metadata-missing")) ||
			(op.id == "authorize" && w.Has("authorize-broken")) ||
			(op.id == "token" && w.Has("token-proxy-broken")) {
			continue
		}
		proxy.operations = append(proxy.operations, op)
	}
	s.apis = []labAPI{
		{
			id: apiMCP, displayName: "Context7 MCP", path: w.APIPath, serviceURL: w.Context7URL,
			subscriptionRequired: w.Has("mcp-subscription-required"),
			operations:           []labOperation{{"post-mcp", "MCP", "POST", "/mcp"}},
		},
		proxy,
	}
	s.policies = w.policies()
	s.products = []labProduct{
		{id: productMCP, displayName: "Context7 users", description: "The Context7 MCP API for the organisation's developers.", apis: []string{apiMCP}, policy: true},
		// The products APIM creates with an instance, holding none of the guide's APIs.
		{id: "starter", displayName: "Starter", description: "Subscribers will be able to run 5 calls/minute up to a maximum of 100 calls/week.", subscriptionRequired: true},
		{id: "unlimited", displayName: "Unlimited", description: "Subscribers have completely unlimited access to the API.", subscriptionRequired: true},
	}
	s.loggers = []labLogger{{id: loggerAppInsights, loggerType: "applicationInsights", description: "Application Insights for the Context7 gateway",
		resourceID: "/subscriptions/" + w.SubscriptionID + "/resourceGroups/" + w.ResourceGroup + "/providers/microsoft.insights/components/appi-context7-lab"}}
	// The recommended fix of "Streaming responses get cut off": no body bytes.
	service := labDiagnostic{id: "applicationinsights", logger: loggerAppInsights}
	if w.Has("sse-truncated") {
		// "Number of payload bytes to log" set at the service level.
		service.frontendRequest, service.frontendResponse = 1024, 1024
		service.backendRequest, service.backendResponse = 1024, 1024
	}
	s.diagnostics = []labDiagnostic{service}
	if w.Has("diagnostics-body-logging") {
		s.diagnostics = append(s.diagnostics, labDiagnostic{api: apiMCP, id: "applicationinsights", logger: loggerAppInsights, frontendResponse: 8192, backendResponse: 8192})
	}
	return s
}

// loggerAppInsights is the lab instance's Application Insights logger.
const loggerAppInsights = "appinsights-context7"

// effectiveDiagnostics is what applies to an API: per diagnostic id, the
// API-level setting where there is one, else the service-level one.
func (s apimState) effectiveDiagnostics(api string) []labDiagnostic {
	var out []labDiagnostic
	for _, d := range s.diagnostics {
		if d.api == api {
			out = append(out, d)
		}
	}
	for _, d := range s.diagnostics {
		if d.api != "" || slices.ContainsFunc(out, func(o labDiagnostic) bool { return o.id == d.id }) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// buffersResponses reports whether APIM buffers the API's responses to log
// their bodies, which cuts a streamed (SSE) answer.
func (s apimState) buffersResponses(api string) bool {
	for _, d := range s.effectiveDiagnostics(api) {
		if d.frontendResponse > 0 || d.backendResponse > 0 {
			return true
		}
	}
	return false
}

func (s apimState) product(id string) (labProduct, bool) {
	for _, p := range s.products {
		if strings.EqualFold(p.id, id) {
			return p, true
		}
	}
	return labProduct{}, false
}

// api returns the API with the given id.
func (s apimState) api(id string) labAPI {
	for _, a := range s.apis {
		if a.id == id {
			return a
		}
	}
	return labAPI{}
}

// hasOperationID reports whether the API defines the operation.
func (a labAPI) hasOperationID(id string) bool {
	return slices.ContainsFunc(a.operations, func(o labOperation) bool { return strings.EqualFold(o.id, id) })
}

// hasOperation reports whether the API defines method path.
func (a labAPI) hasOperation(method, path string) bool {
	for _, o := range a.operations {
		if strings.EqualFold(o.method, method) && o.urlTemplate == path {
			return true
		}
	}
	return false
}
