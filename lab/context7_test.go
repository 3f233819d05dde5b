package lab

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

func TestContext7InitializeAnswersSSEWithoutSession(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	for _, path := range []string{"/mcp", "/mcp/oauth"} {
		status, h, body := gwDo(t, w, "POST", w.Context7URL+path, gwInitBody, gwMCPHeaders(gwMint(t, w, gwOBOClaims(w))))
		if status != 200 {
			t.Fatalf("%s: status %d: %s", path, status, body)
		}
		if got := h.Get("Content-Type"); got != "text/event-stream" {
			t.Errorf("%s: Content-Type %q", path, got)
		}
		if h.Get("Mcp-Session-Id") != "" {
			t.Errorf("%s: a stateless server sent Mcp-Session-Id %q", path, h.Get("Mcp-Session-Id"))
		}
		if got, want := h.Get("WWW-Authenticate"), `Bearer resource_metadata="`+w.Context7URL+`/.well-known/oauth-protected-resource"`; got != want {
			t.Errorf("%s: WWW-Authenticate %q, want %q", path, got, want)
		}
		if strings.Contains(body, "\nid:") || strings.HasPrefix(body, "id:") {
			t.Errorf("%s: event carries an id: %q", path, body)
		}
		msg := gwSSEData(t, body)
		result, _ := msg["result"].(map[string]any)
		info, _ := result["serverInfo"].(map[string]any)
		if info["name"] != "Context7" || info["version"] != c7Version || result["protocolVersion"] != "2025-06-18" {
			t.Errorf("%s: initialize result %v", path, result)
		}
	}
}

func TestContext7AnswersLikeTheRealServer(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	h := gwMCPHeaders("")
	// Notifications are accepted with nothing to say.
	status, hdr, body := gwDo(t, w, "POST", w.Context7URL+"/mcp", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, h)
	if status != 202 || body != "" || hdr.Get("WWW-Authenticate") == "" {
		t.Errorf("notification: %d %q %v", status, body, hdr)
	}
	// GET and DELETE: the stateless fallback answers 405.
	for _, m := range []string{"GET", "DELETE"} {
		status, _, body := gwDo(t, w, m, w.Context7URL+"/mcp", "", h)
		if status != 405 || body != `{"jsonrpc":"2.0","error":{"code":-32000,"message":"Method not allowed."},"id":null}` {
			t.Errorf("%s: %d %s", m, status, body)
		}
	}
	// Accept must name both types.
	status, _, body = gwDo(t, w, "POST", w.Context7URL+"/mcp", gwInitBody, map[string]string{"Content-Type": "application/json", "Accept": "application/json"})
	if status != 406 || !strings.Contains(body, "Not Acceptable") {
		t.Errorf("Accept json only: %d %s", status, body)
	}
	// A protocol version it does not know.
	hv := gwMCPHeaders("")
	hv["MCP-Protocol-Version"] = "1999-01-01"
	status, _, body = gwDo(t, w, "POST", w.Context7URL+"/mcp", `{"jsonrpc":"2.0","method":"tools/list","id":2}`, hv)
	if status != 400 || !strings.Contains(body, "Unsupported protocol version: 1999-01-01") {
		t.Errorf("bad version: %d %s", status, body)
	}
	// Bad JSON is refused before anything else.
	status, _, body = gwDo(t, w, "POST", w.Context7URL+"/mcp/oauth", `{bad`, h)
	if status != 400 || body != `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}` {
		t.Errorf("bad json: %d %s", status, body)
	}
	// Unknown routes.
	status, _, body = gwDo(t, w, "GET", w.Context7URL+"/nope", "", nil)
	if status != 404 || !strings.Contains(body, "Endpoint not found. Use /mcp for MCP protocol communication.") {
		t.Errorf("404: %d %s", status, body)
	}
	// Modern protocol revision: JSON.
	hm := gwMCPHeaders("")
	hm["MCP-Protocol-Version"] = "2026-07-28"
	status, hdr, _ = gwDo(t, w, "POST", w.Context7URL+"/mcp", `{"jsonrpc":"2.0","method":"ping","id":3}`, hm)
	if status != 200 || hdr.Get("Content-Type") != "application/json" {
		t.Errorf("modern ping: %d %v", status, hdr)
	}
}

