package lab

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// The exact wire: bodies in the recorded shapes, codes as Entra sends them.

func startDeviceCode(t *testing.T, w *World, clientID, scope string) map[string]any {
	t.Helper()
	status, body := postForm(t, w, "/"+w.TenantID+"/oauth2/v2.0/devicecode", url.Values{"client_id": {clientID}, "scope": {scope}})
	if status != 200 {
		t.Fatalf("devicecode: %d %v", status, body)
	}
	return body
}

func pollForm(w *World, deviceCode string) url.Values {
	return url.Values{
		"grant_type": {grantDeviceCode}, "client_id": {AzureCLIAppID}, "device_code": {deviceCode},
		"scope": {"api://" + w.GatewayAppID + "/.default openid offline_access profile"}, "client_info": {"1"},
	}
}

// rawPost posts a form and returns the raw answer, to check its key order.
func rawPost(t *testing.T, w *World, path string, form url.Values, header http.Header) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.AuthorityHost+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b
}

func TestDeviceCodeFlowOnTheWire(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	path := "/" + w.TenantID + "/oauth2/v2.0/devicecode"
	status, b := rawPost(t, w, path, url.Values{"client_id": {AzureCLIAppID}, "scope": {"api://" + w.GatewayAppID + "/.default offline_access openid profile"}}, nil)
	if status != 200 {
		t.Fatalf("devicecode: %d %s", status, b)
	}
	if got, want := jsonKeys(t, b), referenceKeys(t, "devicecode-response.json"); !reflect.DeepEqual(got, want) {
		t.Errorf("devicecode keys %v, want %v", got, want)
	}
	var dc map[string]any
	json.Unmarshal(b, &dc)
	if dc["expires_in"] != float64(900) || dc["interval"] != float64(5) || len(dc["user_code"].(string)) != 9 {
		t.Errorf("devicecode %v", dc)
	}
	if !strings.Contains(dc["message"].(string), dc["user_code"].(string)) || !strings.Contains(dc["message"].(string), w.AuthorityHost+"/devicelogin") {
		t.Errorf("message %q", dc["message"])
	}

	// First poll: authorization_pending, exactly as recorded; the
	// correlation id is the client's client-request-id.
	tokenPath := "/" + w.TenantID + "/oauth2/v2.0/token"
	const requestID = "0e6f7a12-3b4c-4d5e-8f90-a1b2c3d4e5f6"
	status, b = rawPost(t, w, tokenPath, pollForm(w, dc["device_code"].(string)), http.Header{"Client-Request-Id": {requestID}})
	if got, want := jsonKeys(t, b), referenceKeys(t, "error-authorization-pending.http400.json"); !reflect.DeepEqual(got, want) {
		t.Errorf("pending keys %v, want %v", got, want)
	}
	var pending map[string]any
	json.Unmarshal(b, &pending)
	assertEntraError(t, status, pending, 400, "authorization_pending", 70016)
	if pending["correlation_id"] != requestID {
		t.Errorf("correlation_id %v, want the client-request-id", pending["correlation_id"])
	}
	if !strings.HasPrefix(pending["error_description"].(string), "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.\r\n") {
		t.Errorf("description %q", pending["error_description"])
	}

	// Second poll: approved, the reference token response's keys, in order.
	status, b = rawPost(t, w, tokenPath, pollForm(w, dc["device_code"].(string)), nil)
	if status != 200 {
		t.Fatalf("second poll: %d %s", status, b)
	}
	if got, want := jsonKeys(t, b), referenceKeys(t, "token-response-default-scope.json"); !reflect.DeepEqual(got, want) {
		t.Errorf("token keys %v, want %v", got, want)
	}
	var tok map[string]any
	json.Unmarshal(b, &tok)
	ci, err := base64.RawURLEncoding.DecodeString(tok["client_info"].(string))
	if err != nil || string(ci) != `{"uid":"`+DefaultUser.OID+`","utid":"`+w.TenantID+`"}` {
		t.Errorf("client_info %s (%v)", ci, err)
	}
	if tok["foci"] != "1" {
		t.Errorf("the Azure CLI is a FOCI app: foci %v", tok["foci"])
	}

	// A device code is redeemed once.
	status, body := postForm(t, w, tokenPath, pollForm(w, dc["device_code"].(string)))
	assertEntraError(t, status, body, 400, "invalid_grant", 70000)
}

