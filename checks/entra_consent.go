package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/c7doctor/c7doctor/azure"
)

// runEntraConsent judges the permission chain of Part 2 Step 3 as the
// tenant holds it: both service principals, the Gateway app's API
// permission on mcp.access, the admin consent, and user assignment.
func runEntraConsent(ctx context.Context, env *Env, r *Result) {
	apps := graphRead(ctx, env, r, "entra-consent")
	if apps == nil || readFailed(r, apps, azure.ReadGatewaySP, azure.ReadMCPAPISP) {
		return
	}
	cfg := env.Config
	for _, sp := range []struct {
		found *azure.ServicePrincipal
		appID string
		name  string
	}{{apps.GatewaySP, cfg.GatewayAppID, "APIM Gateway"}, {apps.MCPAPISP, cfg.MCPAPIAppID, "Context7 MCP API"}} {
		if sp.appID == "" {
			continue
		}
		if sp.found == nil {
			r.Find("entra-no-service-principal", fmt.Sprintf("The %s app (%s) has no service principal in this tenant: Entra answers requests for it with AADSTS500011 (resource principal not found).", sp.name, sp.appID),
				WithCommands("az ad sp create --id "+sp.appID))
			continue
		}
		r.Evidence(strings.ToLower(strings.ReplaceAll(sp.name, " ", "_"))+"_service_principal", sp.found.ID)
	}
	if apps.Gateway != nil && apps.MCPAPI != nil {
		if s, ok := apps.MCPAPI.Scope("mcp.access"); ok && !apps.Gateway.Requires(apps.MCPAPI.AppID, s.ID) {
			r.Find("entra-permission-missing", fmt.Sprintf("requiredResourceAccess of the APIM Gateway app does not list the Context7 MCP API (%s) with mcp.access (%s, type Scope): there is nothing to consent to, and Entra refuses the OBO exchange (AADSTS65001, or AADSTS650057 when consent is asked).", cfg.MCPAPIAppID, s.ID))
		}
	}
	if apps.GatewaySP != nil && apps.MCPAPISP != nil {
		if readFailed(r, apps, azure.ReadGrants) {
			return
		}
		judgeAdminConsent(r, apps)
	}
	judgeAssignment(r, apps)
	if statusOf(r) == "pass" {
		r.Summary("both service principals exist; mcp.access is admin-consented for all users")
	}
}

func judgeAdminConsent(r *Result, apps *azure.Apps) {
	g, ok := apps.AdminConsent()
	if !ok {
		var other []string
		for _, g := range apps.Grants {
			if strings.EqualFold(g.ResourceID, apps.MCPAPISP.ID) {
				other = append(other, g.ConsentType+" ("+g.Scope+")")
			}
		}
		detail := "No oauth2PermissionGrant with consentType AllPrincipals from the gateway's service principal (" + apps.GatewaySP.ID + ") to the MCP API's (" + apps.MCPAPISP.ID + "): admin consent was never granted, and the OBO exchange fails with AADSTS65001."
		if len(other) > 0 {
			detail += " Grants to the MCP API that exist: " + strings.Join(other, ", ") + " (per-user consent does not cover an OBO exchange for other users)."
		}
		r.Find("entra-no-admin-consent", detail)
		return
	}
	r.Evidence("admin_consent", g.ConsentType+": "+g.Scope)
	for _, s := range strings.Fields(g.Scope) {
		if strings.EqualFold(s, "mcp.access") {
			return
		}
	}
	r.Find("entra-no-admin-consent", fmt.Sprintf("The admin consent from the gateway's service principal to the MCP API's covers %q, not mcp.access.", g.Scope))
}

// judgeAssignment checks that the signed-in user may use apps whose service
// principal requires assignment (AADSTS50105 otherwise).
func judgeAssignment(r *Result, apps *azure.Apps) {
	for _, sp := range []*azure.ServicePrincipal{apps.GatewaySP, apps.MCPAPISP} {
		if sp == nil || !sp.AppRoleAssignmentRequired {
			continue
		}
		r.Evidence("assignment_required", sp.DisplayName)
		if apps.UserOID == "" {
			r.Find("entra-assignment-unknown", fmt.Sprintf("%s requires user assignment (appRoleAssignmentRequired), and this run has no signed-in user to look for.", sp.DisplayName))
			continue
		}
		assigned, known := apps.UserAssigned(sp)
		switch {
		case !known:
			r.Find("entra-assignment-unknown", fmt.Sprintf("%s requires user assignment (appRoleAssignmentRequired); whether user %s is assigned could not be read (%s).", sp.DisplayName, apps.UserOID, listOr(apps.ErrorNames())))
		case !assigned:
			r.Find("entra-user-not-assigned", fmt.Sprintf("%s requires user assignment (appRoleAssignmentRequired) and user %s is assigned neither directly nor through a group: Entra refuses the user's sign-in with AADSTS50105.", sp.DisplayName, apps.UserOID),
				WithCommands(fmt.Sprintf("az rest --method POST --uri %s/v1.0/servicePrincipals/%s/appRoleAssignedTo --headers Content-Type=application/json --body '{\"principalId\":\"%s\",\"resourceId\":\"%s\",\"appRoleId\":\"00000000-0000-0000-0000-000000000000\"}'",
					graphEndpoint(r.env), sp.ID, apps.UserOID, sp.ID)))
		}
	}
}
