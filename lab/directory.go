package lab

import (
	"crypto/subtle"
	"strings"
	"time"
)

// Fixed object and permission ids of the lab's directory, so that reports
// are stable across runs.
const (
	gatewayObjectID    = "0d6b1e5a-3c2f-4a8d-9e71-5b4c3a2d1e0f"
	mcpAPIObjectID     = "6e2a9c1d-7b3f-4d5e-8a6c-1f0e9d8c7b6a"
	gatewaySPID        = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	mcpAPISPID         = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
	gatewayScopeID     = "c1a2b3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
	mcpAPIScopeID      = "d2b3c4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
	consentGrantID     = "Zm9yLWxhYi1vbmx5LWNvbnNlbnQtZ3JhbnQtaWQ"
	gatewaySecretKeyID = "e3c4d5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f"
	newerSecretKeyID   = "f4d5e6a7-b8c9-4d0e-9f1a-3b4c5d6e7f80"
	readerAppObjectID  = "2c4e6a8b-0d1f-4b3c-9e5d-7f9a1b3c5d7e"
	readerSecretKeyID  = "3d5f7b9c-1e2a-4c4d-8f6e-8a0b2c4d6e8f"
)

// dirApp is an app registration and, when hasSP, its service principal:
// what the tenant's token endpoint enforces and what Graph shows.
type dirApp struct {
	appID, objectID, name string
	signInAudience        string
	// tokenVersion is api.requestedAccessTokenVersion: 0 stands for null
	// (v1 tokens, Entra's default), else 1 or 2.
	tokenVersion   int
	identifierURIs []string
	scopes         []dirScope
	// preAuthorized maps a client app id to the scope ids it may use without consent.
	preAuthorized map[string][]string
	// requires are the delegated API permissions: resource app id to scope ids.
	requires         map[string][]string
	secrets          []dirSecret
	federated        []dirFederated
	public           bool // allow public client flows
	redirects        []redirectURI
	family           bool // a Microsoft first-party app (FOCI)
	firstParty       bool // registered in Microsoft's tenant, not this one: no application object here
	hasSP            bool
	spID             string
	assignmentNeeded bool
}

type dirScope struct {
	id, value string
	enabled   bool
}

// dirSecret is a client secret: Graph shows its metadata and the first
// three characters of the value as its hint.
type dirSecret struct {
	keyID, name, value string
	start, end         time.Time
}

// dirGrant is an oauth2PermissionGrant between two service principals.
type dirGrant struct {
	id, clientSPID, resourceSPID, consentType, scope string
}

// directory is the tenant's state: app registrations, service principals
// and consent. Entra's endpoints and the Graph stand-in both read it, so a
// fault set here shows wherever the real service would show it.
type directory struct {
	apps   []*dirApp
	grants []dirGrant
}

