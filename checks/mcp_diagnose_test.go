package checks

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/mcpclient"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
	"github.com/mark3labs/mcp-go/mcp"
)

const (
	testTenant  = "7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70"
	testGateway = "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"
	testMCPAPI  = "b8e4d2a6-1c7f-4e3b-9a5d-6f0c2e8b4d19"
)

func gatewayClaims(mod func(map[string]any)) map[string]any {
	c := map[string]any{
		"iss": "https://login.microsoftonline.com/" + testTenant + "/v2.0", "aud": testGateway, "tid": testTenant,
		"oid": "5d9a3e71-2c4b-4f8e-a1d6-0b7c9e3f2a58", "scp": "Mcp.Gateway.Access", "ver": "2.0",
		"preferred_username": "ada@contoso.example", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
	}
	if mod != nil {
		mod(c)
	}
	return c
}

// diagEnv is an Env for a gateway at url, with a gateway token.
func diagEnv(t *testing.T, url string, timeout time.Duration) *Env {
	t.Helper()
	client, err := wire.New(wire.Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Gateway: url, APIPath: "context7", Tenant: testTenant, GatewayAppID: testGateway, MCPAPIAppID: testMCPAPI,
		AuthorityHost: "https://login.microsoftonline.com", ProtocolVersion: "2025-06-18", Upstream: url + "/mcp/oauth", Timeout: timeout}
	env := &Env{Config: cfg, HTTP: client, State: &State{TenantGUID: testTenant}, Now: time.Now, Stderr: io.Discard, Target: &report.Target{}}
	env.State.GatewayToken = unsignedEntraToken(gatewayClaims(nil))
	return env
}

// answerWith is a server answering every request with status, headers, body.
func answerWith(status int, contentType, body string, header ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Add(header[i], header[i+1])
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

// diagnose initializes against h and returns the finding mcpFailure makes.
// oboFailedBody is what c7doctor's MCP policy answers when Entra refuses its exchange.
const oboFailedBody = `{"error": "obo_failed", "error_description": "The gateway could not exchange the caller's token."}`

func diagnose(t *testing.T, h http.Handler, gateway bool, prep func(*Env)) (string, report.Finding) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env := diagEnv(t, srv.URL, 2*time.Second)
	if prep != nil {
		prep(env)
	}
	return diagnoseEnv(t, env, gateway)
}

func diagnoseEnv(t *testing.T, env *Env, gateway bool) (string, report.Finding) {
	t.Helper()
	hp := hop{gateway: gateway, url: env.Config.MCPEndpoint()}
	if !gateway {
		hp.url = env.Config.Upstream
	}
	c, err := newMCPClient(env, hp.url, env.State.GatewayToken)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Initialize(context.Background())
	if err == nil {
		t.Fatal("initialize succeeded")
	}
	r := &Result{env: env}
	id := mcpFailure(env, r, hp, err)
	if len(r.findings) != 1 || r.findings[0].ID != id {
		t.Fatalf("findings %v for %s", r.ids(), id)
	}
	return id, r.findings[0]
}

func c7Refusal(msg string) http.Handler {
	return answerWith(401, "application/json; charset=utf-8", `{"jsonrpc":"2.0","error":{"code":-32001,"message":"`+msg+`"},"id":null}`,
		"WWW-Authenticate", `Bearer resource_metadata="https://mcp.context7.com/.well-known/oauth-protected-resource"`)
}

func withOBOToken(claims map[string]any) func(*Env) {
	return func(env *Env) {
		tok, _ := auth.Decode(unsignedEntraToken(claims))
		env.State.OBO = OBOState{Ran: true, Token: tok}
	}
}

func oboClaims() map[string]any {
	return gatewayClaims(func(c map[string]any) { c["aud"] = testMCPAPI; c["scp"] = "mcp.access" })
}

