package lab

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Token lifetimes. Entra backdates iat and nbf by five minutes for clock
// skew and issues access tokens for about an hour.
const (
	tokenBackdate   = 5 * time.Minute
	accessTokenLife = time.Hour
	refreshLife     = 90 * 24 * time.Hour
)

// accessTokenSpec is what an access token says, before it is rendered in
// the v1 or v2 claim set.
type accessTokenSpec struct {
	user         User
	sid          string
	audApp       string // the resource's app id
	audForm      string // the resource as the request named it ("api://<id>" or "<id>"): a v1 aud
	clientID     string // the app the token was issued to (azp / appid)
	confidential bool   // the client authenticated with a secret (azpacr / appidacr 1)
	scp          []string
	v1           bool
	expired      bool // issued already expired (the expired-token fault)
}

// IssuerV1 is the issuer of the tenant's v1 tokens, which never carries the
// authority host: it is always sts.windows.net.
func (w *World) IssuerV1() string { return "https://sts.windows.net/" + w.TenantID + "/" }

// Issuer is the tenant's v2 issuer, AuthorityHost/TenantID/v2.0, whichever
// form (GUID or domain) the request named the tenant by.
func (w *World) Issuer() string { return w.AuthorityHost + "/" + w.TenantID + "/v2.0" }

// pairwiseSub is Entra's sub: stable per user and app, opaque to both.
func pairwiseSub(oid, appID string) string {
	sum := sha256.Sum256([]byte(oid + "|" + strings.ToLower(appID)))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:43]
}