// newDirectory builds the guide's directory plus c7doctor's recommended
// fixes, then applies the world's faults to it.
func newDirectory(w *World, now time.Time) *directory {
	day := 24 * time.Hour
	gw := &dirApp{
		appID: w.GatewayAppID, objectID: gatewayObjectID, name: "Context7 APIM Gateway",
		signInAudience: "AzureADMyOrg", tokenVersion: 2,
		identifierURIs: []string{"api://" + w.GatewayAppID},
		scopes:         []dirScope{{id: gatewayScopeID, value: GatewayScope, enabled: true}},
		preAuthorized: map[string][]string{
			VSCodeAppID:   {gatewayScopeID},
			AzureCLIAppID: {gatewayScopeID},
		},
		requires: map[string][]string{w.MCPAPIAppID: {mcpAPIScopeID}},
		secrets:  []dirSecret{{keyID: gatewaySecretKeyID, name: "apim-obo", value: w.GatewaySecret, start: now.Add(-30 * 24 * time.Hour), end: now.Add(540 * 24 * time.Hour)}},
		// APIM's managed identity, for the recommended policy's exchange without a secret.
		federated: []dirFederated{{name: "apim-managed-identity", issuer: w.Issuer(), subject: apimIdentityObjectID, audiences: []string{tokenExchangeAudience}}},
		public:    true,
		hasSP:     true, spID: gatewaySPID,
	}
	mcp := &dirApp{
		appID: w.MCPAPIAppID, objectID: mcpAPIObjectID, name: "Context7 MCP API",
		signInAudience: "AzureADMyOrg", tokenVersion: 2,
		identifierURIs: []string{"api://" + w.MCPAPIAppID},
		scopes:         []dirScope{{id: mcpAPIScopeID, value: MCPAPIScope, enabled: true}},
		preAuthorized:  map[string][]string{w.GatewayAppID: {mcpAPIScopeID}},
		requires:       map[string][]string{},
		hasSP:          true, spID: mcpAPISPID,
	}
	// Microsoft's apps: loopback, and VS Code's web redirect, all public.
	firstParty := []redirectURI{{"http://127.0.0.1", platformPublic}, {"http://localhost", platformPublic}, {"https://vscode.dev/redirect", platformPublic}}
	cli := &dirApp{appID: AzureCLIAppID, name: "Microsoft Azure CLI", public: true, family: true, firstParty: true, redirects: firstParty}
	d := &directory{
		apps:   []*dirApp{cli, gw, mcp},
		grants: []dirGrant{{id: consentGrantID, clientSPID: gatewaySPID, resourceSPID: mcpAPISPID, consentType: "AllPrincipals", scope: MCPAPIScope}},
	}
	// The service principal c7doctor reads the configuration as (Reader on
	// the instance, Application.Read.All in Graph).
	d.apps = append(d.apps, &dirApp{appID: w.ReaderAppID, objectID: readerAppObjectID, name: "c7doctor reader", signInAudience: "AzureADMyOrg",
		secrets: []dirSecret{{keyID: readerSecretKeyID, name: "c7doctor", value: w.ReaderSecret, start: now.Add(-day), end: now.Add(365 * day)}},
		hasSP:   true, spID: readerObjectID})
	if !w.Has("client-unknown") {
		d.apps = append(d.apps, &dirApp{appID: VSCodeAppID, name: "Visual Studio Code", public: true, firstParty: true, redirects: firstParty})
	}
	// VS Code's redirect URIs, for users who paste the gateway app's id (Part 7).
	if !w.Has("vscode-redirect-missing") {
		platform := platformPublic
		if w.Has("redirect-on-web-platform") {
			platform = platformWeb
		}
		for _, u := range VSCodeRedirectURIs {
			gw.redirects = append(gw.redirects, redirectURI{u, platform})
		}
	}
	if w.Has("client-not-authorized") {
		gw.preAuthorized = map[string][]string{}
	}
	if w.Has("gateway-v1-token") {
		gw.tokenVersion = 0
	}
	if w.Has("mcp-api-v1-token") {
		mcp.tokenVersion = 0
	}
	if w.Has("obo-no-consent") {
		// The permission was never added, so it was never granted.
		delete(gw.requires, w.MCPAPIAppID)
		d.grants = nil
	}
	if w.Has("no-admin-consent") {
		d.grants = nil
	}
	if w.Has("mcp-api-no-service-principal") {
		mcp.hasSP, mcp.spID = false, ""
		d.grants = nil
	}
	if w.Has("federated-credential-missing") {
		gw.federated = nil
	}
	if w.Has("vscode-not-preauthorized") {
		delete(gw.preAuthorized, VSCodeAppID)
	}
	if w.Has("cli-not-preauthorized") {
		delete(gw.preAuthorized, AzureCLIAppID)
	}
	used := &gw.secrets[0]
	switch {
	case w.Has("secret-expiring"):
		used.end = now.Add(10*day + time.Hour)
	case w.Has("secret-expired"):
		used.start, used.end = now.Add(-400*day), now.Add(-2*day)
	case w.Has("secret-unused-newer"):
		// Rotated in Entra, but APIM (and c7doctor) still hold the old one.
		used.start, used.end = now.Add(-360*day), now.Add(5*day+time.Hour)
		gw.secrets = append(gw.secrets, dirSecret{keyID: newerSecretKeyID, name: "apim-obo-2", value: newSecretValue(), start: now.Add(-day), end: now.Add(539 * day)})
	}
	return d
}

// newSecretValue is shaped like an Entra client secret: three random
// characters (the hint Graph shows), a version marker, then the rest.
func newSecretValue() string {
	return randomString(3) + "8Q~" + randomString(34)
}

func (d *directory) app(appID string) *dirApp {
	for _, a := range d.apps {
		if strings.EqualFold(a.appID, appID) {
			return a
		}
	}
	return nil
}

// v1Tokens reports whether access tokens for the resource app are v1.
func (d *directory) v1Tokens(resourceAppID string) bool {
	a := d.app(resourceAppID)
	return a != nil && !a.firstParty && a.tokenVersion != 2
}

// scopeValues are the enabled delegated scopes an app exposes.
func (a *dirApp) scopeValues() []string {
	var out []string
	for _, s := range a.scopes {
		if s.enabled {
			out = append(out, s.value)
		}
	}
	return out
}

func (a *dirApp) scopeID(value string) string {
	for _, s := range a.scopes {
		if strings.EqualFold(s.value, value) {
			return s.id
		}
	}
	return ""
}

// preAuthorizes reports whether client may use every named scope of a without consent.
func (a *dirApp) preAuthorizes(clientAppID string, names []string) bool {
	var ids []string
	for k, v := range a.preAuthorized {
		if strings.EqualFold(k, clientAppID) {
			ids = v
		}
	}
	for _, n := range names {
		if n == ".default" {
			continue
		}
		id := a.scopeID(n)
		found := false
		for _, g := range ids {
			found = found || g == id
		}
		if !found {
			return false
		}
	}
	return len(ids) > 0
}

// consented reports an AllPrincipals grant from client's service principal
// to resource's holding scope.
func (d *directory) consented(clientAppID, resourceAppID, scope string) bool {
	c, r := d.app(clientAppID), d.app(resourceAppID)
	if c == nil || r == nil || !c.hasSP || !r.hasSP {
		return false
	}
	for _, g := range d.grants {
		if g.clientSPID == c.spID && g.resourceSPID == r.spID && g.consentType == "AllPrincipals" {
			for _, s := range strings.Fields(g.scope) {
				if strings.EqualFold(s, scope) {
					return true
				}
			}
		}
	}
	return false
}

// secretFor finds the app's client secret with this value.
func (a *dirApp) secretFor(value string) (dirSecret, bool) {
	for _, s := range a.secrets {
		if subtle.ConstantTimeCompare([]byte(s.value), []byte(value)) == 1 {
			return s, true
		}
	}
	return dirSecret{}, false
}
