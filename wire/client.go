// Package wire is the one HTTP client every request of c7doctor goes
// through: connect, TLS and per-request timeouts under the run's deadline,
// bounded body reads, no redirects, https only (plain http on loopback),
// extra CA roots, gateway-only headers, Authorization only to the origins it
// is meant for, a recorder of each exchange, and the redaction every
// outgoing string passes.
package wire

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Body limits: what a check reads at most. A longer body is cut there and
// the Response says so (Truncated, TooLarge); the caller reports it.
const (
	MetadataLimit = 1 << 20 // discovery documents, error bodies
	MCPLimit      = 8 << 20 // MCP responses; also the cap of HTTPClient bodies
)

// Options configure a Client.
type Options struct {
	Timeout        time.Duration // per request, headers and body; default 10s
	ConnectTimeout time.Duration // TCP connect; default min(Timeout, 10s)
	TLSTimeout     time.Duration // TLS handshake; default min(Timeout, 10s)
	CAFile         string        // PEM roots added to the system pool
	RootCAs        *x509.CertPool
	GatewayOrigin  string      // scheme://host[:port] that receives GatewayHeaders
	GatewayHeaders http.Header // e.g. an APIM subscription key
	// AuthOrigins are origins besides GatewayOrigin that may receive an
	// Authorization header (e.g. the --upstream probe's). Elsewhere it is
	// removed. With neither set, the client applies no such policy.
	AuthOrigins []string
	// StreamLimit caps each body read through HTTPClient (MSAL, mcp-go);
	// default MCPLimit. One byte more may be read (a consumer with the same
	// limit peeks it to tell a cut); reading past that fails with
	// ErrBodyTooLarge.
	StreamLimit int64
	Redactor    *Redactor
	Recorder    *Recorder
	// DialContext replaces the dialer (tests inject failures).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Resolver replaces DNS. With a Resolver and no Proxy, no proxy is used:
	// the caller owns name resolution.
	Resolver Resolver
	// Proxy chooses a proxy; default from the environment (HTTPS_PROXY, NO_PROXY).
	Proxy     func(*http.Request) (*url.URL, error)
	UserAgent string
}

// Client sends requests and records them.
type Client struct {
	opts    Options
	rt      *recordingTransport
	tr      *http.Transport
	origins *origins
}

// New builds a Client.
func New(opts Options) (*Client, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = min(opts.Timeout, 10*time.Second)
	}
	if opts.TLSTimeout <= 0 {
		opts.TLSTimeout = min(opts.Timeout, 10*time.Second)
	}
	if opts.StreamLimit <= 0 {
		opts.StreamLimit = MCPLimit
	}
	if opts.Redactor == nil {
		opts.Redactor = NewRedactor()
	}
	if opts.Recorder == nil {
		opts.Recorder = NewRecorder(opts.Redactor)
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "c7doctor"
	}
	pool := opts.RootCAs
	if pool == nil {
		sys, err := x509.SystemCertPool()
		if err != nil || sys == nil {
			sys = x509.NewCertPool()
		}
		pool = sys
	}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("wire: ca file: %w", err)
		}
		pool = pool.Clone()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("wire: ca file %s: no PEM certificate in it", opts.CAFile)
		}
	}
	var dial dialFunc = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
	if opts.DialContext != nil {
		dial = opts.DialContext
	}
	if opts.Resolver != nil {
		dial = resolvingDial(opts.Resolver, dial)
	}
	dial = withConnectTimeout(opts.ConnectTimeout, dial)
	proxy := opts.Proxy
	if proxy == nil && opts.Resolver == nil {
		proxy = http.ProxyFromEnvironment
	}
	tr := &http.Transport{
		Proxy:                  proxy,
		DialContext:            dial,
		TLSClientConfig:        &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    opts.TLSTimeout,
		ResponseHeaderTimeout:  opts.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 256 << 10,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        30 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	c := &Client{opts: opts, tr: tr, origins: newOrigins()}
	c.rt = &recordingTransport{c: c, next: tr, auth: newAuthPolicy(opts.GatewayOrigin, opts.AuthOrigins)}
	return c, nil
}

// Close drops idle connections, so that servers shutting down do not wait
// for them. The client stays usable.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// Redactor returns the client's redactor.
func (c *Client) Redactor() *Redactor { return c.opts.Redactor }

// Recorder returns the client's recorder.
func (c *Client) Recorder() *Recorder { return c.opts.Recorder }

// Timeout is the per-request timeout.
func (c *Client) Timeout() time.Duration { return c.opts.Timeout }

