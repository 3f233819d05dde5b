package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/c7doctor/c7doctor/azure"
)

// runEntraGatewayApp judges the APIM Gateway app's registration (Part 2
// Step 2, Part 2 Step 3's client list, Part 6 Step 1).
func runEntraGatewayApp(ctx context.Context, env *Env, r *Result) {
	cfg := env.Config
	a := readApp(ctx, env, r, appRole{check: "entra-gateway-app", read: azure.ReadGatewayApp, appID: cfg.GatewayAppID, flag: "--gateway-app-id",
		name: "Context7 APIM Gateway", step: "Part 2 Step 2", pick: func(apps *azure.Apps) *azure.Application { return apps.Gateway },
		tokenV1: "entra-gateway-token-v1", identifierURI: "entra-gateway-identifier-uri"})
	if a == nil {
		return
	}
	if scope, ok := judgeScope(r, a, "Mcp.Gateway.Access", "entra-gateway-scope"); ok {
		judgeGatewayClients(env, r, a, scope)
	}
	judgeRedirects(r, a)
	if c := federatedCause(ctx, env); c.found() {
		findCaused(r, "entra-gateway-federated-credential", "APIM's MCP policy exchanges the user's token with its managed identity's token ("+managedIdentityElement+", "+tokenExchangeAudience+") instead of a secret.", c)
	}
	if statusOf(r) == "pass" {
		r.Summary("%s: v2 tokens, api://%s, Mcp.Gateway.Access, %d authorized client(s)", a.DisplayName, cfg.GatewayAppID, len(a.API.PreAuthorizedApplications))
	}
}

// runEntraMCPAPIApp judges the Context7 MCP API app's registration (Part 2
// Step 1 and its side of Step 3).
func runEntraMCPAPIApp(ctx context.Context, env *Env, r *Result) {
	cfg := env.Config
	a := readApp(ctx, env, r, appRole{check: "entra-mcp-api-app", read: azure.ReadMCPAPIApp, appID: cfg.MCPAPIAppID, flag: "--mcp-api-app-id",
		name: "Context7 MCP API", step: "Part 2 Step 1", pick: func(apps *azure.Apps) *azure.Application { return apps.MCPAPI },
		tokenV1: "entra-mcp-api-token-v1", identifierURI: "entra-mcp-api-identifier-uri"})
	if a == nil {
		return
	}
	if scope, ok := judgeScope(r, a, "mcp.access", "entra-mcp-api-scope"); ok && !a.PreAuthorizes(cfg.GatewayAppID, scope.ID) {
		r.Find("entra-gateway-not-preauthorized", fmt.Sprintf("api.preAuthorizedApplications of the MCP API app does not hold the APIM Gateway app (%s) with mcp.access (%s): without it, the OBO exchange depends on admin consent alone.", cfg.GatewayAppID, scope.ID),
			WithCommands(preAuthorizeCommand(env, a, cfg.GatewayAppID, scope.ID)))
	}
	if statusOf(r) == "pass" {
		r.Summary("%s: v2 tokens, api://%s, mcp.access, the Gateway app pre-authorized", a.DisplayName, cfg.MCPAPIAppID)
	}
}

// appRole is one of the guide's two app registrations, as a check reads it.
type appRole struct {
	check, read, appID, flag, name, step string
	pick                                 func(*azure.Apps) *azure.Application
	tokenV1, identifierURI               string // finding ids
}

// readApp reads the app and judges what both registrations share: token
// version, Application ID URI, single tenant. nil when the check is settled.
func readApp(ctx context.Context, env *Env, r *Result, role appRole) *azure.Application {
	apps := graphRead(ctx, env, r, role.check)
	if apps == nil || readFailed(r, apps, role.read) {
		return nil
	}
	a := role.pick(apps)
	if a == nil {
		r.Find("entra-app-missing", fmt.Sprintf("No application in this tenant has app id %s (the %s): the %s app of %s is registered elsewhere or under another id.", role.appID, role.flag, role.name, role.step),
			WithFix(fmt.Sprintf("Register the %s app (%s) or give its Application (client) ID with %s.", role.name, role.step, role.flag)))
		return nil
	}
	appFacts(r, a)
	judgeTokenVersion(r, a, role.tokenV1)
	judgeIdentifierURI(r, a, role.appID, role.identifierURI)
	if a.SignInAudience != "" && a.SignInAudience != "AzureADMyOrg" {
		r.Find("entra-sign-in-audience", fmt.Sprintf("signInAudience is %s: the guide registers both apps as single tenant (AzureADMyOrg).", a.SignInAudience))
	}
	return a
}

func appFacts(r *Result, a *azure.Application) {
	r.Evidence("app", a.DisplayName+" ("+a.AppID+", object "+a.ObjectID+")")
	r.Evidence("requested_access_token_version", versionText(a))
	r.Evidence("identifier_uris", listOr(a.IdentifierURIs))
	var scopes []string
	for _, s := range a.API.OAuth2PermissionScopes {
		st := "enabled"
		if !s.IsEnabled {
			st = "disabled"
		}
		scopes = append(scopes, s.Value+" ("+st+")")
	}
	r.Evidence("scopes", listOr(scopes))
	var pre []string
	for _, p := range a.API.PreAuthorizedApplications {
		pre = append(pre, p.AppID)
	}
	slices.Sort(pre)
	r.Evidence("pre_authorized_clients", listOr(pre))
	r.Evidence("sign_in_audience", a.SignInAudience)
}

