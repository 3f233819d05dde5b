// Package mcpclient speaks MCP over Streamable HTTP on mcp-go, recording the
// raw exchange beneath it — status, headers, content type, body bytes and
// events — because mcp-go reports none of them and diagnosis needs all.
package mcpclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/c7doctor/c7doctor/wire"
)

// DefaultProtocolVersion is what the client pins when told nothing: the
// version the guide's MCP clients speak and Context7 answers with SSE.
const DefaultProtocolVersion = "2025-06-18"

// Config configures a Client.
type Config struct {
	Endpoint string // the MCP endpoint URL
	// HTTPClient carries every request; its Transport is wrapped, its
	// redirect policy kept. Default: http.DefaultClient's transport.
	HTTPClient *http.Client
	// Bearer is sent as "Authorization: Bearer <token>" on every request,
	// the DELETE mcp-go sends on Close included. "" sends none.
	Bearer string
	// ProtocolVersion is pinned, so that mcp-go sends one initialize and no
	// server/discover probe first. Default DefaultProtocolVersion.
	ProtocolVersion string
	// Timeout bounds each request, its body included. Default 30s.
	Timeout time.Duration
	// Limit bounds each response body. Default wire.MCPLimit.
	Limit int64
	// ClientName and ClientVersion go in initialize's clientInfo.
	ClientName, ClientVersion string
}

// Client is one MCP connection.
type Client struct {
	cfg Config
	rec *recorder
	rt  http.RoundTripper // the bearer, then the recorder, then the caller's transport
	tr  *transport.StreamableHTTP
	mc  *client.Client
}

// New builds a client; nothing is sent until Initialize.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("mcpclient: no endpoint")
	}
	if cfg.ProtocolVersion == "" {
		cfg.ProtocolVersion = DefaultProtocolVersion
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Limit <= 0 {
		cfg.Limit = wire.MCPLimit
	}
	if cfg.ClientName == "" {
		cfg.ClientName = "c7doctor"
	}
	if cfg.ClientVersion == "" {
		cfg.ClientVersion = "dev"
	}
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{}
	}
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	rec := &recorder{next: next, limit: cfg.Limit}
	rt := &bearer{next: rec, token: cfg.Bearer}
	hc := &http.Client{Transport: rt, CheckRedirect: base.CheckRedirect, Jar: base.Jar}
	tr, err := transport.NewStreamableHTTP(cfg.Endpoint,
		transport.WithHTTPBasicClient(hc),
		// mcp-go logs to slog.Default (stderr) otherwise: the report says it all.
		transport.WithHTTPLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		return nil, fmt.Errorf("mcpclient: %w", err)
	}
	mc := client.NewClient(tr, client.WithProtocolVersion(cfg.ProtocolVersion))
	return &Client{cfg: cfg, rec: rec, rt: rt, tr: tr, mc: mc}, nil
}

// bearer adds the Authorization header to every request that has none.
type bearer struct {
	next  http.RoundTripper
	token string
}

func (b *bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	if b.token != "" && req.Header.Get("Authorization") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(req)
}

// Exchanges returns every exchange so far, in order.
func (c *Client) Exchanges() []*Exchange { return c.rec.exchangesSince(0) }

// Call is what one MCP operation did on the wire.
type Call struct {
	// Exchanges are the HTTP requests it made, in order.
	Exchanges []*Exchange
	Duration  time.Duration
}

// Main is the exchange that carried the operation's request: the first
// whose JSON-RPC method is one of methods, else the first.
func (c *Call) Main(methods ...string) *Exchange {
	for _, ex := range c.Exchanges {
		for _, m := range methods {
			if ex.RPCMethod == m {
				return ex
			}
		}
	}
	if len(c.Exchanges) > 0 {
		return c.Exchanges[0]
	}
	return nil
}

// Kind sorts a failed operation.
type Kind string

const (
	KindTransport Kind = "transport"   // no answer: refused, DNS, TLS, reset
	KindTimeout   Kind = "timeout"     // no answer, or a stream that stalled, in time
	KindHTTP      Kind = "http"        // an answer other than 200/202
	KindTruncated Kind = "truncated"   // an event stream ended before a complete response event
	KindTooLarge  Kind = "too-large"   // a body over the limit
	KindRPC       Kind = "rpc"         // a JSON-RPC error response
	KindProtocol  Kind = "protocol"    // 200 but not an MCP answer: content type, JSON, version
	KindCanceled  Kind = "interrupted" // the caller's context ended
)

// Error is a failed MCP operation with the exchange that shows why.
type Error struct {
	Op       string // "initialize", "tools/list", "tools/call"
	Kind     Kind
	Exchange *Exchange // the request's exchange; nil if none went out
	RPC      *RPCError // for KindRPC, and any JSON-RPC error an HTTP error carried
	Wire     wire.ErrorKind
	Err      error // what mcp-go (or the transport) said
}

