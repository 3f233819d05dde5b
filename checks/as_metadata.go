package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// runASMetadata reads the authorization server metadata of the issuer the
// PRM names, trying the URLs in the MCP spec's order, and judges it as an
// MCP client and the guide's layout need it.
func runASMetadata(ctx context.Context, env *Env, r *Result) {
	ds := &env.State.Discovery
	issuer := pickIssuer(env, ds.PRM)
	if issuer == "" {
		r.Skip("the protected resource metadata names no usable authorization server")
		return
	}
	r.Evidence("issuer_from_prm", issuer)
	urls, err := ASMetadataURLs(issuer)
	if err != nil {
		r.Skip(err.Error())
		return
	}
	var tried []string
	var resp, firstAnswer *wire.Response
	var firstErr error
	var firstErrURL string
	answered := 0
	for _, u := range urls {
		res, err := fetchMetadata(ctx, env, u)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", u, err))
			if firstErr == nil {
				firstErr, firstErrURL = err, u
			}
			if ctx.Err() != nil {
				return
			}
			continue
		}
		answered++
		if firstAnswer == nil {
			firstAnswer = res
		}
		tried = append(tried, fmt.Sprintf("%s: %s, %s", u, httpStatus(res.StatusCode), durationText(res.Duration)))
		if res.StatusCode == 200 {
			resp = res
			break
		}
		tried[len(tried)-1] += " with " + bodyDescription(res.ContentType(), res.Body, res.Truncated)
	}
	r.Evidence("tried", strings.Join(tried, "; "))
	if resp == nil {
		if answered == 0 && firstErr != nil {
			reportNoAnswer(r, env, "GET authorization server metadata", firstErrURL, firstErr, "gateway-unreachable")
			return
		}
		recordExchange(r, "", firstAnswer)
		r.Find("as-metadata-not-found", fmt.Sprintf("None of the URLs an MCP client tries for issuer %s serves metadata: %s.", issuer, strings.Join(tried, "; ")))
		return
	}
	recordExchange(r, "", resp)
	doc, err := ParseASMetadata(resp.Body)
	if err != nil {
		id := "as-metadata-invalid"
		if !bodyLooksJSON(resp.Body) {
			id = "as-metadata-not-json"
		}
		r.Find(id, fmt.Sprintf("%s answered 200 with %s: %v", resp.URL, bodyDescription(resp.ContentType(), resp.Body, resp.Truncated), err))
		return
	}
	ds.AS, ds.ASMetadataURL = doc, resp.URL
	if len(doc.Placeholders) > 0 {
		r.Find("as-metadata-placeholder", fmt.Sprintf("%s still holds %s: the guide's as-metadata-policy.xml was pasted without filling it in.", resp.URL, strings.Join(doc.Placeholders, ", ")))
	}
	r.Evidence("issuer", doc.Issuer)
	if !holdsPlaceholder(doc.Issuer) && doc.Issuer != issuer {
		r.Find("as-issuer-mismatch", fmt.Sprintf("%s says issuer %q; it was fetched for issuer %q (RFC 8414 §3.3 wants them identical).", resp.URL, doc.Issuer, issuer))
	}
	judgeASEndpoints(env, r, doc)
	judgeASJWKS(env, r, doc)
	judgeASCapabilities(env, r, doc)
	if !r.Failed() {
		r.Summary("%s: authorize %s, token %s", resp.URL, doc.AuthorizationEndpoint, doc.TokenEndpoint)
	}
}

// pickIssuer is the authorization server a client of this gateway uses:
// the one on the gateway, else the first usable one.
func pickIssuer(env *Env, prm *ProtectedResourceMetadata) string {
	if prm == nil {
		return ""
	}
	first := ""
	for _, as := range prm.AuthorizationServers {
		u, problem := judgeURL(as)
		if problem != "" || holdsPlaceholder(as) {
			continue
		}
		if wire.SameOrigin(u, probedOrigin(env)) {
			return as
		}
		if first == "" {
			first = as
		}
	}
	return first
}

func judgeASEndpoints(env *Env, r *Result, doc *ASMetadata) {
	origin := probedOrigin(env)
	var missing, off []string
	for _, e := range []struct{ name, value string }{
		{"authorization_endpoint", doc.AuthorizationEndpoint},
		{"token_endpoint", doc.TokenEndpoint},
	} {
		r.Evidence(e.name, joinOr([]string{e.value}, "(absent)"))
		if e.value == "" {
			missing = append(missing, e.name)
			continue
		}
		if holdsPlaceholder(e.value) {
			continue
		}
		u, problem := judgeURL(e.value)
		switch {
		case problem != "":
			off = append(off, fmt.Sprintf("%s %q: %s", e.name, e.value, problem))
		case !wire.SameOrigin(u, origin):
			off = append(off, fmt.Sprintf("%s is %s, not on %s", e.name, e.value, origin))
		}
	}
	if len(missing) > 0 {
		r.Find("as-endpoint-missing", fmt.Sprintf("The metadata has no %s.", strings.Join(missing, " and no ")))
	}
	if len(off) > 0 {
		r.Find("as-endpoint-off-gateway", strings.Join(off, "; ")+".")
	}
}