func TestDeviceCodeErrors(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	dcPath := "/" + w.TenantID + "/oauth2/v2.0/devicecode"
	status, body := postForm(t, w, dcPath, url.Values{"client_id": {OtherTenantID}, "scope": {"openid"}})
	assertEntraError(t, status, body, 400, "unauthorized_client", 700016)
	status, body = postForm(t, w, dcPath, url.Values{"scope": {"openid"}})
	assertEntraError(t, status, body, 400, "invalid_request", 900144)
	status, body = postForm(t, w, dcPath, url.Values{"client_id": {AzureCLIAppID}, "scope": {"api://" + w.GatewayAppID + "/Nope"}})
	assertEntraError(t, status, body, 400, "invalid_scope", 70011)
	status, body = postForm(t, w, dcPath, url.Values{"client_id": {AzureCLIAppID}, "scope": {"api://" + w.GatewayAppID + "/.default api://" + w.MCPAPIAppID + "/.default"}})
	assertEntraError(t, status, body, 400, "invalid_scope", 28000)

	// An expired device code.
	dc := startDeviceCode(t, w, AzureCLIAppID, "api://"+w.GatewayAppID+"/.default")
	w.tenant.mu.Lock()
	w.tenant.devices[dc["device_code"].(string)].expires = time.Now().Add(-time.Second)
	w.tenant.mu.Unlock()
	status, body = postForm(t, w, "/"+w.TenantID+"/oauth2/v2.0/token", pollForm(w, dc["device_code"].(string)))
	assertEntraError(t, status, body, 400, "expired_token", 70020)

	// The MCP API app is no public client: it cannot redeem a device code.
	dc = startDeviceCode(t, w, w.MCPAPIAppID, "api://"+w.MCPAPIAppID+"/.default")
	form := pollForm(w, dc["device_code"].(string))
	form.Set("client_id", w.MCPAPIAppID)
	status, body = postForm(t, w, "/"+w.TenantID+"/oauth2/v2.0/token", form)
	assertEntraError(t, status, body, 401, "invalid_client", 7000218)
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	path := "/" + w.TenantDomain + "/oauth2/v2.0/token"
	cases := []struct {
		name   string
		form   url.Values
		status int
		err    string
		code   int
	}{
		// What c7doctor's token-proxy check sends through the gateway.
		{"invalid code", url.Values{"grant_type": {"authorization_code"}, "client_id": {GatewayAppID}, "code": {"c7doctor-invalid-code"}, "redirect_uri": {"http://127.0.0.1/"}}, 400, "invalid_grant", 9002313},
		{"unknown well-formed code", url.Values{"grant_type": {"authorization_code"}, "client_id": {GatewayAppID}, "code": {codePrefix + "zzz"}}, 400, "invalid_grant", 70000},
		{"no grant type", url.Values{"client_id": {GatewayAppID}}, 400, "invalid_request", 900144},
		{"no client id", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, 400, "invalid_request", 900144},
		{"unknown client", url.Values{"grant_type": {"authorization_code"}, "client_id": {OtherTenantID}, "code": {"x"}}, 400, "unauthorized_client", 700016},
		{"unsupported grant", url.Values{"grant_type": {"password"}, "client_id": {AzureCLIAppID}}, 400, "unsupported_grant_type", 70003},
		{"RFC 8707 resource", url.Values{"grant_type": {"authorization_code"}, "client_id": {GatewayAppID}, "code": {"x"}, "resource": {"https://gw/context7/mcp"}, "scope": {"api://" + GatewayAppID + "/Mcp.Gateway.Access"}}, 400, "invalid_target", 9010010},
		{"RFC 8707 resource without scope", url.Values{"grant_type": {"authorization_code"}, "client_id": {GatewayAppID}, "code": {"x"}, "resource": {"api://" + GatewayAppID}}, 400, "invalid_target", 9010010},
		// The identifier URI of the app whose scope is asked passes: the code is judged.
		{"RFC 8707 resource naming the app", url.Values{"grant_type": {"authorization_code"}, "client_id": {GatewayAppID}, "code": {"x"}, "resource": {"api://" + GatewayAppID}, "scope": {"api://" + GatewayAppID + "/Mcp.Gateway.Access"}}, 400, "invalid_grant", 9002313},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "client_id": {AzureCLIAppID}, "refresh_token": {refreshPrefix + "nope"}, "scope": {"openid"}}, 400, "invalid_grant", 70000},
		{"garbage refresh token", url.Values{"grant_type": {"refresh_token"}, "client_id": {AzureCLIAppID}, "refresh_token": {"garbage"}, "scope": {"openid"}}, 400, "invalid_grant", 9002313},
		{"secret from a public client", url.Values{"grant_type": {"refresh_token"}, "client_id": {AzureCLIAppID}, "client_secret": {"s"}, "refresh_token": {"x"}}, 401, "invalid_client", 700025},
		{"OBO without a secret", url.Values{"grant_type": {grantJWTBearer}, "client_id": {GatewayAppID}, "requested_token_use": {"on_behalf_of"}, "assertion": {"a.b.c"}, "scope": {"api://" + MCPAPIAppID + "/.default"}}, 401, "invalid_client", 7000218},
		{"OBO without scope", url.Values{"grant_type": {grantJWTBearer}, "client_id": {GatewayAppID}, "client_secret": {w.GatewaySecret}, "requested_token_use": {"on_behalf_of"}, "assertion": {"a.b.c"}}, 400, "invalid_scope", 70011},
		{"OBO scope without resource", url.Values{"grant_type": {grantJWTBearer}, "client_id": {GatewayAppID}, "client_secret": {w.GatewaySecret}, "requested_token_use": {"on_behalf_of"}, "assertion": {"a.b.c"}, "scope": {"mcp.access"}}, 400, "invalid_scope", 70011},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postForm(t, w, path, tc.form)
			assertEntraError(t, status, body, tc.status, tc.err, tc.code)
		})
	}
	// The invalid client secret answer has the recorded shape.
	status, b := rawPost(t, w, path, url.Values{"grant_type": {grantJWTBearer}, "client_id": {GatewayAppID}, "client_secret": {"wrong"},
		"requested_token_use": {"on_behalf_of"}, "assertion": {"a.b.c"}, "scope": {"api://" + MCPAPIAppID + "/.default"}}, nil)
	if got, want := jsonKeys(t, b), referenceKeys(t, "error-invalid-client-secret.http401.json"); status != 401 || !reflect.DeepEqual(got, want) {
		t.Errorf("%d keys %v, want 401 %v", status, got, want)
	}
	if !bytes.Contains(b, []byte(`"AADSTS7000215: Invalid client secret is provided.\r\nTrace ID: `)) {
		t.Errorf("body %s", b)
	}
}

