package checks

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
	"github.com/c7doctor/c7doctor/wire/wiretest"
)

// The hostile-gateway suite: a gateway (and, where a case needs one, a
// tenant) on loopback TLS that misbehave one way each, under names that
// only an injected resolver knows (no test queries real DNS). Every case
// asserts that the run does not panic, ends without hitting its deadline,
// fails at the check that owns the problem with a finding that names it,
// and exits 1.

const (
	hostTenant = "7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70"
	hostGwApp  = "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"
	hostMCPApp = "b8e4d2a6-1c7f-4e3b-9a5d-6f0c2e8b4d19"
	hostOID    = "5d9a3e71-2c4b-4f8e-a1d6-0b7c9e3f2a58"
)

// route is a handler that can reach its harness (the other servers' URLs,
// the channel that releases hanging handlers).
type route func(h *hostileHarness, w http.ResponseWriter, r *http.Request)

// hostileCase is one way a gateway can be sick.
type hostileCase struct {
	name string
	// only is the check run (with what it needs).
	only string
	// gw and tenant replace routes ("METHOD /path") of the healthy defaults.
	gw, tenant map[string]route
	// cert picks the gateway's certificate: "" valid, "expired", "wronghost", "unknownca".
	cert string
	// gateway replaces the gateway URL (an unreachable one); it gets the
	// harness and returns the URL.
	gateway func(t *testing.T, h *hostileHarness) string
	// fails is the check that must fail first; ids the findings that name
	// the problem; words what the finding must say (all, case-insensitive).
	fails string
	ids   []string
	words []string
	// timeout replaces the per-request timeout (huge bodies take a while
	// under the race detector).
	timeout time.Duration
	// after runs extra assertions.
	after func(t *testing.T, h *hostileHarness, rep *report.Report)
}

type hostileHarness struct {
	ca         *wiretest.CA
	gw, tenant *httptest.Server
	gwURL      string // https://gw.test:<port>
	tenantURL  string // https://login.test:<port>
	evil       *httptest.Server
	evilURL    string

	mu       sync.Mutex
	evilHits []string // Authorization headers the other host received
	done     chan struct{}
}

var hostileResolver = wire.StaticResolver{
	"gw.test": {"127.0.0.1"}, "login.test": {"127.0.0.1"}, "evil.test": {"127.0.0.1"},
}

func newHostileHarness(t *testing.T, tc hostileCase) *hostileHarness {
	t.Helper()
	h := &hostileHarness{ca: wiretest.NewCA(t), done: make(chan struct{})}
	hosts := func(names ...string) tls.Certificate {
		return h.ca.Leaf(t, names, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	}
	h.tenant = wiretest.Server(t, h.router(hostileTenantRoutes(h), tc.tenant), hosts("login.test"))
	h.tenantURL = "https://login.test:" + hostilePort(h.tenant.URL)
	h.evil = wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.evilHits = append(h.evilHits, r.Header.Get("Authorization"))
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}), hosts("evil.test"))
	h.evilURL = "https://evil.test:" + hostilePort(h.evil.URL)

	cert := hosts("gw.test")
	switch tc.cert {
	case "expired":
		cert = h.ca.Leaf(t, []string{"gw.test"}, time.Now().Add(-72*time.Hour), time.Now().Add(-24*time.Hour))
	case "wronghost":
		cert = hosts("not-the-gateway.example")
	case "unknownca":
		cert = wiretest.NewCA(t).Leaf(t, []string{"gw.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	}
	h.gw = wiretest.Server(t, h.router(hostileGatewayRoutes(h), tc.gw), cert)
	h.gwURL = "https://gw.test:" + hostilePort(h.gw.URL)
	// Handlers that hostileHang are released before the servers close.
	t.Cleanup(func() { close(h.done) })
	return h
}

func hostilePort(u string) string {
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(u, "https://"))
	return port
}

func (h *hostileHarness) router(defaults map[string]http.HandlerFunc, overrides map[string]route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		if f, ok := overrides[key]; ok {
			f(h, w, r)
			return
		}
		if f, ok := defaults[key]; ok {
			f(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{ "statusCode": 404, "message": "Resource not found" }`)
	})
}

// hostileGatewayRoutes answer as the guide's gateway does.
func hostileGatewayRoutes(h *hostileHarness) map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"POST /context7/mcp": func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+h.gwURL+`/.well-known/oauth-protected-resource"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{ "statusCode": 401, "message": "Unauthorized." }`)
				return
			}
			hostileMCPAnswer(w, r)
		},
		"GET /.well-known/oauth-protected-resource": hostileJSON(func() any {
			return map[string]any{
				"resource":                 h.gwURL + "/context7",
				"authorization_servers":    []string{h.gwURL},
				"scopes_supported":         []string{"api://" + hostGwApp + "/Mcp.Gateway.Access"},
				"bearer_methods_supported": []string{"header"},
			}
		}),
		"GET /.well-known/oauth-authorization-server": hostileJSON(func() any {
			return map[string]any{
				"issuer":                                h.gwURL,
				"authorization_endpoint":                h.gwURL + "/authorize",
				"token_endpoint":                        h.gwURL + "/token",
				"jwks_uri":                              h.tenantURL + "/" + hostTenant + "/discovery/v2.0/keys",
				"response_types_supported":              []string{"code"},
				"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
				"code_challenge_methods_supported":      []string{"S256"},
				"token_endpoint_auth_methods_supported": []string{"none"},
				"scopes_supported":                      []string{"openid", "api://" + hostGwApp + "/Mcp.Gateway.Access"},
			}
		}),
		"GET /authorize": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, h.tenantURL+"/"+hostTenant+"/oauth2/v2.0/authorize?"+r.URL.RawQuery, http.StatusFound)
		},
		"POST /token": func(w http.ResponseWriter, r *http.Request) {
			hostileEntraError(w, http.StatusBadRequest, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
		},
	}
}

