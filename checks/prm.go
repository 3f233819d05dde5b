package checks

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/wire"
)

// gatewayScopePattern is the Gateway app's scope in its default App ID URI
// form, api://<client-id>/Mcp.Gateway.Access (guide Part 2 Step 2).
var gatewayScopePattern = wire.NewLazyRegexp(`(?i)^api://([^/\s]+)/Mcp\.Gateway\.Access$`)

// prmCandidate is one URL an MCP client may read the metadata from.
type prmCandidate struct {
	url, why string
	resp     *wire.Response
	err      error
	doc      *ProtectedResourceMetadata
	parseErr error
}

// runPRM reads the protected resource metadata the way MCP clients look for
// it (MCP authorization spec; RFC 9728 §3): the 401's resource_metadata,
// then the well-known URL with the endpoint's path inserted, then the root.
// Every candidate is read: where several answer, they must agree.
func runPRM(ctx context.Context, env *Env, r *Result) {
	ep := discoveryEndpoint(env)
	cands := prmCandidates(env)
	var tried []string
	for _, c := range cands {
		c.resp, c.err = fetchMetadata(ctx, env, c.url)
		switch {
		case c.err != nil:
			tried = append(tried, fmt.Sprintf("%s (%s): %v", c.url, c.why, c.err))
		default:
			tried = append(tried, fmt.Sprintf("%s (%s): %s, %s", c.url, c.why, httpStatus(c.resp.StatusCode), durationText(c.resp.Duration)))
			if c.resp.StatusCode == 200 {
				c.doc, c.parseErr = ParsePRM(c.resp.Body)
			}
		}
		if ctx.Err() != nil {
			return
		}
	}
	r.Evidence("tried", strings.Join(tried, "; "))
	if ds := env.State.Discovery; ds.ChallengeMetadataURL != "" && ds.ResourceMetadataURL == "" {
		r.Evidence("not_followed", ds.ChallengeMetadataURL+" (the 401's resource_metadata, unusable: see challenge)")
	}

	// The source is the first candidate that answered 200: the one a client
	// following the spec's order would use.
	var src *prmCandidate
	for _, c := range cands {
		// A 200 whose body could not be read (cut by the timeout) is no source.
		if c.resp != nil && c.err == nil && c.resp.StatusCode == 200 {
			src = c
			break
		}
	}
	if src == nil {
		reportNoPRM(env, r, cands)
		return
	}
	if first := cands[0]; first != src && first.why == whyChallenge {
		r.Find("prm-not-found", fmt.Sprintf("The 401's resource_metadata %s does not serve the metadata (%s); MCP clients follow that URL and stop there. %s serves it.", first.url, candidateAnswer(first), src.url))
	}
	recordExchange(r, "", src.resp)
	if src.parseErr != nil {
		id := "prm-invalid"
		if !bodyLooksJSON(src.resp.Body) {
			id = "prm-not-json"
		}
		r.Find(id, fmt.Sprintf("%s answered 200 with %s: %v", src.url, bodyDescription(src.resp.ContentType(), src.resp.Body, src.resp.Truncated), src.parseErr))
		return
	}
	doc := src.doc
	env.State.Discovery.PRM, env.State.Discovery.PRMURL = doc, src.url
	if ct := src.resp.ContentType(); ct != "application/json" && !strings.HasSuffix(ct, "+json") {
		r.Find("prm-content-type", fmt.Sprintf("%s is served as %q.", src.url, src.resp.Header.Get("Content-Type")))
	}
	for _, c := range cands {
		if c == src || c.doc == nil {
			continue
		}
		if same, diff := src.doc.Same(c.doc); !same {
			r.Find("prm-disagree", fmt.Sprintf("%s and %s both serve metadata, and they differ: %s.", src.url, c.url, diff))
		}
	}
	if len(doc.Placeholders) > 0 {
		findCaused(r, "prm-placeholder", fmt.Sprintf("%s still holds %s: the guide's prm-policy.xml was pasted without filling it in.", src.url, strings.Join(doc.Placeholders, ", ")), armCause(r.context(), env, topicPRMPolicy))
	}
	judgePRMResource(env, r, doc, ep)
	judgePRMAuthorizationServers(env, r, doc)
	judgePRMScopes(env, r, doc)
	r.Evidence("bearer_methods_supported", joinOr(doc.BearerMethodsSupported, "(absent)"))
	if doc.Has["bearer_methods_supported"] && !hasString(doc.BearerMethodsSupported, "header") {
		r.Find("prm-bearer-methods", fmt.Sprintf("bearer_methods_supported is %q: without \"header\" clients may not send the token the way APIM reads it.", doc.BearerMethodsSupported))
	}
	if !r.Failed() {
		r.Summary("%s: resource %s (%s match), authorization server %s", src.url, doc.Resource, resourceMatchName(doc.Resource, ep), joinOr(doc.AuthorizationServers, "none"))
	}
}

