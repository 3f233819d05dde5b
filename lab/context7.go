package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// context7 stands in for the hosted Context7 MCP server, speaking the HTTP
// transport of @upstash/context7-mcp 4.1.1 (dist/index.js, dist/lib/jwt.js;
// answers recorded from a local run of that version):
//   - stateless: no Mcp-Session-Id, a fresh exchange per POST; GET and DELETE
//     on /mcp answer 405;
//   - 2025-era requests answered as an SSE stream ("event: message", one data
//     line, no event ids), 2026-07-28 ones as JSON;
//   - WWW-Authenticate: Bearer resource_metadata="<origin>/.well-known/oauth-protected-resource"
//     on every /mcp answer, 200 included;
//   - /mcp open, /mcp/oauth requiring a token, refused with 401 and a
//     JSON-RPC error -32001 naming why.
//
// The JSON-RPC side (initialize, tools/list, tools/call, ping) is mcp-go's
// server; the HTTP framing around it is written here because mcp-go answers
// JSON unless a request is upgraded to SSE, and the real server always streams.
type context7 struct {
	w   *World
	mcp *server.MCPServer
}

// c7Version is the @upstash/context7-mcp release the stand-in imitates.
const c7Version = "4.1.1"

// c7LegacyVersions are the initialize-era protocol versions the real server
// accepts in MCP-Protocol-Version (its 400 lists them in this order).
var c7LegacyVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2024-10-07"}

// c7MaxBody is express.json()'s default limit.
const c7MaxBody = 100 << 10

func newContext7(w *World) *context7 {
	c := &context7{w: w}
	c.mcp = server.NewMCPServer("Context7", c7Version,
		server.WithDescription("Context7 provides up-to-date documentation and code examples for libraries and frameworks."),
		server.WithWebsiteURL("https://context7.com"),
		server.WithIcons(mcp.Icon{Src: "https://context7.com/context7-icon-green.png", MIMEType: "image/png"}),
		server.WithInstructions(c7Instructions),
		server.WithToolCapabilities(false),
		server.WithPromptCapabilities(false),
		server.WithResourceCapabilities(false, false),
		server.WithRecovery(),
	)
	c.addTools()
	return c
}

func (c *context7) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	rec := &gwStatusRecorder{ResponseWriter: rw, status: http.StatusOK}
	defer func() { c.w.logf("context7  %s %s -> %d", r.Method, r.URL.Path, rec.status) }()
	h := rec.Header()
	h.Set("X-Powered-By", "Express")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET,POST,OPTIONS,DELETE")
	h.Set("Access-Control-Allow-Headers", "Content-Type, MCP-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, X-Context7-API-Key, Context7-API-Key, X-API-Key, Authorization")
	if r.Method == http.MethodOptions {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		rec.WriteHeader(http.StatusOK)
		io.WriteString(rec, "OK")
		return
	}
	switch p := r.URL.Path; {
	case p == "/mcp" || p == "/mcp/":
		c.serveMCP(rec, r, false)
	case p == "/mcp/oauth" || p == "/mcp/oauth/":
		c.serveMCP(rec, r, true)
	case p == "/ping" && r.Method == http.MethodGet:
		c7JSON(rec, http.StatusOK, map[string]string{"status": "ok", "message": "pong"})
	case p == "/.well-known/oauth-protected-resource" && r.Method == http.MethodGet:
		c7JSON(rec, http.StatusOK, map[string]any{
			"resource":                 c.w.Context7URL,
			"authorization_servers":    []string{c.w.Context7URL},
			"scopes_supported":         []string{"profile", "email"},
			"bearer_methods_supported": []string{"header"},
		})
	case p == "/.well-known/oauth-authorization-server" && r.Method == http.MethodGet:
		// The real server proxies its OAuth server's metadata; the lab has none.
		c7JSON(rec, http.StatusBadGateway, map[string]string{"error": "proxy_error", "message": "Failed to proxy authorization server metadata"})
	default:
		c7JSON(rec, http.StatusNotFound, map[string]string{"error": "not_found", "message": "Endpoint not found. Use /mcp for MCP protocol communication."})
	}
}

// c7JSON is Express's res.status(s).json(v).
func c7JSON(rw http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(status)
	rw.Write(b)
}

// c7RPCError is a JSON-RPC error envelope with id null, as the real server
// writes it outside the protocol handler. contentType differs by origin:
// Express's json() adds a charset, the SDK's handler does not.
func c7RPCError(rw http.ResponseWriter, status int, code int, message string, contentType string) {
	type rpcError struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	b, _ := json.Marshal(struct {
		JSONRPC string   `json:"jsonrpc"`
		Error   rpcError `json:"error"`
		ID      any      `json:"id"`
	}{"2.0", rpcError{code, message}, nil})
	rw.Header().Set("Content-Type", contentType)
	rw.WriteHeader(status)
	rw.Write(b)
}

const (
	c7ExpressJSON = "application/json; charset=utf-8"
	c7SDKJSON     = "application/json"
)

// c7CallerKey carries who is calling into the tool handlers.
type c7CallerKey struct{}

// c7Caller is what the real server passes on to the Context7 API: the API
// key (a bearer token or one of the API-key headers), which the API then
// resolves to a user.
type c7Caller struct {
	apiKey string
	// oauth is set on /mcp/oauth, whose bearer was validated as an Entra
	// token; on the open /mcp a bearer is an API key, and only ctx7sk keys are.
	oauth bool
}

