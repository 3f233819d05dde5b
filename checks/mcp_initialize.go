package checks

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/c7doctor/c7doctor/mcpclient"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// MCPState is what the MCP checks learn through the gateway, for upstream
// to compare with.
type MCPState struct {
	Initialize, Tools, Call hopResult
}

// hopResult is how one MCP operation fared: Ran, then OK or the finding id
// that explains why not.
type hopResult struct {
	Ran     bool
	Failed  string
	Latency time.Duration
}

func (h hopResult) ok() bool { return h.Ran && h.Failed == "" }

// newMCPClient is an MCP client over the run's wire client.
func newMCPClient(env *Env, endpoint, bearer string) (*mcpclient.Client, error) {
	return mcpclient.New(mcpclient.Config{
		Endpoint: endpoint, HTTPClient: env.HTTP.HTTPClient(), Bearer: bearer,
		ProtocolVersion: env.Config.ProtocolVersion, Timeout: env.HTTP.Timeout(), Limit: wire.MCPLimit,
		ClientName: "c7doctor", ClientVersion: report.Version(),
	})
}

// runMCPInitialize is the guide's smoke test (Part 6 Step 2) done the way an
// MCP client does it: initialize through the gateway with the gateway token,
// then notifications/initialized.
func runMCPInitialize(ctx context.Context, env *Env, r *Result) {
	// Its answer waits on the OBO exchange and Context7 behind the gateway.
	ctx = wire.WaitsBehind(ctx)
	h := hop{gateway: true, url: env.Config.MCPEndpoint()}
	st := &env.State.MCP.Initialize
	c, err := newMCPClient(env, h.url, env.State.GatewayToken)
	if err != nil {
		r.Find("mcp-bad-response", err.Error())
		return
	}
	r.Evidence("endpoint", h.url)
	r.Evidence("protocol_version_sent", env.Config.ProtocolVersion)
	init, err := c.Initialize(ctx)
	st.Ran = true
	if init != nil {
		st.Latency = init.Duration
		r.Evidence("latency", init.Duration.Round(time.Millisecond).String())
	}
	if err != nil {
		st.Failed = mcpFailure(env, r, h, err)
		c.Close()
		return
	}
	describeInit(env, r, init)
	if init.Result.ServerInfo.Name != "" && !strings.EqualFold(init.Result.ServerInfo.Name, "Context7") {
		r.Find("mcp-not-context7", fmt.Sprintf("The server through the gateway says it is %q %s, not Context7.", init.Result.ServerInfo.Name, init.Result.ServerInfo.Version))
	}
	if init.SessionID == "" {
		r.Find("mcp-no-session-id", "initialize answered without an Mcp-Session-Id header: the server keeps no session (Context7 4.x is stateless), so every request stands alone. MCP clients handle this; it is not a fault.")
	}
	if env.State.OBO.Failed != "" {
		r.Find("mcp-passed-without-token", "initialize passed with an empty bearer token from APIM, "+env.State.OBO.failedWith()+"; tool calls will be refused.")
	}
	probeOtherMethods(ctx, env, r, c)
	c.Close()
	if sid := init.SessionID; sid != "" {
		if exs := c.Exchanges(); len(exs) > 0 && exs[len(exs)-1].Method == http.MethodDelete {
			r.Evidence("delete", methodVerdict(exs[len(exs)-1], true))
		}
	}
	r.Summary("%s %s answered initialize %s in %s (protocol %s, %s)", init.Result.ServerInfo.Name, init.Result.ServerInfo.Version,
		transportWord(init.Initialize), init.Duration.Round(time.Millisecond), init.Result.ProtocolVersion, sessionWord(init.SessionID))
}

