package lab

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func gwWantAPIM404(t *testing.T, what string, status int, h http.Header, body string) {
	t.Helper()
	if status != 404 || body != `{ "statusCode": 404, "message": "Resource not found" }` || h.Get("Content-Type") != "application/json" {
		t.Errorf("%s: %d %q %q, want APIM's 404", what, status, h.Get("Content-Type"), body)
	}
}

func TestGatewayDiscoveryDocuments(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	status, h, body := gwDo(t, w, "GET", w.GatewayURL+"/.well-known/oauth-protected-resource", "", nil)
	if status != 200 || h.Get("Content-Type") != "application/json" {
		t.Fatalf("PRM: %d %v", status, h)
	}
	var prm map[string]any
	if err := json.Unmarshal([]byte(body), &prm); err != nil {
		t.Fatalf("PRM: %v", err)
	}
	want := map[string]any{
		"resource":                 w.GatewayURL + "/context7",
		"authorization_servers":    []any{w.GatewayURL},
		"scopes_supported":         []any{"api://" + w.GatewayAppID + "/Mcp.Gateway.Access"},
		"bearer_methods_supported": []any{"header"},
	}
	gwSameJSON(t, "PRM", prm, want)

	status, _, body = gwDo(t, w, "GET", w.GatewayURL+"/.well-known/oauth-authorization-server", "", nil)
	var as map[string]any
	if err := json.Unmarshal([]byte(body), &as); status != 200 || err != nil {
		t.Fatalf("AS metadata: %d %v", status, err)
	}
	gwSameJSON(t, "AS metadata", as, map[string]any{
		"issuer":                                w.GatewayURL,
		"authorization_endpoint":                w.GatewayURL + "/authorize",
		"token_endpoint":                        w.GatewayURL + "/token",
		"jwks_uri":                              w.AuthorityHost + "/" + w.TenantID + "/discovery/v2.0/keys",
		"response_types_supported":              []any{"code"},
		"grant_types_supported":                 []any{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":      []any{"S256"},
		"token_endpoint_auth_methods_supported": []any{"none", "client_secret_post"},
		"scopes_supported":                      []any{"openid", "profile", "email", "offline_access", "api://" + w.GatewayAppID + "/Mcp.Gateway.Access"},
	})

	// What APIM has no operation for.
	for _, p := range []string{
		"/.well-known/oauth-protected-resource/context7/mcp",
		"/.well-known/oauth-protected-resource/context7",
		"/.well-known/oauth-authorization-server/context7",
		"/.well-known/openid-configuration",
		"/context7/.well-known/openid-configuration",
		"/context7/mcp/oauth",
		"/register",
	} {
		status, h, body := gwDo(t, w, "GET", w.GatewayURL+p, "", nil)
		gwWantAPIM404(t, "GET "+p, status, h, body)
	}
	for _, m := range []string{"GET", "DELETE", "PUT"} {
		status, h, body := gwDo(t, w, m, w.MCPEndpoint, "", nil)
		gwWantAPIM404(t, m+" /context7/mcp", status, h, body)
	}
	status, h, body = gwDo(t, w, "GET", w.GatewayURL+"/token", "", nil)
	gwWantAPIM404(t, "GET /token", status, h, body)
}

func gwSameJSON(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	g, _ := json.Marshal(got)
	wt, _ := json.Marshal(want)
	if string(g) != string(wt) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, wt)
	}
}

func TestGatewayAuthorizeRedirect(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	q := "client_id=" + w.GatewayAppID + "&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%2F&code_challenge=abc&code_challenge_method=S256&scope=api%3A%2F%2F" + w.GatewayAppID + "%2FMcp.Gateway.Access&state=x"
	status, h, body := gwDo(t, w, "GET", w.GatewayURL+"/authorize?"+q, "", nil)
	want := w.AuthorityHost + "/" + w.TenantID + "/oauth2/v2.0/authorize?" + q
	if status != 302 || h.Get("Location") != want || body != "" {
		t.Errorf("authorize: %d Location %q body %q, want 302 %q", status, h.Get("Location"), body, want)
	}
	status, h, _ = gwDo(t, w, "GET", w.GatewayURL+"/authorize", "", nil)
	if status != 302 || h.Get("Location") != w.AuthorityHost+"/"+w.TenantID+"/oauth2/v2.0/authorize" {
		t.Errorf("authorize without query: %d %q", status, h.Get("Location"))
	}
}