// HTTPClient is a standard client over the same transport, for MSAL and
// mcp-go. It follows no redirect and has no overall timeout: streaming
// reads are bounded by their context and by StreamLimit.
func (c *Client) HTTPClient() *http.Client {
	return &http.Client{
		Transport:     c.rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Response is a whole, bounded exchange.
type Response struct {
	Method     string
	URL        string
	StatusCode int
	Header     http.Header
	Body       []byte
	// Truncated is set when the body was longer than Limit: Body holds the
	// first Limit bytes. TooLarge turns it into an error a finding can quote.
	Truncated bool
	Limit     int64
	Duration  time.Duration
	// Notes say what the transport changed, e.g. an Authorization header
	// removed because the request went to another origin.
	Notes []string
}

// ContentType is the media type without parameters.
func (r *Response) ContentType() string {
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// TooLarge is nil unless the body went past its limit; then it is an
// *Error of KindTooLarge: "GET <url>: body larger than 1 MiB: read stopped there".
func (r *Response) TooLarge() error {
	if r == nil || !r.Truncated {
		return nil
	}
	return &Error{Method: r.Method, URL: r.URL, Kind: KindTooLarge, Err: &tooLargeError{limit: r.Limit}}
}

// IsHTML reports whether the body is an HTML page (an error page, a login
// page) whatever its Content-Type says.
func (r *Response) IsHTML() bool {
	if strings.Contains(r.ContentType(), "html") {
		return true
	}
	head := strings.ToLower(strings.TrimSpace(string(r.Body[:min(len(r.Body), 512)])))
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html")
}

// Snippet is the start of the body on one line, at most n runes, for a
// finding: "<html><head><title>502 Bad Gateway</title>…". Control bytes are
// dropped. Callers pass it through the redactor (checks.Result does).
func (r *Response) Snippet(n int) string {
	if r == nil || len(r.Body) == 0 {
		return "(empty body)"
	}
	return Snippet(r.Body, n)
}

// Snippet is the start of b on one line, at most n runes.
func Snippet(b []byte, n int) string {
	var out strings.Builder
	runes, space := 0, false
	for len(b) > 0 && runes < n {
		c, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case c == utf8.RuneError && size <= 1:
			c = '?'
		case unicode.IsSpace(c):
			space = true
			continue
		case !unicode.IsPrint(c):
			continue
		}
		if space && out.Len() > 0 {
			out.WriteByte(' ')
			runes++
		}
		space = false
		out.WriteRune(c)
		runes++
	}
	if len(b) > 0 {
		out.WriteString("…")
	}
	return out.String()
}

type limitKey struct{}

// Do sends req and reads at most limit bytes of the answer, all within the
// per-request timeout.
//
// A transient answer (429, 502, 503, 504) to a request that is harmless to
// send twice (a GET, or a probe marked MadeUpInput) is sent once more,
// after its Retry-After when that fits before ctx's deadline; the retry is
// recorded (Retries) so that the evidence can say so.
func (c *Client) Do(ctx context.Context, req *http.Request, limit int64) (*Response, error) {
	resp, err := c.do(ctx, req, limit)
	if err != nil || !transient(resp.StatusCode) || !retryable(req.WithContext(ctx)) {
		return resp, err
	}
	deadline, has := ctx.Deadline()
	wait, ok := retryWait(resp.Header, time.Now(), deadline, has)
	if !ok {
		return resp, err
	}
	again := req.Clone(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return resp, err
		}
		body, gerr := req.GetBody()
		if gerr != nil {
			return resp, err
		}
		again.Body = body
	}
	select {
	case <-ctx.Done():
		return resp, err
	case <-time.After(wait):
	}
	c.origins.mu.Lock()
	c.origins.retries = append(c.origins.retries, Retry{
		Method: req.Method, URL: c.opts.Redactor.String(req.URL.String()),
		Status: resp.StatusCode, Wait: wait, Owner: ownerOf(ctx),
	})
	c.origins.mu.Unlock()
	return c.do(ctx, again, limit)
}

func (c *Client) do(ctx context.Context, req *http.Request, limit int64) (*Response, error) {
	if limit <= 0 {
		limit = MetadataLimit
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	// The transport may read one byte past the limit: that is how a cut is told apart.
	req = req.WithContext(context.WithValue(ctx, limitKey{}, limit+1))
	start := time.Now()
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		return nil, c.describe(req, err)
	}
	defer resp.Body.Close()
	body, truncated, err := ReadLimited(resp.Body, limit)
	out := &Response{
		Method: req.Method, URL: req.URL.String(), StatusCode: resp.StatusCode,
		Header: resp.Header, Body: body, Truncated: truncated, Limit: limit, Duration: time.Since(start),
	}
	if tb, ok := resp.Body.(*teeBody); ok {
		out.Notes = append(out.Notes, tb.ex.Notes...)
	}
	if err != nil {
		return out, c.describe(req, err)
	}
	return out, nil
}

// Get is Do for a GET with the given Accept header.
func (c *Client) Get(ctx context.Context, rawURL, accept string, limit int64) (*Response, error) {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("wire: %w", err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return c.Do(ctx, req, limit)
}

// PostForm is Do for a form POST.
func (c *Client) PostForm(ctx context.Context, rawURL string, form url.Values, limit int64) (*Response, error) {
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("wire: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return c.Do(ctx, req, limit)
}

// ReadLimited reads up to limit bytes; truncated reports that more followed.
func ReadLimited(r io.Reader, limit int64) ([]byte, bool, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, limit+1))
	b := buf.Bytes()
	if n > limit {
		return b[:limit], true, err
	}
	return b, false, err
}

// describe turns transport errors into one short, redacted line.
func (c *Client) describe(req *http.Request, err error) error {
	return &Error{Method: req.Method, URL: c.opts.Redactor.String(req.URL.String()), Kind: Classify(err), Err: err, red: c.opts.Redactor}
}
