package checks

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/wire"
)

// VSCodeClientID is Microsoft's first-party VS Code client, which the
// guide's Part 2 Step 3 pre-authorizes on the Gateway app.
const VSCodeClientID = "aebc6443-996d-45c2-90f0-388ff96faa56"

// VSCodeRedirectURIs are what VS Code shows for a server without dynamic
// client registration ("Copy URIs & Proceed"), to be registered on the app
// whose id is pasted (Part 7).
var VSCodeRedirectURIs = []string{"http://127.0.0.1:33418", "https://vscode.dev/redirect"}

// MCPClient is a client expected to sign users in through the gateway.
type MCPClient struct {
	ID           string
	Name         string
	RedirectURIs []string
}

// expectedClients are the clients client-authorize asks Entra about: the
// Gateway app as Part 7's client and VS Code's first-party id, each with
// VS Code's redirect URIs, then those given with --mcp-client.
func expectedClients(cfg *Config) []MCPClient {
	out := []MCPClient{
		{ID: cfg.GatewayAppID, Name: "the APIM Gateway app as Part 7's client", RedirectURIs: VSCodeRedirectURIs},
		{ID: VSCodeClientID, Name: "VS Code's first-party app", RedirectURIs: VSCodeRedirectURIs},
	}
	for _, c := range cfg.MCPClients {
		i := slices.IndexFunc(out, func(o MCPClient) bool { return strings.EqualFold(o.ID, c.ID) })
		switch {
		case i < 0:
			if c.Name == "" {
				c.Name = "client " + c.ID
			}
			if len(c.RedirectURIs) == 0 {
				c.RedirectURIs = VSCodeRedirectURIs
			}
			out = append(out, c)
		case len(c.RedirectURIs) > 0:
			out[i].RedirectURIs = c.RedirectURIs
		}
	}
	return out
}

// signInAnswer is what Entra made of one authorization request.
type signInAnswer struct {
	accepted bool             // its sign-in page: the request is acceptable
	refusal  *auth.EntraError // an error sent back or shown on a page
	page     bool             // the refusal was a page, not a redirect back
	unclear  string           // neither: what came instead
	kept     map[string]bool  // parameters the gateway passed on to Entra
}

func (a signInAnswer) String() string {
	switch {
	case a.accepted:
		return "sign-in page"
	case a.refusal != nil:
		how := "sent back"
		if a.page {
			how = "error page"
		}
		return fmt.Sprintf("refused (%s): %s", how, a.refusal.Message())
	}
	return a.unclear
}

// resourceRefused reports Entra's refusal of the RFC 8707 resource parameter.
func (a signInAnswer) resourceRefused() bool {
	return a.refusal != nil && EntraFinding("client-authorize", a.refusal, nil) == "authorize-resource-refused"
}

// maxEntraHops bounds the redirects followed on the Entra host.
const maxEntraHops = 4

// runClientAuthorize builds the authorization request each expected client
// sends, sends it to the gateway's /authorize, follows the redirect on the
// Entra host only, with no cookies, and reads Entra's answer: its sign-in
// page, or a refusal sent back to the redirect URI or shown on a page.
// Nobody signs in. The variant with the RFC 8707 resource, which
// spec-following MCP clients send, is judged once the plain request passes.
func runClientAuthorize(ctx context.Context, env *Env, r *Result) {
	target, source := gatewayEndpoint(env, "authorization_endpoint", "/authorize")
	r.Evidence("source", source)
	resource := resourceParameter(env)
	r.Evidence("resource", resource)
	var refusedResource []string
	var resourceRefusal *auth.EntraError
	accepted, asked := 0, 0
	for _, c := range expectedClients(env.Config) {
		var refused []refusedRequest
		for _, redirect := range c.RedirectURIs {
			a := askEntra(ctx, env, target, clientAuthorizeQuery(env, c.ID, redirect))
			if ctx.Err() != nil {
				return
			}
			asked++
			r.Evidence(c.ID+" "+redirect, a.String())
			if a.accepted {
				accepted++
				continue
			}
			refused = append(refused, refusedRequest{redirect, a})
		}
		if len(refused) > 0 || len(c.RedirectURIs) == 0 {
			judgeSignInRefusals(r, c, refused)
			continue
		}
		q := clientAuthorizeQuery(env, c.ID, c.RedirectURIs[0])
		q.Set("resource", resource)
		a := askEntra(ctx, env, target, q)
		if ctx.Err() != nil {
			return
		}
		asked++
		note := a.String()
		if a.kept != nil && !a.kept["resource"] {
			note += " (the gateway dropped resource)"
		}
		r.Evidence(c.ID+" "+c.RedirectURIs[0]+" with resource", note)
		switch {
		case a.accepted:
			accepted++
		case a.resourceRefused():
			refusedResource = append(refusedResource, c.ID+" ("+c.Name+")")
			if resourceRefusal == nil {
				resourceRefusal = a.refusal
			}
		default:
			judgeSignInRefusals(r, c, []refusedRequest{{c.RedirectURIs[0] + " (with resource)", a}})
		}
	}
	if len(refusedResource) > 0 {
		r.Find("authorize-resource-refused", fmt.Sprintf(
			"Without resource Entra shows its sign-in page; with resource=%s, as VS Code, Claude Code, mcp-remote and SDK-based clients send it (MCP authorization spec, RFC 8707), Entra sends the client back with invalid_target before any sign-in, for %s. The gateway's /authorize passes resource on to Entra, and Entra v2 accepts only the identifier URI of the app whose scopes are asked.",
			resource, strings.Join(refusedResource, " and ")),
			WithEntra(resourceRefusal.Codes, resourceRefusal.TraceID, resourceRefusal.CorrelationID))
	}
	if !r.Failed() {
		r.Summary("Entra shows its sign-in page for %d of %d requests the expected clients send (nobody signed in)", accepted, asked)
	}
}