const (
	whyChallenge    = "the 401's resource_metadata"
	whyPathInserted = "well-known, endpoint path inserted"
	whyRoot         = "well-known at the root"
)

func prmCandidates(env *Env) []*prmCandidate {
	var out []*prmCandidate
	add := func(u, why string) {
		for _, c := range out {
			if c.url == u {
				return
			}
		}
		out = append(out, &prmCandidate{url: u, why: why})
	}
	if ru := env.State.Discovery.ResourceMetadataURL; ru != "" {
		add(ru, whyChallenge)
	}
	wellKnown := prmWellKnown(probedOrigin(env), discoveryEndpoint(env))
	if len(wellKnown) == 2 {
		add(wellKnown[0], whyPathInserted)
	}
	add(wellKnown[len(wellKnown)-1], whyRoot)
	return out
}

// prmWellKnown are the well-known URLs of an endpoint's protected resource
// metadata (RFC 9728 §3.1) on origin: the endpoint's path inserted, then
// the root.
func prmWellKnown(origin, endpoint string) []string {
	path := ""
	if u, err := url.Parse(endpoint); err == nil {
		path = strings.TrimRight(u.EscapedPath(), "/")
	}
	root := origin + "/.well-known/oauth-protected-resource"
	if path == "" {
		return []string{root}
	}
	return []string{root + path, root}
}

// reportNoPRM explains why no candidate served the metadata.
func reportNoPRM(env *Env, r *Result, cands []*prmCandidate) {
	var answered []string
	var firstErr *prmCandidate
	var firstAnswer *prmCandidate
	for _, c := range cands {
		if c.resp != nil && c.err == nil {
			answered = append(answered, fmt.Sprintf("%s: %s", c.url, candidateAnswer(c)))
			if firstAnswer == nil {
				firstAnswer = c
			}
		} else if firstErr == nil {
			firstErr = c
		}
	}
	if len(answered) == 0 && firstErr != nil {
		reportNoAnswer(r, env, "GET protected resource metadata", firstErr.url, firstErr.err, "gateway-unreachable")
		return
	}
	if firstErr != nil {
		answered = append(answered, fmt.Sprintf("%s: %v", firstErr.url, firstErr.err))
	}
	if reportProxyKey(r, "GET", firstAnswer.resp) {
		return
	}
	recordExchange(r, "", firstAnswer.resp)
	r.Find("prm-not-found", "No URL an MCP client tries serves the metadata. "+strings.Join(answered, "; ")+".")
}

func candidateAnswer(c *prmCandidate) string {
	if c.resp == nil || c.err != nil {
		return fmt.Sprint(c.err)
	}
	return httpStatus(c.resp.StatusCode) + " with " + bodyDescription(c.resp.ContentType(), c.resp.Body, c.resp.Truncated)
}

