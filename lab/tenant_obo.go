package lab

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"time"
)

// mfaPolicyID names the conditional-access policy of the mfa-required fault.
const mfaPolicyID = "9f3c1a7e-6b2d-4e55-8a10-3c7d2b9e4f61"

// onBehalfOfGrant is the exchange APIM's policy performs (guide Part 3
// Step 3): the gateway app, with its secret, trades the user's gateway token
// for one to the MCP API. Checks run in Entra's order: client credentials,
// scope, assertion, then consent and conditional access.
func (t *tenant) onBehalfOfGrant(form url.Values, client application, now time.Time) (*tokenResponse, error) {
	if form.Get("requested_token_use") != "on_behalf_of" {
		return nil, errMissingParameter("requested_token_use")
	}
	if err := t.authenticateClient(form, client, true); err != nil {
		return nil, err
	}
	if t.w.Has("obo-bad-secret") {
		return nil, errInvalidClientSecret()
	}
	raw := form.Get("scope")
	scopes, serr := t.parseScopes(raw)
	if serr != nil {
		return nil, serr
	}
	if !scopes.hasResource {
		return nil, errScopeInvalid(raw)
	}
	if t.w.Has("obo-invalid-scope") {
		return nil, errScopeInvalid(scopes.resourceForm + "/" + strings.Join(scopes.names, " "))
	}
	assertion := form.Get("assertion")
	if assertion == "" {
		return nil, errMissingParameter("assertion")
	}
	u, sid, err := t.checkAssertion(assertion, client, now)
	if err != nil {
		return nil, err
	}
	if t.w.Has("obo-invalid-assertion") {
		// As if the assertion came from a tenant whose keys this one does
		// not hold: the signature cannot be checked.
		return nil, errAssertionKeyNotFound(randomThumbprint())
	}
	// The exchange needs the gateway app's permission on every scope,
	// admin-consented (guide Part 2 Step 3): the directory's grant.
	for _, s := range scopes.granted() {
		if !t.w.dir.consented(client.appID, scopes.resource.appID, s) {
			return nil, errConsentRequired(client.appID, client.name)
		}
	}
	if t.w.Has("mfa-required") {
		return nil, errMFARequired(scopes.resource.appID, mfaPolicyID)
	}
	spec := t.w.oboTokenSpec(u, sid, scopes)
	at, err := t.key.sign(t.w.accessTokenClaims(spec, now), spec.v1)
	if err != nil {
		return nil, err
	}
	t.remember(signatureOf(at))
	resp := &tokenResponse{
		TokenType:    "Bearer",
		Scope:        scopes.echo(spec.scp),
		ExpiresIn:    int(accessTokenLife.Seconds()) - 1,
		ExtExpiresIn: int(accessTokenLife.Seconds()) - 1,
		AccessToken:  at,
	}
	if scopes.oidc["offline_access"] {
		resp.RefreshToken = refreshPrefix + randomString(340)
		t.mu.Lock()
		t.refresh[resp.RefreshToken] = &refreshGrant{user: u, sid: sid, client: client, expires: now.Add(refreshLife)}
		t.issued = append(t.issued, resp.RefreshToken)
		t.mu.Unlock()
	}
	if form.Get("client_info") == "1" {
		resp.ClientInfo = t.w.clientInfo(u)
	}
	return resp, nil
}

// checkAssertion validates the user's token as Entra does before an OBO
// exchange: a JWT signed by one of the tenant's keys, issued by this tenant
// (v1 or v2), for the app presenting it (its id or its App ID URI), not
// expired, naming a user of the directory.
func (t *tenant) checkAssertion(assertion string, client application, now time.Time) (User, string, error) {
	p, err := parseJWT(assertion)
	if err != nil {
		return User{}, "", errAssertionMalformed()
	}
	kid, _ := p.header["kid"].(string)
	var key *signingKey
	for _, k := range []*signingKey{t.key, t.spare} {
		if kid == k.kid {
			key = k
		}
	}
	if key == nil {
		return User{}, "", errAssertionKeyNotFound(thumbprintOf(p))
	}
	if !p.verify(key) {
		return User{}, "", errAssertionBadSignature(key.sha1Hex, key.cert.NotBefore, key.cert.NotAfter)
	}
	if iss := p.str("iss"); iss != t.w.Issuer() && iss != t.w.IssuerV1() {
		return User{}, "", errAssertionIssuer(iss)
	}
	if aud := p.str("aud"); !strings.EqualFold(aud, client.appID) && !strings.EqualFold(aud, "api://"+client.appID) {
		return User{}, "", errAssertionAudience(aud, client.appID, client.name)
	}
	exp, ok := p.unix("exp")
	if !ok || !now.Before(exp) {
		return User{}, "", errAssertionExpired(now, exp)
	}
	if nbf, ok := p.unix("nbf"); ok && now.Before(nbf) {
		return User{}, "", errAssertionExpired(now, exp)
	}
	oid := p.str("oid")
	for _, u := range t.w.Users {
		if strings.EqualFold(u.OID, oid) {
			sid := p.str("sid")
			if sid == "" {
				sid = newGUID()
			}
			return u, sid, nil
		}
	}
	return User{}, "", badRequest("invalid_grant", 50034, "The user account {EmailHidden} does not exist in the %s directory. To sign into this application, the account must be added to the directory.", t.w.TenantID)
}

// thumbprintOf is the hex SHA-1 thumbprint a token's header names, as
// AADSTS50013 quotes it.
func thumbprintOf(p *parsedJWT) string {
	for _, h := range []string{"x5t", "kid"} {
		if s, ok := p.header[h].(string); ok {
			if b, err := base64.RawURLEncoding.DecodeString(s); err == nil && len(b) == 20 {
				return strings.ToUpper(hex.EncodeToString(b))
			}
			return s
		}
	}
	return ""
}

func randomThumbprint() string {
	b := make([]byte, 20)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}
