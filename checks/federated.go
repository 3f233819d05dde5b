package checks

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/policy"
)

// tokenExchangeAudience is the audience of a managed identity's token that
// a federated credential trusts.
const tokenExchangeAudience = "api://AzureADTokenExchange"

// managedIdentityElement is the policy statement that gets the token.
const managedIdentityElement = "authentication-managed-identity"

// federatedKey is the cause key of the trust between the Gateway app and
// APIM's managed identity: entra-gateway-app judges it, and the wire
// finding of a refused managed-identity exchange names it.
const federatedKey = "federated credential of the Gateway app for APIM's managed identity"

// federatedCause is what ARM and Graph show about the exchange c7doctor's
// MCP policy makes with APIM's managed identity: nothing when the policy
// sends a secret instead, or when either side cannot be read; else the
// identity turned off, or no federated credential of the Gateway app that
// names its issuer, subject and audience.
func federatedCause(ctx context.Context, env *Env) configCause {
	snap := armSnapshotFor(ctx, env)
	if snap == nil || !usesManagedIdentityExchange(snap, mcpAPIID(env, snap)) {
		return configCause{}
	}
	var apps *azure.Apps
	if snap.Service.Identity.SystemAssigned() {
		if graphUnavailable(env) != "" {
			return configCause{}
		}
		a, err := graphApps(ctx, env)
		if err != nil || a == nil || a.Gateway == nil || a.Errors[azure.ReadGatewayFederated] != nil {
			return configCause{}
		}
		apps = a
	}
	return judgeFederated(env.Config, snap.Service.Identity, apps)
}

// judgeFederated compares the identity ARM shows with the Gateway app's
// federated credentials (apps is read only when the identity is on).
func judgeFederated(cfg *Config, id azure.ServiceIdentity, apps *azure.Apps) configCause {
	d := NewCommandData(cfg)
	enable := d.expand(enableSystemIdentity)
	create := d.expand(createFederatedCredential)
	if !id.SystemAssigned() {
		return configCause{Keys: []string{federatedKey}, Commands: []string{enable, create},
			Sentence: fmt.Sprintf(" ARM shows the cause: the instance's system-assigned managed identity is off (identity type %s), so the policy's %s has no token to present and no %s can match.", cmp.Or(id.Type, "none"), managedIdentityElement, federatedKey)}
	}
	issuer := strings.TrimRight(cmp.Or(cfg.AuthorityHost, "https://login.microsoftonline.com"), "/") + "/" + cmp.Or(id.TenantID, cfg.Tenant) + "/v2.0"
	var near []string
	for _, f := range apps.GatewayFederated {
		subject := strings.EqualFold(f.Subject, id.PrincipalID)
		iss := strings.EqualFold(strings.TrimRight(f.Issuer, "/"), issuer)
		aud := slices.ContainsFunc(f.Audiences, func(a string) bool { return strings.EqualFold(a, tokenExchangeAudience) })
		if subject && iss && aud {
			return configCause{}
		}
		if subject || iss {
			near = append(near, fmt.Sprintf("%s (issuer %s, subject %s, audiences %s)", f.Name, f.Issuer, f.Subject, strings.Join(f.Audiences, " ")))
		}
	}
	why := fmt.Sprintf("there is no %s (issuer %s, subject %s, audience %s)", federatedKey, issuer, id.PrincipalID, tokenExchangeAudience)
	if len(near) > 0 {
		why += "; the nearest it holds: " + strings.Join(near, "; ")
	} else if len(apps.GatewayFederated) == 0 {
		why += "; it holds no federated credential at all"
	} else {
		why += fmt.Sprintf("; none of its %d federated credentials names that issuer or subject", len(apps.GatewayFederated))
	}
	return configCause{Keys: []string{federatedKey}, Commands: []string{create},
		Sentence: " ARM shows the cause, with Microsoft Graph: " + why + ", so Entra refuses the identity's token as the app's client credential (AADSTS70021)."}
}

// usesManagedIdentityExchange reports whether the MCP API's policy gets a
// token of APIM's managed identity for api://AzureADTokenExchange: the
// exchange without a secret, which a federated credential must trust.
func usesManagedIdentityExchange(snap *azure.APIM, api string) bool {
	for _, d := range snap.Policies.Docs {
		if (d.Scope != azure.PolicyAPI && d.Scope != azure.PolicyOperation) || !strings.EqualFold(d.API, api) {
			continue
		}
		doc, err := policy.Parse(policy.File{Path: policyDocPath(d), Content: d.XML, Format: policy.FormatXML})
		if err != nil || doc.Root == nil {
			continue
		}
		if hasElement(doc.Root, func(n *policy.Node) bool {
			return n.Name == managedIdentityElement && strings.EqualFold(n.AttrText("resource"), tokenExchangeAudience)
		}) {
			return true
		}
	}
	return false
}

func hasElement(n *policy.Node, match func(*policy.Node) bool) bool {
	if match(n) {
		return true
	}
	for _, c := range n.Elements() {
		if hasElement(c, match) {
			return true
		}
	}
	return false
}