func (e *Error) Error() string {
	switch e.Kind {
	case KindHTTP:
		return fmt.Sprintf("mcp %s: HTTP %d", e.Op, e.Exchange.Status)
	case KindRPC:
		return fmt.Sprintf("mcp %s: %v", e.Op, e.RPC)
	case KindTruncated:
		return fmt.Sprintf("mcp %s: the event stream ended before a complete response event", e.Op)
	case KindTooLarge:
		return fmt.Sprintf("mcp %s: the answer is larger than the limit", e.Op)
	case KindTimeout:
		return fmt.Sprintf("mcp %s: no complete answer in time", e.Op)
	}
	return fmt.Sprintf("mcp %s: %v", e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// InitResult is a completed initialize.
type InitResult struct {
	Call
	Result *mcp.InitializeResult
	// Initialize is the initialize exchange; Initialized the
	// notifications/initialized one (nil when the protocol has none).
	Initialize, Initialized *Exchange
	SessionID               string
}

// Initialize performs the handshake: initialize, then notifications/initialized.
func (c *Client) Initialize(ctx context.Context) (*InitResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*c.cfg.Timeout)
	defer cancel()
	start, t0 := c.rec.count(), time.Now()
	if err := c.mc.Start(ctx); err != nil {
		return nil, &Error{Op: "initialize", Kind: KindProtocol, Err: err}
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = c.cfg.ProtocolVersion
	req.Params.ClientInfo = mcp.Implementation{Name: c.cfg.ClientName, Version: c.cfg.ClientVersion}
	res, err := c.mc.Initialize(ctx, req)
	call := Call{Exchanges: c.rec.exchangesSince(start), Duration: time.Since(t0)}
	out := &InitResult{Call: call, Result: res}
	out.Initialize = call.Main("initialize", "server/discover")
	for _, ex := range call.Exchanges {
		if ex.RPCMethod == "notifications/initialized" {
			out.Initialized = ex
		}
	}
	if out.Initialize != nil {
		out.SessionID = out.Initialize.SessionID()
	}
	if err != nil {
		// A failed notifications/initialized is the second exchange's fault.
		failed := out.Initialize
		op := "initialize"
		if out.Initialized != nil && (out.Initialized.Err != nil || !ok2xx(out.Initialized.Status)) {
			failed, op = out.Initialized, "notifications/initialized"
		}
		return out, classify(ctx, op, failed, err)
	}
	if e := checkStream(op(out.Initialize), out.Initialize); e != nil {
		return out, e
	}
	return out, nil
}

func op(ex *Exchange) string {
	if ex != nil && ex.RPCMethod != "" {
		return ex.RPCMethod
	}
	return "initialize"
}

// ToolsResult is a completed tools/list (every page).
type ToolsResult struct {
	Call
	Tools []mcp.Tool
}

// maxToolPages bounds tools/list pagination.
const maxToolPages = 20

// ListTools lists the server's tools.
func (c *Client) ListTools(ctx context.Context) (*ToolsResult, error) {
	start, t0 := c.rec.count(), time.Now()
	out := &ToolsResult{}
	var cursor mcp.Cursor
	for page := 0; ; page++ {
		if page == maxToolPages {
			return out, &Error{Op: "tools/list", Kind: KindProtocol, Err: fmt.Errorf("more than %d pages of tools", maxToolPages)}
		}
		pctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		req := mcp.ListToolsRequest{}
		req.Params.Cursor = cursor
		before := c.rec.count()
		res, err := c.mc.ListToolsByPage(pctx, req)
		exs := c.rec.exchangesSince(before)
		out.Call = Call{Exchanges: c.rec.exchangesSince(start), Duration: time.Since(t0)}
		if err != nil {
			e := classify(pctx, "tools/list", (&Call{Exchanges: exs}).Main("tools/list"), err)
			cancel()
			return out, e
		}
		cancel()
		if e := checkStream("tools/list", (&Call{Exchanges: exs}).Main("tools/list")); e != nil {
			return out, e
		}
		out.Tools = append(out.Tools, res.Tools...)
		if res.NextCursor == "" || res.NextCursor == cursor {
			return out, nil
		}
		cursor = res.NextCursor
	}
}

// ToolResult is a completed tools/call.
type ToolResult struct {
	Call
	Result *mcp.CallToolResult
	// Text is the text content joined with newlines.
	Text string
}

// CallTool calls a tool with arguments.
func (c *Client) CallTool(ctx context.Context, name string, args map[string]any) (*ToolResult, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	start, t0 := c.rec.count(), time.Now()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.mc.CallTool(ctx, req)
	call := Call{Exchanges: c.rec.exchangesSince(start), Duration: time.Since(t0)}
	out := &ToolResult{Call: call, Result: res}
	if err != nil {
		return out, classify(ctx, "tools/call", call.Main("tools/call"), err)
	}
	if e := checkStream("tools/call", call.Main("tools/call")); e != nil {
		return out, e
	}
	var texts []string
	for _, ct := range res.Content {
		if t, ok := ct.(mcp.TextContent); ok {
			texts = append(texts, t.Text)
		}
	}
	out.Text = strings.Join(texts, "\n")
	return out, nil
}

// Probe sends a bare GET (as a client opening its listening stream does) or
// DELETE (as one ending its session does) to the endpoint and reports the
// answer: status, headers and, unless it is a stream, the body — it does
// not wait on a stream.
func (c *Client) Probe(ctx context.Context, method string) (*Exchange, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.Endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("mcpclient: %w", err)
	}
	if method == http.MethodGet {
		req.Header.Set("Accept", "text/event-stream")
	}
	req.Header.Set("Mcp-Protocol-Version", c.negotiated())
	if sid := c.mc.GetSessionId(); sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
	}
	before := c.rec.count()
	resp, err := c.rt.RoundTrip(req)
	if err == nil {
		// Anything but a stream was read whole by the recorder; a stream
		// may stay open without a byte, so hang up on it at once.
		resp.Body.Close()
	}
	exs := c.rec.exchangesSince(before)
	if len(exs) == 0 {
		return nil, fmt.Errorf("mcpclient: %s: nothing recorded", method)
	}
	ex := exs[0]
	if err != nil {
		return ex, &Error{Op: method, Kind: transportKind(ctx, err), Exchange: ex, Wire: wire.Classify(err), Err: err}
	}
	return ex, nil
}