func TestContext7OAuthRefusals(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	good := gwOBOClaims(w)
	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range good {
			c[k] = v
		}
		change(c)
		return c
	}
	cases := []struct {
		name, token, want string
	}{
		{"no token", "", "Authentication required. Please authenticate to use this MCP server."},
		{"garbage JWT", "abc.def.ghi", "Invalid token"},
		{"v1 issuer", gwMint(t, w, with(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/" + w.TenantID + "/" })), "Invalid token"},
		{"no audience", gwMint(t, w, with(func(c jwt.MapClaims) { delete(c, "aud") })), "Missing audience"},
		{"array audience", gwMint(t, w, with(func(c jwt.MapClaims) { c["aud"] = []string{w.MCPAPIAppID} })), "Missing audience"},
		{"gateway audience", gwMint(t, w, with(func(c jwt.MapClaims) { c["aud"] = w.GatewayAppID })), "Unknown audience"},
		{"other key", gwMintWith(t, gwOtherKey(t), w.keyID, good), "Invalid signature"},
		{"unknown kid", gwMintWith(t, w.signKey, "nokid", good), "Invalid token"},
		{"other tenant", gwMint(t, w, with(func(c jwt.MapClaims) { c["iss"] = w.AuthorityHost + "/" + OtherTenantID + "/v2.0" })), "Invalid token claims"},
		{"not yet valid", gwMint(t, w, with(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })), "Invalid token claims"},
		{"expired", gwMint(t, w, with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })), "Token expired"},
		{"gateway scope", gwMint(t, w, with(func(c jwt.MapClaims) { c["scp"] = "Mcp.Gateway.Access" })), "Missing required scope"},
	}
	for _, tc := range cases {
		status, h, body := gwDo(t, w, "POST", w.Context7URL+"/mcp/oauth", gwInitBody, gwMCPHeaders(tc.token))
		want := `{"jsonrpc":"2.0","error":{"code":-32001,"message":"` + tc.want + `"},"id":null}`
		if status != 401 || body != want {
			t.Errorf("%s: %d %s, want 401 %s", tc.name, status, body, want)
		}
		if h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", tc.name)
		}
	}
	// /mcp itself is open.
	if status, _, body := gwDo(t, w, "POST", w.Context7URL+"/mcp", gwInitBody, gwMCPHeaders("")); status != 200 {
		t.Errorf("/mcp without token: %d %s", status, body)
	}
}

// An "Authorization: Bearer " with nothing after it reaches the server as
// "Bearer", which is not a JWT and so passes /mcp/oauth as an API key; the
// Context7 API then refuses it at the first tool call.
func TestContext7EmptyBearerIsAnAPIKey(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	h := gwMCPHeaders("")
	h["Authorization"] = "Bearer "
	status, _, body := gwDo(t, w, "POST", w.Context7URL+"/mcp/oauth", gwInitBody, h)
	if status != 200 {
		t.Fatalf("initialize: %d %s", status, body)
	}
	status, _, body = gwDo(t, w, "POST", w.Context7URL+"/mcp/oauth", `{"jsonrpc":"2.0","method":"tools/call","id":3,"params":{"name":"resolve-library-id","arguments":{"query":"routing","libraryName":"Next.js"}}}`, h)
	if status != 200 {
		t.Fatalf("tools/call: %d %s", status, body)
	}
	gwWantText(t, gwSSEData(t, body), "Invalid API key. Please check your API key. API keys should start with 'ctx7sk' prefix.")
}

func gwWantText(t *testing.T, msg map[string]any, want string) {
	t.Helper()
	result, _ := msg["result"].(map[string]any)
	if result["isError"] != nil {
		t.Errorf("isError set: %v", result)
	}
	content, _ := result["content"].([]any)
	if len(content) != 1 {
		t.Fatalf("content %v", result)
	}
	text, _ := content[0].(map[string]any)["text"].(string)
	if !strings.Contains(text, want) {
		t.Errorf("text %q, want it to contain %q", text, want)
	}
}

func TestContext7DashboardFaults(t *testing.T) {
	t.Parallel()
	for fault, want := range map[string]string{
		"c7-unknown-audience": "Unknown audience",
		"c7-missing-scope":    "Missing required scope",
		"c7-tenant-mismatch":  "Invalid token claims",
	} {
		w := startWorld(t, Options{Faults: []string{fault}})
		status, _, body := gwDo(t, w, "POST", w.Context7URL+"/mcp/oauth", gwInitBody, gwMCPHeaders(gwMint(t, w, gwOBOClaims(w))))
		if status != 401 || !strings.Contains(body, `"code":-32001,"message":"`+want+`"`) {
			t.Errorf("%s: %d %s, want 401 %s", fault, status, body, want)
		}
	}
}