func TestGatewayTokenProxy(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	gwStubTenantToken(t, w, func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || string(b) != "grant_type=authorization_code&code=bogus&client_id=abc" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.URL.RawQuery != "x=1" {
			t.Errorf("forwarded %s %q %q %q", r.Method, b, r.Header.Get("Content-Type"), r.URL.RawQuery)
		}
		rw.Header().Set("Content-Type", "application/json; charset=utf-8")
		rw.WriteHeader(400)
		io.WriteString(rw, `{"error":"invalid_grant","error_description":"AADSTS9002313: Invalid request.","error_codes":[9002313]}`)
	})
	status, h, body := gwDo(t, w, "POST", w.GatewayURL+"/token?x=1", "grant_type=authorization_code&code=bogus&client_id=abc", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if status != 400 || h.Get("Content-Type") != "application/json; charset=utf-8" || !strings.Contains(body, `"error_codes":[9002313]`) {
		t.Errorf("token proxy: %d %v %s", status, h, body)
	}
}

func TestGatewayRejectsWhatAPIMRejects(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	calls := gwStubTenantToken(t, w, gwOBOStub(t, w))
	good := gwUserClaims(w)
	with := func(change func(jwt.MapClaims)) string {
		c := jwt.MapClaims{}
		for k, v := range good {
			c[k] = v
		}
		change(c)
		return gwMint(t, w, c)
	}
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, good)
	hs.Header["kid"] = w.keyID
	hsToken, _ := hs.SignedString([]byte("secret"))
	cases := map[string]string{
		"no token":          "",
		"bad signature":     gwMintWith(t, gwOtherKey(t), w.keyID, good),
		"unknown kid":       gwMintWith(t, w.signKey, "other", good),
		"HS256":             hsToken,
		"not a JWT":         "abc",
		"MCP API audience":  with(func(c jwt.MapClaims) { c["aud"] = w.MCPAPIAppID }),
		"other tenant v2":   with(func(c jwt.MapClaims) { c["iss"] = w.AuthorityHost + "/" + OtherTenantID + "/v2.0" }),
		"other tenant v1":   with(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/" + OtherTenantID + "/" }),
		"no scp":            with(func(c jwt.MapClaims) { delete(c, "scp") }),
		"wrong scp":         with(func(c jwt.MapClaims) { c["scp"] = "mcp.access" }),
		"expired":           with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() }),
		"no exp":            with(func(c jwt.MapClaims) { delete(c, "exp") }),
		"not yet valid":     with(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() }),
		"Basic credentials": "basic",
	}
	for name, token := range cases {
		h := gwMCPHeaders(token)
		if token == "basic" {
			h["Authorization"] = "Basic YTpi"
		}
		status, hdr, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, h)
		if status != 401 || body != `{ "statusCode": 401, "message": "Unauthorized." }` {
			t.Errorf("%s: %d %s", name, status, body)
		}
		if got, want := hdr.Get("WWW-Authenticate"), `Bearer resource_metadata="`+w.GatewayURL+`/.well-known/oauth-protected-resource"`; got != want {
			t.Errorf("%s: WWW-Authenticate %q, want %q", name, got, want)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("refused tokens reached the OBO exchange %d times", n)
	}

	// Accepted: the v2 token, the v1 issuer of the same tenant, the api:// audience.
	for name, token := range map[string]string{
		"v2":              gwMint(t, w, good),
		"v1 issuer":       with(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/" + w.TenantID + "/"; c["ver"] = "1.0" }),
		"App ID URI":      with(func(c jwt.MapClaims) { c["aud"] = "api://" + w.GatewayAppID }),
		"audience list":   with(func(c jwt.MapClaims) { c["aud"] = []string{"other", w.GatewayAppID} }),
		"scp array value": with(func(c jwt.MapClaims) { c["scp"] = []string{"x", "Mcp.Gateway.Access"} }),
	} {
		status, _, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(token))
		if status != 200 {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}
}

