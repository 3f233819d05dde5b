package wire_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/wire"
	"github.com/c7doctor/c7doctor/wire/wiretest"
)

func newClient(t *testing.T, opts wire.Options) *wire.Client {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.Resolver == nil {
		opts.Resolver = wire.StaticResolver{}
	}
	c, err := wire.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func kindOf(t *testing.T, err error) wire.ErrorKind {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error, got none")
	}
	var we *wire.Error
	if !errors.As(err, &we) {
		t.Fatalf("expected a *wire.Error, got %T: %v", err, err)
	}
	return we.Kind
}

// release returns a channel closed before the servers of the test close.
func release(t *testing.T) chan struct{} {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return done
}

func TestNeverAnswersIsATimeout(t *testing.T) {
	ca := wiretest.NewCA(t)
	srv := wiretest.Server(t, wiretest.Hang(release(t)), ca.Valid(t))
	c := newClient(t, wire.Options{Timeout: 200 * time.Millisecond, RootCAs: ca.Pool})
	_, err := c.Get(context.Background(), srv.URL, "", wire.MetadataLimit)
	if k := kindOf(t, err); k != wire.KindTimeout {
		t.Fatalf("kind %q, want timeout: %v", k, err)
	}
	if !strings.Contains(err.Error(), "timeout") {
		t.Errorf("message %q does not say timeout", err)
	}
}

func TestTrickleIsCutByTheRequestTimeout(t *testing.T) {
	ca := wiretest.NewCA(t)
	done := release(t)
	srv := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		for {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}), ca.Valid(t))
	c := newClient(t, wire.Options{Timeout: 300 * time.Millisecond, RootCAs: ca.Pool})
	resp, err := c.Get(context.Background(), srv.URL, "", wire.MetadataLimit)
	if k := kindOf(t, err); k != wire.KindTimeout {
		t.Fatalf("kind %q, want timeout: %v", k, err)
	}
	if resp == nil || resp.StatusCode != 200 || len(resp.Body) == 0 {
		t.Fatalf("expected the partial answer with the error, got %+v", resp)
	}
}

func TestConnectTimeoutBoundsTheDial(t *testing.T) {
	var dials atomic.Int32
	c := newClient(t, wire.Options{
		Timeout: 30 * time.Second, ConnectTimeout: 100 * time.Millisecond,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			<-ctx.Done()
			return nil, ctx.Err()
		},
	})
	_, err := c.Get(context.Background(), "https://127.0.0.1:9/", "", wire.MetadataLimit)
	if k := kindOf(t, err); k != wire.KindTimeout {
		t.Fatalf("kind %q, want timeout: %v", k, err)
	}
	if dials.Load() == 0 {
		t.Fatal("the injected dialer was not used")
	}
}

func TestTLSTimeoutBoundsTheHandshake(t *testing.T) {
	addr := wiretest.Silent(t)
	c := newClient(t, wire.Options{Timeout: 30 * time.Second, TLSTimeout: 100 * time.Millisecond})
	_, err := c.Get(context.Background(), "https://"+addr+"/", "", wire.MetadataLimit)
	if k := kindOf(t, err); k != wire.KindTimeout {
		t.Fatalf("kind %q, want timeout: %v", k, err)
	}
}

