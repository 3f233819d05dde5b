package lab

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
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
	platform    string // of the redirect URI: a web one needs a secret at /token
	user        User
	sid         string
	expires     time.Time
}

var signInTmpl = lazyTemplate("signin", `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{if .Error}}Sign in error{{else}}Sign in to your account{{end}} - Contoso Lab (c7doctor lab)</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
button{font-size:1rem;padding:.5rem 1.2rem;margin:.8rem .5rem 0 0}.err{color:#a80000}.note{color:#555;font-size:.9rem}</style></head>
<body>
{{if .Error}}
<h1>Sorry, but we're having trouble signing you in.</h1><p class="err">{{.Error}}</p>
<h2>Troubleshooting details</h2>
<p>Request Id: {{.TraceID}}<br>Correlation Id: {{.CorrelationID}}<br>Timestamp: {{.Timestamp}}<br>Message: {{.Error}}</p>
{{else}}
<h1>Sign in</h1>
<p><b>{{.Client}}</b> wants you to sign in to Contoso Lab and access <code>{{.Scope}}</code>. Accepting signs in the lab's default user.</p>
<form method="post" id="signin">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<button name="action" value="accept" type="submit">Accept</button>
<button name="action" value="cancel" type="submit">Cancel</button>
</form>
{{end}}
<p class="note">c7doctor lab: a stand-in for login.microsoftonline.com. Nothing here reaches Microsoft.</p>
</body></html>
`)

type signInPage struct {
	Error, Client, Scope              string
	TraceID, CorrelationID, Timestamp string
	User                              User
	Params                            map[string]string
}

// authorize is the authorization endpoint, checking what Entra checks
// before anyone signs in: the client, its redirect URI (errors a page,
// since they cannot be sent back safely), then the request itself and the
// RFC 8707 resource (errors sent back to redirect_uri). A GET, which carries
// no session cookie, always gets the sign-in page and never a code; the
// page's form posts back here, and only an accepted POST issues a code,
// after the pre-authorization check a consent prompt would make.
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
	platform, ok := client.redirectPlatform(redirectURI)
	if !ok {
		return t.signInError(rw, errRedirectMismatch(redirectURI, clientID))
	}
	back := func(e *entraError) error {
		return t.redirectError(rw, r, redirectURI, q.Get("state"), e)
	}
	if rt := q.Get("response_type"); rt != "code" {
		return back(badRequest("unsupported_response_type", 700054, "response_type '%s' is not enabled for the application.", rt))
	}
	scopes, serr := t.parseScopes(q.Get("scope"))
	if serr != nil {
		return back(serr)
	}
	if q.Has("resource") && !scopes.matchesResource(q.Get("resource")) {
		return back(errResourceParameter())
	}
	method := q.Get("code_challenge_method")
	if q.Get("code_challenge") != "" && method != "S256" && method != "plain" && method != "" {
		return back(badRequest("invalid_request", 50149, "The code_challenge_method is not supported. Supported values: plain, S256."))
	}
	if r.Method == http.MethodGet {
		params := map[string]string{}
		for k := range q {
			params[k] = q.Get(k)
		}
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Header().Set("Cache-Control", "no-store, no-cache")
		return signInTmpl().Execute(rw, signInPage{Client: client.name, Scope: q.Get("scope"), Params: params})
	}
	if q.Get("action") != "accept" {
		return back(badRequest("access_denied", 65004, "User declined to consent to access the app."))
	}
	if scopes.hasResource && !scopes.resource.preAuthorizes(client) {
		return back(errClientNotAuthorized(client.appID, client.name, scopes.resourceForm, scopes.resource.appID))
	}
	code := codePrefix + randomString(300)
	g := &codeGrant{
		client: client, redirectURI: redirectURI, scopes: scopes,
		challenge: q.Get("code_challenge"), method: method, platform: platform,
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

// signInError is Entra's error page: the AADSTS message and the
// troubleshooting details (request id, correlation id, timestamp).
func (t *tenant) signInError(rw http.ResponseWriter, e *entraError) error {
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(http.StatusBadRequest)
	page := signInPage{
		Error:   fmt.Sprintf("AADSTS%d: %s", e.aadsts, e.text),
		TraceID: newGUID(), CorrelationID: newGUID(), Timestamp: time.Now().UTC().Format(entraTimestamp),
	}
	if err := signInTmpl().Execute(rw, page); err != nil {
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
	if g.platform == platformWeb && form.Get("client_secret") == "" {
		// The redirect URI is registered on the web platform: Entra takes
		// the client for a confidential one and wants its secret.
		return nil, errClientSecretMissing()
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