func judgeTokenVersion(r *Result, a *azure.Application, id string) {
	if a.TokenVersion() == 2 {
		return
	}
	r.Find(id, fmt.Sprintf("api.requestedAccessTokenVersion of %s is %s: Entra issues it v1 tokens (iss https://sts.windows.net/<tenant-id>/), which APIM's validate-azure-ad-token and Context7 refuse.", a.DisplayName, versionText(a)))
}

func judgeIdentifierURI(r *Result, a *azure.Application, appID, id string) {
	want := "api://" + appID
	for _, u := range a.IdentifierURIs {
		if strings.EqualFold(strings.TrimRight(u, "/"), want) {
			return
		}
	}
	r.Find(id, fmt.Sprintf("identifierUris of %s is [%s], without %s: scopes named api://%s/… resolve to no app.", a.DisplayName, strings.Join(a.IdentifierURIs, ", "), want, appID))
}

func judgeScope(r *Result, a *azure.Application, value, id string) (azure.PermissionScope, bool) {
	s, ok := a.Scope(value)
	switch {
	case !ok:
		var have []string
		for _, s := range a.API.OAuth2PermissionScopes {
			have = append(have, s.Value)
		}
		r.Find(id, fmt.Sprintf("api.oauth2PermissionScopes of %s holds no %s (it holds: %s).", a.DisplayName, value, listOr(have)))
		return s, false
	case !s.IsEnabled:
		r.Find(id, fmt.Sprintf("The %s scope of %s (%s) is disabled: isEnabled is false.", value, a.DisplayName, s.ID))
		return s, false
	}
	return s, true
}

// judgeGatewayClients checks the Gateway app's authorized client
// applications: the client this run signs in with (the Azure CLI by
// default, Part 6 Step 1) and VS Code (Part 2 Step 3).
func judgeGatewayClients(env *Env, r *Result, a *azure.Application, scope azure.PermissionScope) {
	cfg := env.Config
	client := runClientID(cfg)
	if !strings.EqualFold(client, cfg.GatewayAppID) && !a.PreAuthorizes(client, scope.ID) {
		who := "the client c7doctor signs in with (--client-id " + client + ")"
		if strings.EqualFold(client, AzureCLIClientID) {
			who = "the Azure CLI (" + client + "), which c7doctor signs in as"
		}
		r.Find("entra-client-not-preauthorized", fmt.Sprintf("api.preAuthorizedApplications of the APIM Gateway app does not hold %s with Mcp.Gateway.Access (%s): its sign-in is refused (AADSTS65005) unless someone consents.", who, scope.ID),
			WithCommands(preAuthorizeCommand(env, a, client, scope.ID)))
	}
	for _, c := range expectedClients(cfg) {
		if strings.EqualFold(c.ID, cfg.GatewayAppID) || strings.EqualFold(c.ID, client) || a.PreAuthorizes(c.ID, scope.ID) {
			continue
		}
		r.Find("entra-mcp-client-not-preauthorized", fmt.Sprintf("api.preAuthorizedApplications of the APIM Gateway app does not hold %s (%s) with Mcp.Gateway.Access (%s): its users are refused at sign-in (AADSTS65005).", c.Name, c.ID, scope.ID),
			WithCommands(preAuthorizeCommand(env, a, c.ID, scope.ID)))
	}
}

// preAuthorizeCommand is the az rest call that adds client to the app's
// authorized client applications for scopeID, keeping the ones it has:
// Graph replaces the whole list on PATCH.
func preAuthorizeCommand(env *Env, a *azure.Application, client, scopeID string) string {
	list := append([]azure.PreAuthorizedApplication(nil), a.API.PreAuthorizedApplications...)
	added := false
	for i, p := range list {
		if strings.EqualFold(p.AppID, client) {
			list[i].DelegatedPermissionIDs = append(slices.Clone(p.DelegatedPermissionIDs), scopeID)
			added = true
		}
	}
	if !added {
		list = append(list, azure.PreAuthorizedApplication{AppID: client, DelegatedPermissionIDs: []string{scopeID}})
	}
	body, _ := json.Marshal(map[string]any{"api": map[string]any{"preAuthorizedApplications": list}})
	return fmt.Sprintf("az rest --method PATCH --uri %s/v1.0/applications/%s --headers Content-Type=application/json --body '%s'", graphEndpoint(env), a.ObjectID, body)
}

// judgeRedirects checks the redirect URIs VS Code needs when it signs in
// with the Gateway app's own id (Part 7): on the public-client platform; on
// the web platform Entra demands a client secret (AADSTS7000218).
func judgeRedirects(r *Result, a *azure.Application) {
	var onWeb []string
	for _, u := range VSCodeRedirectURIs {
		if slices.Contains(a.Web.RedirectURIs, u) {
			onWeb = append(onWeb, u)
		}
	}
	if len(onWeb) > 0 {
		r.Find("entra-redirect-web-platform", fmt.Sprintf("web.redirectUris of the APIM Gateway app holds %s: on the web platform Entra demands a client secret at /token (AADSTS7000218), which VS Code does not have.", strings.Join(onWeb, ", ")))
		return
	}
	r.Evidence("public_client_redirect_uris", listOr(a.PublicClient.RedirectURIs))
	var missing []string
	for _, u := range VSCodeRedirectURIs {
		if !slices.Contains(a.PublicClient.RedirectURIs, u) {
			missing = append(missing, u)
		}
	}
	if len(missing) > 0 {
		r.Find("entra-redirect-missing", fmt.Sprintf("publicClient.redirectUris of the APIM Gateway app lacks %s: needed only when VS Code signs in with the Gateway app's own id (Part 7).", strings.Join(missing, ", ")))
	}
}
