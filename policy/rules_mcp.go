package policy

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// maxCacheSeconds is one hour, the shortest default lifetime of an Entra
// access token, minus five minutes of clock skew.
const maxCacheSeconds = 3300

// mcpRoute is what the linter found in one pipeline of the MCP API.
type mcpRoute struct {
	p        *Pipeline
	inbound  []Stmt
	validate *Node // validate-azure-ad-token (or validate-jwt)
	obo      *Node // the OBO send-request
	oboIdx   int
	declared bool // the API is known to serve MCP (Input.MCPAPIs)
}

// pipeline runs the rules about what a request to the MCP API meets. A
// pipeline is the MCP API's when it validates an Entra token, performs the
// OBO exchange or rewrites to Context7's /mcp path, or when the caller
// says its API serves MCP.
func (l *linter) pipeline(p *Pipeline) {
	r := &mcpRoute{p: p, inbound: p.Statements("inbound"), oboIdx: -1}
	r.declared = p.API != "" && slices.ContainsFunc(l.in.MCPAPIs, func(a string) bool { return strings.EqualFold(a, p.API) })
	mcp := r.declared
	for i, s := range r.inbound {
		switch s.N.Name {
		case "validate-azure-ad-token", "validate-jwt":
			if r.validate == nil {
				r.validate = s.N
			}
			mcp = true
		case "send-request":
			if r.obo == nil && isOBORequest(s.N) {
				r.obo, r.oboIdx = s.N, i
				mcp = true
			}
		case "rewrite-uri":
			mcp = mcp || strings.Contains(s.N.AttrText("template"), "/mcp")
		}
	}
	if !mcp {
		return
	}
	l.routes = append(l.routes, r)
	l.tokenValidation(r)
	l.oboExchange(r)
	l.oboCache(r)
	l.forwarding(r)
	l.challenge(r)
}

func isOBORequest(n *Node) bool {
	body := ""
	if b := n.Child("set-body"); b != nil {
		body = b.Content().Text
	}
	u := ""
	if s := n.Child("set-url"); s != nil {
		u = s.Content().Text
	}
	return strings.Contains(body, "jwt-bearer") || strings.Contains(body, "on_behalf_of") ||
		strings.Contains(u, "/oauth2/") && strings.Contains(u, "token")
}

// anchor is where a finding about something missing from the route goes.
func (r *mcpRoute) anchor() *Node {
	for _, n := range []*Node{r.validate, r.obo} {
		if n != nil {
			return n
		}
	}
	return r.sectionOrRoot("inbound")
}

