package lab

import (
	"strings"
	"testing"
)

// The whole world, no stubs: a token as the tenant issues it, the gateway's
// real OBO exchange with the tenant, Context7 behind it.
func TestWorldEndToEnd(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	c := gwMCPClient(t, w, w.MCPEndpoint, w.MintToken(w.UserTokenClaims(DefaultUser)))
	defer c.Close()
	gwCheckTools(t, c)
}

const gwToolCall = `{"jsonrpc":"2.0","method":"tools/call","id":2,"params":{"name":"resolve-library-id","arguments":{"query":"routing","libraryName":"Next.js"}}}`

// Whatever Entra says to the OBO exchange, the policy goes on with an empty
// bearer: Context7 takes "Bearer" for an API key, initialize works, and the
// first tool call comes back with the API's refusal.
func TestWorldOBORefusalsReachContext7AsEmptyBearer(t *testing.T) {
	t.Parallel()
	for _, fault := range []string{"obo-no-consent", "obo-bad-secret", "obo-invalid-scope", "obo-invalid-assertion", "mfa-required"} {
		w := startWorld(t, Options{Faults: []string{fault}})
		token := w.MintToken(w.UserTokenClaims(DefaultUser))
		status, h, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(token))
		if status != 200 || h.Get("Content-Type") != "text/event-stream" {
			t.Errorf("%s: initialize %d %s", fault, status, body)
			continue
		}
		status, _, body = gwDo(t, w, "POST", w.MCPEndpoint, gwToolCall, gwMCPHeaders(token))
		if status != 200 {
			t.Errorf("%s: tools/call %d %s", fault, status, body)
			continue
		}
		gwWantText(t, gwSSEData(t, body), "Invalid API key. Please check your API key. API keys should start with 'ctx7sk' prefix.")
	}
}

// Tenant faults that spoil the user's token are refused by the gateway.
func TestWorldGatewayRefusesSpoiledUserTokens(t *testing.T) {
	t.Parallel()
	for _, fault := range []string{"wrong-audience", "missing-scope", "expired-token"} {
		w := startWorld(t, Options{Faults: []string{fault}})
		status, h, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(w.MintToken(w.UserTokenClaims(DefaultUser))))
		if status != 401 || body != `{ "statusCode": 401, "message": "Unauthorized." }` || !strings.Contains(h.Get("WWW-Authenticate"), w.GatewayURL) {
			t.Errorf("%s: %d %s %v", fault, status, body, h)
		}
	}
}

// A v1 user token (sts.windows.net issuer, api:// audience) is one the
// policy accepts; the OBO exchange takes it too.
func TestWorldGatewayAcceptsV1UserToken(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Faults: []string{"gateway-v1-token"}})
	claims := w.UserTokenClaims(DefaultUser)
	if claims["iss"] != w.IssuerV1() {
		t.Fatalf("fault did not make a v1 token: %v", claims["iss"])
	}
	status, _, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(w.MintToken(claims)))
	if status != 200 {
		t.Errorf("%d %s", status, body)
	}
}

// A v1 OBO token passes the gateway and is refused by Context7, whose 401
// comes back through the gateway. Its challenge points at Context7; the
// recommended outbound section replaces it with the gateway's, the guide's
// passes it on.
func TestWorldContext7RefusesV1OBOToken(t *testing.T) {
	t.Parallel()
	for _, faults := range [][]string{{"mcp-api-v1-token"}, {"mcp-api-v1-token", "guide-as-written"}} {
		w := startWorld(t, Options{Faults: faults})
		status, h, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(w.MintToken(w.UserTokenClaims(DefaultUser))))
		if status != 401 || body != `{"jsonrpc":"2.0","error":{"code":-32001,"message":"Invalid token"},"id":null}` {
			t.Errorf("%v: %d %s", faults, status, body)
		}
		want := w.GatewayURL
		if len(faults) > 1 {
			want = w.Context7URL
		}
		if got := h.Get("WWW-Authenticate"); got != `Bearer resource_metadata="`+want+`/.well-known/oauth-protected-resource"` {
			t.Errorf("%v: challenge %q", faults, got)
		}
	}
}

func TestWorldContext7FaultsThroughGateway(t *testing.T) {
	t.Parallel()
	for fault, want := range map[string]string{
		"c7-unknown-audience": `"message":"Unknown audience"`,
		"c7-missing-scope":    `"message":"Missing required scope"`,
		"c7-tenant-mismatch":  `"message":"Invalid token claims"`,
	} {
		w := startWorld(t, Options{Faults: []string{fault}})
		status, _, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(w.MintToken(w.UserTokenClaims(DefaultUser))))
		if status != 401 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s", fault, status, body)
		}
	}
	w := startWorld(t, Options{Faults: []string{"c7-user-not-provisioned"}})
	token := w.MintToken(w.UserTokenClaims(DefaultUser))
	if status, _, body := gwDo(t, w, "POST", w.MCPEndpoint, gwInitBody, gwMCPHeaders(token)); status != 200 {
		t.Fatalf("initialize: %d %s", status, body)
	}
	_, _, body := gwDo(t, w, "POST", w.MCPEndpoint, gwToolCall, gwMCPHeaders(token))
	gwWantText(t, gwSSEData(t, body), "Invalid API key.")
}
