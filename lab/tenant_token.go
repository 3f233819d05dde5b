package lab

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Grant types the token endpoint knows.
const (
	grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"
	grantJWTBearer  = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	grantRefresh    = "refresh_token"
	grantAuthCode   = "authorization_code"
	grantClient     = "client_credentials"
	// refreshPrefix starts every refresh token, as Entra's start "1.A".
	refreshPrefix = "1.AXEA"
)

// tokenResponse is Entra's successful answer, field order as recorded
// (reference/entra/token-response-default-scope.json).
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Foci         string `json:"foci,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	ClientInfo   string `json:"client_info,omitempty"`
}

// refreshGrant is what a refresh token stands for: a user's session with one
// client. Redeeming it issues a new refresh token; like Entra's, the old one
// stays valid until it expires.
type refreshGrant struct {
	user    User
	sid     string
	client  application
	expires time.Time
}

// token is POST /{tenant}/oauth2/v2.0/token: one handler, switching on
// grant_type after the checks every grant shares.
func (t *tenant) token(rw http.ResponseWriter, r *http.Request) error {
	if err := t.resolveTenant(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errMalformedGrant()
	}
	form := r.PostForm
	if id, secret, ok := r.BasicAuth(); ok && form.Get("client_id") == "" {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	if form.Has("resource") {
		// Judged before the grant: a refused resource hides whether the
		// code, refresh token or assertion was any good.
		if scopes, serr := t.parseScopes(form.Get("scope")); serr != nil || !scopes.matchesResource(form.Get("resource")) {
			return errResourceParameter()
		}
	}
	grant := form.Get("grant_type")
	if grant == "" {
		return errMissingParameter("grant_type")
	}
	clientID := form.Get("client_id")
	if clientID == "" {
		return errMissingParameter("client_id")
	}
	client, ok := t.app(clientID)
	if !ok {
		return errUnknownClient(clientID)
	}
	now := time.Now()
	var resp *tokenResponse
	var err error
	switch grant {
	case grantDeviceCode, "device_code":
		resp, err = t.deviceCodeGrant(form, client, now)
	case grantRefresh:
		resp, err = t.refreshTokenGrant(form, client, now)
	case grantAuthCode:
		resp, err = t.authorizationCodeGrant(form, client, now)
	case grantJWTBearer:
		resp, err = t.onBehalfOfGrant(form, client, now)
	case grantClient:
		resp, err = t.clientCredentialsGrant(form, client, now)
	default:
		return errUnsupportedGrant(grant)
	}
	if err != nil {
		return err
	}
	return writeJSON(rw, http.StatusOK, resp)
}

// authenticateClient checks the client's credentials: a secret when one is
// sent (a public client must send none), and none needed for public flows.
func (t *tenant) authenticateClient(form url.Values, client application, needSecret bool) error {
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		return t.authenticateAssertion(form, client)
	}
	secret := form.Get("client_secret")
	if secret == "" {
		if needSecret || !client.public {
			return errClientSecretMissing()
		}
		return nil
	}
	if !client.secret {
		if client.public {
			return errPublicClientSecret()
		}
		return errInvalidClientSecret()
	}
	app := t.w.dir.app(client.appID)
	if app == nil {
		return errInvalidClientSecret()
	}
	s, ok := app.secretFor(secret)
	if !ok {
		return errInvalidClientSecret()
	}
	if !time.Now().Before(s.end) {
		return errSecretExpired(client.appID)
	}
	return nil
}

func (t *tenant) deviceCodeGrant(form url.Values, client application, now time.Time) (*tokenResponse, error) {
	code := form.Get("device_code")
	if code == "" {
		return nil, errMissingParameter("device_code")
	}
	if err := t.authenticateClient(form, client, false); err != nil {
		return nil, err
	}
	g, err := t.pollDeviceCode(code, client.appID, now)
	if err != nil {
		return nil, err
	}
	return t.issueUserTokens(g.user, newGUID(), client, g.scopes, form.Get("client_info") == "1", now)
}

func (t *tenant) refreshTokenGrant(form url.Values, client application, now time.Time) (*tokenResponse, error) {
	rt := form.Get("refresh_token")
	if rt == "" {
		return nil, errMissingParameter("refresh_token")
	}
	if err := t.authenticateClient(form, client, false); err != nil {
		return nil, err
	}
	t.mu.Lock()
	g := t.refresh[rt]
	t.mu.Unlock()
	switch {
	case g == nil && !strings.HasPrefix(rt, refreshPrefix):
		return nil, errMalformedGrant()
	case g == nil, !strings.EqualFold(g.client.appID, client.appID):
		return nil, errInvalidGrant()
	case now.After(g.expires):
		return nil, badRequest("invalid_grant", 700082, "The refresh token has expired due to inactivity. The token was issued on %s and was inactive for 90.00:00:00.", g.expires.Add(-refreshLife).UTC().Format("2006-01-02T15:04:05.0000000Z"))
	}
	scopes, serr := t.parseScopes(form.Get("scope"))
	if serr != nil {
		return nil, serr
	}
	return t.issueUserTokens(g.user, g.sid, client, scopes, form.Get("client_info") == "1", now)
}

// graphScopes stands for a request naming no resource: Entra then issues a
// Microsoft Graph token for User.Read.
func graphScopes(oidc map[string]bool) scopeRequest {
	return scopeRequest{
		resource:     application{appID: "00000003-0000-0000-c000-000000000000", name: "Microsoft Graph", scopes: []string{"User.Read"}},
		hasResource:  true,
		resourceForm: "https://graph.microsoft.com",
		names:        []string{".default"},
		oidc:         oidc,
	}
}

// issueUserTokens answers a user's grant: the access token for the resource
// asked (user-token faults applied), with a new refresh token, the ID token
// and client_info when the OpenID scopes and MSAL ask for them.
func (t *tenant) issueUserTokens(u User, sid string, client application, scopes scopeRequest, withClientInfo bool, now time.Time) (*tokenResponse, error) {
	if !scopes.hasResource {
		scopes = graphScopes(scopes.oidc)
	}
	spec := t.w.userTokenSpec(u, sid, client.appID, scopes)
	at, err := t.key.sign(t.w.accessTokenClaims(spec, now), spec.v1)
	if err != nil {
		return nil, err
	}
	t.remember(signatureOf(at))
	resp := &tokenResponse{
		TokenType:   "Bearer",
		Scope:       scopes.echo(spec.scp),
		AccessToken: at,
	}
	resp.ExpiresIn = int(accessTokenLife.Seconds()) - 1
	if spec.expired {
		// Issued already expired: no lifetime left. MSAL accepts it and
		// returns it, but never caches an access token that expires within
		// five minutes, so each silent call redeems the refresh token again.
		resp.ExpiresIn = 0
	}
	resp.ExtExpiresIn = resp.ExpiresIn
	if scopes.oidc["offline_access"] {
		resp.RefreshToken = refreshPrefix + randomString(340)
		t.mu.Lock()
		t.refresh[resp.RefreshToken] = &refreshGrant{user: u, sid: sid, client: client, expires: now.Add(refreshLife)}
		t.issued = append(t.issued, resp.RefreshToken)
		t.mu.Unlock()
		if client.family {
			resp.Foci = "1"
		}
	}
	if scopes.oidc["openid"] {
		idt, err := t.key.sign(t.w.idTokenClaims(u, sid, client.appID, now), false)
		if err != nil {
			return nil, err
		}
		t.remember(signatureOf(idt))
		resp.IDToken = idt
	}
	if withClientInfo {
		resp.ClientInfo = t.w.clientInfo(u)
	}
	return resp, nil
}

// ExpireRefreshTokens ages every refresh token the tenant issued past its
// lifetime, as 90 days unused would: the next refresh is refused with
// AADSTS700082.
func (w *World) ExpireRefreshTokens() {
	t := w.tenant
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, g := range t.refresh {
		g.expires = time.Now().Add(-time.Minute)
	}
}
