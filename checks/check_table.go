package checks

import "strings"

// All is the journey a run makes, in order: the path an MCP client takes.
var All = []Check{
	{ID: "challenge", Title: "401 challenge from the MCP endpoint", Run: runChallenge},
	{ID: "prm", Title: "Protected resource metadata", Run: runPRM},
	{ID: "as-metadata", Title: "Authorization server metadata", Needs: []string{"prm"}, Run: runASMetadata},
	{ID: "authorize-redirect", Title: "/authorize redirects to Entra", Run: runAuthorizeRedirect},
	{ID: "client-authorize", Title: "Entra accepts the sign-in MCP clients start", Needs: []string{"authorize-redirect"}, NeedsText: "tenant, gateway app id", Ready: needTenantAndGatewayApp, Run: runClientAuthorize},
	{ID: "token-proxy", Title: "/token forwards to Entra", Run: runTokenProxy},
	{ID: "tenant-keys", Title: "Tenant discovery and signing keys", NeedsText: "tenant", Ready: needTenant, Run: runTenantKeys},
	{ID: "gateway-token", Title: "Token for the gateway", NeedsText: "tenant, gateway app id", Ready: needTenantAndGatewayApp, Run: runGatewayToken, PersonTime: true},
	{ID: "gateway-claims", Title: "Gateway token claims", Needs: []string{"gateway-token"}, Run: runGatewayClaims},
	{ID: "obo", Title: "On-Behalf-Of exchange", Needs: []string{"gateway-token"}, NeedsText: "gateway secret, MCP API app id", Ready: needSecretAndMCPApp, Run: runOBO},
	{ID: "obo-claims", Title: "OBO token claims", Needs: []string{"obo"}, Run: runOBOClaims},
	{ID: "mcp-initialize", Title: "MCP initialize through the gateway", Needs: []string{"gateway-token"}, Run: runMCPInitialize},
	{ID: "mcp-tools", Title: "MCP tools through the gateway", Needs: []string{"mcp-initialize"}, Run: runMCPTools},
	{ID: "upstream", Title: "OBO token straight to Context7", Needs: []string{"obo"}, NeedsText: "--upstream-probe", Ready: needUpstreamProbe, Run: runUpstream},

	// The configuration, as Azure Resource Manager shows it. The read starts
	// with the run and overlaps the journey; these checks judge it after.
	{ID: "apim-service", Title: "APIM instance (ARM)", NeedsText: "read access to the instance", Ready: needAPIM, Prefetch: prefetchAPIM, Run: runAPIMService},
	{ID: "apim-apis", Title: "MCP and OAuth proxy APIs (ARM)", NeedsText: "read access to the instance", Ready: needAPIM, Prefetch: prefetchAPIM, Run: runAPIMAPIs},
	{ID: "apim-named-values", Title: "Named values (ARM)", NeedsText: "read access to the instance; --read-secrets to compare the secret", Ready: needAPIM, Prefetch: prefetchAPIM, Run: runAPIMNamedValues},
	{ID: "apim-policies", Title: "Policies (ARM)", NeedsText: "read access to the instance", Ready: needAPIM, Prefetch: prefetchAPIM, Run: runAPIMPolicies},
	{ID: "apim-diagnostics", Title: "Diagnostics (ARM)", NeedsText: "read access to the instance", Ready: needAPIM, Prefetch: prefetchAPIM, Run: runAPIMDiagnostics},

	// The configuration side: what Microsoft Graph holds explains what the wire showed.
	{ID: "entra-gateway-app", Title: "APIM Gateway app registration (Graph)", NeedsText: "Graph read access, gateway app id", Ready: needGraph, Run: runEntraGatewayApp},
	{ID: "entra-mcp-api-app", Title: "Context7 MCP API app registration (Graph)", NeedsText: "Graph read access, MCP API app id", Ready: needGraphAndMCPApp, Run: runEntraMCPAPIApp},
	{ID: "entra-consent", Title: "Service principals and admin consent (Graph)", NeedsText: "Graph read access, gateway app id", Ready: needGraph, Run: runEntraConsent},
	{ID: "entra-secret", Title: "Gateway app client secret expiry (Graph)", NeedsText: "Graph read access, gateway app id", Ready: needGraph, Run: runEntraSecret},
}

// NeedsOf describes what a check needs, for `c7doctor checks`.
func NeedsOf(c Check) string {
	parts := append([]string(nil), c.Needs...)
	if c.NeedsText != "" {
		parts = append(parts, c.NeedsText)
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

func needTenant(env *Env) string {
	if env.Config.Tenant == "" {
		return "needs the tenant: set --tenant (the gateway did not reveal it)"
	}
	return ""
}

func needTenantAndGatewayApp(env *Env) string {
	if why := needTenant(env); why != "" {
		return why
	}
	if env.Config.GatewayAppID == "" {
		return "needs the gateway app id: set --gateway-app-id (the gateway did not reveal it)"
	}
	return ""
}

func needSecretAndMCPApp(env *Env) string {
	if env.Config.GatewaySecret == "" {
		return "no secret: set C7DOCTOR_GATEWAY_SECRET or --gateway-secret-file"
	}
	if env.Config.MCPAPIAppID == "" {
		return "needs the MCP API app id: set --mcp-api-app-id"
	}
	return ""
}

func needUpstreamProbe(env *Env) string {
	if !env.Config.UpstreamProbe {
		return "not requested: --upstream-probe"
	}
	if env.Config.Upstream == "" {
		return "needs --upstream"
	}
	return ""
}

func needGraphAndMCPApp(env *Env) string {
	if why := needGraph(env); why != "" {
		return why
	}
	if env.Config.MCPAPIAppID == "" {
		return "needs the MCP API app id: set --mcp-api-app-id"
	}
	return ""
}