func TestMCPFailureNamesTheSide(t *testing.T) {
	apim401 := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="http://`+r.Host+`/.well-known/oauth-protected-resource"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		io.WriteString(w, `{ "statusCode": 401, "message": "Unauthorized." }`)
	}
	tests := []struct {
		name    string
		h       http.Handler
		direct  bool
		prep    func(*Env)
		finding string
		says    []string
	}{
		{name: "APIM 401, audience wrong", h: http.HandlerFunc(apim401), prep: func(env *Env) {
			env.State.GatewayToken = unsignedEntraToken(gatewayClaims(func(c map[string]any) { c["aud"] = testMCPAPI }))
		}, finding: "apim-401", says: []string{"validate-azure-ad-token", "its aud is " + testMCPAPI, "APIM's on-error policy"}},
		{name: "APIM 401, signature not verified", h: http.HandlerFunc(apim401), prep: func(env *Env) {
			env.State.JWKS = []byte(`{"keys":[{"kid":"k2"}]}`)
		}, finding: "apim-401", says: []string{"signature does not verify", "gateway-claims shows the same"}},
		{name: "APIM 401, token looks right", h: http.HandlerFunc(apim401), finding: "apim-401",
			says: []string{"named values differ", "entra-tenant-id must be " + testTenant}},
		{name: "APIM 401, v1 token", h: http.HandlerFunc(apim401), prep: func(env *Env) {
			env.State.GatewayToken = unsignedEntraToken(gatewayClaims(func(c map[string]any) {
				c["iss"], c["ver"] = "https://sts.windows.net/"+testTenant+"/", "1.0"
			}))
		}, finding: "apim-401", says: []string{"requestedAccessTokenVersion 2"}},
		{name: "no token, obo fails", h: c7Refusal("Authentication required. Please authenticate to use this MCP server."),
			prep: func(env *Env) {
				env.State.OBO = OBOState{Ran: true, Failed: "obo-consent", Entra: &auth.EntraError{Description: "AADSTS65001: The user or administrator has not consented.\r\nTrace ID: x"}}
			}, finding: "context7-no-token", says: []string{"because obo failed: AADSTS65001 (obo-consent)"}},
		{name: "no token, obo passes", h: c7Refusal("Authentication required. Please authenticate to use this MCP server."),
			prep: withOBOToken(oboClaims()), finding: "context7-no-token", says: []string{"named values", "differ"}},
		{name: "no token, obo not run", h: c7Refusal("Authentication required. Please authenticate to use this MCP server."),
			finding: "context7-no-token", says: []string{"--gateway-secret-file"}},
		{name: "unknown audience", h: c7Refusal("Unknown audience"), prep: withOBOToken(oboClaims()),
			finding: "context7-401-audience", says: []string{"Audience must equal the OBO token's aud exactly: " + testMCPAPI, "Context7's own challenge", "3000 s"}},
		{name: "unknown audience without an OBO token", h: c7Refusal("Unknown audience"),
			finding: "context7-401-audience", says: []string{"no OBO token", testMCPAPI}},
		{name: "missing scope", h: c7Refusal("Missing required scope"), prep: withOBOToken(oboClaims()),
			finding: "context7-401-scope", says: []string{`"mcp.access"`}},
		{name: "invalid claims", h: c7Refusal("Invalid token claims"), prep: withOBOToken(oboClaims()),
			finding: "context7-401-claims", says: []string{"Tenant ID must be the OBO token's tid, " + testTenant}},
		{name: "invalid signature", h: c7Refusal("Invalid signature"), prep: withOBOToken(oboClaims()),
			finding: "context7-401-signature", says: []string{"issued by tenant " + testTenant}},
		{name: "expired", h: c7Refusal("Token expired"), prep: withOBOToken(oboClaims()), finding: "context7-401-expired"},
		{name: "invalid token, v1", h: c7Refusal("Invalid token"), prep: withOBOToken(gatewayClaims(func(c map[string]any) {
			c["iss"], c["ver"] = "https://sts.windows.net/"+testTenant+"/", "1.0"
		})), finding: "context7-401-token", says: []string{"sts.windows.net", "ver 1.0"}},
		{name: "an unknown -32001", h: c7Refusal("Something new"), finding: "context7-401", says: []string{`"Something new"`}},
		{name: "401 of neither", h: answerWith(401, "text/plain", "go away"), finding: "mcp-401-unknown", says: []string{"go away", "no WWW-Authenticate"}},
		{name: "403", h: answerWith(403, "application/json", `{ "statusCode": 403, "message": "Forbidden" }`), finding: "mcp-forbidden", says: []string{`APIM's message "Forbidden"`}},
		{name: "404 at APIM", h: answerWith(404, "application/json", `{ "statusCode": 404, "message": "Resource not found" }`), finding: "mcp-not-found", says: []string{"no API operation matches POST"}},
		{name: "404 straight at Context7", direct: true, h: answerWith(404, "application/json", `{"error":"not_found","message":"Endpoint not found. Use /mcp for MCP protocol communication."}`),
			finding: "mcp-http-error", says: []string{"--upstream must be"}},
		{name: "APIM policy 500", h: answerWith(500, "application/json", `{ "statusCode": 500, "message": "Internal server error", "activityId": "a1b2c3" }`),
			finding: "mcp-policy-error", says: []string{"activity id a1b2c3"}},
		{name: "policy's obo_failed, no own exchange", h: answerWith(502, "application/json", oboFailedBody), finding: "gateway-obo-failed", says: []string{"did not run its own OBO exchange"}},
		{name: "policy's obo_failed, own exchange passed", h: answerWith(502, "application/json", oboFailedBody), prep: func(env *Env) { env.State.OBO.Ran = true },
			finding: "gateway-obo-failed", says: []string{"obo passed", "managed identity", "AADSTS70021"}},
		{name: "policy's obo_failed, own exchange failed", h: answerWith(502, "application/json", oboFailedBody), prep: func(env *Env) { env.State.OBO.Ran, env.State.OBO.Failed = true, "obo-consent" },
			finding: "gateway-obo-failed", says: []string{"fails too", "obo-consent"}},
		{name: "obo_failed straight at Context7", direct: true, h: answerWith(502, "application/json", oboFailedBody), finding: "mcp-server-error"},
		{name: "APIM 502", h: answerWith(502, "application/json", `{ "statusCode": 502, "message": "Bad Gateway" }`), finding: "mcp-backend-error"},
		{name: "Context7 500", direct: true, h: answerWith(500, "application/json", `{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal server error"},"id":null}`),
			finding: "mcp-server-error", says: []string{"Context7's JSON-RPC error", "-32603"}},
		{name: "HTML page", h: answerWith(200, "text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>Sign in to Proxy</title></head></html>"),
			finding: "mcp-html", says: []string{`titled "Sign in to Proxy"`}},
		{name: "HTML error page", h: answerWith(503, "text/html", "<html><title>Maintenance</title></html>"), finding: "mcp-html"},
		{name: "redirect", h: answerWith(302, "", "", "Location", "https://login.example/sso"), finding: "mcp-http-error", says: []string{"https://login.example/sso"}},
		{name: "protocol version refused", h: answerWith(400, "application/json", `{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: Unsupported protocol version: 2025-06-18 (supported versions: 2024-11-05)"},"id":null}`),
			finding: "mcp-protocol-version", says: []string{"Unsupported protocol version"}},
		{name: "plain JSON 200", h: answerWith(200, "application/json", `{"hello":"world"}`), finding: "mcp-bad-response", says: []string{`{"hello":"world"}`}},
		{name: "cut stream", h: answerWith(200, "text/event-stream", "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"res"), finding: "sse-truncated",
			says: []string{"inside an event", "APIM diagnostics"}},
		{name: "cut stream straight at Context7", direct: true, h: answerWith(200, "text/event-stream", "event: message\ndata: {\"jsonrpc\":\"2.0\""), finding: "sse-truncated",
			says: []string{"without APIM"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, f := diagnose(t, tt.h, !tt.direct, tt.prep)
			if id != tt.finding {
				t.Fatalf("finding %s, want %s: %s", id, tt.finding, f.Detail)
			}
			for _, s := range tt.says {
				if !strings.Contains(f.Detail, s) {
					t.Errorf("detail lacks %q: %s", s, f.Detail)
				}
			}
		})
	}
}

