package lab

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

// The tests here drive the tenant with the real MSAL Go, as c7doctor does.

func gatewayScope(w *World) []string { return []string{"api://" + w.GatewayAppID + "/" + GatewayScope} }
func mcpDefault(w *World) []string   { return []string{"api://" + w.MCPAPIAppID + "/.default"} }

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func publicClient(t *testing.T, w *World, clientID string) public.Client {
	t.Helper()
	c, err := public.New(clientID,
		public.WithAuthority(w.AuthorityHost+"/"+w.TenantDomain),
		public.WithHTTPClient(w.Client),
		public.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatalf("public.New: %v", err)
	}
	return c
}

// deviceCodeToken signs in through device code and returns MSAL's result.
func deviceCodeToken(t *testing.T, w *World, c public.Client, scopes []string) (public.AuthResult, error) {
	t.Helper()
	ctx := testContext(t)
	dc, err := c.AcquireTokenByDeviceCode(ctx, scopes)
	if err != nil {
		return public.AuthResult{}, err
	}
	if want := w.AuthorityHost + "/devicelogin"; dc.Result.VerificationURL != want {
		t.Errorf("verification URL %q, want %q", dc.Result.VerificationURL, want)
	}
	return dc.AuthenticationResult(ctx)
}

// oboToken exchanges assertion as APIM does, with a fresh confidential client.
func oboToken(t *testing.T, w *World, secret, assertion string, scopes []string) (confidential.AuthResult, error) {
	t.Helper()
	cred, err := confidential.NewCredFromSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := confidential.New(w.AuthorityHost+"/"+w.TenantID, w.GatewayAppID, cred,
		confidential.WithHTTPClient(w.Client), confidential.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatalf("confidential.New: %v", err)
	}
	return c.AcquireTokenOnBehalfOf(testContext(t), assertion, scopes)
}

// claimsOf decodes a JWT's claims without checking it; verifyToken checks it.
func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	p, err := parseJWT(token)
	if err != nil {
		t.Fatalf("not a JWT: %v", err)
	}
	out := map[string]any{}
	for k, v := range p.claims {
		if n, ok := v.(json.Number); ok {
			i, _ := n.Int64()
			out[k] = i
			continue
		}
		out[k] = v
	}
	return out
}

func verifyToken(t *testing.T, w *World, token string) {
	t.Helper()
	p, err := parseJWT(token)
	if err != nil {
		t.Fatal(err)
	}
	if p.header["kid"] != w.keyID || p.header["alg"] != "RS256" || p.header["typ"] != "JWT" {
		t.Errorf("header %v", p.header)
	}
	if !p.verify(w.tenant.key) {
		t.Errorf("signature does not verify against the published key")
	}
}

func wantClaims(t *testing.T, claims map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
}

func TestDeviceCodeSignsTheDefaultUserIn(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	c := publicClient(t, w, AzureCLIAppID)
	res, err := deviceCodeToken(t, w, c, gatewayScope(w))
	if err != nil {
		t.Fatalf("device code: %v", err)
	}
	verifyToken(t, w, res.AccessToken)
	claims := claimsOf(t, res.AccessToken)
	wantClaims(t, claims, map[string]any{
		"iss": w.AuthorityHost + "/" + w.TenantID + "/v2.0",
		"aud": w.GatewayAppID, "scp": GatewayScope, "ver": "2.0",
		"oid": DefaultUser.OID, "tid": w.TenantID, "azp": AzureCLIAppID, "azpacr": "0",
		"name": DefaultUser.Name, "preferred_username": DefaultUser.Email,
	})
	for _, c := range []string{"iat", "nbf", "exp", "aio", "rh", "sid", "sub", "uti"} {
		if claims[c] == nil {
			t.Errorf("access token lacks %s", c)
		}
	}
	now := time.Now().Unix()
	if exp := claims["exp"].(int64); exp < now+50*60 || exp > now+70*60 {
		t.Errorf("exp %d is not about an hour from now (%d)", exp, now)
	}
	if res.Account.HomeAccountID != DefaultUser.OID+"."+w.TenantID {
		t.Errorf("home account %q: client_info not understood", res.Account.HomeAccountID)
	}
	if res.IDToken.Audience != AzureCLIAppID || res.IDToken.Oid != DefaultUser.OID {
		t.Errorf("id token aud %q oid %q", res.IDToken.Audience, res.IDToken.Oid)
	}
	if res.Account.PreferredUsername != DefaultUser.Email {
		t.Errorf("account username %q", res.Account.PreferredUsername)
	}
	if !strings.Contains(strings.Join(res.GrantedScopes, " "), GatewayScope) {
		t.Errorf("granted scopes %v", res.GrantedScopes)
	}
}