func TestGatewayOBOIsCachedPerOID(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	calls := gwStubTenantToken(t, w, gwOBOStub(t, w))
	token := gwMint(t, w, gwUserClaims(w))
	for i := 0; i < 3; i++ {
		status, h, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(token))
		if status != 200 || h.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("initialize %d: %d %v %s", i, status, h, body)
		}
		// Context7's own challenge does not come through: the recommended
		// outbound section deletes it from every answer but a 401.
		if got := h.Get("WWW-Authenticate"); got != "" {
			t.Errorf("upstream WWW-Authenticate %q", got)
		}
		if h.Get("Mcp-Session-Id") != "" {
			t.Errorf("session id through the gateway")
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("OBO exchanges for one user: %d, want 1 (cached)", n)
	}
	other := gwUserClaims(w)
	other["oid"] = "11111111-2222-4333-8444-555555555555"
	if status, _, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(gwMint(t, w, other))); status != 200 {
		t.Fatalf("second user: %d %s", status, body)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("OBO exchanges for two users: %d, want 2", n)
	}
	// The cache lasts the policy's 3000 s.
	w.gateway.mu.Lock()
	w.gateway.now = func() time.Time { return time.Now().Add(gatewayOBOCacheDuration + time.Second) }
	w.gateway.mu.Unlock()
	gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(token))
	if n := calls.Load(); n != 3 {
		t.Errorf("OBO exchanges after the cache expired: %d, want 3", n)
	}
}

// gwRefuseOBO answers the OBO exchange as Entra does without consent.
func gwRefuseOBO(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(400)
	io.WriteString(rw, `{"error":"invalid_grant","error_description":"AADSTS65001: The user or administrator has not consented.","error_codes":[65001]}`)
}

// Under c7doctor's policy a refused exchange ends at the gateway with a 502
// (the policy's return-response) and is not cached.
func TestGatewayOBORefusedIs502UnderTheRecommendedPolicy(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	calls := gwStubTenantToken(t, w, gwRefuseOBO)
	token := gwMint(t, w, gwUserClaims(w))
	for range 2 {
		status, _, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(token))
		if status != http.StatusBadGateway || body != gatewayOBOFailedBody {
			t.Fatalf("initialize with a refused OBO: %d %s", status, body)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("OBO exchanges: %d, want 2 (a refusal is not cached)", n)
	}
}

// When Entra refuses the exchange the guide's policy has no access_token and
// forwards "Authorization: Bearer " regardless; nothing is cached.
func TestGatewayOBORefusedForwardsEmptyBearer(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Faults: []string{"guide-as-written"}})
	calls := gwStubTenantToken(t, w, gwRefuseOBO)
	// What reaches the backend, seen from a recording stand-in.
	got := make(chan string, 4)
	upstream := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		auth, present := r.Header["Authorization"]
		if !present {
			auth = []string{"<absent>"}
		}
		got <- r.URL.Path + " " + strings.Join(auth, ",")
		w.c7.ServeHTTP(rw, r)
	}))
	defer upstream.Close()
	w.CertPool.AddCert(upstream.Certificate())
	w.Context7URL = upstream.URL

	token := gwMint(t, w, gwUserClaims(w))
	status, _, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(token))
	if status != 200 {
		t.Fatalf("initialize with a refused OBO: %d %s", status, body)
	}
	if g := <-got; g != "/mcp/oauth Bearer" {
		t.Errorf("backend saw %q, want the empty bearer (trimmed to %q on the wire)", g, "Bearer")
	}
	status, _, body = gwDo(t, w, "POST", w.MCPEndpoint, `{"jsonrpc":"2.0","method":"tools/call","id":2,"params":{"name":"resolve-library-id","arguments":{"query":"q","libraryName":"Next.js"}}}`, gwMCPHeaders(token))
	<-got
	if status != 200 {
		t.Fatalf("tools/call: %d %s", status, body)
	}
	gwWantText(t, gwSSEData(t, body), "Invalid API key. Please check your API key.")
	if n := calls.Load(); n != 2 {
		t.Errorf("OBO exchanges: %d, want 2 (a refusal is not cached)", n)
	}
}