func (c *Client) negotiated() string {
	if v := c.mc.ProtocolVersion(); v != "" {
		return v
	}
	return c.cfg.ProtocolVersion
}

// Close ends the connection; mcp-go sends a DELETE when the server gave a
// session id (the bearer goes with it).
func (c *Client) Close() error { return c.mc.Close() }

func ok2xx(status int) bool { return status >= 200 && status < 300 }

// classify turns mcp-go's error into a Kind, reading the exchange rather
// than mcp-go's words (it calls any 4xx on initialize a "legacy SSE server").
func classify(ctx context.Context, op string, ex *Exchange, err error) *Error {
	e := &Error{Op: op, Exchange: ex, Err: err}
	if rpc, ok := RPCErrorIn(ex); ok {
		e.RPC = rpc
	}
	switch {
	case ex == nil:
		e.Kind = transportKind(ctx, err)
		e.Wire = wire.Classify(err)
	case ex.Err != nil:
		e.Kind = transportKind(ctx, ex.Err)
		e.Wire = wire.Classify(ex.Err)
	case !ok2xx(ex.Status):
		e.Kind = KindHTTP
	case ex.TooLarge:
		e.Kind = KindTooLarge
	case ex.IsSSE() && streamCut(ex):
		e.Kind = KindTruncated
	case e.RPC != nil:
		e.Kind = KindRPC
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		e.Kind = transportKind(ctx, err)
		e.Wire = wire.Classify(err)
		if ex.ReadErr == nil && !ex.Ended {
			e.Kind = KindTimeout
		}
	case ex.ReadErr != nil:
		e.Kind, e.Wire = KindTransport, wire.Classify(ex.ReadErr)
	default:
		e.Kind = KindProtocol
		if bad := notJSONEvent(evs(ex)); bad != "" {
			e.Err = fmt.Errorf("%s: %w", bad, err)
		}
	}
	return e
}

func evs(ex *Exchange) []Event {
	events, _, _ := ex.Events()
	return events
}

// notJSONEvent describes the first message event whose data is not JSON, "" if none.
func notJSONEvent(events []Event) string {
	for i, ev := range events {
		if ev.Type == "message" && strings.TrimSpace(ev.Data) != "" && !json.Valid([]byte(ev.Data)) {
			d := ev.Data
			if len(d) > 80 {
				d = d[:80] + "…"
			}
			return fmt.Sprintf("event %d's data is not JSON: %q", i+1, d)
		}
	}
	return ""
}

// checkStream flags a stream mcp-go accepted although its last event was
// never finished: mcp-go dispatches an unterminated event at EOF, the SSE
// rules (and other clients) drop it.
func checkStream(op string, ex *Exchange) *Error {
	if ex == nil || !ex.IsSSE() || !ex.Ended {
		return nil
	}
	if _, cut, _ := ex.Events(); cut {
		return &Error{Op: op, Kind: KindTruncated, Exchange: ex, Err: errors.New("the stream ended inside an event")}
	}
	return nil
}

// streamCut reports an event stream that ended (or broke off) before it
// delivered a complete response event.
func streamCut(ex *Exchange) bool {
	events, cut, _ := ex.Events()
	if cut {
		return true
	}
	if !ex.Ended && ex.ReadErr == nil {
		return false // still open: a stall, not a cut
	}
	if ex.Ended && notJSONEvent(events) != "" {
		return false // it ended where it meant to: what it sent is the problem
	}
	for _, ev := range events {
		var m rpcMessage
		if json.Unmarshal([]byte(ev.Data), &m) == nil && m.isResponse() {
			return false
		}
	}
	return true
}

func transportKind(ctx context.Context, err error) Kind {
	switch {
	case errors.Is(ctx.Err(), context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return KindTimeout
	case wire.Classify(err) == wire.KindTimeout:
		return KindTimeout
	}
	return KindTransport
}