func (c *context7) serveMCP(rw http.ResponseWriter, r *http.Request, oauth bool) {
	rw.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+c.w.Context7URL+`/.well-known/oauth-protected-resource"`)

	// express.json() runs first: a JSON body it cannot take is refused before
	// authentication.
	var body []byte
	if c7IsJSON(r.Header.Get("Content-Type")) {
		b, err := io.ReadAll(io.LimitReader(r.Body, c7MaxBody+1))
		if err != nil {
			return
		}
		if len(b) > c7MaxBody {
			c7RPCError(rw, http.StatusRequestEntityTooLarge, -32600, "Invalid Request", c7ExpressJSON)
			return
		}
		if len(bytes.TrimSpace(b)) > 0 && !json.Valid(b) {
			c7RPCError(rw, http.StatusBadRequest, -32700, "Parse error", c7ExpressJSON)
			return
		}
		body = b
	}

	apiKey := c7APIKey(r)
	if oauth {
		if msg := c.authenticate(apiKey); msg != "" {
			c.w.logf("context7  401: %s", msg)
			c7RPCError(rw, http.StatusUnauthorized, -32001, msg, c7ExpressJSON)
			return
		}
	}

	switch r.Method {
	case http.MethodPost:
	case http.MethodGet, http.MethodDelete:
		c7RPCError(rw, http.StatusMethodNotAllowed, -32000, "Method not allowed.", c7SDKJSON)
		return
	default:
		c7RPCError(rw, http.StatusMethodNotAllowed, -32000, "Method not allowed.", c7SDKJSON)
		return
	}
	accept := r.Header.Get("Accept")
	if !strings.Contains(accept, "application/json") || !strings.Contains(accept, "text/event-stream") {
		c7RPCError(rw, http.StatusNotAcceptable, -32000, "Not Acceptable: Client must accept both application/json and text/event-stream", c7SDKJSON)
		return
	}
	if !c7IsJSON(r.Header.Get("Content-Type")) {
		c7RPCError(rw, http.StatusUnsupportedMediaType, -32000, "Unsupported Media Type: Content-Type must be application/json", c7SDKJSON)
		return
	}
	version := r.Header.Get("MCP-Protocol-Version")
	modern := version != "" && mcp.IsModernProtocol(version)
	if version != "" && !modern && !slices.Contains(c7LegacyVersions, version) {
		c7RPCError(rw, http.StatusBadRequest, -32000, fmt.Sprintf("Bad Request: Unsupported protocol version: %s (supported versions: %s)", version, strings.Join(c7LegacyVersions, ", ")), c7SDKJSON)
		return
	}

	messages, batch := c7SplitBatch(body)
	if messages == nil {
		c7RPCError(rw, http.StatusBadRequest, -32700, "Parse error: Invalid JSON-RPC message", c7SDKJSON)
		return
	}
	ctx := context.WithValue(r.Context(), c7CallerKey{}, c7Caller{apiKey: apiKey, oauth: oauth})
	var replies []mcp.JSONRPCMessage
	for _, m := range messages {
		if reply := c.mcp.HandleMessage(ctx, m); reply != nil {
			replies = append(replies, reply)
		}
	}
	if len(replies) == 0 {
		// Only notifications (or responses): accepted, nothing to say.
		rw.WriteHeader(http.StatusAccepted)
		return
	}
	if modern {
		var out any = replies[0]
		if batch {
			out = replies
		}
		b, _ := json.Marshal(out)
		rw.Header().Set("Content-Type", c7SDKJSON)
		rw.WriteHeader(http.StatusOK)
		rw.Write(b)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	rw.WriteHeader(http.StatusOK)
	flush := http.NewResponseController(rw)
	for _, reply := range replies {
		b, err := json.Marshal(reply)
		if err != nil {
			return
		}
		fmt.Fprintf(rw, "event: message\ndata: %s\n\n", b)
		flush.Flush()
	}
}

// c7SplitBatch returns the messages of a JSON-RPC body (one, or a batch), or
// nil when the body is neither.
func c7SplitBatch(body []byte) ([]json.RawMessage, bool) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var batch []json.RawMessage
		if json.Unmarshal(trimmed, &batch) != nil || len(batch) == 0 {
			return nil, true
		}
		return batch, true
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false
	}
	return []json.RawMessage{trimmed}, false
}

func c7IsJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/json")
}

// c7APIKey is the real server's extractApiKey: the bearer token, else the
// first API-key header present. An "Authorization: Bearer " with nothing
// after it arrives trimmed to "Bearer" (HTTP strips trailing whitespace), does
// not start with "Bearer ", and so is itself taken as the key.
func c7APIKey(r *http.Request) string {
	if auth := r.Header.Get("Authorization"); auth != "" {
		if rest, ok := strings.CutPrefix(auth, "Bearer "); ok {
			if key := strings.TrimSpace(rest); key != "" {
				return key
			}
		} else {
			return auth
		}
	}
	for _, name := range []string{"X-Context7-API-Key", "Context7-API-Key", "X-API-Key", "Context7_API_Key", "X_API_Key"} {
		if v := r.Header.Get(name); v != "" {
			return v
		}
	}
	return ""
}

const c7Instructions = `Use this server to fetch current documentation whenever the user asks about a library, framework, SDK, API, CLI tool, or cloud service — even well-known ones like React, Next.js, Prisma, Express, Tailwind, Django, or Spring Boot. This includes API syntax, configuration, version migration, library-specific debugging, setup instructions, and CLI tool usage. Use even when you think you know the answer — your training data may not reflect recent changes. Prefer this over web search for library docs.

Do not use for: refactoring, writing scripts from scratch, debugging business logic, code review, or general programming concepts.`
