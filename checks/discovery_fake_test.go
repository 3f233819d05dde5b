package checks

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// discWorld is a small gateway and tenant on loopback TLS that answer as
// the guide's policies and Entra do, each route replaceable, so that a test
// can break one thing in a way the lab has no fault for.
type discWorld struct {
	gateway, tenant *httptest.Server
	gw, tn          map[string]http.HandlerFunc // "METHOD /path"

	mu       sync.Mutex
	requests []string // "METHOD /path?query" the gateway received, in order
	auth     []string // Authorization headers the gateway received
}

const (
	discTenant      = "11111111-2222-4333-8444-555555555555"
	discDomain      = "contoso-fake.onmicrosoft.com"
	discOtherTenant = "99999999-8888-4777-8666-555555555555"
	discOtherDomain = "fabrikam-fake.onmicrosoft.com"
	discGwApp       = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	discMCPApp      = "12345678-1234-4234-8234-123456789abc"
	discWrongApp    = "fedcba98-7654-4321-8fed-cba987654321"
)

var discKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func newDiscWorld(t *testing.T) *discWorld {
	t.Helper()
	w := &discWorld{gw: map[string]http.HandlerFunc{}, tn: map[string]http.HandlerFunc{}}
	w.tenant = httptest.NewTLSServer(http.HandlerFunc(w.serveTenant))
	w.gateway = httptest.NewTLSServer(http.HandlerFunc(w.serveGateway))
	t.Cleanup(w.gateway.Close)
	t.Cleanup(w.tenant.Close)

	gwURL, auth := w.gateway.URL, w.tenant.URL
	w.gw["POST /context7/mcp"] = func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+gwURL+`/.well-known/oauth-protected-resource"`)
		discAPIMError(rw, 401, "Unauthorized.")
	}
	w.gw["GET /.well-known/oauth-protected-resource"] = discJSON(w.prm(nil))
	w.gw["GET /.well-known/oauth-authorization-server"] = discJSON(w.asMeta(nil))
	w.gw["GET /authorize"] = func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Location", auth+"/"+discTenant+"/oauth2/v2.0/authorize?"+r.URL.RawQuery)
		rw.WriteHeader(http.StatusFound)
	}
	w.gw["POST /token"] = func(rw http.ResponseWriter, r *http.Request) {
		discEntraError(rw, 400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
	}
	return w
}

// prm is the guide's PRM filled for this gateway, with changes applied.
func (w *discWorld) prm(change func(map[string]any)) map[string]any {
	m := map[string]any{
		"resource":                 w.gateway.URL + "/context7",
		"authorization_servers":    []string{w.gateway.URL},
		"scopes_supported":         []string{"api://" + discGwApp + "/Mcp.Gateway.Access"},
		"bearer_methods_supported": []string{"header"},
	}
	if change != nil {
		change(m)
	}
	return m
}

// asMeta is the guide's AS metadata filled for this gateway and tenant.
func (w *discWorld) asMeta(change func(map[string]any)) map[string]any {
	m := map[string]any{
		"issuer":                                w.gateway.URL,
		"authorization_endpoint":                w.gateway.URL + "/authorize",
		"token_endpoint":                        w.gateway.URL + "/token",
		"jwks_uri":                              w.tenant.URL + "/" + discTenant + "/discovery/v2.0/keys",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"none", "client_secret_post"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access", "api://" + discGwApp + "/Mcp.Gateway.Access"},
	}
	if change != nil {
		change(m)
	}
	return m
}

func (w *discWorld) serveGateway(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	w.requests = append(w.requests, r.Method+" "+r.URL.RequestURI())
	if a := r.Header.Get("Authorization"); a != "" {
		w.auth = append(w.auth, a)
	}
	h := w.gw[r.Method+" "+r.URL.Path]
	w.mu.Unlock()
	if h == nil {
		discAPIMError(rw, 404, "Resource not found")
		return
	}
	h(rw, r)
}

func (w *discWorld) serveTenant(rw http.ResponseWriter, r *http.Request) {
	if h := w.tn[r.Method+" "+r.URL.Path]; h != nil {
		h(rw, r)
		return
	}
	seg, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	var guid string
	switch strings.ToLower(seg) {
	case discTenant, discDomain:
		guid = discTenant
	case discOtherTenant, discOtherDomain:
		guid = discOtherTenant
	default:
		discEntraError(rw, 400, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found.", seg))
		return
	}
	base := w.tenant.URL + "/" + guid
	switch r.Method + " /" + rest {
	case "GET /v2.0/.well-known/openid-configuration":
		discJSON(map[string]any{
			"issuer": base + "/v2.0", "jwks_uri": base + "/discovery/v2.0/keys",
			"token_endpoint": base + "/oauth2/v2.0/token", "authorization_endpoint": base + "/oauth2/v2.0/authorize",
		})(rw, r)
	case "GET /discovery/v2.0/keys":
		k := discKey().PublicKey
		discJSON(map[string]any{"keys": []map[string]any{{
			"kty": "RSA", "use": "sig", "kid": "fake-kid", "issuer": base + "/v2.0",
			"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
		}}})(rw, r)
	default:
		http.NotFound(rw, r)
	}
}

func discJSON(v any) http.HandlerFunc {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return discBody(200, "application/json", string(b))
}

func discBody(status int, contentType, body string) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			rw.Header().Set("Content-Type", contentType)
		}
		rw.WriteHeader(status)
		io.WriteString(rw, body)
	}
}

func discAPIMError(rw http.ResponseWriter, status int, msg string) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	fmt.Fprintf(rw, `{ "statusCode": %d, "message": %q }`, status, msg)
}

