package azure

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// scripted answers each request with the next of its answers and records
// what was sent.
type scripted struct {
	mu      sync.Mutex
	answers []func(*http.Request) *http.Response
	sent    []*http.Request
}

func (s *scripted) Do(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, req)
	i := min(len(s.sent), len(s.answers)) - 1
	return s.answers[i](req), nil
}

func answer(status int, body string, header ...string) func(*http.Request) *http.Response {
	return func(req *http.Request) *http.Response {
		h := http.Header{"Content-Type": {"application/json"}}
		for i := 0; i+1 < len(header); i += 2 {
			h.Set(header[i], header[i+1])
		}
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}
	}
}

const serviceBody = `{"name":"apim-x","sku":{"name":"BasicV2","capacity":1},"properties":{"provisioningState":"Succeeded","gatewayUrl":"https://apim-x.azure-api.net"}}`

func readService(t *testing.T, s *scripted, timeout time.Duration) (time.Duration, error) {
	t.Helper()
	r := NewReader(&azfake.TokenCredential{}, Options{Transport: s, Cloud: Clouds[0], TryTimeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	f, err := r.factory(testTarget.Subscription)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = r.service(ctx, f, testTarget)
	return time.Since(start), err
}

func TestOneRetryWithinTheDeadline(t *testing.T) {
	throttled := `{"error":{"code":"TooManyRequests","message":"slow down"}}`
	cases := []struct {
		name     string
		answers  []func(*http.Request) *http.Response
		timeout  time.Duration
		tries    int
		wantKind Kind
	}{
		{"Retry-After within the deadline is honoured", []func(*http.Request) *http.Response{answer(429, throttled, "Retry-After", "1"), answer(200, serviceBody)}, 10 * time.Second, 2, KindOther},
		{"Retry-After past the deadline is not waited for", []func(*http.Request) *http.Response{answer(429, throttled, "Retry-After", "30"), answer(200, serviceBody)}, 4 * time.Second, 1, KindThrottled},
		{"one retry, not three", []func(*http.Request) *http.Response{answer(503, `{"error":{"code":"ServiceUnavailable","message":"busy"}}`)}, 10 * time.Second, 2, KindServer},
		{"no retry of a refusal", []func(*http.Request) *http.Response{answer(403, `{"error":{"code":"AuthorizationFailed","message":"no role"}}`)}, 10 * time.Second, 1, KindNoAccess},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{answers: tc.answers}
			took, err := readService(t, s, tc.timeout)
			if len(s.sent) != tc.tries {
				t.Errorf("%d tries, want %d", len(s.sent), tc.tries)
			}
			if KindOf(err) != tc.wantKind || (tc.wantKind == KindOther) != (err == nil) {
				t.Errorf("error %v (kind %d), want kind %d", err, KindOf(err), tc.wantKind)
			}
			if took > tc.timeout {
				t.Errorf("took %s, past the %s deadline", took, tc.timeout)
			}
		})
	}
}

func TestErrorCarriesARMFields(t *testing.T) {
	s := &scripted{answers: []func(*http.Request) *http.Response{answer(403, `{"error":{"code":"AuthorizationFailed","message":"The client 'x' does not have authorization to perform action 'Microsoft.ApiManagement/service/read'."}}`)}}
	_, err := readService(t, s, 5*time.Second)
	e, ok := err.(*Error)
	if !ok || e.Status != 403 || e.Code != "AuthorizationFailed" || !strings.HasPrefix(e.Message, "The client 'x'") || strings.Contains(e.Error(), "\n") {
		t.Fatalf("%#v", err)
	}
}

// A nextLink on another host is not followed: its answer would not be
// ARM's, and the token must not go there.
func TestNextLinkStaysOnARM(t *testing.T) {
	page1 := `{"value":[{"name":"a","properties":{"path":"a"}}],"nextLink":"https://elsewhere.example/page2"}`
	s := &scripted{answers: []func(*http.Request) *http.Response{answer(200, page1), answer(200, `{"value":[]}`)}}
	r := NewReader(&azfake.TokenCredential{}, Options{Transport: s, Cloud: Clouds[0], TryTimeout: time.Second})
	f, err := r.factory(testTarget.Subscription)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.apis(context.Background(), f, testTarget, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "nextLink points away from https://management.azure.com (https://elsewhere.example): not followed") {
		t.Fatalf("%v", err)
	}
	for _, req := range s.sent {
		if req.URL.Host != "management.azure.com" {
			t.Errorf("%s %s was sent", req.Method, req.URL)
		}
	}
}

// Whatever leaves ARM's origin through an ARM client goes without the token.
func TestAuthorizationStaysWithItsAudience(t *testing.T) {
	s := &scripted{answers: []func(*http.Request) *http.Response{answer(200, `{}`)}}
	r := NewReader(&azfake.TokenCredential{}, Options{Transport: s, Cloud: Clouds[0], TryTimeout: time.Second})
	c, err := arm.NewClient("c7doctor", "v1.0.0", r.cred, r.opts.armOptions(r.slots))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"https://management.azure.com/subscriptions?api-version=2022-12-01", "https://elsewhere.example/page2"} {
		req, err := runtime.NewRequest(context.Background(), http.MethodGet, u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Pipeline().Do(req); err != nil {
			t.Fatal(err)
		}
	}
	for _, req := range s.sent {
		has := req.Header.Get("Authorization") != ""
		onARM := req.URL.Host == "management.azure.com"
		if has != onARM {
			t.Errorf("%s %s: Authorization present %t", req.Method, req.URL, has)
		}
	}
}

func TestCloudsAndCredentialNames(t *testing.T) {
	c, err := CloudByName("USGov")
	if err != nil || c.AuthorityHost != "https://login.microsoftonline.us" || c.ARMEndpoint != "https://management.usgovcloudapi.net" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := CloudByName("mars"); err == nil || !strings.Contains(err.Error(), "public, usgov, china") {
		t.Fatalf("%v", err)
	}
	if n, err := CanonicalCredential("azureclicredential"); err != nil || n != CredCLI {
		t.Fatalf("%q %v", n, err)
	}
	if _, err := CanonicalCredential("Kerberos"); err == nil || !strings.Contains(err.Error(), "AzureCLICredential") {
		t.Fatalf("%v", err)
	}
	if !(Options{Cloud: Cloud{AuthorityHost: "https://127.0.0.1:4431"}}).disableInstanceDiscovery() || (Options{Cloud: Clouds[0]}).disableInstanceDiscovery() {
		t.Error("instance discovery: off for the lab's authority only")
	}
}