func TestTLSFailures(t *testing.T) {
	ca := wiretest.NewCA(t)
	other := wiretest.NewCA(t)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	cases := []struct {
		name string
		srv  *httptest.Server
		want string
	}{
		{"unknown CA", wiretest.Server(t, ok, other.Valid(t)), "--ca-file"},
		{"expired", wiretest.Server(t, ok, ca.Expired(t)), "expired"},
		{"wrong host", wiretest.Server(t, ok, ca.WrongHost(t)), "cannot validate certificate for 127.0.0.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, wire.Options{RootCAs: ca.Pool})
			_, err := c.Get(context.Background(), tc.srv.URL, "", wire.MetadataLimit)
			if k := kindOf(t, err); k != wire.KindTLS {
				t.Fatalf("kind %q, want tls: %v", k, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestRefusedAndUnresolved(t *testing.T) {
	c := newClient(t, wire.Options{Resolver: wire.StaticResolver{"gw.test": {"127.0.0.1"}}})
	_, err := c.Get(context.Background(), "https://"+wiretest.Refused(t)+"/", "", wire.MetadataLimit)
	if k := kindOf(t, err); k != wire.KindRefused {
		t.Fatalf("kind %q, want refused: %v", k, err)
	}
	_, err = c.Get(context.Background(), "https://nowhere.invalid/", "", wire.MetadataLimit)
	if k := kindOf(t, err); k != wire.KindDNS {
		t.Fatalf("kind %q, want dns: %v", k, err)
	}
	if !strings.Contains(err.Error(), "nowhere.invalid") {
		t.Errorf("message %q does not name the host", err)
	}
}

func TestResolverReachesTheServerUnderItsName(t *testing.T) {
	ca := wiretest.NewCA(t)
	cert := ca.Leaf(t, []string{"gw.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	srv := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Host)
	}), cert)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "https://"))
	c := newClient(t, wire.Options{RootCAs: ca.Pool, Resolver: wire.StaticResolver{"gw.test": {"127.0.0.1"}}})
	resp, err := c.Get(context.Background(), "https://gw.test:"+port+"/", "", wire.MetadataLimit)
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "gw.test:"+port {
		t.Fatalf("served for host %q", resp.Body)
	}
}

func TestBodyLimit(t *testing.T) {
	ca := wiretest.NewCA(t)
	srv := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 3000)))
	}), ca.Valid(t))
	c := newClient(t, wire.Options{RootCAs: ca.Pool})

	resp, err := c.Get(context.Background(), srv.URL, "", 1024)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Truncated || len(resp.Body) != 1024 {
		t.Fatalf("truncated=%v len=%d, want a 1024-byte cut", resp.Truncated, len(resp.Body))
	}
	tooLarge := resp.TooLarge()
	if k := kindOf(t, tooLarge); k != wire.KindTooLarge || !wire.IsTooLarge(tooLarge) {
		t.Fatalf("TooLarge kind %q", k)
	}
	if !strings.Contains(tooLarge.Error(), "1 KiB") {
		t.Errorf("TooLarge %q does not name the limit", tooLarge)
	}

	resp, err = c.Get(context.Background(), srv.URL, "", 3000)
	if err != nil || resp.Truncated || resp.TooLarge() != nil || len(resp.Body) != 3000 {
		t.Fatalf("a body of exactly the limit: truncated=%v len=%d err=%v", resp.Truncated, len(resp.Body), err)
	}
}

func TestHTTPClientBodiesAreCapped(t *testing.T) {
	ca := wiretest.NewCA(t)
	srv := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("y", 5000)))
	}), ca.Valid(t))
	c := newClient(t, wire.Options{RootCAs: ca.Pool, StreamLimit: 1000})
	resp, err := c.HTTPClient().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if !wire.IsTooLarge(err) || wire.Classify(err) != wire.KindTooLarge {
		t.Fatalf("read past the cap: err=%v", err)
	}
	if len(data) != 1001 {
		t.Fatalf("read %d bytes, want the limit and the one byte that shows the cut", len(data))
	}
}

func TestAuthorizationOnlyToItsOrigins(t *testing.T) {
	ca := wiretest.NewCA(t)
	seen := map[string]string{}
	var gw, other, upstream *httptest.Server
	handler := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			seen[name+r.URL.Path] = r.Header.Get("Authorization")
			if r.URL.Path == "/redirect" {
				http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
			}
		}
	}
	gw = wiretest.Server(t, handler("gw"), ca.Valid(t))
	other = wiretest.Server(t, handler("other"), ca.Valid(t))
	upstream = wiretest.Server(t, handler("upstream"), ca.Valid(t))
	rec := wire.NewRecorder(wire.NewRedactor())
	c := newClient(t, wire.Options{RootCAs: ca.Pool, GatewayOrigin: gw.URL, AuthOrigins: []string{upstream.URL}, Recorder: rec})

	send := func(u string) *wire.Response {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer opaque-token-value-1234567890")
		resp, err := c.Do(context.Background(), req, wire.MetadataLimit)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	send(gw.URL + "/a")
	send(upstream.URL + "/b")
	resp := send(other.URL + "/c")
	if seen["gw/a"] == "" || seen["upstream/b"] == "" {
		t.Fatalf("the gateway and the upstream must get the token: %v", seen)
	}
	if seen["other/c"] != "" {
		t.Fatalf("another origin got Authorization %q", seen["other/c"])
	}
	if len(resp.Notes) != 1 || !strings.Contains(resp.Notes[0], "Authorization removed") {
		t.Fatalf("notes %q do not say the header was removed", resp.Notes)
	}

	// A client that follows redirects (Go's keeps Authorization on the same
	// host name even on another port) still cannot carry it off-origin.
	follow := &http.Client{Transport: c.HTTPClient().Transport}
	req, _ := http.NewRequest("GET", gw.URL+"/redirect", nil)
	req.Header.Set("Authorization", "Bearer opaque-token-value-1234567890")
	r2, err := follow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, r2.Body)
	r2.Body.Close()
	if seen["gw/redirect"] == "" {
		t.Fatal("the gateway did not get the token")
	}
	if v, ok := seen["other/landed"]; !ok || v != "" {
		t.Fatalf("redirect target: reached=%v Authorization=%q", ok, v)
	}
	var noted bool
	for _, e := range rec.Exchanges() {
		if strings.HasSuffix(e.URL, "/landed") && len(e.Notes) == 1 {
			noted = true
		}
		if a := e.ReqHeader.Get("Authorization"); strings.Contains(a, "opaque-token") {
			t.Errorf("the recorder kept the token: %q", a)
		}
	}
	if !noted {
		t.Error("the redirect's exchange does not record the removal")
	}
}

