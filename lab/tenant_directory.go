package lab

import (
	"regexp"
	"strings"
)

// tenantDisplayName is the directory's name, as Entra quotes it in errors.
const tenantDisplayName = "Contoso Lab"

// Scope names the guide's app registrations expose (Part 2).
const (
	GatewayScope = "Mcp.Gateway.Access" // on the gateway app
	MCPAPIScope  = "mcp.access"         // on the MCP API app
	// missingScopeName is what the gateway app exposes instead under the
	// missing-scope fault: the name older tooling gave every app's scope.
	missingScopeName = "user_impersonation"
)

// application is an app registration in the lab's directory.
type application struct {
	appID  string
	name   string
	public bool     // "Allow public client flows": device code and PKCE without a secret
	secret bool     // holds a client secret (the gateway app's is World.GatewaySecret)
	scopes []string // delegated scopes it exposes
	family bool     // a Microsoft first-party app of the FOCI family (the Azure CLI)
}

// applications are the registrations the token endpoint knows, as the
// directory holds them: the guide's two apps and the Microsoft clients
// Part 2 Step 3 and Part 6 Step 1 pre-authorize.
func (t *tenant) applications() []application {
	var out []application
	for _, a := range t.w.dir.apps {
		out = append(out, application{appID: a.appID, name: a.name, public: a.public, secret: len(a.secrets) > 0, scopes: a.scopeValues(), family: a.family})
	}
	return out
}

func (t *tenant) app(appID string) (application, bool) {
	for _, a := range t.applications() {
		if strings.EqualFold(a.appID, appID) {
			return a, true
		}
	}
	return application{}, false
}

// oidcScopes are the OpenID Connect scopes MSAL adds to every request; Entra
// leaves them out of the scope it echoes.
var oidcScopes = map[string]bool{"openid": true, "profile": true, "offline_access": true, "email": true}

// scopeRequest is a parsed scope parameter: at most one resource app, the
// scope names asked of it, and the OpenID Connect scopes.
type scopeRequest struct {
	resource     application
	hasResource  bool
	resourceForm string   // how the request named the resource: "api://<id>" or "<id>"
	names        []string // scope names on the resource, ".default" included
	oidc         map[string]bool
}

var resourceScope = regexp.MustCompile(`^(api://)?([^/]+)/([^/]+)$`)

// parseScopes reads a space-separated scope parameter as Entra does: every
// non-OIDC scope must name one resource the directory holds and a scope it
// exposes (or ".default", which cannot be combined with other scopes).
func (t *tenant) parseScopes(raw string) (scopeRequest, *entraError) {
	req := scopeRequest{oidc: map[string]bool{}}
	fields := strings.Fields(raw)
	if len(fields) == 0 {
		return req, errScopeMissing()
	}
	for _, s := range fields {
		if oidcScopes[strings.ToLower(s)] {
			req.oidc[strings.ToLower(s)] = true
			continue
		}
		m := resourceScope.FindStringSubmatch(s)
		if m == nil {
			return req, errScopeInvalid(s)
		}
		form := m[1] + m[2]
		if req.hasResource && !strings.EqualFold(form, req.resourceForm) {
			return req, errScopeManyResources(raw)
		}
		app, ok := t.app(m[2])
		if !ok || !isGUID(m[2]) {
			return req, errResourceNotFound(form)
		}
		if d := t.w.dir.app(app.appID); d != nil && !d.firstParty && !d.hasSP {
			// Registered, but never instantiated in the tenant.
			return req, errResourceNotFound(form)
		}
		name := m[3]
		if name != ".default" && !exposes(app, name) {
			return req, errScopeInvalid(s)
		}
		req.resource, req.hasResource, req.resourceForm = app, true, form
		req.names = append(req.names, name)
	}
	if len(req.names) > 1 {
		for _, n := range req.names {
			if n == ".default" {
				return req, errScopeInvalid(raw)
			}
		}
	}
	return req, nil
}

func exposes(app application, name string) bool {
	for _, s := range app.scopes {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

// isDefault reports a ".default" request: every scope consented on the resource.
func (r scopeRequest) isDefault() bool { return len(r.names) == 1 && r.names[0] == ".default" }

// granted is the scope names the token's scp carries.
func (r scopeRequest) granted() []string {
	if r.isDefault() {
		return r.resource.scopes
	}
	return r.names
}

// echo is the response's "scope" for a token whose scp is scp: a ".default"
// request echoes what was granted, each qualified by the resource as the
// request named it, and the ".default" itself
// (reference/entra/token-response-default-scope.json); an explicit request
// echoes what it asked. MSAL fails a response whose scope lacks any
// requested (non-OIDC) scope with "declined scopes are present".
func (r scopeRequest) echo(scp []string) string {
	if !r.hasResource {
		return ""
	}
	if !r.isDefault() {
		var out []string
		for _, n := range r.names {
			out = append(out, r.resourceForm+"/"+n)
		}
		return strings.Join(out, " ")
	}
	var out []string
	for _, s := range scp {
		out = append(out, r.resourceForm+"/"+s)
	}
	return strings.Join(append(out, r.resourceForm+"/.default"), " ")
}

// clientAllowed reports whether client may ask a user for the scopes
// without an admin's say: the resource itself, a client the resource
// pre-authorizes (Part 2 Step 3, Part 6 Step 1), or one an admin consented.
func (t *tenant) clientAllowed(client application, scopes scopeRequest) bool {
	if !scopes.hasResource || strings.EqualFold(client.appID, scopes.resource.appID) {
		return true
	}
	res := t.w.dir.app(scopes.resource.appID)
	if res == nil || res.firstParty || res.preAuthorizes(client.appID, scopes.names) {
		return true
	}
	for _, s := range scopes.granted() {
		if !t.w.dir.consented(client.appID, res.appID, s) {
			return false
		}
	}
	return true
}