// hostileMCPAnswer is a healthy initialize answer over SSE.
func hostileMCPAnswer(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req)
	if len(req.ID) == 0 {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprintf(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"Context7\",\"version\":\"4.1.1\"}}}\n\n", req.ID)
}

// hostileTenantRoutes answer as Entra's discovery does.
func hostileTenantRoutes(h *hostileHarness) map[string]http.HandlerFunc {
	base := func() string { return h.tenantURL + "/" + hostTenant }
	oidc := func(w http.ResponseWriter, r *http.Request) {
		hostileJSON(func() any {
			return map[string]any{
				"issuer":                                base() + "/v2.0",
				"authorization_endpoint":                base() + "/oauth2/v2.0/authorize",
				"token_endpoint":                        base() + "/oauth2/v2.0/token",
				"device_authorization_endpoint":         base() + "/oauth2/v2.0/devicecode",
				"jwks_uri":                              base() + "/discovery/v2.0/keys",
				"response_types_supported":              []string{"code"},
				"subject_types_supported":               []string{"pairwise"},
				"id_token_signing_alg_values_supported": []string{"RS256"},
			}
		})(w, r)
	}
	return map[string]http.HandlerFunc{
		"GET /" + hostTenant + "/v2.0/.well-known/openid-configuration": oidc,
		"GET /" + hostTenant + "/discovery/v2.0/keys":                   hostileJSON(func() any { return map[string]any{"keys": []any{}} }),
		"POST /" + hostTenant + "/oauth2/v2.0/token": func(w http.ResponseWriter, r *http.Request) {
			hostileEntraError(w, http.StatusBadRequest, "invalid_grant", 50013, "Assertion failed signature validation.")
		},
	}
}

// hostileJSON serves the document doc builds when asked: the servers' URLs
// are known by then.
func hostileJSON(doc func() any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, _ := json.Marshal(doc())
		w.Header().Set("Content-Type", "application/json")
		w.Write(data)
	}
}

func hostileEntraError(w http.ResponseWriter, status int, code string, aadsts int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"error": code, "error_description": fmt.Sprintf("AADSTS%d: %s", aadsts, msg),
		"error_codes": []int{aadsts}, "trace_id": "0b1c2d3e-0000-4000-8000-000000000001",
		"correlation_id": "0b1c2d3e-0000-4000-8000-000000000002",
	})
}