// resourceParameter is what a spec-following client sends as resource:
// the PRM's resource, else the MCP endpoint.
func resourceParameter(env *Env) string {
	if p := env.State.Discovery.PRM; p != nil && p.Resource != "" {
		return p.Resource
	}
	return discoveryEndpoint(env)
}

// clientAuthorizeQuery is the request an MCP client builds: PKCE S256, a
// state, its scopes.
func clientAuthorizeQuery(env *Env, clientID, redirect string) url.Values {
	verifier := randomURLSafe(32)
	sum := sha256.Sum256([]byte(verifier))
	return url.Values{
		"client_id":             {clientID},
		"response_type":         {"code"},
		"redirect_uri":          {redirect},
		"scope":                 {strings.Join(clientScopes(env), " ")},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
		"state":                 {randomURLSafe(16)},
	}
}

// clientScopes are the scopes an MCP client asks: the PRM's (the Gateway
// scope when the PRM has none usable) and offline_access.
func clientScopes(env *Env) []string {
	scopes := []string{env.Config.GatewayScope()}
	if p := env.State.Discovery.PRM; p != nil && len(p.ScopesSupported) > 0 && !holdsPlaceholder(strings.Join(p.ScopesSupported, " ")) {
		scopes = append([]string(nil), p.ScopesSupported...)
	}
	return append(scopes, "offline_access")
}

// askEntra sends one authorization request through the gateway and
// follows redirects on the authority host only.
func askEntra(ctx context.Context, env *Env, target string, q url.Values) signInAnswer {
	authority := strings.TrimRight(env.Config.AuthorityHost, "/")
	redirect := q.Get("redirect_uri")
	next := target + "?" + q.Encode()
	if strings.Contains(target, "?") {
		next = target + "&" + q.Encode()
	}
	var ans signInAnswer
	for hop := 0; hop <= maxEntraHops; hop++ {
		resp, err := env.HTTP.Get(ctx, next, "text/html", wire.MetadataLimit)
		if err != nil {
			return signInAnswer{unclear: fmt.Sprintf("no answer from %s: %v", wire.Origin(next), err)}
		}
		if resp.StatusCode < 300 || resp.StatusCode >= 400 {
			if hop == 0 {
				return signInAnswer{unclear: fmt.Sprintf("the gateway answered %s, not a redirect", httpStatus(resp.StatusCode))}
			}
			return readEntraPage(ans, resp)
		}
		loc, err := url.Parse(resp.URL)
		if err == nil {
			loc, err = loc.Parse(resp.Header.Get("Location"))
		}
		if err != nil || resp.Header.Get("Location") == "" {
			return signInAnswer{unclear: fmt.Sprintf("%s answered %s without a usable Location", wire.Origin(next), httpStatus(resp.StatusCode))}
		}
		if hop == 0 {
			ans.kept = map[string]bool{}
			for k := range loc.Query() {
				ans.kept[k] = true
			}
		}
		switch {
		case wire.SameOrigin(loc, authority):
			next = loc.String()
		case hop > 0 && sameRedirectTarget(loc, redirect):
			if e, ok := auth.EntraErrorFromRedirect(loc.Query()); ok {
				ans.refusal = e
				return ans
			}
			// A code without a sign-in: Entra knew the browser already,
			// which a request without cookies cannot be.
			ans.unclear = "sent back to the client without an error or a sign-in"
			if loc.Query().Get("code") != "" {
				env.Redactor().Secret(loc.Query().Get("code"))
				ans.accepted, ans.unclear = true, ""
			}
			return ans
		default:
			return signInAnswer{kept: ans.kept, unclear: fmt.Sprintf("redirected to %s, which is not the authority host %s (not followed)", wire.Origin(loc.String()), authority)}
		}
	}
	return signInAnswer{kept: ans.kept, unclear: fmt.Sprintf("more than %d redirects on %s", maxEntraHops, authority)}
}

