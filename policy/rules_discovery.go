package policy

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
)

// response is a <return-response> of the discovery surface.
type response struct {
	p        *Pipeline
	n        *Node
	status   string
	body     *Node
	doc      map[string]any // the JSON body, when it is an object
	location *Node          // the Location header's <set-header>
}

// discovery runs the rules about the OAuth discovery surface: the PRM, the
// AS metadata and the /authorize redirect, wherever they are served.
func (l *linter) discovery() {
	var prm, as []*response
	for _, r := range l.responses() {
		if r.doc != nil {
			if _, ok := r.doc["resource"]; ok {
				prm = append(prm, r)
			}
			if _, ok := r.doc["issuer"]; ok {
				as = append(as, r)
			}
		}
		if r.location != nil && strings.HasPrefix(r.status, "30") {
			l.authorize(r)
		}
	}
	l.discoveryPresent(len(prm) > 0, len(as) > 0)
	issuer := ""
	for _, r := range as {
		if s, ok := r.doc["issuer"].(string); ok {
			issuer = s
		}
	}
	for _, r := range prm {
		l.prm(r, issuer)
	}
}

// responses reads every return-response of every pipeline once.
func (l *linter) responses() []*response {
	if l.resp != nil {
		return l.resp
	}
	out := []*response{}
	seen := map[*Node]bool{}
	for _, p := range l.pipelines {
		for _, s := range p.All() {
			if s.N.Name != "return-response" || seen[s.N] {
				continue
			}
			seen[s.N] = true
			r := &response{p: p, n: s.N}
			if st := s.N.Child("set-status"); st != nil {
				r.status = st.AttrText("code")
			}
			for _, h := range s.N.Elements() {
				if h.Name == "set-header" && strings.EqualFold(h.AttrText("name"), "Location") {
					r.location = h
				}
			}
			if b := s.N.Child("set-body"); b != nil {
				r.body = b
				l.bodyJSON(r)
			}
			out = append(out, r)
		}
	}
	l.resp = out
	return out
}

// bodyJSON parses a plain-text body with its named values put in; a body
// built by an expression or a liquid template is not judged.
func (l *linter) bodyJSON(r *response) {
	v := r.body.Content()
	text := strings.TrimSpace(v.Text)
	if v.IsExpr() || r.body.AttrText("template") != "" || !strings.HasPrefix(text, "{") && !strings.HasPrefix(text, "[") {
		return
	}
	resolved := namedRefRe().ReplaceAllStringFunc(v.Text, func(m string) string {
		if nv, ok := l.in.NamedValues[namedRefRe().FindStringSubmatch(m)[1]]; ok && nv.Known {
			return nv.Value
		}
		return "named-value"
	})
	var doc any
	if err := json.Unmarshal([]byte(resolved), &doc); err != nil {
		off := r.body.Off
		var se *json.SyntaxError
		if errors.As(err, &se) && resolved == v.Text {
			off = v.Off(int(se.Offset) - 1)
		}
		l.add("discovery-json", r.body.Doc, off, r.p.Name, "the body is not JSON: %v", err)
		return
	}
	r.doc, _ = doc.(map[string]any)
}

// gatewayOrigin is the scheme and host the discovery documents give the
// gateway: the AS metadata's issuer, else the PRM's resource.
func (l *linter) gatewayOrigin() string {
	var fromPRM string
	for _, r := range l.responses() {
		if r.doc == nil {
			continue
		}
		if s, ok := r.doc["issuer"].(string); ok {
			if o := origin(s); o != "" {
				return o
			}
		}
		if s, ok := r.doc["resource"].(string); ok && fromPRM == "" {
			fromPRM = origin(s)
		}
	}
	return fromPRM
}

func origin(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func (l *linter) prm(r *response, issuer string) {
	res, _ := r.doc["resource"].(string)
	u, err := url.Parse(res)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "":
		l.at("prm-resource", r.p, r.body, "resource %q is not an absolute https URL", res)
	case issuer != "" && origin(res) != origin(issuer):
		l.at("prm-resource", r.p, r.body, "resource is on %s, the authorization server on %s", origin(res), origin(issuer))
	default:
		for _, endpoint := range l.mcpEndpoints(origin(res)) {
			if !coversEndpoint(res, endpoint) {
				l.at("prm-resource", r.p, r.body, "resource %s does not cover the MCP endpoint %s", res, endpoint)
			}
		}
	}
	servers, _ := r.doc["authorization_servers"].([]any)
	if len(servers) == 0 {
		l.at("prm-authorization-server", r.p, r.body, "authorization_servers is missing or empty")
		return
	}
	if issuer == "" {
		return
	}
	for _, s := range servers {
		if s == issuer {
			return
		}
	}
	l.at("prm-authorization-server", r.p, r.body, "authorization_servers %v does not hold the issuer %s", servers, issuer)
}