// judgeASJWKS checks jwks_uri names the tenant's v2 keys on the authority
// host, and infers the tenant from it when the run was not given one.
func judgeASJWKS(env *Env, r *Result, doc *ASMetadata) {
	r.Evidence("jwks_uri", joinOr([]string{doc.JWKSURI}, "(absent)"))
	if doc.JWKSURI == "" {
		r.Find("as-jwks-missing", "The metadata has no jwks_uri.")
		return
	}
	if holdsPlaceholder(doc.JWKSURI) {
		return
	}
	authority := strings.TrimRight(env.Config.AuthorityHost, "/")
	u, problem := judgeURL(doc.JWKSURI)
	if problem != "" {
		r.Find("as-jwks-wrong", fmt.Sprintf("jwks_uri %q: %s.", doc.JWKSURI, problem))
		return
	}
	if !wire.SameOrigin(u, authority) {
		r.Find("as-jwks-wrong", fmt.Sprintf("jwks_uri %s is not on the authority host %s.", doc.JWKSURI, authority))
		return
	}
	tenant, rest := entraTenantSegment(u)
	if p := tenantProblem(tenant); p != "" {
		r.Find("as-jwks-wrong", fmt.Sprintf("jwks_uri %s: %s.", doc.JWKSURI, p))
		return
	}
	if rest != "/discovery/v2.0/keys" {
		r.Find("as-jwks-wrong", fmt.Sprintf("jwks_uri %s is not the tenant's v2 key set (%s/%s/discovery/v2.0/keys).", doc.JWKSURI, authority, tenant))
	}
	if mismatch := noteTenant(env, r, tenant, "the AS metadata's jwks_uri", "as-metadata"); mismatch != "" {
		r.Find("as-jwks-wrong", mismatch+".")
	}
}

func judgeASCapabilities(env *Env, r *Result, doc *ASMetadata) {
	r.Evidence("code_challenge_methods_supported", joinOr(doc.CodeChallengeMethodsSupported, "(absent)"))
	switch {
	case !doc.Has["code_challenge_methods_supported"]:
		r.Find("as-pkce-s256-missing", "code_challenge_methods_supported is absent, as in Entra's own metadata: MCP clients refuse to go on without S256 advertised.")
	case !hasString(doc.CodeChallengeMethodsSupported, "S256"):
		r.Find("as-pkce-no-s256", fmt.Sprintf("code_challenge_methods_supported is %q.", doc.CodeChallengeMethodsSupported))
	}

	r.Evidence("response_types_supported", joinOr(doc.ResponseTypesSupported, "(absent)"))
	if !hasString(doc.ResponseTypesSupported, "code") {
		r.Find("as-response-type", fmt.Sprintf("response_types_supported is %s (RFC 8414 requires it; MCP clients need \"code\").", quotedList(doc.ResponseTypesSupported)))
	}

	// RFC 8414: absent grant_types_supported means authorization_code and implicit.
	if doc.Has["grant_types_supported"] {
		r.Evidence("grant_types_supported", joinOr(doc.GrantTypesSupported, "(empty)"))
		switch {
		case !hasString(doc.GrantTypesSupported, "authorization_code"):
			r.Find("as-grant-types", fmt.Sprintf("grant_types_supported is %s, without authorization_code.", quotedList(doc.GrantTypesSupported)))
		case !hasString(doc.GrantTypesSupported, "refresh_token"):
			r.Find("as-grant-types", fmt.Sprintf("grant_types_supported is %s, without refresh_token: clients sign the user in again every hour.", quotedList(doc.GrantTypesSupported)), WithSeverity(report.Warning))
		}
	}

	// RFC 8414: absent token_endpoint_auth_methods_supported means client_secret_basic.
	methods := doc.TokenEndpointAuthMethodsSupported
	if !doc.Has["token_endpoint_auth_methods_supported"] {
		methods = []string{"client_secret_basic"}
	}
	r.Evidence("token_endpoint_auth_methods_supported", joinOr(methods, "(empty)"))
	if !hasString(methods, "none") {
		r.Find("as-token-auth-none", fmt.Sprintf("token_endpoint_auth_methods_supported is %s, without \"none\".", quotedList(methods)))
	}

	r.Evidence("scopes_supported", joinOr(doc.ScopesSupported, "(absent)"))
	judgeASScopes(env, r, doc)
}

// judgeASScopes compares the AS scopes with the PRM's gateway scope.
func judgeASScopes(env *Env, r *Result, doc *ASMetadata) {
	if !doc.Has["scopes_supported"] {
		return
	}
	var want []string
	if prm := env.State.Discovery.PRM; prm != nil {
		for _, s := range prm.ScopesSupported {
			if gatewayScopePattern.MatchString(s) && !holdsPlaceholder(s) {
				want = append(want, s)
			}
		}
	}
	if len(want) == 0 && env.Config.GatewayAppID != "" {
		want = []string{env.Config.GatewayScope()}
	}
	for _, s := range want {
		if !hasStringFold(doc.ScopesSupported, s) && !holdsPlaceholder(strings.Join(doc.ScopesSupported, " ")) {
			r.Find("as-scope-mismatch", fmt.Sprintf("The protected resource metadata offers %s; the authorization server's scopes_supported is %s.", s, quotedList(doc.ScopesSupported)))
			return
		}
	}
}