func bodyLooksJSON(body []byte) bool {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	for _, b := range body {
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

func resourceMatchName(resource, ep string) string {
	m, _ := MatchResource(resource, ep)
	return string(m)
}

func judgePRMResource(env *Env, r *Result, doc *ProtectedResourceMetadata, ep string) {
	r.Evidence("resource", doc.Resource)
	switch {
	case !doc.Has["resource"] || doc.Resource == "":
		findCaused(r, "prm-resource-missing", "The metadata has no \"resource\" member.", armCause(r.context(), env, topicPRMPolicy))
		return
	case holdsPlaceholder(doc.Resource):
		r.Evidence("resource_match", "(placeholder)")
		return
	}
	m, why := MatchResource(doc.Resource, ep)
	r.Evidence("resource_match", string(m))
	switch m {
	case MatchPrefix:
		r.Find("prm-resource-prefix", fmt.Sprintf("resource %s is a path prefix of the endpoint %s.", doc.Resource, ep))
	case MatchMismatch:
		findCaused(r, "prm-resource-mismatch", fmt.Sprintf("resource is %s but the MCP endpoint is %s: %s.", doc.Resource, ep, why), armCause(r.context(), env, topicPRMPolicy))
	}
}

func judgePRMAuthorizationServers(env *Env, r *Result, doc *ProtectedResourceMetadata) {
	r.Evidence("authorization_servers", joinOr(doc.AuthorizationServers, "(none)"))
	if len(doc.AuthorizationServers) == 0 {
		r.Find("prm-no-authorization-servers", "authorization_servers is missing or empty.")
		return
	}
	origin := probedOrigin(env)
	onGateway := false
	var elsewhere []string
	for _, as := range doc.AuthorizationServers {
		if holdsPlaceholder(as) {
			continue
		}
		u, problem := judgeURL(as)
		if problem == "" && u.RawQuery != "" {
			problem = "it carries a query"
		}
		if problem != "" {
			r.Find("prm-authorization-server-invalid", fmt.Sprintf("authorization server %q: %s.", as, problem))
			continue
		}
		if wire.SameOrigin(u, origin) {
			onGateway = true
		} else {
			elsewhere = append(elsewhere, as)
		}
	}
	if !onGateway && len(elsewhere) > 0 {
		r.Find("prm-authorization-server-elsewhere", fmt.Sprintf("authorization_servers is %s, not the gateway %s.", strings.Join(elsewhere, ", "), origin))
	}
}

// judgePRMScopes finds the gateway scope, and infers the gateway app id
// from it when the run was not given one.
func judgePRMScopes(env *Env, r *Result, doc *ProtectedResourceMetadata) {
	r.Evidence("scopes_supported", joinOr(doc.ScopesSupported, "(absent)"))
	var apps []string
	for _, s := range doc.ScopesSupported {
		if holdsPlaceholder(s) {
			return // reported as prm-placeholder
		}
		if m := gatewayScopePattern.FindStringSubmatch(s); m != nil && !hasStringFold(apps, m[1]) {
			apps = append(apps, m[1])
		}
	}
	cfg := env.Config
	if cfg.GatewayAppID == "" {
		switch {
		case len(apps) == 1 && auth.IsGUID(apps[0]):
			env.Infer("gateway_app_id", strings.ToLower(apps[0]))
			env.State.Discovery.GatewayAppInferredFrom = "the protected resource metadata's scopes_supported"
			r.Evidence("gateway_app_id", strings.ToLower(apps[0])+" (inferred from scopes_supported)")
		case len(apps) == 0:
			r.Find("prm-scope-missing", fmt.Sprintf("scopes_supported is %s: no api://<gateway-app-id>/Mcp.Gateway.Access, so MCP clients will not ask for the gateway scope (and c7doctor cannot infer the gateway app id: pass --gateway-app-id).", quotedList(doc.ScopesSupported)))
		default:
			r.Evidence("gateway_app_id", "not inferred: scopes_supported names "+strings.Join(apps, ", "))
		}
		return
	}
	if hasStringFold(doc.ScopesSupported, cfg.GatewayScope()) {
		return
	}
	if len(apps) > 0 {
		r.Find("prm-scope-wrong-app", fmt.Sprintf("scopes_supported offers api://%s/Mcp.Gateway.Access; the Gateway app is %s.", strings.Join(apps, ", api://"), cfg.GatewayAppID))
		return
	}
	for _, s := range doc.ScopesSupported {
		if cfg.MCPAPIAppID != "" && strings.Contains(strings.ToLower(s), strings.ToLower(cfg.MCPAPIAppID)) {
			r.Find("prm-scope-wrong-app", fmt.Sprintf("scopes_supported offers %q, the MCP API app's scope: clients must ask for the Gateway app's api://%s/Mcp.Gateway.Access and APIM exchanges it.", s, cfg.GatewayAppID))
			return
		}
	}
	r.Find("prm-scope-missing", fmt.Sprintf("scopes_supported is %s, without %s.", quotedList(doc.ScopesSupported), cfg.GatewayScope()))
}

func quotedList(v []string) string {
	if len(v) == 0 {
		return "empty"
	}
	return fmt.Sprintf("%q", v)
}

// reportProxyKey reports the OAuth proxy API's demand for a subscription
// key and returns true when resp is that refusal.
func reportProxyKey(r *Result, what string, resp *wire.Response) bool {
	if resp == nil || !missingSubscriptionKey(resp.StatusCode, resp.Body) {
		return false
	}
	recordExchange(r, "", resp)
	r.Find("oauth-proxy-subscription-required", fmt.Sprintf("%s %s answered 401 %s: the OAuth proxy API wants a subscription key, which no MCP client sends.", what, resp.URL, fmt.Sprintf("%q", excerpt(resp.Body, 160))))
	return true
}