func opaque(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// refreshHint is the rh claim: an opaque, internal Entra value.
func refreshHint() string { return "1.AXEA" + randomString(54) + "AA." }

func splitName(full string) (given, family string) {
	given, family, _ = strings.Cut(full, " ")
	return given, family
}

func (w *World) accessTokenClaims(s accessTokenSpec, now time.Time) map[string]any {
	iat := now.Add(-tokenBackdate)
	exp := now.Add(accessTokenLife)
	if s.expired {
		iat = now.Add(-2*accessTokenLife - tokenBackdate)
		exp = now.Add(-accessTokenLife)
	}
	acr := "0"
	if s.confidential {
		acr = "1"
	}
	c := map[string]any{
		"iat": iat.Unix(), "nbf": iat.Unix(), "exp": exp.Unix(),
		"aio":  opaque(72),
		"name": s.user.Name, "oid": s.user.OID,
		"rh":  refreshHint(),
		"scp": strings.Join(s.scp, " "),
		"sid": s.sid,
		"sub": pairwiseSub(s.user.OID, s.audApp),
		"tid": w.TenantID,
		"uti": randomString(22),
	}
	if s.v1 {
		given, family := splitName(s.user.Name)
		c["aud"] = s.audForm
		c["iss"] = w.IssuerV1()
		c["acr"] = "1"
		c["amr"] = []string{"pwd"}
		c["appid"] = s.clientID
		c["appidacr"] = acr
		c["given_name"], c["family_name"] = given, family
		c["ipaddr"] = "127.0.0.1"
		c["unique_name"] = s.user.Email
		c["upn"] = s.user.Email
		c["ver"] = "1.0"
		return c
	}
	c["aud"] = s.audApp
	c["iss"] = w.Issuer()
	c["azp"] = s.clientID
	c["azpacr"] = acr
	c["preferred_username"] = s.user.Email
	c["ver"] = "2.0"
	return c
}

// idTokenClaims are the v2 ID token's: the v2 endpoint always answers with
// v2 ID tokens, whatever version the access token is.
func (w *World) idTokenClaims(u User, sid, clientID string, now time.Time) map[string]any {
	iat := now.Add(-tokenBackdate)
	return map[string]any{
		"aud": clientID, "iss": w.Issuer(),
		"iat": iat.Unix(), "nbf": iat.Unix(), "exp": now.Add(accessTokenLife).Unix(),
		"aio": opaque(72), "name": u.Name, "oid": u.OID, "preferred_username": u.Email,
		"rh": refreshHint(), "sid": sid, "sub": pairwiseSub(u.OID, clientID),
		"tid": w.TenantID, "uti": randomString(22), "ver": "2.0",
	}
}

// userTokenSpec is the access token a user gets for the resource they asked
// for, with the tenant's user-token faults applied.
func (w *World) userTokenSpec(u User, sid, clientID string, scopes scopeRequest) accessTokenSpec {
	s := accessTokenSpec{
		user: u, sid: sid, clientID: clientID,
		audApp: scopes.resource.appID, audForm: scopes.resourceForm,
		scp:     scopes.granted(),
		v1:      w.dir.v1Tokens(scopes.resource.appID),
		expired: w.Has("expired-token"),
	}
	if w.Has("wrong-audience") {
		s.audApp, s.audForm = w.MCPAPIAppID, strings.Replace(s.audForm, s.audApp, w.MCPAPIAppID, 1)
	}
	if w.Has("missing-scope") {
		s.scp = []string{missingScopeName}
	}
	return s
}

func (w *World) oboTokenSpec(u User, sid string, scopes scopeRequest) accessTokenSpec {
	return accessTokenSpec{
		user: u, sid: sid, clientID: w.GatewayAppID, confidential: true,
		audApp: scopes.resource.appID, audForm: scopes.resourceForm,
		scp: scopes.granted(),
		v1:  w.dir.v1Tokens(scopes.resource.appID),
	}
}

// gatewayScopes is the request `az login --scope api://<gw>/.default` makes.
func (t *tenant) gatewayScopes() scopeRequest {
	app, _ := t.app(t.w.GatewayAppID)
	return scopeRequest{resource: app, hasResource: true, resourceForm: "api://" + app.appID, names: []string{".default"}}
}

func (t *tenant) mcpAPIScopes() scopeRequest {
	app, _ := t.app(t.w.MCPAPIAppID)
	return scopeRequest{resource: app, hasResource: true, resourceForm: "api://" + app.appID, names: []string{".default"}}
}

// UserTokenClaims returns the claims of the access token the tenant issues
// u for the gateway app (scope api://<gateway>/.default, Azure CLI as the
// client), faults applied, as of now. Change a claim and MintToken it to make
// a token the tenant would not issue.
func (w *World) UserTokenClaims(u User) map[string]any {
	return w.accessTokenClaims(w.userTokenSpec(u, newGUID(), AzureCLIAppID, w.tenant.gatewayScopes()), time.Now())
}

// OBOTokenClaims returns the claims of the token the OBO exchange issues u
// for the MCP API (scope api://<mcp-api>/.default), faults applied, as of now.
func (w *World) OBOTokenClaims(u User) map[string]any {
	return w.accessTokenClaims(w.oboTokenSpec(u, newGUID(), w.tenant.mcpAPIScopes()), time.Now())
}

// MintToken signs claims exactly as given with the tenant's signing key:
// RS256, header {typ, alg, kid} as Entra writes a v2 token's. Its signature
// is added to Secrets. Panics only if claims cannot be encoded as JSON.
func (w *World) MintToken(claims map[string]any) string {
	tok, err := w.tenant.key.sign(claims, false)
	if err != nil {
		panic(fmt.Sprintf("lab: MintToken: %v", err))
	}
	w.tenant.remember(signatureOf(tok))
	return tok
}

// Secrets returns every secret value the lab has handed out so far: the
// gateway app's client secret, the signature segment of every token it
// signed, and every refresh token, device code and authorization code. A
// test greps c7doctor's output for each.
func (w *World) Secrets() []string {
	out := []string{w.GatewaySecret}
	if w.dir != nil {
		for _, a := range w.dir.apps {
			for _, s := range a.secrets {
				if s.value != w.GatewaySecret {
					out = append(out, s.value)
				}
			}
		}
	}
	if w.Has("named-value-secret-id") {
		out = append(out, w.apim().gatewaySecretValue)
	}
	if w.tenant == nil {
		return out
	}
	w.tenant.mu.Lock()
	defer w.tenant.mu.Unlock()
	return append(out, w.tenant.issued...)
}

func signatureOf(token string) string {
	return token[strings.LastIndexByte(token, '.')+1:]
}

// newGUID is a random (version 4) GUID, Entra's form of every id.
func newGUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// clientInfo is the base64url {uid, utid} MSAL keys its cache by.
func (w *World) clientInfo(u User) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"uid":%q,"utid":%q}`, u.OID, w.TenantID)))
}