func TestDeviceCodeDefaultScopeIsEchoedExpanded(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	// The gateway app itself signs in too: it is a public client in the lab.
	c := publicClient(t, w, w.GatewayAppID)
	res, err := deviceCodeToken(t, w, c, []string{"api://" + w.GatewayAppID + "/.default"})
	if err != nil {
		t.Fatalf("device code: %v", err)
	}
	want := []string{"api://" + w.GatewayAppID + "/" + GatewayScope, "api://" + w.GatewayAppID + "/.default"}
	if strings.Join(res.GrantedScopes, " ") != strings.Join(want, " ") {
		t.Errorf("granted %v, want %v", res.GrantedScopes, want)
	}
	wantClaims(t, claimsOf(t, res.AccessToken), map[string]any{"scp": GatewayScope, "azp": w.GatewayAppID})
}

func TestSilentCallsRedeemTheRefreshToken(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	c := publicClient(t, w, AzureCLIAppID)
	first, err := deviceCodeToken(t, w, c, gatewayScope(w))
	if err != nil {
		t.Fatalf("device code: %v", err)
	}
	ctx := testContext(t)
	cached, err := c.AcquireTokenSilent(ctx, gatewayScope(w), public.WithSilentAccount(first.Account))
	if err != nil {
		t.Fatalf("silent: %v", err)
	}
	if cached.AccessToken != first.AccessToken {
		t.Errorf("a fresh token should come from MSAL's cache")
	}
	before := len(w.Secrets())
	// Claims make MSAL skip its cached access token and redeem the refresh token.
	refreshed, err := c.AcquireTokenSilent(ctx, gatewayScope(w), public.WithSilentAccount(first.Account),
		public.WithClaims(`{"access_token":{"nbf":{"essential":true,"value":"1"}}}`))
	if err != nil {
		t.Fatalf("silent refresh: %v", err)
	}
	if refreshed.AccessToken == first.AccessToken {
		t.Errorf("refresh returned the same access token")
	}
	if got := len(w.Secrets()) - before; got != 3 {
		t.Errorf("refresh handed out %d secrets, want access token, id token and a rotated refresh token", got)
	}
	a, b := claimsOf(t, first.AccessToken), claimsOf(t, refreshed.AccessToken)
	if a["sid"] != b["sid"] || a["oid"] != b["oid"] || b["aud"] != w.GatewayAppID {
		t.Errorf("refreshed token left the session: %v vs %v", a, b)
	}
}

func TestOnBehalfOfIssuesTheMCPAPIToken(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	user, err := deviceCodeToken(t, w, publicClient(t, w, AzureCLIAppID), gatewayScope(w))
	if err != nil {
		t.Fatalf("device code: %v", err)
	}
	res, err := oboToken(t, w, w.GatewaySecret, user.AccessToken, mcpDefault(w))
	if err != nil {
		t.Fatalf("OBO: %v", err)
	}
	verifyToken(t, w, res.AccessToken)
	uc, oc := claimsOf(t, user.AccessToken), claimsOf(t, res.AccessToken)
	wantClaims(t, oc, map[string]any{
		"iss": w.Issuer(), "aud": w.MCPAPIAppID, "scp": MCPAPIScope, "ver": "2.0",
		"oid": uc["oid"], "tid": uc["tid"], "azp": w.GatewayAppID, "azpacr": "1",
	})
	if oc["sub"] == uc["sub"] {
		t.Errorf("sub is pairwise per app, got the same for both")
	}
}

