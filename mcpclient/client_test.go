package mcpclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer answers MCP the way a test wants, recording what it was sent.
type fakeServer struct {
	t *testing.T
	// answer writes the response for a JSON-RPC method ("" for GET/DELETE).
	answer func(w http.ResponseWriter, r *http.Request, method string, id json.RawMessage)

	mu       sync.Mutex
	requests []seen
}

type seen struct {
	Method, RPC, Auth, Version, Session string
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Method string          `json:"method"`
		ID     json.RawMessage `json:"id"`
	}
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &msg)
	}
	f.mu.Lock()
	f.requests = append(f.requests, seen{r.Method, msg.Method, r.Header.Get("Authorization"), r.Header.Get("Mcp-Protocol-Version"), r.Header.Get("Mcp-Session-Id")})
	f.mu.Unlock()
	f.answer(w, r, msg.Method, msg.ID)
}

func (f *fakeServer) seen() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.requests...)
}

func newFake(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, method string, id json.RawMessage)) (*fakeServer, *httptest.Server) {
	f := &fakeServer{t: t, answer: answer}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func newClient(t *testing.T, url string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{Endpoint: url, Bearer: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZw", Timeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

const initResult = `{"protocolVersion":"2025-06-18","capabilities":{"tools":{"listChanged":false}},"serverInfo":{"name":"Context7","version":"4.1.1"}}`

func sse(w http.ResponseWriter, status int, events ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	for _, e := range events {
		io.WriteString(w, e)
		w.(http.Flusher).Flush()
	}
}

func reply(id json.RawMessage, result string) string {
	return fmt.Sprintf(`{"result":%s,"jsonrpc":"2.0","id":%s}`, result, id)
}

// context7Like answers as @upstash/context7-mcp 4.1.1 does: SSE, stateless,
// 202 to notifications, 405 to GET and DELETE.
func context7Like(tools string, call string) func(w http.ResponseWriter, r *http.Request, method string, id json.RawMessage) {
	return func(w http.ResponseWriter, r *http.Request, method string, id json.RawMessage) {
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="https://mcp.context7.com/.well-known/oauth-protected-resource"`)
		switch {
		case r.Method != http.MethodPost:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusMethodNotAllowed)
			io.WriteString(w, `{"jsonrpc":"2.0","error":{"code":-32000,"message":"Method not allowed."},"id":null}`)
		case method == "initialize":
			sse(w, 200, "event: message\ndata: "+reply(id, initResult)+"\n\n")
		case strings.HasPrefix(method, "notifications/"):
			w.WriteHeader(http.StatusAccepted)
		case method == "tools/list":
			sse(w, 200, "event: message\ndata: "+reply(id, tools)+"\n\n")
		case method == "tools/call":
			sse(w, 200, "event: message\ndata: "+reply(id, call)+"\n\n")
		}
	}
}

const twoTools = `{"tools":[{"name":"resolve-library-id","inputSchema":{"type":"object"}},{"name":"query-docs","inputSchema":{"type":"object"}}]}`

func TestHealthyContext7Like(t *testing.T) {
	f, srv := newFake(t, context7Like(twoTools, `{"content":[{"type":"text","text":"Available Libraries:\n\n- Title: Next.js"}]}`))
	c := newClient(t, srv.URL+"/mcp", nil)
	ctx := context.Background()
	init, err := c.Initialize(ctx)
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if init.Result.ServerInfo.Name != "Context7" || init.Result.ProtocolVersion != "2025-06-18" {
		t.Errorf("result = %+v", init.Result)
	}
	if init.SessionID != "" {
		t.Errorf("session id = %q, want none", init.SessionID)
	}
	if init.Initialize == nil || init.Initialize.Status != 200 || !init.Initialize.IsSSE() {
		t.Fatalf("initialize exchange = %+v", init.Initialize)
	}
	if events, cut, _ := init.Initialize.Events(); len(events) != 1 || cut {
		t.Errorf("events = %v cut %v", events, cut)
	}
	if init.Initialized == nil || init.Initialized.Status != http.StatusAccepted {
		t.Errorf("initialized exchange = %+v", init.Initialized)
	}
	if got := init.Initialize.WWWAuthenticate(); !strings.Contains(got, "mcp.context7.com") {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	tools, err := c.ListTools(ctx)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	if len(tools.Tools) != 2 || tools.Tools[0].Name != "resolve-library-id" {
		t.Errorf("tools = %+v", tools.Tools)
	}
	res, err := c.CallTool(ctx, "resolve-library-id", map[string]any{"query": "q", "libraryName": "Next.js"})
	if err != nil {
		t.Fatalf("tools/call: %v", err)
	}
	if !strings.HasPrefix(res.Text, "Available Libraries:") {
		t.Errorf("text = %q", res.Text)
	}
	get, err := c.Probe(ctx, http.MethodGet)
	if err != nil || get.Status != http.StatusMethodNotAllowed {
		t.Errorf("GET probe = %+v, %v", get, err)
	}
	// Every request carried the bearer and, after initialize, the version.
	for _, s := range f.seen() {
		if !strings.HasPrefix(s.Auth, "Bearer eyJ") {
			t.Errorf("%s %s without the bearer: %q", s.Method, s.RPC, s.Auth)
		}
		if s.RPC != "initialize" && s.Version != "2025-06-18" {
			t.Errorf("%s %s: MCP-Protocol-Version %q", s.Method, s.RPC, s.Version)
		}
	}
	// One initialize: the pinned version means no server/discover probe.
	var rpcs []string
	for _, s := range f.seen() {
		rpcs = append(rpcs, s.RPC)
	}
	if got := strings.Join(rpcs, ","); got != "initialize,notifications/initialized,tools/list,tools/call," {
		t.Errorf("requests = %s", got)
	}
	// The capture never keeps the token.
	for _, ex := range c.Exchanges() {
		if ex.Auth != "bearer" {
			t.Errorf("auth = %q", ex.Auth)
		}
		if _, ok := ex.RequestHeader["Authorization"]; ok {
			t.Errorf("the capture kept Authorization")
		}
	}
}

// A stateful server (mcp-go's own, answering JSON) gives a session id, and
// Close's DELETE carries the bearer and the session.
func TestSessionAndCloseCarryBearer(t *testing.T) {
	f, srv := newFake(t, func(w http.ResponseWriter, r *http.Request, method string, id json.RawMessage) {
		switch {
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNotFound)
		case method == "initialize":
			w.Header().Set("Mcp-Session-Id", "sess-1")
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, reply(id, initResult))
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	})
	c := newClient(t, srv.URL, nil)
	init, err := c.Initialize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if init.SessionID != "sess-1" || init.Initialize.ContentType() != "application/json" {
		t.Errorf("session %q content type %q", init.SessionID, init.Initialize.ContentType())
	}
	c.Close()
	s := f.seen()
	last := s[len(s)-1]
	if last.Method != http.MethodDelete || last.Session != "sess-1" || !strings.HasPrefix(last.Auth, "Bearer ") {
		t.Errorf("close sent %+v", last)
	}
	exs := c.Exchanges()
	if del := exs[len(exs)-1]; del.Method != http.MethodDelete || del.Status != http.StatusNotFound {
		t.Errorf("DELETE exchange = %+v", del)
	}
}

func TestInitializeFailures(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request, method string, id json.RawMessage)
		mod    func(*Config)
		kind   Kind
		check  func(t *testing.T, e *Error)
	}{
		{
			name: "APIM 401",
			answer: func(w http.ResponseWriter, r *http.Request, _ string, _ json.RawMessage) {
				w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="https://apim.example/.well-known/oauth-protected-resource"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(401)
				io.WriteString(w, `{ "statusCode": 401, "message": "Unauthorized." }`)
			},
			kind: KindHTTP,
			check: func(t *testing.T, e *Error) {
				if e.Exchange.Status != 401 || !strings.Contains(string(e.Exchange.Body), "Unauthorized.") || e.RPC != nil {
					t.Errorf("exchange %+v rpc %+v", e.Exchange, e.RPC)
				}
			},
		},
		{
			name: "Context7 401 -32001",
			answer: func(w http.ResponseWriter, r *http.Request, _ string, _ json.RawMessage) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(401)
				io.WriteString(w, `{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown audience"},"id":null}`)
			},
			kind: KindHTTP,
			check: func(t *testing.T, e *Error) {
				if e.RPC == nil || e.RPC.Code != -32001 || e.RPC.Message != "Unknown audience" {
					t.Errorf("rpc = %+v", e.RPC)
				}
			},
		},
		{
			// mcp-go calls this a "legacy SSE server"; it is a 404.
			name: "404 is an HTTP error, not a legacy server",
			answer: func(w http.ResponseWriter, r *http.Request, _ string, _ json.RawMessage) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(404)
				io.WriteString(w, `{ "statusCode": 404, "message": "Resource not found" }`)
			},
			kind: KindHTTP,
			check: func(t *testing.T, e *Error) {
				if e.Exchange.Status != 404 || !strings.Contains(string(e.Exchange.Body), "Resource not found") {
					t.Errorf("exchange = %+v", e.Exchange)
				}
			},
		},
		{
			name: "stream cut inside the data line",
			answer: func(w http.ResponseWriter, r *http.Request, _ string, id json.RawMessage) {
				full := "event: message\ndata: " + reply(id, initResult) + "\n\n"
				sse(w, 200, full[:40])
			},
			kind: KindTruncated,
			check: func(t *testing.T, e *Error) {
				_, cut, partial := e.Exchange.Events()
				if !cut || !strings.HasPrefix(partial, `{"result"`) || !e.Exchange.Ended {
					t.Errorf("cut %v partial %q ended %v", cut, partial, e.Exchange.Ended)
				}
			},
		},
		{
			// mcp-go accepts an unterminated last event at EOF; the SSE rules drop it.
			name: "stream ends before the blank line",
			answer: func(w http.ResponseWriter, r *http.Request, method string, id json.RawMessage) {
				if method != "initialize" {
					w.WriteHeader(202)
					return
				}
				sse(w, 200, "event: message\ndata: "+reply(id, initResult)+"\n")
			},
			kind: KindTruncated,
		},
		{
			name: "stream with only a notification",
			answer: func(w http.ResponseWriter, r *http.Request, _ string, _ json.RawMessage) {
				sse(w, 200, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n")
			},
			kind: KindTruncated,
		},
		{
			name: "stream that stalls",
			answer: func(w http.ResponseWriter, r *http.Request, _ string, _ json.RawMessage) {
				sse(w, 200, ": open\n\n")
				<-r.Context().Done()
			},
			mod:  func(c *Config) { c.Timeout = 150 * time.Millisecond },
			kind: KindTimeout,
			check: func(t *testing.T, e *Error) {
				if e.Exchange == nil || e.Exchange.Status != 200 || e.Exchange.Ended {
					t.Errorf("exchange = %+v", e.Exchange)
				}
			},
		},
		{
			name: "HTML page with 200",
			answer: func(w http.ResponseWriter, r *http.Request, _ string, _ json.RawMessage) {
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, "<html><body>Sign in</body></html>")
			},
			kind: KindProtocol,
			check: func(t *testing.T, e *Error) {
				if e.Exchange.ContentType() != "text/html" || !strings.Contains(string(e.Exchange.Body), "Sign in") {
					t.Errorf("exchange = %+v", e.Exchange)
				}
			},
		},
		{
			name: "JSON-RPC error to initialize",
			answer: func(w http.ResponseWriter, r *http.Request, _ string, id json.RawMessage) {
				sse(w, 200, fmt.Sprintf("data: {\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":-32602,\"message\":\"Unsupported protocol version\"}}\n\n", id))
			},
			kind: KindRPC,
			check: func(t *testing.T, e *Error) {
				if e.RPC == nil || e.RPC.Code != -32602 {
					t.Errorf("rpc = %+v", e.RPC)
				}
			},
		},
		{
			name: "answer over the limit",
			answer: func(w http.ResponseWriter, r *http.Request, _ string, id json.RawMessage) {
				sse(w, 200, "event: message\ndata: "+reply(id, `{"protocolVersion":"2025-06-18","pad":"`+strings.Repeat("x", 4096)+`"}`)+"\n\n")
			},
			mod:  func(c *Config) { c.Limit = 1024 },
			kind: KindTooLarge,
			check: func(t *testing.T, e *Error) {
				if len(e.Exchange.Body) != 1024 || !e.Exchange.TooLarge {
					t.Errorf("kept %d bytes, too large %v", len(e.Exchange.Body), e.Exchange.TooLarge)
				}
			},
		},
		{
			name: "JSON error page over the limit",
			answer: func(w http.ResponseWriter, r *http.Request, _ string, _ json.RawMessage) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(500)
				io.WriteString(w, `{"pad":"`+strings.Repeat("y", 4096)+`"}`)
			},
			mod:  func(c *Config) { c.Limit = 100 },
			kind: KindHTTP,
			check: func(t *testing.T, e *Error) {
				if len(e.Exchange.Body) != 100 || !e.Exchange.TooLarge || e.Exchange.Status != 500 {
					t.Errorf("exchange = %+v", e.Exchange)
				}
			},
		},
		{
			name: "initialized notification refused",
			answer: func(w http.ResponseWriter, r *http.Request, method string, id json.RawMessage) {
				if method == "initialize" {
					sse(w, 200, "data: "+reply(id, initResult)+"\n\n")
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(400)
				io.WriteString(w, `{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request"},"id":null}`)
			},
			kind: KindHTTP,
			check: func(t *testing.T, e *Error) {
				if e.Op != "notifications/initialized" || e.Exchange.Status != 400 {
					t.Errorf("op %q exchange %+v", e.Op, e.Exchange)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newFake(t, tt.answer)
			c := newClient(t, srv.URL, tt.mod)
			_, err := c.Initialize(context.Background())
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if e.Kind != tt.kind {
				t.Fatalf("kind = %s, want %s (err %v, mcp-go: %v)", e.Kind, tt.kind, e, e.Err)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

func TestRefusedConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := newClient(t, "http://"+addr+"/mcp", nil)
	_, err = c.Initialize(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTransport || e.Wire != "connection refused" {
		t.Fatalf("err = %#v", err)
	}
}

func TestCanceledByCaller(t *testing.T) {
	_, srv := newFake(t, func(w http.ResponseWriter, r *http.Request, _ string, _ json.RawMessage) {
		<-r.Context().Done()
	})
	c := newClient(t, srv.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Initialize(ctx)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindCanceled {
		t.Fatalf("err = %#v", err)
	}
}

func TestListToolsPagesAndStops(t *testing.T) {
	_, srv := newFake(t, func(w http.ResponseWriter, r *http.Request, method string, id json.RawMessage) {
		switch method {
		case "initialize":
			sse(w, 200, "data: "+reply(id, initResult)+"\n\n")
		case "tools/list":
			// Every page points at a new one: the client must stop.
			sse(w, 200, "data: "+reply(id, fmt.Sprintf(`{"tools":[{"name":"t","inputSchema":{"type":"object"}}],"nextCursor":"c%d"}`, time.Now().UnixNano()))+"\n\n")
		default:
			w.WriteHeader(202)
		}
	})
	c := newClient(t, srv.URL, nil)
	if _, err := c.Initialize(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := c.ListTools(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindProtocol || len(res.Tools) != maxToolPages {
		t.Fatalf("err = %v, %d tools", err, len(res.Tools))
	}
}

// A stream that ends cleanly after an event id, before the response, makes
// mcp-go resume it with a GET carrying Last-Event-ID (SEP-1699). Where the
// resume works the request succeeds; where the GET is refused (APIM's
// POST-only API answers 404) the stream counts as cut.
func TestResumedStream(t *testing.T) {
	for _, resumeWorks := range []bool{true, false} {
		t.Run(fmt.Sprintf("resume works %v", resumeWorks), func(t *testing.T) {
			var initID json.RawMessage
			f, srv := newFake(t, func(w http.ResponseWriter, r *http.Request, method string, id json.RawMessage) {
				switch {
				case r.Method == http.MethodGet && resumeWorks:
					sse(w, 200, "id: 2\ndata: "+reply(initID, initResult)+"\n\n")
				case r.Method == http.MethodGet:
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(404)
					io.WriteString(w, `{ "statusCode": 404, "message": "Resource not found" }`)
				case method == "initialize":
					initID = id
					sse(w, 200, "id: 1\nretry: 10\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"x\"}}\n\n")
				default:
					w.WriteHeader(202)
				}
			})
			c := newClient(t, srv.URL, nil)
			_, err := c.Initialize(context.Background())
			var last string
			for _, s := range f.seen() {
				if s.Method == http.MethodGet {
					last = s.Auth
				}
			}
			if !strings.HasPrefix(last, "Bearer ") {
				t.Errorf("no resume GET with the bearer: %+v", f.seen())
			}
			if resumeWorks {
				if err != nil {
					t.Fatalf("resumed initialize: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindTruncated || e.Exchange.Method != http.MethodPost {
				t.Fatalf("err = %#v", err)
			}
		})
	}
}