func TestInteractiveDeviceLoginWaitsForAPerson(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Interactive: true})
	tokenPath := "/" + w.TenantID + "/oauth2/v2.0/token"
	approve := startDeviceCode(t, w, AzureCLIAppID, "api://"+w.GatewayAppID+"/.default openid offline_access profile")
	cancel := startDeviceCode(t, w, AzureCLIAppID, "api://"+w.GatewayAppID+"/.default")
	for i := 0; i < 3; i++ {
		status, body := postForm(t, w, tokenPath, pollForm(w, approve["device_code"].(string)))
		assertEntraError(t, status, body, 400, "authorization_pending", 70016)
	}

	page := func(form url.Values) (int, string) {
		t.Helper()
		resp, err := w.Client.PostForm(w.AuthorityHost+"/devicelogin", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	resp, err := w.Client.Get(w.AuthorityHost + "/devicelogin")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /devicelogin: %v %v", resp, err)
	}
	resp.Body.Close()
	if status, body := page(url.Values{"user_code": {"WRONGCODE"}, "action": {"continue"}}); status != 400 || !strings.Contains(body, "That code didn&#39;t work") {
		t.Errorf("a wrong code: %d %s", status, body)
	}
	// People type codes in lower case with spaces.
	typed := strings.ToLower(approve["user_code"].(string)[:4] + " " + approve["user_code"].(string)[4:])
	if status, body := page(url.Values{"user_code": {typed}, "action": {"continue"}}); status != 200 || !strings.Contains(body, "you have signed in to the Microsoft Azure CLI application") {
		t.Errorf("approve: %d %s", status, body)
	}
	status, body := postForm(t, w, tokenPath, pollForm(w, approve["device_code"].(string)))
	if status != 200 || body["access_token"] == nil {
		t.Fatalf("after approval: %d %v", status, body)
	}

	if status, _ := page(url.Values{"user_code": {cancel["user_code"].(string)}, "action": {"cancel"}}); status != 200 {
		t.Errorf("cancel: %d", status)
	}
	status, body = postForm(t, w, tokenPath, pollForm(w, cancel["device_code"].(string)))
	assertEntraError(t, status, body, 400, "authorization_declined", 70000)
}

// syncBuffer is a log sink safe to read while servers run.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSecretsListsEverythingHandedOutAndTheLogNone(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	w := startWorld(t, Options{Log: &log})
	user := signIn(t, w)
	obo, err := oboToken(t, w, w.GatewaySecret, user.AccessToken, mcpDefault(w))
	if err != nil {
		t.Fatal(err)
	}
	redirect := "http://127.0.0.1:8400"
	loc := signInAt(t, w, w.AuthorityHost+"/"+w.TenantID+"/oauth2/v2.0/authorize?client_id="+w.GatewayAppID+
		"&response_type=code&redirect_uri="+url.QueryEscape(redirect)+"&scope=openid")
	code := loc.Query().Get("code")

	secrets := w.Secrets()
	has := map[string]bool{}
	for _, s := range secrets {
		if s == "" {
			t.Errorf("an empty secret")
		}
		has[s] = true
	}
	for name, s := range map[string]string{
		"gateway secret": w.GatewaySecret, "user token signature": signatureOf(user.AccessToken),
		"id token signature": signatureOf(user.IDToken.RawToken), "OBO token signature": signatureOf(obo.AccessToken),
		"authorization code": code,
	} {
		if !has[s] {
			t.Errorf("Secrets lacks the %s", name)
		}
	}
	var refresh, device int
	for _, s := range secrets {
		if strings.HasPrefix(s, refreshPrefix) && !strings.HasPrefix(s, codePrefix) {
			refresh++
		}
		if strings.HasPrefix(s, "DAQAB") {
			device++
		}
	}
	if refresh == 0 || device == 0 {
		t.Errorf("Secrets holds %d refresh tokens and %d device codes", refresh, device)
	}
	logged := log.String()
	if !strings.Contains(logged, "grant_type="+grantJWTBearer) {
		t.Errorf("the log misses the OBO request:\n%s", logged)
	}
	for _, s := range secrets {
		if strings.Contains(logged, s) {
			t.Errorf("the log holds a secret")
		}
	}
}