func TestContext7UserNotProvisioned(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Faults: []string{"c7-user-not-provisioned"}})
	h := gwMCPHeaders(gwMint(t, w, gwOBOClaims(w)))
	if status, _, body := gwDo(t, w, "POST", w.Context7URL+"/mcp/oauth", gwInitBody, h); status != 200 {
		t.Fatalf("initialize is not refused for an unknown user: %d %s", status, body)
	}
	status, _, body := gwDo(t, w, "POST", w.Context7URL+"/mcp/oauth", `{"jsonrpc":"2.0","method":"tools/call","id":3,"params":{"name":"resolve-library-id","arguments":{"query":"routing","libraryName":"Next.js"}}}`, h)
	if status != 200 {
		t.Fatalf("tools/call: %d %s", status, body)
	}
	gwWantText(t, gwSSEData(t, body), "Invalid API key. Please check your API key. API keys should start with 'ctx7sk' prefix.")
}

// gwMCPClient is an mcp-go client on the lab's HTTP client, with a bearer token.
func gwMCPClient(t *testing.T, w *World, endpoint, token string) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(endpoint,
		transport.WithHTTPBasicClient(w.Client),
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithProtocolVersion("2025-06-18"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = "2025-06-18"
	init.Params.ClientInfo = mcp.Implementation{Name: "c7doctor-lab-test", Version: "0"}
	res, err := c.Initialize(ctx, init)
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if res.ServerInfo.Name != "Context7" {
		t.Errorf("serverInfo %+v", res.ServerInfo)
	}
	return c
}

// gwCheckTools lists the tools and calls both, as a client of endpoint would.
func gwCheckTools(t *testing.T, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
		schema, _ := json.Marshal(tool.InputSchema)
		if tool.Name == "resolve-library-id" && (!strings.Contains(string(schema), `"libraryName"`) || !strings.Contains(tool.Description, "Context7-compatible library ID")) {
			t.Errorf("resolve-library-id: %s %q", schema, tool.Description)
		}
		if tool.Name == "query-docs" && !strings.Contains(string(schema), `"libraryId"`) {
			t.Errorf("query-docs schema: %s", schema)
		}
	}
	if strings.Join(names, ",") != "query-docs,resolve-library-id" && strings.Join(names, ",") != "resolve-library-id,query-docs" {
		t.Fatalf("tools %v", names)
	}
	call := func(name string, args map[string]any) string {
		req := mcp.CallToolRequest{}
		req.Params.Name = name
		req.Params.Arguments = args
		res, err := c.CallTool(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.IsError || len(res.Content) != 1 {
			t.Fatalf("%s: %+v", name, res)
		}
		text, _ := res.Content[0].(mcp.TextContent)
		return text.Text
	}
	if got := call("resolve-library-id", map[string]any{"query": "dynamic routes", "libraryName": "Next.js"}); !strings.Contains(got, "- Context7-compatible library ID: /vercel/next.js") {
		t.Errorf("resolve-library-id: %q", got)
	}
	if got := call("query-docs", map[string]any{"libraryId": "/vercel/next.js", "query": "dynamic routes"}); !strings.Contains(got, "generateStaticParams") {
		t.Errorf("query-docs: %q", got)
	}
	if got := call("query-docs", map[string]any{"libraryId": "/nobody/nothing", "query": "x"}); !strings.Contains(got, "does not exist") {
		t.Errorf("query-docs unknown: %q", got)
	}
}

func TestContext7ToolsWithMCPClient(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	c := gwMCPClient(t, w, w.UpstreamURL, gwMint(t, w, gwOBOClaims(w)))
	gwCheckTools(t, c)
}

// The stand-in must keep answering after a client's Close (its DELETE is 405).
func TestContext7ClientCloseIsHarmless(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	c := gwMCPClient(t, w, w.Context7URL+"/mcp", "")
	c.Close()
	if status, _, _ := gwDo(t, w, "POST", w.Context7URL+"/mcp", gwInitBody, gwMCPHeaders("")); status != http.StatusOK {
		t.Errorf("after close: %d", status)
	}
}