var guidRe = lazyRegexp(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
var domainRe = lazyRegexp(`^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)

func (l *linter) tokenValidation(r *mcpRoute) {
	v := r.validate
	if v == nil {
		l.at("token-validation-missing", r.p, r.anchor(), "no validate-azure-ad-token runs before the request is forwarded")
		return
	}
	if v.Name != "validate-azure-ad-token" {
		return // validate-jwt: its openid-config and claims are the author's own design
	}
	tenant, _ := v.Attr("tenant-id")
	if strings.TrimSpace(tenant.Text) == "" {
		l.at("token-validation-tenant", r.p, v, "validate-azure-ad-token has no tenant-id")
	} else if t, ok := l.resolve(tenant); ok && !tenant.IsExpr() && !guidRe().MatchString(t) && !domainRe().MatchString(t) {
		l.at("token-validation-tenant", r.p, v, "tenant-id %q is neither a tenant GUID nor a domain", t)
	}
	var auds []*Node
	if a := v.Child("audiences"); a != nil {
		for _, c := range a.Elements() {
			if c.Name == "audience" {
				auds = append(auds, c)
			}
		}
	}
	if len(auds) == 0 {
		l.at("token-validation-audience", r.p, v, "no <audiences>: any token of the tenant is accepted, whatever app it was issued for")
	}
	mcpApp := l.oboScopeApp(r)
	for _, a := range auds {
		aud, ok := l.resolve(a.Content())
		aud = strings.TrimSpace(aud)
		if ok && mcpApp != "" && strings.TrimPrefix(aud, "api://") == mcpApp {
			l.at("token-validation-audience", r.p, a, "audience %s is the MCP API app (the OBO scope's); clients get tokens for the Gateway app", aud)
		}
	}
	var scp *Node
	if rc := v.Child("required-claims"); rc != nil {
		for _, c := range rc.Elements() {
			if c.Name == "claim" && c.AttrText("name") == "scp" {
				for _, val := range c.Elements() {
					if strings.TrimSpace(val.Content().Text) == "Mcp.Gateway.Access" {
						scp = c
					}
				}
			}
		}
	}
	if scp == nil {
		l.at("token-validation-scope", r.p, v, "no required claim scp with the value Mcp.Gateway.Access")
	} else if scp.AttrText("separator") != " " {
		l.at("token-validation-scp-separator", r.p, scp, "scp is compared whole: a token with \"Mcp.Gateway.Access other.scope\" is refused")
	}
	if code := strings.TrimSpace(v.AttrText("failed-validation-httpcode")); code != "" && code != "401" {
		l.at("token-validation-status", r.p, v, "failed-validation-httpcode is %s", code)
	}
}

// oboScopeApp is the MCP API app id the OBO scope names, when the named
// value behind it is known.
func (l *linter) oboScopeApp(r *mcpRoute) string {
	if r.obo == nil {
		return ""
	}
	body := r.obo.Child("set-body")
	if body == nil {
		return ""
	}
	text := body.Content().Text
	i := strings.Index(text, "api://")
	if i < 0 {
		return ""
	}
	seg := text[i:min(len(text), i+200)]
	if m := varRefRe().FindStringSubmatch(seg); m != nil {
		if src := l.varSource(r.p, m[1]); src != nil {
			if v, ok := l.resolve(src.value()); ok && !src.value().IsExpr() {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// multiTenantRe matches Entra's endpoints for more than one tenant.
var multiTenantRe = lazyRegexp(`/(common|organizations|consumers)/`)

// tokenURLTenantRe finds the tenant segment of a token endpoint, written
// out or as a variable: …/<tenant>/oauth2/… or …/" + (string)context.Variables["t"] + "/oauth2/…
var tokenURLTenantRe = lazyRegexp(`https://[^/"]+/(?:([^/"+ ]+)|"\s*\+\s*([^+]+?)\s*\+\s*")/oauth2/`)

// tenantOfURL is the tenant an OBO token endpoint names, when it can be told.
func (l *linter) tenantOfURL(p *Pipeline, v Value) string {
	m := tokenURLTenantRe().FindStringSubmatch(v.Text)
	switch {
	case m == nil:
		return ""
	case m[1] != "":
		t, ok := l.resolve(Value{Text: m[1]})
		if !ok {
			return ""
		}
		return t
	}
	ref := varRefRe().FindStringSubmatch(m[2])
	if ref == nil {
		return ""
	}
	src := l.varSource(p, ref[1])
	if src == nil || src.value().IsExpr() {
		return ""
	}
	t, ok := l.resolve(src.value())
	if !ok {
		return ""
	}
	return strings.TrimSpace(t)
}

// validatedTenant is validate-azure-ad-token's tenant, when it can be told.
func (l *linter) validatedTenant(r *mcpRoute) string {
	if r.validate == nil || r.validate.Name != "validate-azure-ad-token" {
		return ""
	}
	v, _ := r.validate.Attr("tenant-id")
	if v.IsExpr() {
		return ""
	}
	t, ok := l.resolve(v)
	if !ok {
		return ""
	}
	return strings.TrimSpace(t)
}

var varRefRe = lazyRegexp(`Variables(?:\[\s*"|\.GetValueOrDefault(?:<[^>]*>)?\(\s*")([^"]+)"`)

// varSet is a set-variable statement.
type varSet struct{ n *Node }

func (v varSet) value() Value {
	if a, ok := v.n.Attr("value"); ok {
		return a
	}
	if c := v.n.Child("value"); c != nil {
		return c.Content()
	}
	return v.n.Content()
}

func (l *linter) varSource(p *Pipeline, name string) *varSet {
	for _, s := range p.All() {
		if s.N.Name == "set-variable" && s.N.AttrText("name") == name {
			return &varSet{s.N}
		}
	}
	return nil
}

func (l *linter) oboExchange(r *mcpRoute) {
	if r.obo == nil {
		switch {
		case r.validate != nil:
			l.at("obo-missing", r.p, r.validate, "the request reaches Context7 with the caller's Gateway token, which Context7 refuses")
		case r.declared:
			l.at("obo-missing", r.p, r.anchor(), "no send-request exchanges the caller's token: Context7 gets whatever the client sent")
		}
		return
	}
	if su := r.obo.Child("set-url"); su == nil {
		l.at("obo-endpoint", r.p, r.obo, "the OBO request has no <set-url>")
	} else {
		u := su.Content().Text
		switch {
		case !strings.Contains(u, "/oauth2/v2.0/token"):
			l.at("obo-endpoint", r.p, su, "the OBO request does not go to /oauth2/v2.0/token")
		case multiTenantRe().MatchString(u):
			l.at("obo-endpoint", r.p, su, "the OBO request goes to a multi-tenant endpoint, not the tenant's own")
		default:
			if url, validated := l.tenantOfURL(r.p, su.Content()), l.validatedTenant(r); url != "" && validated != "" && !strings.EqualFold(url, validated) {
				l.at("obo-endpoint", r.p, su, "the OBO request goes to tenant %s; the caller's token is validated for %s", url, validated)
			}
		}
	}
	body := r.obo.Child("set-body")
	where, text := r.obo, ""
	if body != nil {
		where, text = body, body.Content().Text
	}
	if !strings.Contains(text, "urn:ietf:params:oauth:grant-type:jwt-bearer") {
		l.at("obo-grant-type", r.p, where, "grant_type urn:ietf:params:oauth:grant-type:jwt-bearer not found in the OBO body")
	}
	if !strings.Contains(text, "on_behalf_of") {
		l.at("obo-token-use", r.p, where, "requested_token_use on_behalf_of not found in the OBO body")
	}
	if !strings.Contains(text, "api://") || !strings.Contains(text, "/.default") {
		l.at("obo-scope", r.p, where, "the OBO body's scope is not of the form api://<mcp-api-app-id>/.default")
	}
	respVar := r.obo.AttrText("response-variable-name")
	if respVar == "" {
		return
	}
	for i := r.oboIdx + 1; i < len(r.inbound); i++ {
		s := r.inbound[i]
		if !readsResponse(s.N, respVar) {
			continue
		}
		if !r.guarded(i, func(cond string) bool {
			return strings.Contains(cond, respVar) && strings.Contains(cond, "StatusCode")
		}) {
			l.at("obo-response-unchecked", r.p, s.N, "%q is read without a look at its StatusCode: a refused exchange becomes an empty bearer token", respVar)
		}
		return
	}
}

func readsResponse(n *Node, respVar string) bool {
	found := false
	eachValue(n, func(_ *Node, v Value) {
		if strings.Contains(v.Text, `"`+respVar+`"`) && strings.Contains(v.Text, "Body") {
			found = true
		}
	})
	return found
}

// guarded reports statement i running only when ok(condition) held: inside
// such a <when>, or after a <choose> that returned when it did not.
func (r *mcpRoute) guarded(i int, ok func(cond string) bool) bool {
	for _, c := range r.inbound[i].Conds {
		if c.Name == "when" && ok(c.AttrText("condition")) {
			return true
		}
	}
	for j := r.oboIdx + 1; j < i; j++ {
		s := r.inbound[j]
		if s.N.Name != "when" && s.N.Name != "choose" {
			continue
		}
		for _, w := range s.N.Elements() {
			if w.Name == "when" && ok(w.AttrText("condition")) && w.Child("return-response") != nil {
				return true
			}
		}
	}
	return false
}

var userClaimRe = lazyRegexp(`"(oid|sub|http://schemas\.microsoft\.com/identity/claims/objectidentifier)"`)
var tenantClaimRe = lazyRegexp(`"(tid|http://schemas\.microsoft\.com/identity/claims/tenantid)"`)
var emptyDefaultRe = lazyRegexp(`GetValueOrDefault\(\s*"(oid|sub)"\s*(,\s*""\s*)?\)`)

func (l *linter) oboCache(r *mcpRoute) {
	var store *Node
	storeIdx := -1
	var keyed *Node
	for i, s := range r.inbound {
		switch s.N.Name {
		case "cache-store-value":
			if store == nil {
				store, storeIdx, keyed = s.N, i, s.N
			}
		case "cache-lookup-value":
			if keyed == nil {
				keyed = s.N
			}
		}
	}
	if keyed == nil {
		if r.obo != nil {
			l.at("cache-missing", r.p, r.obo, "no cache-lookup-value before the OBO request: every MCP request waits for a token exchange with Entra")
		}
		return
	}
	key := keyed.AttrText("key")
	text, vars := key, varRefRe().FindAllStringSubmatch(key, -1)
	for _, m := range vars {
		if src := l.varSource(r.p, m[1]); src != nil {
			text += "\n" + src.value().Text
		}
	}
	switch {
	case !userClaimRe().MatchString(text):
		l.at("cache-key-user", r.p, keyed, "cache key %q is the same for every user", key)
	case !tenantClaimRe().MatchString(text):
		l.at("cache-key-tenant", r.p, keyed, "cache key is built from the oid claim alone")
	}
	if emptyDefaultRe().MatchString(text) && !l.emptyGuarded(r, vars) {
		l.at("cache-key-empty", r.p, keyed, "the user id defaults to \"\" and nothing refuses a request without one")
	}
	if store == nil {
		return
	}
	if d, err := strconv.Atoi(strings.TrimSpace(store.AttrText("duration"))); err == nil && d > maxCacheSeconds {
		l.at("cache-duration", r.p, store, "duration %d s outlives a one-hour token (at most %d s)", d, maxCacheSeconds)
	}
	if r.obo != nil && storeIdx > r.oboIdx && !r.guarded(storeIdx, func(cond string) bool {
		return strings.Contains(cond, "StatusCode") || strings.Contains(cond, "IsNullOr")
	}) {
		l.at("cache-unconditional", r.p, store, "the token is stored whatever the OBO response was")
	}
}

// emptyGuarded reports a <when> that refuses a request whose user id
// variable is empty.
func (l *linter) emptyGuarded(r *mcpRoute, vars [][]string) bool {
	for _, s := range r.inbound {
		if s.N.Name != "choose" {
			continue
		}
		for _, w := range s.N.Elements() {
			cond := w.AttrText("condition")
			if w.Name != "when" || !strings.Contains(cond, "IsNullOr") || w.Child("return-response") == nil {
				continue
			}
			for _, m := range vars {
				if strings.Contains(cond, `"`+m[1]+`"`) {
					return true
				}
			}
		}
	}
	return false
}

var bearerCaseRe = lazyRegexp(`StartsWith\(\s*"Bearer ?"\s*\)`)

func (l *linter) forwarding(r *mcpRoute) {
	for _, s := range r.p.All() {
		eachValue(s.N, func(_ *Node, v Value) {
			for _, m := range bearerCaseRe().FindAllStringIndex(v.Text, -1) {
				l.add("bearer-case-sensitive", s.N.Doc, v.Off(m[0]), r.p.Name, "%s misses \"bearer \" and \"BEARER \"", v.Text[m[0]:m[1]])
			}
		})
	}
	if r.obo != nil {
		var auth *Node
		for _, s := range r.inbound[r.oboIdx+1:] {
			if s.N.Name == "set-header" && strings.EqualFold(s.N.AttrText("name"), "Authorization") {
				auth = s.N
			}
		}
		switch {
		case auth == nil:
			l.at("authorization-header", r.p, r.obo, "no set-header Authorization after the OBO exchange: Context7 gets the caller's Gateway token")
		case auth.AttrText("exists-action") != "" && auth.AttrText("exists-action") != "override":
			l.at("authorization-header", r.p, auth, "exists-action %q keeps the caller's Authorization header", auth.AttrText("exists-action"))
		default:
			val := ""
			if c := auth.Child("value"); c != nil {
				val = c.Content().Text
			}
			switch vars := r.oboTokenVars(); {
			case !strings.Contains(val, `"Bearer "`) && !strings.Contains(val, `$"Bearer {`):
				l.at("authorization-header", r.p, auth, "the Authorization value does not start with \"Bearer \"")
			case len(vars) > 0 && !refersToAny(val, vars):
				l.at("authorization-header", r.p, auth, "the Authorization value does not carry the OBO token (variable %s)", strings.Join(vars, " or "))
			}
		}
	}
	var rewrites []*Node
	for _, s := range r.inbound {
		if s.N.Name == "rewrite-uri" {
			rewrites = append(rewrites, s.N)
		}
	}
	switch {
	case len(rewrites) == 0:
		l.at("rewrite-uri-missing", r.p, r.anchor(), "no rewrite-uri: the request reaches Context7's /mcp, which ignores the bearer token")
	case len(rewrites) > 1:
		l.at("rewrite-uri-duplicate", r.p, rewrites[1], "%d rewrite-uri statements run for this operation", len(rewrites))
	}
	for _, rw := range rewrites {
		if t := rw.AttrText("template"); t != "/mcp/oauth" {
			l.at("rewrite-uri-target", r.p, rw, "template %q; Context7's OAuth endpoint is /mcp/oauth", t)
		}
	}
}

// oboTokenVars are the variables that hold the OBO token: the cache
// lookup's and those set from the OBO response.
func (r *mcpRoute) oboTokenVars() []string {
	var out []string
	respVar := r.obo.AttrText("response-variable-name")
	for _, s := range r.inbound {
		switch {
		case s.N.Name == "cache-lookup-value" && s.N.AttrText("variable-name") != "":
			out = append(out, s.N.AttrText("variable-name"))
		case s.N.Name == "set-variable" && respVar != "" && readsResponse(s.N, respVar):
			out = append(out, s.N.AttrText("name"))
		}
	}
	return out
}

func refersToAny(expr string, vars []string) bool {
	for _, m := range varRefRe().FindAllStringSubmatch(expr, -1) {
		for _, v := range vars {
			if m[1] == v {
				return true
			}
		}
	}
	return false
}

var resourceMetadataRe = lazyRegexp(`resource_metadata\s*=\s*"([^"]*)"`)

func (l *linter) challenge(r *mcpRoute) {
	var hdr *Node
	for _, s := range r.p.Statements("on-error") {
		if s.N.Name == "set-header" && strings.EqualFold(s.N.AttrText("name"), "WWW-Authenticate") {
			if c := s.N.Child("value"); c != nil && strings.Contains(c.Content().Text, "resource_metadata") {
				hdr = s.N
			}
		}
	}
	if hdr == nil {
		l.at("challenge-header-missing", r.p, r.sectionOrRoot("on-error"), "on-error sets no WWW-Authenticate: Bearer resource_metadata=\"…\" for a 401")
	} else {
		val := hdr.Child("value").Content()
		text, _ := l.resolve(val)
		if m := resourceMetadataRe().FindStringSubmatch(text); m == nil {
			l.at("challenge-header-origin", r.p, hdr, "resource_metadata is not a quoted URL")
		} else if u, err := url.Parse(m[1]); err != nil || u.Scheme != "https" || u.Host == "" {
			l.at("challenge-header-origin", r.p, hdr, "resource_metadata %q is not an absolute https URL", m[1])
		} else if origin := l.gatewayOrigin(); origin != "" && u.Scheme+"://"+u.Host != origin {
			l.at("challenge-header-origin", r.p, hdr, "resource_metadata is on %s, the gateway's discovery documents on %s", u.Scheme+"://"+u.Host, origin)
		}
	}
	for _, s := range r.p.Statements("outbound") {
		if s.N.Name == "set-header" && strings.EqualFold(s.N.AttrText("name"), "WWW-Authenticate") {
			return
		}
	}
	l.at("challenge-upstream-passed", r.p, r.sectionOrRoot("outbound"), "outbound leaves Context7's WWW-Authenticate in place; it points clients at Context7's metadata, not the gateway's")
}

// sectionOrRoot is the most specific document's section, or its root.
func (r *mcpRoute) sectionOrRoot(name string) *Node {
	for i := len(r.p.levels) - 1; i >= 0; i-- {
		if d := r.p.levels[i]; d != nil && d.Root != nil {
			if s := d.Root.Child(name); s != nil {
				return s
			}
		}
	}
	for i := len(r.p.levels) - 1; i >= 0; i-- {
		if d := r.p.levels[i]; d != nil && d.Root != nil {
			return d.Root
		}
	}
	return nil
}