func TestMCPFailureWithoutAnAnswer(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + l.Addr().String()
		l.Close()
		env := diagEnv(t, url, 2*time.Second)
		if id, f := diagnoseEnv(t, env, true); id != "mcp-unreachable" || !strings.Contains(f.Detail, "connection refused") {
			t.Errorf("%s: %s", id, f.Detail)
		}
	})
	t.Run("stalled stream", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(200)
			io.WriteString(w, ": hello\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}))
		t.Cleanup(srv.Close)
		env := diagEnv(t, srv.URL, 200*time.Millisecond)
		if id, f := diagnoseEnv(t, env, true); id != "mcp-timeout" || !strings.Contains(f.Detail, "the answer began") {
			t.Errorf("%s: %s", id, f.Detail)
		}
	})
}

func TestReadCallResult(t *testing.T) {
	text := func(s string, isErr bool) *mcpclient.ToolResult {
		res := &mcpclient.ToolResult{Text: s}
		res.Result = &mcp.CallToolResult{IsError: isErr}
		return res
	}
	tests := []struct {
		name, text string
		isErr      bool
		oboFailed  bool
		finding    string
		severity   report.Severity
		returns    string
	}{
		{name: "libraries", text: "Available Libraries:\n\n- Title: Next.js\n- Context7-compatible library ID: /vercel/next.js\n- Description: x"},
		{name: "unprovisioned", text: "Invalid API key. Please check your API key. API keys should start with 'ctx7sk' prefix.", finding: "context7-user-not-provisioned", severity: report.Error, returns: "context7-user-not-provisioned"},
		{name: "no token", text: "Invalid API key. Please check your API key. API keys should start with 'ctx7sk' prefix.", oboFailed: true, finding: "mcp-call-without-token", severity: report.Error, returns: "mcp-call-without-token"},
		{name: "rate limited", text: "Rate limited or quota exceeded. Upgrade your plan at https://context7.com/plans for higher limits.", finding: "context7-rate-limited", severity: report.Warning},
		{name: "api down", text: "Error searching libraries: TypeError: fetch failed", finding: "context7-api-error", severity: report.Warning},
		{name: "nothing found", text: "No libraries found matching the provided name.", finding: "mcp-call-no-results", severity: report.Warning},
		{name: "error result", text: "boom", isErr: true, finding: "mcp-call-error", severity: report.Error, returns: "mcp-call-error"},
		{name: "unknown text", text: "Hello", finding: "mcp-call-error", severity: report.Error, returns: "mcp-call-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := diagEnv(t, "https://apim.example", time.Second)
			if tt.oboFailed {
				env.State.OBO = OBOState{Ran: true, Failed: "obo-consent"}
			}
			r := &Result{env: env}
			got := readCallResult(env, r, hop{gateway: true, url: env.Config.MCPEndpoint()}, text(tt.text, tt.isErr))
			if got != tt.returns {
				t.Errorf("returned %q, want %q", got, tt.returns)
			}
			if tt.finding == "" {
				if len(r.findings) != 0 {
					t.Errorf("findings %v", r.ids())
				}
				if libs := r.evidenceOf("libraries"); libs != "/vercel/next.js" {
					t.Errorf("libraries %q", libs)
				}
				return
			}
			if len(r.findings) != 1 || r.findings[0].ID != tt.finding || r.findings[0].Severity != tt.severity {
				t.Fatalf("findings %+v, want %s (%s)", r.findings, tt.finding, tt.severity)
			}
			if tt.finding == "context7-user-not-provisioned" {
				d := r.findings[0].Detail
				if !strings.Contains(d, "5d9a3e71-2c4b-4f8e-a1d6-0b7c9e3f2a58") || !strings.Contains(d, "ada@contoso.example") {
					t.Errorf("the detail does not name the user: %s", d)
				}
			}
		})
	}
}

