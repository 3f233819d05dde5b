package lab

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// graph is the Microsoft Graph stand-in: the v1.0 reads c7doctor makes of
// the tenant's directory (applications and their federated credentials,
// service principals, permission grants, app role assignments, group
// membership) and JSON $batch, from the same directory the tenant's token
// endpoint enforces.
type graph struct {
	w *World
}

func newGraph(w *World) *graph { return &graph{w: w} }

// graphMaxBatch is Graph's limit of requests in one $batch.
const graphMaxBatch = 20

func (g *graph) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	status := g.serve(rw, r)
	g.w.logf("graph: %s %s %d", r.Method, r.URL.Path, status)
}

func (g *graph) serve(rw http.ResponseWriter, r *http.Request) int {
	if err := g.authenticate(r); err != "" {
		return writeGraph(rw, graphErr(http.StatusUnauthorized, "InvalidAuthenticationToken", err))
	}
	if r.Method == http.MethodPost && r.URL.Path == "/v1.0/$batch" {
		return g.batch(rw, r)
	}
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/v1.0/") {
		return writeGraph(rw, graphErr(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", strings.TrimPrefix(r.URL.Path, "/v1.0/"))))
	}
	return writeGraph(rw, g.get(strings.TrimPrefix(r.URL.Path, "/v1.0"), r.URL.Query()))
}

// authenticate accepts an access token the tenant signed for Graph's
// resource: the lab's Graph URL as its audience.
func (g *graph) authenticate(r *http.Request) string {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return "Access token is empty."
	}
	p, err := parseJWT(strings.TrimSpace(raw))
	if err != nil {
		return "IDX14100: JWT is not well formed."
	}
	if !p.verify(g.w.tenant.key) {
		return "Access token validation failure. Invalid signature."
	}
	if aud := strings.TrimRight(p.str("aud"), "/"); aud != g.w.GraphURL && aud != "https://graph.microsoft.com" && aud != "00000003-0000-0000-c000-000000000000" {
		return "Access token validation failure. Invalid audience."
	}
	if iss := p.str("iss"); iss != g.w.Issuer() && iss != g.w.IssuerV1() {
		return "Access token validation failure. Invalid issuer."
	}
	if exp, ok := p.unix("exp"); !ok || !time.Now().Before(exp) {
		return "Lifetime validation failed, the token is expired."
	}
	return ""
}

// graphAnswer is one answer, for a direct request or inside a batch.
type graphAnswer struct {
	status int
	body   any
}

func graphErr(status int, code, message string) graphAnswer {
	return graphAnswer{status, map[string]any{"error": map[string]any{
		"code": code, "message": message,
		"innerError": map[string]string{"date": time.Now().UTC().Format("2006-01-02T15:04:05"), "request-id": newGUID(), "client-request-id": newGUID()},
	}}}
}

func writeGraph(rw http.ResponseWriter, a graphAnswer) int {
	b, _ := json.Marshal(a.body)
	rw.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	rw.Header().Set("request-id", newGUID())
	rw.WriteHeader(a.status)
	rw.Write(b)
	return a.status
}

// batch runs each request of a JSON batch and answers 200 with one response
// per request, each with its own status.
func (g *graph) batch(rw http.ResponseWriter, r *http.Request) int {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxFormBytes))
	if err != nil {
		return writeGraph(rw, graphErr(http.StatusBadRequest, "BadRequest", "Invalid batch payload format."))
	}
	var req struct {
		Requests []struct {
			ID     string `json:"id"`
			Method string `json:"method"`
			URL    string `json:"url"`
		} `json:"requests"`
	}
	if json.Unmarshal(body, &req) != nil || len(req.Requests) == 0 {
		return writeGraph(rw, graphErr(http.StatusBadRequest, "BadRequest", "Invalid batch payload format."))
	}
	if len(req.Requests) > graphMaxBatch {
		return writeGraph(rw, graphErr(http.StatusBadRequest, "BadRequest", "Number of batch requests exceeds the limit of 20."))
	}
	type response struct {
		ID      string            `json:"id"`
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    any               `json:"body"`
	}
	var out struct {
		Responses []response `json:"responses"`
	}
	for _, sub := range req.Requests {
		var a graphAnswer
		u, err := url.Parse(sub.URL)
		switch {
		case err != nil || !strings.HasPrefix(u.Path, "/"):
			a = graphErr(http.StatusBadRequest, "BadRequest", "Invalid request URL.")
		case sub.Method != http.MethodGet:
			a = graphErr(http.StatusMethodNotAllowed, "Request_BadRequest", "The lab's Graph answers GET only.")
		default:
			a = g.get(u.Path, u.Query())
		}
		out.Responses = append(out.Responses, response{ID: sub.ID, Status: a.status, Headers: map[string]string{"Content-Type": "application/json"}, Body: a.body})
	}
	return writeGraph(rw, graphAnswer{http.StatusOK, out})
}

var (
	byAppID       = lazyRegexp(`^/(applications|servicePrincipals)\(appId='([^']*)'\)$`)
	federatedOf   = lazyRegexp(`^/applications\(appId='([^']*)'\)/federatedIdentityCredentials$`)
	assignedTo    = lazyRegexp(`^/servicePrincipals/([^/]+)/appRoleAssignedTo$`)
	memberOf      = lazyRegexp(`^/users/([^/]+)/transitiveMemberOf$`)
	clientIDEq    = lazyRegexp(`^clientId eq '([^']*)'$`)
	insufficient  = "Insufficient privileges to complete the operation."
	graphNotFound = "Resource '%s' does not exist or one of its queried reference-property objects are not present."
)

