package lab

import (
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
	return s
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

// hasOperation reports whether the API defines method path.
func (a labAPI) hasOperation(method, path string) bool {
	for _, o := range a.operations {
		if strings.EqualFold(o.method, method) && o.urlTemplate == path {
			return true
		}
	}
	return false
}