func TestGatewayOBONotJSONIsAnAPIMError(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	gwStubTenantToken(t, w, func(rw http.ResponseWriter, r *http.Request) {
		rw.WriteHeader(502)
		io.WriteString(rw, "<html>bad gateway</html>")
	})
	status, _, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(gwMint(t, w, gwUserClaims(w))))
	if status != 500 || !strings.Contains(body, `"message": "Internal server error"`) {
		t.Errorf("%d %s", status, body)
	}
}

// The gateway hands each piece of an event stream on as it comes: the second
// event is only written once the client has read the first.
func TestGatewayStreamsUnbuffered(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	gwStubTenantToken(t, w, gwOBOStub(t, w))
	firstRead := make(chan struct{})
	upstream := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/event-stream")
		rw.WriteHeader(200)
		io.WriteString(rw, "event: message\ndata: {\"n\":1}\n\n")
		rw.(http.Flusher).Flush()
		select {
		case <-firstRead:
		case <-r.Context().Done():
			return
		}
		io.WriteString(rw, "event: message\ndata: {\"n\":2}\n\n")
	}))
	defer upstream.Close()
	w.CertPool.AddCert(upstream.Certificate())
	w.Context7URL = upstream.URL

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", w.MCPEndpoint, strings.NewReader(gwInitBody))
	for k, v := range gwMCPHeaders(gwMint(t, w, gwUserClaims(w))) {
		req.Header.Set(k, v)
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, len("event: message\ndata: {\"n\":1}\n\n"))
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("first event never arrived on its own (buffered?): %v", err)
	}
	close(firstRead)
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != "event: message\ndata: {\"n\":2}\n\n" {
		t.Errorf("rest %q", rest)
	}
}