// describeInit records the raw exchange of a successful initialize.
func describeInit(env *Env, r *Result, init *mcpclient.InitResult) {
	ex := init.Initialize
	r.Evidence("initialize", ex.String())
	if ex.IsSSE() {
		events, _, _ := ex.Events()
		r.Evidence("events", fmt.Sprintf("%d (%s)", len(events), eventTypes(events)))
	}
	r.Evidence("response_headers", headerLine(ex.Header))
	res := init.Result
	r.Evidence("server", strings.TrimSpace(res.ServerInfo.Name+" "+res.ServerInfo.Version))
	r.Evidence("protocol_version", res.ProtocolVersion)
	if res.ProtocolVersion != env.Config.ProtocolVersion {
		r.Evidence("protocol_note", fmt.Sprintf("asked for %s, the server chose %s", env.Config.ProtocolVersion, res.ProtocolVersion))
	}
	r.Evidence("session_id", orNone(init.SessionID))
	if init.Initialized != nil {
		r.Evidence("initialized", init.Initialized.String())
	}
	if origin, u := challengeOrigin(ex); u != "" {
		who := "Context7's own, passed through by APIM: harmless on a 200"
		if strings.EqualFold(origin, wire.Origin(env.Config.Gateway)) {
			who = "the gateway's"
		}
		r.Evidence("www_authenticate", u+" ("+who+")")
	}
}

// probeOtherMethods sends the GET an MCP client opens its listening stream
// with. The guide's API defines only POST /mcp, so APIM answers 404: expected.
func probeOtherMethods(ctx context.Context, env *Env, r *Result, c *mcpclient.Client) {
	ex, err := c.Probe(ctx, http.MethodGet)
	if ex == nil {
		if err != nil {
			r.Evidence("get", "not sent: "+err.Error())
		}
		return
	}
	r.Evidence("get", methodVerdict(ex, false))
}

// methodVerdict says what a GET or DELETE answer means.
func methodVerdict(ex *mcpclient.Exchange, del bool) string {
	if ex.Err != nil {
		return fmt.Sprintf("%s: no answer (%v)", ex.Method, ex.Err)
	}
	s := fmt.Sprintf("%s → %d", ex.Method, ex.Status)
	switch {
	case ex.Status == http.StatusNotFound:
		if a, ok := apimErrorIn(ex.Body); ok {
			s += fmt.Sprintf(" %q", a.Message)
		}
		s += " (expected: the guide's API defines only POST /mcp)"
	case ex.Status == http.StatusMethodNotAllowed:
		s += " (expected: the server offers no stream outside a request)"
	case ex.Status == http.StatusOK && ex.IsSSE():
		s += " (the server offers a listening stream)"
	case del && ex.Status < 300:
		s += " (session ended)"
	default:
		s += " " + bodyWords(ex)
	}
	return s
}

func transportWord(ex *mcpclient.Exchange) string {
	if ex == nil {
		return ""
	}
	if ex.IsSSE() {
		return "over SSE"
	}
	return "as " + orNone(ex.ContentType())
}

func sessionWord(sid string) string {
	if sid == "" {
		return "no session id"
	}
	return "session " + sid
}

func eventTypes(events []mcpclient.Event) string {
	seen := map[string]int{}
	var order []string
	for _, e := range events {
		if seen[e.Type] == 0 {
			order = append(order, e.Type)
		}
		seen[e.Type]++
	}
	var parts []string
	for _, t := range order {
		parts = append(parts, fmt.Sprintf("%s×%d", t, seen[t]))
	}
	return strings.Join(parts, ", ")
}

// shownHeaders are the response headers worth a line of evidence.
var shownHeaders = []string{"Content-Type", "Mcp-Session-Id", "Cache-Control", "X-Accel-Buffering", "Content-Encoding", "Transfer-Encoding", "Content-Length", "Via", "X-Powered-By"}

// headerLine is "Name: value; …" of the headers an SSE diagnosis looks at.
func headerLine(h http.Header) string {
	var parts []string
	for _, k := range shownHeaders {
		if v := h.Values(k); len(v) > 0 {
			parts = append(parts, k+": "+strings.Join(v, ", "))
		}
	}
	return orNone(strings.Join(parts, "; "))
}
