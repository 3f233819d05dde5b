package checks

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/c7doctor/c7doctor/wire"
)

// authorizeRedirectURI is where the sign-in would land: a loopback port, as
// VS Code and other MCP clients use.
const authorizeRedirectURI = "http://127.0.0.1:33418/"

// runAuthorizeRedirect asks the gateway's /authorize what a browser gets
// there: a 302 to the tenant's authorize endpoint, every parameter kept.
func runAuthorizeRedirect(ctx context.Context, env *Env, r *Result) {
	target, source := gatewayEndpoint(env, "authorization_endpoint", "/authorize")
	r.Evidence("source", source)
	sent := authorizeQuery(env)
	reqURL := target + "?" + sent.Encode()
	if strings.Contains(target, "?") {
		reqURL = target + "&" + sent.Encode()
	}
	resp, err := env.HTTP.Get(ctx, reqURL, "text/html", wire.MetadataLimit)
	if err != nil {
		reportNoAnswer(r, env, "GET /authorize", reqURL, err, "gateway-unreachable")
		return
	}
	if reportProxyKey(r, "GET", resp) {
		return
	}
	recordExchange(r, "", resp)
	switch resp.StatusCode {
	case http.StatusFound, http.StatusMovedPermanently, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		body := bodyDescription(resp.ContentType(), resp.Body, resp.Truncated)
		why := ""
		switch {
		case resp.StatusCode == 200 && bodyLooksHTML(resp.ContentType(), resp.Body):
			why = " The gateway serves a sign-in page itself: a proxied /authorize breaks Microsoft's sign-in (the guide's note on the 302)."
		case resp.StatusCode == 404:
			why = " The oauth-proxy API has no GET /authorize operation, or it is not at the host root."
		}
		r.Find("authorize-not-redirect", fmt.Sprintf("GET %s answered %s with %s, not a 302.%s", target, httpStatus(resp.StatusCode), body, why))
		return
	}
	loc := resp.Header.Get("Location")
	r.Evidence("location", joinOr([]string{loc}, "(none)"))
	if loc == "" {
		r.Find("authorize-location-missing", fmt.Sprintf("GET %s answered %s without a Location header.", target, httpStatus(resp.StatusCode)))
		return
	}
	if ph := placeholderRE.FindString(loc); ph != "" {
		r.Find("authorize-placeholder", fmt.Sprintf("The redirect goes to %s: %s is the guide's placeholder.", loc, ph))
		return
	}
	judgeAuthorizeLocation(env, r, loc, sent)
}

// gatewayEndpoint is the endpoint the AS metadata names when it is usable
// and on the gateway, else the guide's default path on the gateway.
func gatewayEndpoint(env *Env, member, defaultPath string) (target, source string) {
	if as := env.State.Discovery.AS; as != nil {
		v := as.AuthorizationEndpoint
		if member == "token_endpoint" {
			v = as.TokenEndpoint
		}
		if u, problem := judgeURL(v); problem == "" && !holdsPlaceholder(v) && wire.SameOrigin(u, probedOrigin(env)) {
			return v, "the AS metadata's " + member
		}
	}
	return probedOrigin(env) + defaultPath, "the guide's " + defaultPath + " on the gateway"
}

// authorizeQuery is a realistic authorization request: PKCE S256 with a
// fresh verifier, the gateway scope, a loopback redirect.
func authorizeQuery(env *Env) url.Values {
	verifier := randomURLSafe(32)
	sum := sha256.Sum256([]byte(verifier))
	scope := "openid profile offline_access"
	if env.Config.GatewayAppID != "" {
		scope = env.Config.GatewayScope() + " " + scope
	}
	return url.Values{
		"client_id":             {clientIDForProbes(env)},
		"response_type":         {"code"},
		"redirect_uri":          {authorizeRedirectURI},
		"scope":                 {scope},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
		"state":                 {randomURLSafe(16)},
	}
}

// clientIDForProbes is the client an MCP client signs in as in the guide
// (Part 7: the Gateway app's own id), else the run's public client.
func clientIDForProbes(env *Env) string {
	if env.Config.GatewayAppID != "" {
		return env.Config.GatewayAppID
	}
	if env.Config.ClientID != "" {
		return env.Config.ClientID
	}
	return AzureCLIClientID
}

func randomURLSafe(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// judgeAuthorizeLocation checks the redirect goes to
// <authority-host>/<tenant>/oauth2/v2.0/authorize with the query intact.
func judgeAuthorizeLocation(env *Env, r *Result, loc string, sent url.Values) {
	authority := strings.TrimRight(env.Config.AuthorityHost, "/")
	u, err := url.Parse(loc)
	if err != nil || !u.IsAbs() {
		r.Find("authorize-wrong-target", fmt.Sprintf("The redirect goes to %q, not an absolute URL on %s.", loc, authority))
		return
	}
	if !wire.SameOrigin(u, authority) {
		r.Find("authorize-wrong-target", fmt.Sprintf("The redirect goes to %s, not to the authority host %s.", u.Scheme+"://"+u.Host+u.EscapedPath(), authority))
		return
	}
	tenant, rest := entraTenantSegment(u)
	if p := tenantProblem(tenant); p != "" {
		r.Find("authorize-wrong-target", fmt.Sprintf("The redirect goes to %s: %s.", u.Scheme+"://"+u.Host+u.EscapedPath(), p))
		return
	}
	if rest != "/oauth2/v2.0/authorize" {
		why := ""
		if rest == "/oauth2/authorize" {
			why = " That is the v1 endpoint: it issues v1 tokens, which APIM and Context7 refuse."
		}
		r.Find("authorize-wrong-target", fmt.Sprintf("The redirect goes to %s, not %s/%s/oauth2/v2.0/authorize.%s", u.Scheme+"://"+u.Host+u.EscapedPath(), authority, tenant, why))
	}
	if mismatch := noteTenant(env, r, tenant, "the /authorize redirect", "authorize-redirect"); mismatch != "" {
		r.Find("authorize-wrong-target", mismatch+".")
	}
	judgeAuthorizeQuery(r, u, sent)
	if !r.Failed() {
		r.Summary("302 to %s", u.Scheme+"://"+u.Host+u.EscapedPath())
	}
}

func judgeAuthorizeQuery(r *Result, u *url.URL, sent url.Values) {
	if strings.HasPrefix(u.RawQuery, "?") {
		r.Find("authorize-query-lost", "The redirect's query starts with \"??\": the policy adds a \"?\" although context.Request.OriginalUrl.QueryString already starts with one, so Entra sees no client_id.")
		return
	}
	got, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		r.Find("authorize-query-lost", fmt.Sprintf("The redirect's query does not parse: %v.", err))
		return
	}
	var lost, changed []string
	for k, want := range sent {
		have, ok := got[k]
		switch {
		case !ok:
			lost = append(lost, k)
		case strings.Join(have, "\x00") != strings.Join(want, "\x00"):
			changed = append(changed, fmt.Sprintf("%s=%q became %q", k, strings.Join(want, ","), strings.Join(have, ",")))
		}
	}
	sort.Strings(lost)
	sort.Strings(changed)
	var parts []string
	if len(lost) > 0 {
		parts = append(parts, "lost "+strings.Join(lost, ", "))
	}
	if len(changed) > 0 {
		parts = append(parts, "changed "+strings.Join(changed, "; "))
	}
	if len(parts) > 0 {
		r.Find("authorize-query-lost", "On the way to Entra the request "+strings.Join(parts, " and ")+".")
		return
	}
	r.Evidence("query", fmt.Sprintf("all %d parameters kept", len(sent)))
}