// The guide's APIM policy posts the exchange itself: no OpenID scopes, no client_info.
func TestOnBehalfOfAsAPIMPostsIt(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	assertion := w.MintToken(w.UserTokenClaims(DefaultUser))
	status, body := postForm(t, w, "/"+w.TenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {grantJWTBearer}, "client_id": {w.GatewayAppID}, "client_secret": {w.GatewaySecret},
		"assertion": {assertion}, "scope": {"api://" + w.MCPAPIAppID + "/.default"}, "requested_token_use": {"on_behalf_of"},
	})
	if status != 200 {
		t.Fatalf("status %d: %v", status, body)
	}
	want := "api://" + w.MCPAPIAppID + "/" + MCPAPIScope + " api://" + w.MCPAPIAppID + "/.default"
	if body["scope"] != want || body["token_type"] != "Bearer" || body["expires_in"] != float64(3599) {
		t.Errorf("response %v", body)
	}
	for _, absent := range []string{"refresh_token", "id_token", "client_info"} {
		if body[absent] != nil {
			t.Errorf("%s returned without being asked for", absent)
		}
	}
}

func TestOnBehalfOfRefusesWhatEntraRefuses(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	good := w.UserTokenClaims(DefaultUser)
	with := func(k string, v any) string {
		c := w.UserTokenClaims(DefaultUser)
		c[k] = v
		return w.MintToken(c)
	}
	otherKey := func() string {
		tok := w.MintToken(good)
		parts := strings.Split(tok, ".")
		parts[2] = base64.RawURLEncoding.EncodeToString(make([]byte, 256))
		return strings.Join(parts, ".")
	}
	cases := []struct {
		name, secret, assertion string
		scopes                  []string
		status                  int
		err                     string
		code                    int
	}{
		{"wrong secret", "not-the-secret", w.MintToken(good), mcpDefault(w), 401, "invalid_client", 7000215},
		{"bad signature", w.GatewaySecret, otherKey(), mcpDefault(w), 400, "invalid_grant", 50013},
		{"not a JWT", w.GatewaySecret, "abc.def", mcpDefault(w), 400, "invalid_request", 50027},
		{"audience of another app", w.GatewaySecret, with("aud", w.MCPAPIAppID), mcpDefault(w), 400, "invalid_grant", 500131},
		{"expired", w.GatewaySecret, with("exp", time.Now().Add(-time.Minute).Unix()), mcpDefault(w), 400, "invalid_grant", 500133},
		{"another issuer", w.GatewaySecret, with("iss", "https://login.microsoftonline.com/"+OtherTenantID+"/v2.0"), mcpDefault(w), 400, "invalid_grant", 50013},
		{"malformed scope", w.GatewaySecret, w.MintToken(good), []string{"api://" + w.MCPAPIAppID + ".default"}, 400, "invalid_scope", 70011},
		{"unknown app id", w.GatewaySecret, w.MintToken(good), []string{"api://" + OtherTenantID + "/.default"}, 400, "invalid_resource", 500011},
		{"template left in", w.GatewaySecret, w.MintToken(good), []string{"api://{{mcp-api-app-id}}/.default"}, 400, "invalid_resource", 500011},
		{"no consent for the gateway itself", w.GatewaySecret, w.MintToken(good), []string{"api://" + w.GatewayAppID + "/.default"}, 400, "invalid_grant", 65001},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := oboToken(t, w, tc.secret, tc.assertion, tc.scopes)
			assertMSALEntraError(t, err, tc.status, tc.err, tc.code)
		})
	}
}