func TestGatewayFaults(t *testing.T) {
	t.Parallel()
	t.Run("no-www-authenticate", func(t *testing.T) {
		w := startWorld(t, Options{Faults: []string{"no-www-authenticate"}})
		status, h, _ := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(""))
		if status != 401 || h.Values("WWW-Authenticate") != nil {
			t.Errorf("%d %v", status, h)
		}
	})
	t.Run("prm-placeholder", func(t *testing.T) {
		w := startWorld(t, Options{Faults: []string{"prm-placeholder"}})
		_, _, body := gwDo(t, w, "GET", w.GatewayURL+"/.well-known/oauth-protected-resource", "", nil)
		if body != gatewayPRMTemplate || !strings.Contains(body, `"resource": "https://<your-apim-host>/context7"`) {
			t.Errorf("%s", body)
		}
	})
	t.Run("prm-wrong-resource", func(t *testing.T) {
		w := startWorld(t, Options{Faults: []string{"prm-wrong-resource"}})
		_, _, body := gwDo(t, w, "GET", w.GatewayURL+"/.well-known/oauth-protected-resource", "", nil)
		var prm map[string]any
		json.Unmarshal([]byte(body), &prm)
		res, _ := prm["resource"].(string)
		u, err := url.Parse(res)
		if err != nil || u.Host == "" || w.GatewayURL == u.Scheme+"://"+u.Host {
			t.Errorf("resource %q is not on another host", res)
		}
		if servers, _ := prm["authorization_servers"].([]any); len(servers) != 1 || servers[0] != w.GatewayURL {
			t.Errorf("the rest changed: %s", body)
		}
	})
	t.Run("as-metadata-missing", func(t *testing.T) {
		w := startWorld(t, Options{Faults: []string{"as-metadata-missing"}})
		for _, p := range []string{"/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/context7", "/.well-known/openid-configuration"} {
			status, h, body := gwDo(t, w, "GET", w.GatewayURL+p, "", nil)
			gwWantAPIM404(t, p, status, h, body)
		}
		if status, _, _ := gwDo(t, w, "GET", w.GatewayURL+"/.well-known/oauth-protected-resource", "", nil); status != 200 {
			t.Errorf("PRM went too: %d", status)
		}
	})
	t.Run("authorize-broken", func(t *testing.T) {
		w := startWorld(t, Options{Faults: []string{"authorize-broken"}})
		status, h, body := gwDo(t, w, "GET", w.GatewayURL+"/authorize?client_id=x", "", nil)
		gwWantAPIM404(t, "/authorize", status, h, body)
	})
	t.Run("token-proxy-broken", func(t *testing.T) {
		w := startWorld(t, Options{Faults: []string{"token-proxy-broken"}})
		calls := gwStubTenantToken(t, w, gwOBOStub(t, w))
		status, h, body := gwDo(t, w, "POST", w.GatewayURL+"/token", "grant_type=authorization_code&code=x", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		gwWantAPIM404(t, "/token", status, h, body)
		if calls.Load() != 0 {
			t.Errorf("the tenant was called")
		}
	})
	// Diagnostics that log response bodies, at service or at API level: the
	// gateway cuts what the effective diagnostics of the MCP API make it buffer.
	for _, fault := range []string{"sse-truncated", "diagnostics-body-logging"} {
		t.Run(fault, func(t *testing.T) { gwWantInitializeCut(t, fault) })
	}
	t.Run("obo-invalid-scope", func(t *testing.T) {
		w := startWorld(t, Options{Faults: []string{"obo-invalid-scope"}})
		scopes := make(chan string, 1)
		gwStubTenantToken(t, w, func(rw http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			scopes <- r.PostForm.Get("scope")
			gwRefuseOBO(rw, r)
		})
		gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(gwMint(t, w, gwUserClaims(w))))
		if got := <-scopes; got != "api://"+w.MCPAPIAppID+".default" {
			t.Errorf("the gateway asked for %q, not what its policy renders", got)
		}
	})
	t.Run("gateway-slow", func(t *testing.T) {
		w := startWorld(t, Options{Faults: []string{"gateway-slow"}, SlowDelay: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", w.GatewayURL+"/.well-known/oauth-protected-resource", nil)
		resp, err := w.Client.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("answered at once: %d", resp.StatusCode)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err %v", err)
		}
		// A short delay still answers, and Close never waits for the hour.
		w2 := startWorld(t, Options{Faults: []string{"gateway-slow"}, SlowDelay: 20 * time.Millisecond})
		if status, _, _ := gwDo(t, w2, "GET", w2.GatewayURL+"/.well-known/oauth-protected-resource", "", nil); status != 200 {
			t.Errorf("slow PRM: %d", status)
		}
		go w.Client.Get(w.GatewayURL + "/authorize")
		done := make(chan struct{})
		go func() { w.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("Close hangs on a slow request")
		}
	})
}

// tools/list and tools/call through the whole chain with mcp-go's client.
func TestGatewayEndToEndWithMCPClient(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	gwStubTenantToken(t, w, gwOBOStub(t, w))
	c := gwMCPClient(t, w, w.MCPEndpoint, gwMint(t, w, gwUserClaims(w)))
	defer c.Close()
	gwCheckTools(t, c)
}

// gwWantInitializeCut checks that, under the fault, initialize's event
// stream is cut mid-event while other answers stream whole.
func gwWantInitializeCut(t *testing.T, fault string) {
	w := startWorld(t, Options{Faults: []string{fault}})
	gwStubTenantToken(t, w, gwOBOStub(t, w))
	token := gwMint(t, w, gwUserClaims(w))
	status, h, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(token))
	if status != 200 || h.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %v", status, h)
	}
	if !strings.HasPrefix(body, "event: message\ndata: {") || strings.Contains(body, "\n\n") || strings.Contains(body, "id:") || json.Valid([]byte(strings.TrimPrefix(body, "event: message\ndata: "))) {
		t.Errorf("not cut mid-event: %q", body)
	}
	// Other requests stream whole.
	status, _, body = gwDo(t, w, "POST", w.MCPEndpoint, `{"jsonrpc":"2.0","method":"tools/list","id":2}`, gwMCPHeaders(token))
	if status != 200 || !strings.HasSuffix(body, "\n\n") {
		t.Errorf("tools/list: %d %q", status, body)
	}
}