// hostileToken is a gateway token of the right shape; its signature is
// never checked by the checks this suite runs with it.
func hostileToken() string {
	enc := base64.RawURLEncoding.EncodeToString
	now := time.Now().Unix()
	claims, _ := json.Marshal(map[string]any{
		"aud": hostGwApp, "iss": "https://login.test/" + hostTenant + "/v2.0", "tid": hostTenant,
		"oid": hostOID, "scp": "Mcp.Gateway.Access", "ver": "2.0", "iat": now, "nbf": now, "exp": now + 3600,
		"azp": AzureCLIClientID, "name": "Ada Hostile",
	})
	return enc([]byte(`{"typ":"JWT","alg":"RS256","kid":"k"}`)) + "." + enc(claims) + "." + enc([]byte("not-a-real-signature-but-long-enough"))
}

// hostileTimeout is the per-request timeout: short, so that cases that
// hostileHang end quickly; the healthy parts of the harness answer in microseconds.
const hostileTimeout = 500 * time.Millisecond

func runHostile(t *testing.T, tc hostileCase) {
	t.Helper()
	h := newHostileHarness(t, tc)
	gateway := h.gwURL
	if tc.gateway != nil {
		gateway = tc.gateway(t, h)
	}
	cfg := &Config{
		Gateway: gateway, APIPath: "context7", Tenant: hostTenant, GatewayAppID: hostGwApp, MCPAPIAppID: hostMCPApp,
		ClientID: AzureCLIClientID, AuthorityHost: h.tenantURL, Token: hostileToken(), GatewaySecret: "hostile~secret-value-0123456789",
		Upstream: h.evilURL + "/mcp/oauth", ProtocolVersion: "2025-06-18", NoCache: true,
		Timeout: hostileTimeout, Deadline: 30 * time.Second,
	}
	if tc.timeout > 0 {
		cfg.Timeout = tc.timeout
	}
	red := wire.NewRedactor()
	red.Secret(cfg.GatewaySecret)
	client, err := wire.New(wire.Options{
		Timeout: cfg.Timeout, RootCAs: h.ca.Pool, Redactor: red, Resolver: hostileResolver,
		GatewayOrigin: gateway, AuthOrigins: []string{cfg.Upstream},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	env := &Env{
		Config: cfg, HTTP: client, State: &State{}, Now: time.Now,
		Target: &report.Target{Gateway: cfg.Gateway, MCPEndpoint: cfg.MCPEndpoint()}, Stderr: io.Discard,
	}
	done := make(chan *report.Report, 1)
	go func() { done <- Run(context.Background(), env, All, Selection{Only: []string{tc.only}}) }()
	var rep *report.Report
	select {
	case rep = <-done:
	case <-time.After(2 * time.Minute):
		// Not a speed assertion: a run that never returns is the bug.
		t.Fatal("the run did not end")
	}

	for _, c := range rep.Checks {
		for _, f := range c.Findings {
			switch f.ID {
			case "check-panicked":
				t.Errorf("%s panicked: %s", c.ID, f.Detail)
			case "deadline", "check-timeout":
				t.Errorf("%s ran out of its time instead of naming the problem: %s", c.ID, f.Detail)
			}
		}
	}
	if first := firstFailure(rep); first != tc.fails {
		t.Fatalf("first failure %q, want %q\n%s", first, tc.fails, describeReport(rep))
	}
	if rep.ExitCode != report.ExitFailed {
		t.Errorf("exit %d, want %d", rep.ExitCode, report.ExitFailed)
	}
	c, _ := rep.Find(tc.fails)
	var named bool
	for _, f := range c.Findings {
		if f.Severity != report.Error || !containsID(tc.ids, f.ID) {
			continue
		}
		text := strings.ToLower(f.Title + " " + f.Detail)
		missing := ""
		for _, w := range tc.words {
			if !strings.Contains(text, strings.ToLower(w)) {
				missing = w
				break
			}
		}
		if missing == "" {
			named = true
			break
		}
		t.Logf("finding %s does not say %q: %s", f.ID, missing, f.Detail)
	}
	if !named {
		t.Errorf("%s has no finding %v saying %q:\n%s", tc.fails, tc.ids, tc.words, describeReport(rep))
	}
	if tc.after != nil {
		tc.after(t, h, rep)
	}
}

func containsID(ids []string, id string) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

func describeReport(rep *report.Report) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		if c.Status == report.Skip {
			continue
		}
		fmt.Fprintf(&b, "  %s %s: %s\n", c.Status, c.ID, c.Summary)
		for _, f := range c.Findings {
			fmt.Fprintf(&b, "    [%s] %s: %s\n", f.ID, f.Severity, f.Detail)
		}
	}
	return b.String()
}
