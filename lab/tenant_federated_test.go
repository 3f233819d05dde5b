package lab

import (
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The OBO exchange c7doctor's MCP policy makes: APIM's managed identity as
// client assertion, trusted by the Gateway app's federated credential.
func TestOBOWithManagedIdentityAssertion(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	user := signIn(t, w)
	tokenPath := "/" + w.TenantID + "/oauth2/v2.0/token"
	form := func(assertion string) url.Values {
		return url.Values{
			"grant_type": {grantJWTBearer}, "client_id": {w.GatewayAppID}, "requested_token_use": {"on_behalf_of"},
			"assertion": {user.AccessToken}, "scope": {"api://" + w.MCPAPIAppID + "/.default"},
			"client_assertion_type": {clientAssertionJWT}, "client_assertion": {assertion},
		}
	}
	mi, err := w.managedIdentityToken(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if status, body := postForm(t, w, tokenPath, form(mi)); status != 200 || body["access_token"] == nil {
		t.Fatalf("OBO with the managed identity: %d %v", status, body)
	}

	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{}
		jwt.NewParser().ParseUnverified(mi, c)
		edit(c)
		return c
	}
	other := claims(func(c jwt.MapClaims) { c["sub"] = DefaultUser.OID })
	status, body := postForm(t, w, tokenPath, form(w.MintToken(other)))
	assertEntraError(t, status, body, 400, "invalid_request", 70021)

	expired := claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })
	status, body = postForm(t, w, tokenPath, form(w.MintToken(expired)))
	assertEntraError(t, status, body, 401, "invalid_client", 700024)

	forged := gwMintWith(t, gwOtherKey(t), w.tenant.key.kid, claims(func(jwt.MapClaims) {}))
	status, body = postForm(t, w, tokenPath, form(forged))
	assertEntraError(t, status, body, 401, "invalid_client", 700027)

	f := form(mi)
	f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
	status, body = postForm(t, w, tokenPath, f)
	assertEntraError(t, status, body, 400, "invalid_request", 50027)
}

// federated-credential-missing: the tenant refuses the managed identity's
// assertion, and Graph shows the Gateway app without the credential; the
// healthy directory's credential names the identity ARM shows.
func TestFederatedCredentialMissing(t *testing.T) {
	t.Parallel()
	path := "/applications(appId='" + GatewayAppID + "')/federatedIdentityCredentials"
	healthy := startWorld(t, Options{})
	a := newGraph(healthy).get(path, nil)
	list, _ := a.body.(map[string]any)["value"].([]any)
	if a.status != 200 || len(list) != 1 {
		t.Fatalf("healthy: %d %v", a.status, a.body)
	}
	fc := list[0].(map[string]any)
	if fc["issuer"] != healthy.Issuer() || fc["subject"] != apimIdentityObjectID {
		t.Errorf("healthy credential %v", fc)
	}
	arm := (&armPlane{w: healthy}).serviceResource(healthy.apim())
	if id := arm["identity"].(map[string]any); id["principalId"] != fc["subject"] || id["tenantId"] != healthy.TenantID {
		t.Errorf("ARM's identity %v does not match the credential's subject", id)
	}

	w := startWorld(t, Options{Faults: []string{"federated-credential-missing"}})
	if a := newGraph(w).get(path, nil); a.status != 200 || len(a.body.(map[string]any)["value"].([]any)) != 0 {
		t.Errorf("under the fault Graph shows %d %v", a.status, a.body)
	}
	user := signIn(t, w)
	mi, err := w.managedIdentityToken(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	status, body := postForm(t, w, "/"+w.TenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {grantJWTBearer}, "client_id": {w.GatewayAppID}, "requested_token_use": {"on_behalf_of"},
		"assertion": {user.AccessToken}, "scope": {"api://" + w.MCPAPIAppID + "/.default"},
		"client_assertion_type": {clientAssertionJWT}, "client_assertion": {mi},
	})
	assertEntraError(t, status, body, 400, "invalid_request", 70021)
}
