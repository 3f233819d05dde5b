package lab

import (
	"net"
	"net/url"
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

// VSCodeAppID is the client id of Microsoft's first-party VS Code app,
// which the guide's Part 2 Step 3 pre-authorizes on the Gateway app.
const VSCodeAppID = "aebc6443-996d-45c2-90f0-388ff96faa56"

// VSCodeRedirectURIs are the redirect URIs VS Code shows for a server
// without dynamic client registration ("Copy URIs & Proceed"), which the
// admin registers on the app whose id is pasted (Part 7).
var VSCodeRedirectURIs = []string{"http://127.0.0.1:33418", "https://vscode.dev/redirect"}

// Redirect URI platforms of an app registration: "Mobile and desktop
// applications" redeem codes without a secret (PKCE), "Web" only with one.
const (
	platformPublic = "publicClient"
	platformWeb    = "web"
)

// redirectURI is one registered redirect URI and its platform.
type redirectURI struct {
	uri      string
	platform string
}

// application is an app registration (or, for Microsoft's own apps, a
// service principal) in the lab's directory.
type application struct {
	appID  string
	name   string
	public bool     // "Allow public client flows": device code and PKCE without a secret
	secret bool     // holds a client secret (see secretOf)
	scopes []string // delegated scopes it exposes
	family bool     // a Microsoft first-party app of the FOCI family (the Azure CLI)
	// firstParty apps are Microsoft's: their redirect URIs are Microsoft's
	// registration, loopback and VS Code's web redirect, all public.
	firstParty bool
	redirects  []redirectURI
	// preAuthorized are the clients that may ask for its scopes without a
	// consent prompt ("Authorized client applications").
	preAuthorized []string
}

// identifierURI is the app's Application ID URI, the guide's default.
func (a application) identifierURI() string { return "api://" + a.appID }

// applications are the registrations the token endpoint knows, as the
// directory holds them (faults applied there): the guide's two apps and the
// Microsoft apps it names, the Azure CLI (Part 6 Step 1) and VS Code (Part
// 2 Step 3).
func (t *tenant) applications() []application {
	var out []application
	for _, a := range t.w.dir.apps {
		app := application{appID: a.appID, name: a.name, public: a.public, secret: len(a.secrets) > 0,
			scopes: a.scopeValues(), family: a.family, firstParty: a.firstParty, redirects: a.redirects}
		for client := range a.preAuthorized {
			app.preAuthorized = append(app.preAuthorized, client)
		}
		out = append(out, app)
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

// redirectPlatform finds uri among the app's redirect URIs, the way Entra
// matches them: exactly, except that a loopback URI's port is ignored (RFC
// 8252: native apps listen on an ephemeral port) and an empty path is "/".
func (a application) redirectPlatform(uri string) (platform string, ok bool) {
	for _, r := range a.redirects {
		if sameRedirect(r.uri, uri) {
			return r.platform, true
		}
	}
	return "", false
}

func sameRedirect(registered, sent string) bool {
	ru, err1 := url.Parse(registered)
	su, err2 := url.Parse(sent)
	if err1 != nil || err2 != nil || su.Fragment != "" || su.User != nil {
		return false
	}
	path := func(u *url.URL) string {
		if u.Path == "" {
			return "/"
		}
		return u.Path
	}
	if !strings.EqualFold(ru.Scheme, su.Scheme) || !strings.EqualFold(ru.Hostname(), su.Hostname()) || path(ru) != path(su) {
		return false
	}
	if ru.Scheme == "http" && isLoopbackHost(ru.Hostname()) {
		return true // any port
	}
	return ru.Port() == su.Port()
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// preAuthorizes reports whether client may ask for the app's scopes
// without a consent prompt: the app itself, or a client on its list.
func (a application) preAuthorizes(client application) bool {
	if strings.EqualFold(a.appID, client.appID) {
		return true
	}
	for _, id := range a.preAuthorized {
		if strings.EqualFold(id, client.appID) {
			return true
		}
	}
	return false
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

var resourceScope = lazyRegexp(`^(api://)?([^/]+)/([^/]+)$`)

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
		m := resourceScope().FindStringSubmatch(s)
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

// matchesResource reports whether an RFC 8707 resource names the app whose
// scopes are asked: Entra v2 refuses any other (AADSTS9010010).
func (r scopeRequest) matchesResource(resource string) bool {
	if !r.hasResource {
		return false
	}
	return strings.EqualFold(strings.TrimRight(resource, "/"), r.resource.identifierURI()) ||
		strings.EqualFold(resource, r.resource.appID)
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