func discEntraError(rw http.ResponseWriter, status int, code string, aadsts int, text string) {
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(status)
	json.NewEncoder(rw).Encode(map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: 0d9e5a2c-0000-4000-8000-000000000001\r\nCorrelation ID: 0d9e5a2c-0000-4000-8000-000000000002\r\nTimestamp: 2026-01-01 00:00:00Z", aadsts, text),
		"error_codes":       []int{aadsts},
		"trace_id":          "0d9e5a2c-0000-4000-8000-000000000001",
		"correlation_id":    "0d9e5a2c-0000-4000-8000-000000000002",
		"error_uri":         fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", aadsts),
	})
}

// run runs the selected checks against the fake world, configured with
// every id unless tweak removes some.
func (w *discWorld) run(t *testing.T, only []string, tweak func(*Config)) (*report.Report, *Env) {
	t.Helper()
	cfg := &Config{
		Gateway: w.gateway.URL, APIPath: "context7", Tenant: discTenant, GatewayAppID: discGwApp,
		MCPAPIAppID: discMCPApp, ClientID: AzureCLIClientID, AuthorityHost: w.tenant.URL,
		ProtocolVersion: "2025-06-18", Timeout: 10 * time.Second, Deadline: 60 * time.Second,
	}
	if tweak != nil {
		tweak(cfg)
	}
	pool := x509.NewCertPool()
	pool.AddCert(w.gateway.Certificate())
	pool.AddCert(w.tenant.Certificate())
	client, err := wire.New(wire.Options{Timeout: cfg.Timeout, RootCAs: pool, GatewayOrigin: cfg.Gateway})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{
		Config: cfg, HTTP: client, State: &State{}, Now: time.Now, Stderr: io.Discard,
		Target: &report.Target{Gateway: cfg.Gateway, MCPEndpoint: cfg.MCPEndpoint(), Tenant: cfg.Tenant,
			GatewayAppID: cfg.GatewayAppID, MCPAPIAppID: cfg.MCPAPIAppID},
	}
	rep := Run(context.Background(), env, All, Selection{Only: only})
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.auth) > 0 {
		t.Errorf("the discovery checks sent Authorization headers to the gateway: %q", w.auth)
	}
	return rep, env
}

func (w *discWorld) gatewayRequests() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.requests)
}

func discSortedIDs(rep *report.Report, check string) []string {
	ids := findingIDs(rep, check)
	slices.Sort(ids)
	return ids
}

func discEvidence(rep *report.Report, check, key string) string {
	c, _ := rep.Find(check)
	if c == nil {
		return ""
	}
	v, _ := c.Evidence.Get(key)
	return v
}

func discFinding(rep *report.Report, check, id string) *report.Finding {
	c, _ := rep.Find(check)
	if c == nil {
		return nil
	}
	for i := range c.Findings {
		if c.Findings[i].ID == id {
			return &c.Findings[i]
		}
	}
	return nil
}

// discCase breaks the fake world one way and names what the owning check
// must say: exactly these findings, and this status.
type discCase struct {
	name   string
	only   []string
	break_ func(w *discWorld)
	tweak  func(*Config)
	check  string
	want   []string // finding ids, any order
	status report.Status
	more   func(t *testing.T, w *discWorld, rep *report.Report, env *Env)
}

func runDiscCases(t *testing.T, cases []discCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newDiscWorld(t)
			if tc.break_ != nil {
				tc.break_(w)
			}
			only := tc.only
			if only == nil {
				only = []string{tc.check}
			}
			rep, env := w.run(t, only, tc.tweak)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			got := discSortedIDs(rep, tc.check)
			if !slices.Equal(got, want) {
				discDump(t, rep)
				t.Fatalf("%s findings %v, want %v", tc.check, got, want)
			}
			c, _ := rep.Find(tc.check)
			if tc.status != "" && c.Status != tc.status {
				t.Errorf("%s status %s, want %s", tc.check, c.Status, tc.status)
			}
			for _, f := range c.Findings {
				if strings.Contains(f.Detail+strings.Join(f.Fix, "")+strings.Join(f.Commands, ""), "{{") {
					t.Errorf("finding %s has an unexpanded template: %+v", f.ID, f)
				}
			}
			if tc.more != nil {
				tc.more(t, w, rep, env)
			}
		})
	}
}

func TestFakeDiscoveryHealthy(t *testing.T) {
	w := newDiscWorld(t)
	rep, env := w.run(t, discoveryChecks, nil)
	for _, id := range discoveryChecks {
		if c, _ := rep.Find(id); c.Status != report.Pass {
			discDump(t, rep)
			t.Fatalf("%s: %s %v", id, c.Status, findingIDs(rep, id))
		}
	}
	if env.State.TenantGUID != discTenant || len(env.State.JWKS) == 0 {
		t.Errorf("tenant-keys state: %q, %d bytes of JWKS", env.State.TenantGUID, len(env.State.JWKS))
	}
	for _, k := range []string{"url", "status", "content_type", "time"} {
		for _, id := range discoveryChecks {
			if discEvidence(rep, id, k) == "" {
				t.Errorf("%s: no %s in discEvidence", id, k)
			}
		}
	}
	if got := discEvidence(rep, "token-proxy", "aadsts"); got != "9002313" {
		t.Errorf("token-proxy aadsts discEvidence %q", got)
	}
	// The made-up authorization code is a secret like any other.
	for _, ex := range env.HTTP.Recorder().Exchanges() {
		if strings.Contains(ex.ReqBody, "c7doctor-not-a-code-") {
			t.Errorf("the made-up code was recorded: %s", ex.ReqBody)
		}
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