// readEntraPage judges the page Entra finally showed.
func readEntraPage(ans signInAnswer, resp *wire.Response) signInAnswer {
	if e, ok := auth.EntraErrorFromPage(resp.Body, resp.StatusCode); ok {
		ans.refusal, ans.page = e, true
		return ans
	}
	if resp.StatusCode == http.StatusOK && bodyLooksHTML(resp.ContentType(), resp.Body) {
		ans.accepted = true
		return ans
	}
	ans.unclear = fmt.Sprintf("Entra answered %s with %s: neither its sign-in page nor an error", httpStatus(resp.StatusCode), bodyDescription(resp.ContentType(), resp.Body, resp.Truncated))
	return ans
}

// sameRedirectTarget reports whether loc goes to the redirect URI (its
// scheme, host and path; Entra adds the query).
func sameRedirectTarget(loc *url.URL, redirect string) bool {
	ru, err := url.Parse(redirect)
	if err != nil {
		return false
	}
	path := func(p string) string { return strings.TrimSuffix(p, "/") }
	return strings.EqualFold(loc.Scheme, ru.Scheme) && strings.EqualFold(loc.Host, ru.Host) && path(loc.Path) == path(ru.Path)
}

// refusedRequest is a request Entra did not answer with its sign-in page.
type refusedRequest struct {
	redirect string
	answer   signInAnswer
}

// judgeSignInRefusals turns one client's refused (or unclear) requests
// into findings: one a cause, naming every redirect URI it hit.
func judgeSignInRefusals(r *Result, c MCPClient, refused []refusedRequest) {
	var order []string
	byID := map[string][]refusedRequest{}
	for _, rr := range refused {
		id := "client-authorize-unclear"
		if rr.answer.refusal != nil {
			id = EntraFinding("client-authorize", rr.answer.refusal, r.env.Config)
		}
		if _, seen := byID[id]; !seen {
			order = append(order, id)
		}
		byID[id] = append(byID[id], rr)
	}
	for _, id := range order {
		group := byID[id]
		var parts []string
		for _, rr := range group {
			what := rr.answer.unclear
			if e := rr.answer.refusal; e != nil {
				what = strings.TrimSuffix(e.Message(), ".")
			}
			parts = append(parts, fmt.Sprintf("with redirect URI %s: %s", rr.redirect, what))
		}
		if id == "client-authorize-unclear" {
			r.Find(id, fmt.Sprintf("For %s (%s), Entra's answer is unclear %s.", c.ID, c.Name, strings.Join(parts, "; ")))
			continue
		}
		e := group[0].answer.refusal
		detail := fmt.Sprintf("Entra refuses %s (%s) before any sign-in, %s.", c.ID, c.Name, strings.Join(parts, "; "))
		opts := []FindingOption{WithEntra(e.Codes, e.TraceID, e.CorrelationID)}
		switch id {
		case "client-redirect-not-registered":
			if strings.EqualFold(c.ID, VSCodeClientID) {
				opts = append(opts, WithFix("VS Code's first-party app carries Microsoft's redirect URIs, not yours: use the Gateway app's id in VS Code (Part 7), or use VS Code's own redirect URI."))
			}
		case "client-unknown":
			cmd := "az ad sp show --id " + c.ID + " --query \"{appId:appId, name:displayName}\""
			if strings.EqualFold(c.ID, VSCodeClientID) {
				cmd = "az ad sp create --id " + VSCodeClientID
			}
			opts = append(opts, WithCommands(cmd))
		}
		r.Find(id, detail, opts...)
	}
}