func TestCompareSides(t *testing.T) {
	ok := hopResult{Ran: true}
	fail := func(id string) hopResult { return hopResult{Ran: true, Failed: id} }
	tests := []struct {
		name    string
		gw, d   MCPState
		finding string
	}{
		{"both fine", MCPState{ok, ok, ok}, MCPState{ok, ok, ok}, ""},
		{"APIM forwards what Context7 refuses", MCPState{Initialize: fail("context7-401-audience")}, MCPState{ok, ok, ok}, "upstream-apim-fault"},
		{"the gateway fails before Context7", MCPState{Initialize: fail("apim-401")}, MCPState{ok, ok, ok}, ""},
		{"both refused alike", MCPState{ok, ok, fail("context7-user-not-provisioned")}, MCPState{ok, ok, fail("context7-user-not-provisioned")}, "upstream-context7-fault"},
		{"a cached token hides it", MCPState{ok, ok, ok}, MCPState{ok, ok, fail("context7-user-not-provisioned")}, "upstream-cached-token"},
		{"both refused differently", MCPState{Initialize: fail("context7-no-token")}, MCPState{Initialize: fail("context7-401-claims")}, "upstream-context7-fault"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := diagEnv(t, "https://apim.example", time.Second)
			r := &Result{env: env}
			compareSides(env, r, &tt.gw, &tt.d)
			got := strings.Join(r.ids(), ",")
			if got != tt.finding {
				t.Errorf("findings %q, want %q (summary %q)", got, tt.finding, r.summary)
			}
			if tt.finding == "" && r.summary == "" {
				t.Error("no summary")
			}
		})
	}
}