func TestHTTPClientFollowsNoRedirect(t *testing.T) {
	ca := wiretest.NewCA(t)
	var hits atomic.Int32
	target := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }), ca.Valid(t))
	gw := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	}), ca.Valid(t))
	c := newClient(t, wire.Options{RootCAs: ca.Pool, GatewayOrigin: gw.URL})
	resp, err := c.HTTPClient().Get(gw.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits.Load() != 0 {
		t.Fatalf("status %d, target hit %d times", resp.StatusCode, hits.Load())
	}
}

func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	var dials atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(srv.Close)
	rec := wire.NewRecorder(wire.NewRedactor())
	c := newClient(t, wire.Options{
		Recorder: rec,
		Resolver: wire.StaticResolver{"gw.test": {"127.0.0.1"}},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	})
	if _, err := c.Get(context.Background(), srv.URL, "", wire.MetadataLimit); err != nil {
		t.Fatalf("plain http on loopback: %v", err)
	}
	before := dials.Load()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	_, err := c.Get(context.Background(), "http://gw.test:"+port+"/?code=abcdefghijklmnopqrstuvwxyz", "", wire.MetadataLimit)
	if k := kindOf(t, err); k != wire.KindInsecure {
		t.Fatalf("kind %q, want plain http refused: %v", k, err)
	}
	if dials.Load() != before {
		t.Fatal("a refused request was dialled")
	}
	if strings.Contains(err.Error(), "abcdefghijklmnop") {
		t.Fatalf("the error carries the code: %v", err)
	}
	ex := rec.Exchanges()
	if last := ex[len(ex)-1]; last.Err == "" || len(last.Notes) == 0 {
		t.Fatalf("the refusal is not recorded: %+v", last)
	}
}

func TestGatewayHeadersOnlyToTheGateway(t *testing.T) {
	ca := wiretest.NewCA(t)
	got := map[string]string{}
	h := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { got[name] = r.Header.Get("Ocp-Apim-Subscription-Key") }
	}
	gw := wiretest.Server(t, h("gw"), ca.Valid(t))
	other := wiretest.Server(t, h("other"), ca.Valid(t))
	c := newClient(t, wire.Options{RootCAs: ca.Pool, GatewayOrigin: gw.URL,
		GatewayHeaders: http.Header{"Ocp-Apim-Subscription-Key": {"sub-key-123456"}}})
	for _, u := range []string{gw.URL, other.URL} {
		if _, err := c.Get(context.Background(), u, "", 0); err != nil {
			t.Fatal(err)
		}
	}
	if got["gw"] != "sub-key-123456" || got["other"] != "" {
		t.Fatalf("subscription key went to %v", got)
	}
}

func TestSnippet(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"", 10, "(empty body)"},
		{"<html>\n  <title>502 Bad Gateway</title>\n</html>", 80, "<html> <title>502 Bad Gateway</title> </html>"},
		{"ab\x1b[31mcd", 80, "ab[31mcd"},
		{strings.Repeat("z", 50), 20, strings.Repeat("z", 20) + "…"},
		{"\xff\xfeok", 10, "??ok"},
	}
	for _, tc := range cases {
		r := &wire.Response{Body: []byte(tc.in), Header: http.Header{}}
		if got := r.Snippet(tc.n); got != tc.want {
			t.Errorf("Snippet(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	html := &wire.Response{Body: []byte("  <!DOCTYPE html><html>"), Header: http.Header{"Content-Type": {"application/json"}}}
	if !html.IsHTML() {
		t.Error("an HTML page served as JSON is still HTML")
	}
}

func TestClassifyWrapped(t *testing.T) {
	err := fmt.Errorf("prm: %w", &wire.Error{Method: "GET", URL: "u", Kind: wire.KindDNS, Err: errors.New("x")})
	if wire.Classify(err) != wire.KindDNS {
		t.Fatal("a wrapped *wire.Error keeps its kind")
	}
}

func TestTooLargeErrorIsRedacted(t *testing.T) {
	r := &wire.Response{Method: "GET", URL: "https://gw.test/cb?code=0.AUoA-authorization-code", Truncated: true, Limit: 1 << 20}
	if msg := r.TooLarge().Error(); strings.Contains(msg, "authorization-code") || !strings.Contains(msg, "1 MiB") {
		t.Fatalf("%q", msg)
	}
}