// assertMSALEntraError checks an MSAL error carries Entra's answer: OBO
// errors keep the JSON in the response body.
func assertMSALEntraError(t *testing.T, err error, status int, code string, aadsts int) {
	t.Helper()
	var ce msalerrors.CallErr
	if !errors.As(err, &ce) {
		t.Fatalf("want an Entra error, got %v", err)
	}
	var body map[string]any
	if derr := json.NewDecoder(ce.Resp.Body).Decode(&body); derr != nil {
		t.Fatalf("body: %v (%v)", derr, err)
	}
	assertEntraError(t, ce.Resp.StatusCode, body, status, code, aadsts)
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	c := publicClient(t, w, w.GatewayAppID)
	redirect := "http://127.0.0.1:33418/"
	verifier := strings.Repeat("v", 50)
	challenge := pkceChallenge(verifier)
	authURL, err := c.AuthCodeURL(testContext(t), w.GatewayAppID, redirect, gatewayScope(w))
	if err != nil {
		t.Fatal(err)
	}
	loc := signInAt(t, w, authURL+"&state=s1&code_challenge_method=S256&code_challenge="+challenge)
	if !strings.HasPrefix(loc.String(), redirect) || loc.Query().Get("state") != "s1" {
		t.Fatalf("authorize sent the browser to %s", loc)
	}
	code := loc.Query().Get("code")
	if _, err := c.AcquireTokenByAuthCode(testContext(t), code, redirect, gatewayScope(w), public.WithChallenge("wrong"+verifier)); err == nil {
		t.Fatal("a wrong verifier was accepted")
	}
	// The code was spent by the refused attempt, as Entra spends it.
	_, err = c.AcquireTokenByAuthCode(testContext(t), code, redirect, gatewayScope(w), public.WithChallenge(verifier))
	if err == nil || !strings.Contains(err.Error(), "AADSTS54005") {
		t.Fatalf("a redeemed code: %v", err)
	}

	loc = signInAt(t, w, authURL+"&code_challenge_method=S256&code_challenge="+challenge)
	res, err := c.AcquireTokenByAuthCode(testContext(t), loc.Query().Get("code"), redirect, gatewayScope(w), public.WithChallenge(verifier))
	if err != nil {
		t.Fatalf("auth code: %v", err)
	}
	wantClaims(t, claimsOf(t, res.AccessToken), map[string]any{"aud": w.GatewayAppID, "azp": w.GatewayAppID, "scp": GatewayScope})
}

// signInAt is a browser at the authorize URL: it reads the sign-in page
// (a GET never yields a code), accepts the form and returns where Entra
// sends the browser back.
func signInAt(t *testing.T, w *World, authURL string) *url.URL {
	t.Helper()
	resp, err := w.Client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fields, ok := signInForm(page)
	if resp.StatusCode != http.StatusOK || !ok {
		t.Fatalf("authorize answered %d %s %s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	fields.Set("action", "accept")
	u, _ := url.Parse(authURL)
	u.RawQuery = ""
	resp, err = w.Client.PostForm(u.String(), fields)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("sign-in answered %d %v", resp.StatusCode, err)
	}
	return loc
}

func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// The sign-in page's form: accepting it issues a code, cancelling sends
// the client access_denied; a foreign redirect URI gets a page, not a redirect.
func TestAuthorizeSignInFormAcceptAndCancel(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	redirect := "http://127.0.0.1:33418/"
	authURL := w.AuthorityHost + "/" + w.TenantID + "/oauth2/v2.0/authorize?" + url.Values{
		"client_id": {w.GatewayAppID}, "response_type": {"code"}, "redirect_uri": {redirect},
		"scope": {gatewayScope(w)[0] + " openid"}, "state": {"st"},
	}.Encode()
	resp, err := w.Client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `name="redirect_uri" value="http://127.0.0.1:33418/"`) {
		t.Fatalf("consent page: %d %s", resp.StatusCode, page)
	}
	post := func(action string) *url.URL {
		t.Helper()
		form := url.Values{"client_id": {w.GatewayAppID}, "response_type": {"code"}, "redirect_uri": {redirect},
			"scope": {gatewayScope(w)[0]}, "state": {"st"}, "action": {action}}
		resp, err := w.Client.PostForm(w.AuthorityHost+"/"+w.TenantID+"/oauth2/v2.0/authorize", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Query().Get("state") != "st" {
			t.Fatalf("%s: %d %s", action, resp.StatusCode, loc)
		}
		return loc
	}
	if loc := post("cancel"); loc.Query().Get("error") != "access_denied" || !strings.HasPrefix(loc.Query().Get("error_description"), "AADSTS65004: ") {
		t.Errorf("cancel redirected to %s", loc)
	}
	if loc := post("accept"); !strings.HasPrefix(loc.Query().Get("code"), codePrefix) {
		t.Errorf("accept redirected to %s", loc)
	}
	// A redirect URI the app does not hold is refused on a page, not sent back.
	resp, err = w.Client.Get(strings.Replace(authURL, url.QueryEscape(redirect), url.QueryEscape("https://evil.example/cb"), 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Errorf("foreign redirect URI: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
