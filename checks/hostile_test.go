package checks

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire/wiretest"
)

const hostileBadGatewayPage = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>`

func hostileStatus(code int, contentType, body string) route {
	return func(_ *hostileHarness, w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// huge answers n bytes of a JSON string: valid JSON, far past every limit.
func hostileHuge(code int, contentType string, n int) route {
	return func(_ *hostileHarness, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(code)
		io.WriteString(w, `{"resource":"`)
		chunk := []byte(strings.Repeat("a", 64<<10))
		for written := 0; written < n; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		io.WriteString(w, `"}`)
	}
}

// redirectTo answers code with Location target.
func hostileRedirect(code int, target func(h *hostileHarness, r *http.Request) string) route {
	return func(h *hostileHarness, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", target(h, r))
		w.WriteHeader(code)
	}
}

// hostileHang answers nothing until the client gives up or the test ends.
func hostileHang(h *hostileHarness, w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-h.done:
	}
}

// trickleBody sends a 200 and then a byte every 50ms, forever.
func hostileTrickle(contentType string) route {
	return func(h *hostileHarness, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusOK)
		for {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-h.done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// hostileSSEForever answers initialize with an event stream that only ever pings.
func hostileSSEForever(h *hostileHarness, w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	for {
		if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-h.done:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// hostileTrickleHeaders is a TLS server for gw.test that sends its status line a
// byte every 50ms and never finishes its headers.
func hostileTrickleHeaders(t *testing.T, h *hostileHarness) string {
	cert := h.ca.Leaf(t, []string{"gw.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				for _, b := range []byte("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer resource_metadata=\"") {
					if _, err := c.Write([]byte{b}); err != nil {
						return
					}
					select {
					case <-h.done:
						return
					case <-time.After(50 * time.Millisecond):
					}
				}
				<-h.done
			}(c)
		}
	}()
	return "https://gw.test:" + hostilePort("https://"+l.Addr().String())
}

// hostileTenMalformed is a 401 with ten WWW-Authenticate headers, none of them parseable.
func hostileTenMalformed(h *hostileHarness, w http.ResponseWriter, r *http.Request) {
	for _, v := range []string{
		`Bearer resource_metadata="unterminated`,
		`=novalue`,
		`Bearer ,,, =`,
		`Bearer realm="a" realm`,
		`"quoted-scheme" x=y`,
		`Bearer resource_metadata=https://x"y`,
		`Bearer a==b==c`,
		`Bearer x="y" z`,
		`Bearer resource_metadata="https://gw.test/\"`,
		`, , ,`,
	} {
		w.Header().Add("WWW-Authenticate", v)
	}
	hostileStatus(http.StatusUnauthorized, "application/json", `{ "statusCode": 401, "message": "Unauthorized." }`)(h, w, r)
}

func TestHostileGateway(t *testing.T) {
	self := func(h *hostileHarness, r *http.Request) string { return h.gwURL + r.URL.RequestURI() }
	evil := func(h *hostileHarness, r *http.Request) string { return h.evilURL + r.URL.RequestURI() }
	// mcp answers authenticated MCP requests with f; the challenge stays healthy.
	mcp := func(f route) map[string]route {
		return map[string]route{"POST /context7/mcp": func(h *hostileHarness, w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				hostileGatewayRoutes(h)["POST /context7/mcp"](w, r)
				return
			}
			f(h, w, r)
		}}
	}
	challenge := func(f route) map[string]route { return map[string]route{"POST /context7/mcp": f} }
	prm := func(f route) map[string]route {
		return map[string]route{
			"GET /.well-known/oauth-protected-resource":              f,
			"GET /.well-known/oauth-protected-resource/context7/mcp": f,
		}
	}
	noAuthorizationOffOrigin := func(t *testing.T, h *hostileHarness, rep *report.Report) {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, a := range h.evilHits {
			if a != "" {
				t.Errorf("the other host received Authorization %q", a)
			}
		}
	}

	cases := []hostileCase{
		// The 401 challenge: the first thing an MCP client sees.
		{name: "challenge HTML error page", only: "challenge", gw: challenge(hostileStatus(502, "text/html", hostileBadGatewayPage)),
			fails: "challenge", ids: []string{"challenge-unexpected-status"}, words: []string{"502", "html"}},
		{name: "challenge 500", only: "challenge", gw: challenge(hostileStatus(500, "application/json", `{ "statusCode": 500, "message": "Internal server error" }`)),
			fails: "challenge", ids: []string{"challenge-unexpected-status"}, words: []string{"500"}},
		{name: "challenge 503 empty body", only: "challenge", gw: challenge(hostileStatus(503, "", "")),
			fails: "challenge", ids: []string{"challenge-unexpected-status"}, words: []string{"503", "empty"}},
		{name: "challenge 200 empty body", only: "challenge", gw: challenge(hostileStatus(200, "application/json", "")),
			fails: "challenge", ids: []string{"mcp-api-open"}, words: []string{"without a token"}},
		{name: "challenge never answers", only: "challenge", gw: challenge(hostileHang),
			fails: "challenge", ids: []string{"gateway-timeout"}, words: []string{"no answer"}},
		{name: "accepts TCP, never speaks TLS", only: "challenge",
			gateway: func(t *testing.T, h *hostileHarness) string {
				return "https://gw.test:" + hostilePort("https://"+wiretest.Silent(t))
			},
			fails: "challenge", ids: []string{"gateway-timeout"}, words: []string{"no answer"}},
		{name: "status line trickles, headers never end", only: "challenge", gateway: hostileTrickleHeaders,
			fails: "challenge", ids: []string{"gateway-timeout"}, words: []string{"no answer"}},
		{name: "challenge redirect loop", only: "challenge", gw: challenge(hostileRedirect(307, self)),
			fails: "challenge", ids: []string{"challenge-unexpected-status"}, words: []string{"307"}},
		{name: "TLS unknown CA", only: "challenge", cert: "unknownca",
			fails: "challenge", ids: []string{"gateway-tls"}, words: []string{"unknown authority"}},
		{name: "TLS expired certificate", only: "challenge", cert: "expired",
			fails: "challenge", ids: []string{"gateway-tls"}, words: []string{"expired"}},
		{name: "TLS wrong host name", only: "challenge", cert: "wronghost",
			fails: "challenge", ids: []string{"gateway-tls"}, words: []string{"not-the-gateway.example", "gw.test"}},
		{name: "connection refused", only: "challenge",
			gateway: func(t *testing.T, h *hostileHarness) string {
				return "https://gw.test:" + hostilePort("https://"+wiretest.Refused(t))
			},
			fails: "challenge", ids: []string{"gateway-unreachable"}, words: []string{"refused"}},
		{name: "name does not resolve", only: "challenge",
			gateway: func(t *testing.T, h *hostileHarness) string { return "https://gateway.does-not-resolve.test" },
			fails:   "challenge", ids: []string{"gateway-unreachable"}, words: []string{"gateway.does-not-resolve.test", "no such host"}},
		{name: "headers HTTP cannot parse", only: "challenge", gw: challenge(func(h *hostileHarness, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", "Bearer \x01\x02")
			w.WriteHeader(http.StatusUnauthorized)
		}), fails: "challenge", ids: []string{"gateway-unreachable"}, words: []string{"malformed"}},
		{name: "resource_metadata on another host", only: "challenge", gw: challenge(func(h *hostileHarness, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+h.evilURL+`/.well-known/oauth-protected-resource"`)
			w.WriteHeader(http.StatusUnauthorized)
		}), fails: "challenge", ids: []string{"resource-metadata-foreign"}, words: []string{"evil.test"}, after: noAuthorizationOffOrigin},
		{name: "ten malformed WWW-Authenticate headers", only: "challenge", gw: challenge(hostileTenMalformed),
			fails: "challenge", ids: []string{"www-authenticate-malformed"}, words: []string{"www-authenticate"}},

		// Protected resource metadata.
		{name: "PRM invalid JSON", only: "prm", gw: prm(hostileStatus(200, "application/json", `{"resource": "https://gw.test/context7",`)),
			fails: "prm", ids: []string{"prm-not-json", "prm-invalid"}, words: []string{"not valid json"}},
		{name: "PRM wrong shape", only: "prm", gw: prm(hostileStatus(200, "application/json", `{"resource": 42, "authorization_servers": "https://gw.test"}`)),
			fails: "prm", ids: []string{"prm-invalid"}, words: []string{"resource"}},
		{name: "PRM is an array", only: "prm", gw: prm(hostileStatus(200, "application/json", `[{"resource": "https://gw.test/context7"}]`)),
			fails: "prm", ids: []string{"prm-invalid", "prm-not-json"}, words: []string{"object"}},
		{name: "PRM huge body", only: "prm", gw: prm(hostileHuge(200, "application/json", 3<<20)), timeout: 10 * time.Second,
			fails: "prm", ids: []string{"prm-invalid", "prm-not-json"}, words: []string{"limit"}},
		{name: "PRM empty body", only: "prm", gw: prm(hostileStatus(200, "application/json", "")),
			fails: "prm", ids: []string{"prm-not-json"}, words: []string{"empty"}},
		{name: "PRM HTML page with 200", only: "prm", gw: prm(hostileStatus(200, "text/html", "<html><body>Sign in</body></html>")),
			fails: "prm", ids: []string{"prm-not-json"}, words: []string{"html"}},
		{name: "PRM redirect loop", only: "prm", gw: prm(hostileRedirect(302, self)),
			fails: "prm", ids: []string{"prm-not-found"}, words: []string{"302"}},
		{name: "PRM body trickles", only: "prm", gw: prm(hostileTrickle("application/json")),
			fails: "prm", ids: []string{"prm-not-found", "prm-not-json", "gateway-timeout"}, words: []string{"time"}},
		{name: "PRM 500", only: "prm", gw: prm(hostileStatus(500, "application/json", `{ "statusCode": 500, "message": "Internal server error" }`)),
			fails: "prm", ids: []string{"prm-not-found"}, words: []string{"500"}},

		// Authorization server metadata, /authorize, /token.
		{name: "AS metadata wrong shape", only: "as-metadata",
			gw:    map[string]route{"GET /.well-known/oauth-authorization-server": hostileStatus(200, "application/json", `{"issuer": ["x"], "authorization_endpoint": 7}`)},
			fails: "as-metadata", ids: []string{"as-metadata-invalid"}, words: []string{"issuer"}},
		{name: "AS metadata HTML 502", only: "as-metadata",
			gw:    map[string]route{"GET /.well-known/oauth-authorization-server": hostileStatus(502, "text/html", hostileBadGatewayPage)},
			fails: "as-metadata", ids: []string{"as-metadata-not-found"}, words: []string{"502"}},
		{name: "authorize redirects to another host", only: "authorize-redirect",
			gw:    map[string]route{"GET /authorize": hostileRedirect(302, evil)},
			fails: "authorize-redirect", ids: []string{"authorize-wrong-target"}, words: []string{"evil.test"}},
		{name: "authorize redirect loop", only: "authorize-redirect",
			gw:    map[string]route{"GET /authorize": hostileRedirect(302, self)},
			fails: "authorize-redirect", ids: []string{"authorize-wrong-target", "authorize-not-redirect"}, words: []string{"gw.test"}},
		{name: "token HTML 502", only: "token-proxy",
			gw:    map[string]route{"POST /token": hostileStatus(502, "text/html", hostileBadGatewayPage)},
			fails: "token-proxy", ids: []string{"token-proxy-not-entra"}, words: []string{"502"}},

		// The tenant.
		{name: "tenant keys invalid JSON", only: "tenant-keys",
			tenant: map[string]route{"GET /" + hostTenant + "/discovery/v2.0/keys": hostileStatus(200, "application/json", `{"keys": [`)},
			fails:  "tenant-keys", ids: []string{"tenant-jwks-invalid"}, words: []string{"keys"}},
		{name: "tenant discovery huge", only: "tenant-keys",
			tenant: map[string]route{"GET /" + hostTenant + "/v2.0/.well-known/openid-configuration": hostileHuge(200, "application/json", 3<<20)}, timeout: 10 * time.Second,
			fails: "tenant-keys", ids: []string{"tenant-discovery-invalid"}, words: []string{"limit"}},

		// MCP through the gateway, with a token.
		{name: "MCP SSE with garbage", only: "mcp-initialize",
			gw:    mcp(hostileStatus(200, "text/event-stream", "event: message\ndata: {this is garbage\n\n\x00\xff more garbage\n\n")),
			fails: "mcp-initialize", ids: []string{"mcp-bad-response"}, words: []string{"json"}},
		{name: "MCP SSE never ends", only: "mcp-initialize", gw: mcp(hostileSSEForever),
			fails: "mcp-initialize", ids: []string{"mcp-timeout"}, words: []string{"time"}},
		{name: "MCP huge body", only: "mcp-initialize", gw: mcp(hostileHuge(200, "application/json", 9<<20)), timeout: 10 * time.Second,
			fails: "mcp-initialize", ids: []string{"mcp-too-large"}, words: []string{"larger than"}},
		{name: "MCP HTML 502", only: "mcp-initialize", gw: mcp(hostileStatus(502, "text/html", hostileBadGatewayPage)),
			fails: "mcp-initialize", ids: []string{"mcp-backend-error", "mcp-html"}, words: []string{"502"}},
		{name: "MCP 500", only: "mcp-initialize", gw: mcp(hostileStatus(500, "application/json", `{ "statusCode": 500, "message": "Internal server error" }`)),
			fails: "mcp-initialize", ids: []string{"mcp-policy-error", "mcp-server-error"}, words: []string{"500"}},
		{name: "MCP invalid JSON", only: "mcp-initialize", gw: mcp(hostileStatus(200, "application/json", `{"jsonrpc":"2.0","id":1,"result":`)),
			fails: "mcp-initialize", ids: []string{"mcp-bad-response"}, words: []string{"json"}},
		{name: "MCP JSON of the wrong shape", only: "mcp-initialize", gw: mcp(hostileStatus(200, "application/json", `{"jsonrpc":"2.0","id":1,"result":"ok"}`)),
			fails: "mcp-initialize", ids: []string{"mcp-bad-response"}, words: []string{"initialize"}},
		{name: "MCP redirect to another host would carry the token", only: "mcp-initialize", gw: mcp(hostileRedirect(307, evil)),
			fails: "mcp-initialize", ids: []string{"mcp-http-error", "mcp-bad-response"}, words: []string{"307"}, after: noAuthorizationOffOrigin},
		{name: "MCP body trickles", only: "mcp-initialize", gw: mcp(hostileTrickle("application/json")),
			fails: "mcp-initialize", ids: []string{"mcp-timeout"}, words: []string{"time"}},

		// The OBO exchange against a sick token endpoint.
		{name: "OBO token endpoint HTML 500", only: "obo",
			tenant: map[string]route{"POST /" + hostTenant + "/oauth2/v2.0/token": hostileStatus(500, "text/html", "<html><body>Service unavailable</body></html>")},
			fails:  "obo", ids: []string{"obo-failed", "obo-refused"}, words: []string{"500"}},
		{name: "OBO token endpoint never answers", only: "obo",
			tenant: map[string]route{"POST /" + hostTenant + "/oauth2/v2.0/token": hostileHang},
			fails:  "obo", ids: []string{"obo-unreachable"}, words: []string{"time"}},
	}
	if len(cases) < 25 {
		t.Fatalf("the suite has %d cases; the issue asks for at least 25", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runHostile(t, tc)
		})
	}
}
