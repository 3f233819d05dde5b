package lab

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	// codePrefix starts every authorization code the tenant issues; a code
	// without it is malformed (AADSTS9002313), one with it unknown (70000).
	codePrefix = "1.AXEAL"
	codeLife   = 10 * time.Minute
)

// codeGrant is an authorization code waiting to be redeemed.
type codeGrant struct {
	client      application
	redirectURI string
	scopes      scopeRequest
	challenge   string
	method      string
	user        User
	sid         string
	expires     time.Time
}

// allowedRedirect reports whether the lab's app registrations hold uri:
// loopback http on any port (native and CLI clients, VS Code's local
// listener) and VS Code's web redirect.
func allowedRedirect(uri string) bool {
	u, err := url.Parse(uri)
	if err != nil || u.Fragment != "" {
		return false
	}
	if u.Scheme == "https" && u.Host == "vscode.dev" && u.Path == "/redirect" {
		return true
	}
	if u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var signInTmpl = template.Must(template.New("signin").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{if .Error}}Sign in error{{else}}Sign in{{end}} - Contoso Lab (c7doctor lab)</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
button{font-size:1rem;padding:.5rem 1.2rem;margin:.8rem .5rem 0 0}.err{color:#a80000}.note{color:#555;font-size:.9rem}</style></head>
<body>
{{if .Error}}
<h1>Sorry, but we're having trouble signing you in.</h1><p class="err">{{.Error}}</p>
{{else}}
<h1>Permissions requested</h1>
<p><b>{{.Client}}</b> wants to sign you in to Contoso Lab as <b>{{.User.Name}}</b> ({{.User.Email}}) and access <code>{{.Scope}}</code>.</p>
<form method="post">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<button name="action" value="accept" type="submit">Accept</button>
<button name="action" value="cancel" type="submit">Cancel</button>
</form>
{{end}}
<p class="note">c7doctor lab: a stand-in for login.microsoftonline.com. Nothing here reaches Microsoft.</p>
</body></html>
`))

type signInPage struct {
	Error, Client, Scope string
	User                 User
	Params               map[string]string
}

// authorize is the authorization endpoint. Errors it cannot send back to the
// client (bad client or redirect URI) are a page, as Entra's are; the rest
// go back to redirect_uri. Without Options.Interactive it signs the lab's
// default user in at once; with it, a person accepts on a consent page.
func (t *tenant) authorize(rw http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return t.signInError(rw, errMalformedGrant())
	}
	q := r.Form
	if err := t.resolveTenant(r); err != nil {
		return t.signInError(rw, err.(*entraError))
	}
	clientID := q.Get("client_id")
	if clientID == "" {
		return t.signInError(rw, errMissingParameter("client_id"))
	}
	client, ok := t.app(clientID)
	if !ok {
		return t.signInError(rw, errUnknownClient(clientID))
	}
	redirectURI := q.Get("redirect_uri")
	if !allowedRedirect(redirectURI) || !client.public {
		return t.signInError(rw, errRedirectMismatch(redirectURI, clientID))
	}
	back := func(e *entraError) error {
		return t.redirectError(rw, r, redirectURI, q.Get("state"), e)
	}
	if rt := q.Get("response_type"); rt != "code" {
		return back(badRequest("unsupported_response_type", 700054, "response_type '%s' is not enabled for the application.", rt))
	}
	if q.Has("resource") {
		return back(badRequest("invalid_request", 901002, "The 'resource' request parameter is not supported."))
	}
	scopes, serr := t.parseScopes(q.Get("scope"))
	if serr != nil {
		return back(serr)
	}
	if (t.w.Has("client-not-authorized") && scopes.hasResource) || !t.clientAllowed(client, scopes) {
		return back(errClientNotAuthorized(client.appID, client.name, scopes.resourceForm, scopes.resource.appID))
	}
	method := q.Get("code_challenge_method")
	if q.Get("code_challenge") != "" && method != "S256" && method != "plain" && method != "" {
		return back(badRequest("invalid_request", 50149, "The code_challenge_method is not supported. Supported values: plain, S256."))
	}
	if t.w.opts.Interactive && r.Method == http.MethodGet {
		params := map[string]string{}
		for k := range q {
			params[k] = q.Get(k)
		}
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		return signInTmpl.Execute(rw, signInPage{Client: client.name, Scope: q.Get("scope"), User: DefaultUser, Params: params})
	}
	if r.Method == http.MethodPost && q.Get("action") != "accept" {
		return back(badRequest("access_denied", 65004, "User declined to consent to access the app."))
	}
	code := codePrefix + randomString(300)
	g := &codeGrant{
		client: client, redirectURI: redirectURI, scopes: scopes,
		challenge: q.Get("code_challenge"), method: method,
		user: DefaultUser, sid: newGUID(), expires: time.Now().Add(codeLife),
	}
	t.mu.Lock()
	t.pruneExpired(time.Now())
	t.codes[code] = g
	t.issued = append(t.issued, code)
	t.mu.Unlock()
	v := url.Values{"code": {code}, "session_state": {g.sid}}
	if s := q.Get("state"); s != "" {
		v.Set("state", s)
	}
	http.Redirect(rw, r, withQuery(redirectURI, v), http.StatusFound)
	return nil
}

func withQuery(uri string, v url.Values) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + v.Encode()
}

func (t *tenant) signInError(rw http.ResponseWriter, e *entraError) error {
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(http.StatusBadRequest)
	if err := signInTmpl.Execute(rw, signInPage{Error: fmt.Sprintf("AADSTS%d: %s", e.aadsts, e.text)}); err != nil {
		return err
	}
	return e
}

// redirectError sends an error back to the client, Entra's way: error,
// error_description with the trace lines, error_uri and state in the query.
func (t *tenant) redirectError(rw http.ResponseWriter, r *http.Request, redirectURI, state string, e *entraError) error {
	b := e.body(t.w.AuthorityHost, newGUID(), newGUID(), time.Now())
	v := url.Values{"error": {b.Error}, "error_description": {b.ErrorDescription}, "error_uri": {b.ErrorURI}}
	if state != "" {
		v.Set("state", state)
	}
	http.Redirect(rw, r, withQuery(redirectURI, v), http.StatusFound)
	return e
}

// authorizationCodeGrant redeems a code once, checking the client, the
// redirect URI and the PKCE verifier.
func (t *tenant) authorizationCodeGrant(form url.Values, client application, now time.Time) (*tokenResponse, error) {
	code := form.Get("code")
	if code == "" {
		return nil, errMissingParameter("code")
	}
	if err := t.authenticateClient(form, client, false); err != nil {
		return nil, err
	}
	t.mu.Lock()
	g := t.codes[code]
	redeemed := t.redeemed[code]
	if g != nil {
		delete(t.codes, code)
		t.redeemed[code] = true
	}
	t.mu.Unlock()
	switch {
	case redeemed:
		return nil, errCodeRedeemed()
	case g == nil && !strings.HasPrefix(code, codePrefix):
		return nil, errMalformedGrant()
	case g == nil, !strings.EqualFold(g.client.appID, client.appID):
		return nil, errInvalidCode()
	case now.After(g.expires):
		return nil, badRequest("invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
	case form.Get("redirect_uri") != g.redirectURI:
		return nil, badRequest("invalid_grant", 500112, "The reply address '%s' does not match the reply address '%s' provided when requesting Authorization code.", form.Get("redirect_uri"), g.redirectURI)
	}
	if err := checkVerifier(g.challenge, g.method, form.Get("code_verifier")); err != nil {
		return nil, errCodeVerifier()
	}
	return t.issueUserTokens(g.user, g.sid, client, g.scopes, form.Get("client_info") == "1", now)
}

var errVerifier = errors.New("pkce: verifier does not match")

func checkVerifier(challenge, method, verifier string) error {
	if challenge == "" {
		return nil
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if verifier == "" || subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) != 1 {
		return errVerifier
	}
	return nil
}
