package azure

import (
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"

	"github.com/c7doctor/c7doctor/wire"
)

// hostileARM is the fake instance served over TLS, as a run reaches ARM:
// through the run's wire client (its body bound, its recorder). A route
// (path suffix) may be answered by a hostile handler instead; tries counts
// the requests each hostile route received.
type hostileARM struct {
	srv    *httptest.Server
	routes map[string]http.HandlerFunc
	tries  sync.Map // suffix → *atomic.Int32
}

func newHostileARM(t *testing.T, routes map[string]http.HandlerFunc) *hostileARM {
	h := &hostileARM{routes: routes}
	healthy := healthyARM()
	h.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for suffix, hostile := range h.routes {
			if strings.HasSuffix(r.URL.Path, suffix) {
				n, _ := h.tries.LoadOrStore(suffix, new(atomic.Int32))
				n.(*atomic.Int32).Add(1)
				hostile(w, r)
				return
			}
		}
		healthy.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// healthyARM answers the reads of a small instance in ARM's JSON: two
// APIs, one operation each, an API policy, no product, no diagnostic.
func healthyARM() *http.ServeMux {
	const svc = "GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{svc}"
	mux := http.NewServeMux()
	notFound := jsonAnswer(404, `{"error":{"code":"ResourceNotFound","message":"not found"}}`)
	for route, h := range map[string]http.HandlerFunc{
		"":                            jsonAnswer(200, serviceBody),
		"/apis":                       jsonAnswer(200, `{"value":[{"name":"context7-mcp","properties":{"path":"context7"}},{"name":"oauth-proxy","properties":{"path":""}}]}`),
		"/apis/{api}/operations":      jsonAnswer(200, `{"value":[{"name":"post-mcp","properties":{"method":"POST","urlTemplate":"/mcp"}}]}`),
		"/namedValues":                jsonAnswer(200, `{"value":[{"name":"entra-tenant-id","properties":{"displayName":"entra-tenant-id","value":"t"}}]}`),
		"/policies/policy":            jsonAnswer(200, `{"properties":{"format":"xml","value":"<policies><inbound /></policies>"}}`),
		"/apis/{api}/policies/policy": jsonAnswer(200, `{"properties":{"format":"xml","value":"<policies><inbound><base /></inbound></policies>"}}`),
		"/apis/{api}/operations/{op}/policies/policy": notFound,
		"/apis/{api}/products":                        jsonAnswer(200, `{"value":[]}`),
		"/diagnostics":                                jsonAnswer(200, `{"value":[]}`),
		"/apis/{api}/diagnostics":                     jsonAnswer(200, `{"value":[]}`),
	} {
		mux.HandleFunc(svc+route, h)
	}
	return mux
}

func (h *hostileARM) triesOf(suffix string) int32 {
	n, ok := h.tries.Load(suffix)
	if !ok {
		return 0
	}
	return n.(*atomic.Int32).Load()
}

// reader is built the way a run builds it: the run's wire client as transport.
func (h *hostileARM) reader(t *testing.T) *Reader {
	pool := x509.NewCertPool()
	pool.AddCert(h.srv.Certificate())
	c, err := wire.New(wire.Options{RootCAs: pool, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return NewReader(&azfake.TokenCredential{}, Options{Transport: c.HTTPClient(), TryTimeout: 5 * time.Second, Cloud: Cloud{
		Name: "test", ARMEndpoint: h.srv.URL, ARMAudience: "https://management.azure.com/", AuthorityHost: "https://login.microsoftonline.com",
	}})
}

func jsonAnswer(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

const (
	mcpPolicy     = "/apis/context7-mcp/policies/policy"
	globalPolicy  = "/service/apim-x/policies/policy"
	mcpProducts   = "/apis/context7-mcp/products"
	svcDiagnostic = "/service/apim-x/diagnostics"
)

// A hostile management plane ends each read quickly with a clear error in
// the part it affects; the rest of the instance is still read.
func TestHostileManagementPlane(t *testing.T) {
	elsewhere := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("%s %s reached another host (Authorization %q)", r.Method, r.URL, r.Header.Get("Authorization"))
	}))
	defer elsewhere.Close()
	var hugeSent atomic.Int64
	cases := []struct {
		name    string
		routes  map[string]http.HandlerFunc
		timeout time.Duration
		// part is the errors of the part affected; want is in its one error.
		part  func(a *APIM) []error
		want  string
		kind  Kind
		tries map[string]int32
		check func(t *testing.T, a *APIM)
	}{
		{
			name: "HTML 502",
			routes: map[string]http.HandlerFunc{mcpPolicy: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadGateway)
				io.WriteString(w, "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>upstream</h1>"+strings.Repeat("<p>nginx</p>\n", 500)+"</body></html>")
			}},
			part: policyErrs, want: "GET policy of api context7-mcp: HTTP 502 Bad Gateway (an HTML page, not ARM's JSON)", kind: KindServer,
			tries: map[string]int32{mcpPolicy: 2},
		},
		{
			name:   "429, Retry-After within the deadline",
			routes: map[string]http.HandlerFunc{globalPolicy: throttledOnce()},
			part:   policyErrs, tries: map[string]int32{globalPolicy: 2},
			check: func(t *testing.T, a *APIM) {
				if _, ok := a.Policies.Doc(PolicyGlobal, "", ""); !ok {
					t.Error("the global document was not read after the retry")
				}
			},
		},
		{
			name:    "429, Retry-After past the deadline",
			routes:  map[string]http.HandlerFunc{globalPolicy: jsonAnswer(429, `{"error":{"code":"TooManyRequests","message":"slow down"}}`, "Retry-After", "60")},
			timeout: 4 * time.Second,
			part:    policyErrs, want: "GET policy of global: HTTP 429 TooManyRequests: slow down", kind: KindThrottled,
			tries: map[string]int32{globalPolicy: 1},
		},
		{
			name: "huge body",
			routes: map[string]http.HandlerFunc{mcpPolicy: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"properties":{"value":"`)
				chunk := []byte(strings.Repeat("x", 64<<10))
				for range 1 << 10 { // 64 MiB, unless the reader stops first
					n, err := w.Write(chunk)
					hugeSent.Add(int64(n))
					if err != nil {
						return
					}
				}
			}},
			part: policyErrs, want: "GET policy of api context7-mcp: the answer is larger than the read's limit", kind: KindServer,
			tries: map[string]int32{mcpPolicy: 1},
			check: func(t *testing.T, a *APIM) {
				if n := hugeSent.Load(); n >= 32<<20 {
					t.Errorf("%d bytes sent: the read did not stop at its limit", n)
				}
			},
		},
		{
			name:   "invalid policy XML",
			routes: map[string]http.HandlerFunc{mcpPolicy: jsonAnswer(200, `{"properties":{"format":"xml","value":"<policies><inbound><validate-azure-ad-token></policies"}}`)},
			part:   policyErrs,
			check: func(t *testing.T, a *APIM) {
				if d, ok := a.Policies.Doc(PolicyAPI, "context7-mcp", ""); !ok || d.XML != "<policies><inbound><validate-azure-ad-token></policies" {
					t.Errorf("%+v: not passed through as it is", d)
				}
			},
		},
		{
			name:   "policy with a byte-order mark",
			routes: map[string]http.HandlerFunc{mcpPolicy: jsonAnswer(200, `{"properties":{"format":"xml","value":"\ufeff<policies><inbound><base /></inbound></policies>"}}`)},
			part:   policyErrs,
			check: func(t *testing.T, a *APIM) {
				if d, _ := a.Policies.Doc(PolicyAPI, "context7-mcp", ""); d.XML != "<policies><inbound><base /></inbound></policies>" {
					t.Errorf("%q", d.XML)
				}
			},
		},
		{
			name: "nextLink that loops",
			routes: map[string]http.HandlerFunc{mcpProducts: func(w http.ResponseWriter, r *http.Request) {
				self := "https://" + r.Host + r.URL.Path + "?api-version=2022-08-01&$skip=1"
				jsonAnswer(200, `{"value":[{"name":"starter"}],"nextLink":"`+self+`"}`)(w, r)
			}},
			part: policyErrs, want: "list products of context7-mcp: the nextLink loops back to a page already read",
			tries: map[string]int32{mcpProducts: 2},
		},
		{
			name: "nextLink on another host",
			routes: map[string]http.HandlerFunc{svcDiagnostic: func(w http.ResponseWriter, r *http.Request) {
				jsonAnswer(200, `{"value":[],"nextLink":"`+elsewhere.URL+`/diagnostics?page=2"}`)(w, r)
			}},
			part: diagnosticErrs, want: "list diagnostics: the nextLink points away from",
			tries: map[string]int32{svcDiagnostic: 1},
		},
		{
			name:   "200 with an empty body",
			routes: map[string]http.HandlerFunc{svcDiagnostic: jsonAnswer(200, ""), mcpPolicy: jsonAnswer(200, "")},
			part:   diagnosticErrs, want: "list diagnostics: HTTP 200 with an empty body, not ARM's answer", kind: KindServer,
			check: func(t *testing.T, a *APIM) {
				if len(a.Policies.Errs) != 1 || !strings.Contains(a.Policies.Errs[0].Error(), "GET policy of api context7-mcp: HTTP 200 with an empty body") {
					t.Errorf("policy errors %v", a.Policies.Errs)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostileARM(t, tc.routes)
			timeout := cmpOr(tc.timeout, 15*time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			a, err := h.reader(t).ReadAPIM(ctx, testTarget, ReadOptions{APIPaths: []string{"context7", ""}})
			if err != nil {
				t.Fatalf("the instance as a whole failed: %v", err)
			}
			if ctx.Err() != nil {
				t.Fatalf("the read outlived its %s deadline", timeout)
			}
			errs := tc.part(a)
			t.Logf("errors %v", errs)
			if tc.want == "" && len(errs) != 0 {
				t.Errorf("errors %v", errs)
			}
			if tc.want != "" {
				if len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.want) || KindOf(errs[0]) != tc.kind {
					t.Fatalf("errors %v, want one with %q (kind %d)", errs, tc.want, tc.kind)
				}
				if msg := errs[0].Error(); len(msg) > 300 || strings.ContainsAny(msg, "<\n") {
					t.Errorf("not a short, clear message: %q", msg)
				}
			}
			for suffix, want := range tc.tries {
				if got := h.triesOf(suffix); got != want {
					t.Errorf("%s: %d tries, want %d", suffix, got, want)
				}
			}
			if len(a.APIs) != 2 || a.APIsErr != nil || a.NamedValuesErr != nil || a.Service.Name != testTarget.Service {
				t.Errorf("the rest of the instance is not read: %d APIs (%v), named values %v, service %q", len(a.APIs), a.APIsErr, a.NamedValuesErr, a.Service.Name)
			}
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
}

func policyErrs(a *APIM) []error     { return a.Policies.Errs }
func diagnosticErrs(a *APIM) []error { return a.Diagnostics.Errs }

func cmpOr(d, otherwise time.Duration) time.Duration {
	if d != 0 {
		return d
	}
	return otherwise
}

// throttledOnce answers 429 with Retry-After: 1, then ARM's document.
func throttledOnce() http.HandlerFunc {
	var n atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			jsonAnswer(429, `{"error":{"code":"TooManyRequests","message":"slow down"}}`, "Retry-After", "1")(w, r)
			return
		}
		jsonAnswer(200, `{"properties":{"format":"xml","value":"<policies />"}}`)(w, r)
	}
}