// mcpEndpoints are the MCP endpoints of the APIs whose policies are the
// MCP route, when their URL suffix is known.
func (l *linter) mcpEndpoints(origin string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range l.pipelines {
		path, ok := l.in.APIPaths[p.API]
		if !ok || seen[p.API] || !isMCPRoute(p) {
			continue
		}
		seen[p.API] = true
		out = append(out, strings.TrimSuffix(origin+"/"+strings.Trim(path, "/"), "/")+"/mcp")
	}
	return out
}

func isMCPRoute(p *Pipeline) bool {
	for _, s := range p.Statements("inbound") {
		if s.N.Name == "validate-azure-ad-token" || s.N.Name == "validate-jwt" || s.N.Name == "send-request" && isOBORequest(s.N) {
			return true
		}
	}
	return false
}

// coversEndpoint: the resource is the endpoint or a path prefix of it on
// a segment boundary.
func coversEndpoint(resource, endpoint string) bool {
	r := strings.TrimSuffix(resource, "/")
	return r == endpoint || strings.HasPrefix(endpoint, r+"/")
}

var doubledQueryRe = lazyRegexp(`authorize\?("\s*\+|\{)[^;]*QueryString`)

func (l *linter) authorize(r *response) {
	c := r.location.Child("value")
	if c == nil {
		l.at("authorize-location", r.p, r.location, "the Location header has no value")
		return
	}
	text, _ := l.resolve(c.Content())
	switch {
	case !strings.Contains(text, "/oauth2/v2.0/authorize"):
		l.at("authorize-location", r.p, r.location, "Location does not go to /oauth2/v2.0/authorize")
	case multiTenantRe().MatchString(text):
		l.at("authorize-location", r.p, r.location, "Location goes to a multi-tenant endpoint; the apps are single-tenant")
	case doubledQueryRe().MatchString(text):
		l.at("authorize-location", r.p, r.location, "QueryString already starts with \"?\": the redirect has two")
	}
	if strings.Contains(text, "QueryString") && !strings.Contains(text, `"resource"`) {
		l.at("authorize-resource-forwarded", r.p, r.location, "the whole query string, resource included, goes on to Entra")
	}
}

// discoveryPresent: when the input holds an API at the host root (the OAuth
// proxy of Part 5), the PRM, the AS metadata and the /authorize redirect
// must each be answered by a return-response somewhere.
func (l *linter) discoveryPresent(prm, as bool) {
	root := false
	for _, p := range l.in.APIPaths {
		root = root || strings.Trim(p, "/") == ""
	}
	if !root {
		return
	}
	redirect := false
	for _, r := range l.responses() {
		redirect = redirect || r.location != nil && strings.HasPrefix(r.status, "30")
		if r.doc == nil && r.body != nil {
			// A body built by an expression is judged by what it names.
			text := r.body.Content().Text
			prm = prm || strings.Contains(text, `"authorization_servers"`)
			as = as || strings.Contains(text, `"issuer"`)
		}
	}
	var missing []string
	if !prm {
		missing = append(missing, "the protected resource metadata (/.well-known/oauth-protected-resource)")
	}
	if !as {
		missing = append(missing, "the authorization server metadata (/.well-known/oauth-authorization-server)")
	}
	if !redirect {
		missing = append(missing, "the /authorize redirect to Entra")
	}
	if len(missing) == 0 {
		return
	}
	where, pipeline := l.discoveryAnchor()
	if where == nil {
		return
	}
	l.add("discovery-response-missing", where.Doc, where.Off, pipeline, "no return-response serves %s", strings.Join(missing, ", "))
}

// discoveryAnchor is where a missing discovery answer is reported: the MCP
// route's challenge, which sends clients to the PRM, else its policy, else
// the first document read.
func (l *linter) discoveryAnchor() (*Node, string) {
	for _, r := range l.routes {
		for _, s := range r.p.Statements("on-error") {
			if s.N.Name == "set-header" && strings.EqualFold(s.N.AttrText("name"), "WWW-Authenticate") {
				return s.N, r.p.Name
			}
		}
	}
	for _, r := range l.routes {
		if n := r.sectionOrRoot("inbound"); n != nil {
			return n, r.p.Name
		}
	}
	for _, d := range l.docs {
		if d.Root != nil {
			return d.Root, ""
		}
	}
	return nil, ""
}