// get answers one read of the directory.
func (g *graph) get(path string, q url.Values) graphAnswer {
	if g.w.Has("graph-forbidden") {
		return graphErr(http.StatusForbidden, "Authorization_RequestDenied", insufficient)
	}
	d := g.w.dir
	if m := byAppID().FindStringSubmatch(path); m != nil {
		a := d.app(m[2])
		if m[1] == "applications" {
			if a == nil || a.firstParty {
				return graphErr(http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf(graphNotFound, m[2]))
			}
			return graphAnswer{http.StatusOK, g.application(a)}
		}
		if a == nil || !a.hasSP {
			return graphErr(http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf(graphNotFound, m[2]))
		}
		return graphAnswer{http.StatusOK, servicePrincipalJSON(a)}
	}
	if m := federatedOf().FindStringSubmatch(path); m != nil {
		a := d.app(m[1])
		if a == nil || a.firstParty {
			return graphErr(http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf(graphNotFound, m[1]))
		}
		list := []any{}
		for _, f := range a.federated {
			list = append(list, map[string]any{"id": newGUID(), "name": f.name, "issuer": f.issuer, "subject": f.subject,
				"audiences": append([]string{}, f.audiences...), "description": nil})
		}
		return collection(list)
	}
	if path == "/oauth2PermissionGrants" {
		m := clientIDEq().FindStringSubmatch(q.Get("$filter"))
		if m == nil {
			return graphErr(http.StatusBadRequest, "Request_UnsupportedQuery", "The lab's Graph filters permission grants by clientId only.")
		}
		list := []any{}
		for _, gr := range d.grants {
			if strings.EqualFold(gr.clientSPID, m[1]) {
				list = append(list, map[string]any{"id": gr.id, "clientId": gr.clientSPID, "resourceId": gr.resourceSPID, "consentType": gr.consentType, "principalId": nil, "scope": gr.scope})
			}
		}
		return collection(list)
	}
	if m := assignedTo().FindStringSubmatch(path); m != nil {
		for _, a := range d.apps {
			if a.hasSP && strings.EqualFold(a.spID, m[1]) {
				list := []any{}
				if !a.assignmentNeeded {
					return collection(list)
				}
				for _, u := range g.w.Users {
					list = append(list, map[string]any{"principalId": u.OID, "principalType": "User", "principalDisplayName": u.Name, "resourceId": a.spID})
				}
				return collection(list)
			}
		}
		return graphErr(http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf(graphNotFound, m[1]))
	}
	if m := memberOf().FindStringSubmatch(path); m != nil {
		for _, u := range g.w.Users {
			if strings.EqualFold(u.OID, m[1]) {
				return collection([]any{})
			}
		}
		return graphErr(http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf(graphNotFound, m[1]))
	}
	return graphErr(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", strings.TrimPrefix(path, "/")))
}

func collection(list []any) graphAnswer {
	return graphAnswer{http.StatusOK, map[string]any{"value": list}}
}

// application renders an app registration as Graph's application object.
func (g *graph) application(a *dirApp) map[string]any {
	var version any
	if a.tokenVersion != 0 {
		version = a.tokenVersion
	}
	scopes := []any{}
	for _, s := range a.scopes {
		scopes = append(scopes, map[string]any{"id": s.id, "value": s.value, "isEnabled": s.enabled, "type": "User",
			"adminConsentDisplayName": s.value, "adminConsentDescription": s.value, "userConsentDisplayName": nil, "userConsentDescription": nil})
	}
	pre := []any{}
	for appID, ids := range a.preAuthorized {
		pre = append(pre, map[string]any{"appId": appID, "delegatedPermissionIds": ids})
	}
	required := []any{}
	for appID, ids := range a.requires {
		access := []any{}
		for _, id := range ids {
			access = append(access, map[string]any{"id": id, "type": "Scope"})
		}
		required = append(required, map[string]any{"resourceAppId": appID, "resourceAccess": access})
	}
	secrets := []any{}
	for _, s := range a.secrets {
		secrets = append(secrets, map[string]any{
			"customKeyIdentifier": nil, "displayName": s.name, "keyId": s.keyID, "secretText": nil,
			"hint": s.value[:3], "startDateTime": s.start.UTC().Format(time.RFC3339), "endDateTime": s.end.UTC().Format(time.RFC3339),
		})
	}
	public, web := []string{}, []string{}
	for _, r := range a.redirects {
		if r.platform == platformWeb {
			web = append(web, r.uri)
		} else {
			public = append(public, r.uri)
		}
	}
	return map[string]any{
		"@odata.context": g.w.GraphURL + "/v1.0/$metadata#applications/$entity",
		"id":             a.objectID, "appId": a.appID, "displayName": a.name, "signInAudience": a.signInAudience,
		"identifierUris": append([]string{}, a.identifierURIs...),
		"api": map[string]any{
			"acceptMappedClaims": nil, "knownClientApplications": []any{}, "requestedAccessTokenVersion": version,
			"oauth2PermissionScopes": scopes, "preAuthorizedApplications": pre,
		},
		"requiredResourceAccess": required, "passwordCredentials": secrets, "keyCredentials": []any{},
		"publicClient":           map[string]any{"redirectUris": public},
		"web":                    map[string]any{"redirectUris": web, "implicitGrantSettings": map[string]bool{"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false}},
		"spa":                    map[string]any{"redirectUris": []any{}},
		"isFallbackPublicClient": a.public,
	}
}

func servicePrincipalJSON(a *dirApp) map[string]any {
	return map[string]any{
		"id": a.spID, "appId": a.appID, "displayName": a.name, "accountEnabled": true,
		"appRoleAssignmentRequired": a.assignmentNeeded, "servicePrincipalType": "Application",
	}
}
