// Package wire is the one HTTP client every request of c7doctor goes
// through: timeouts under the run's deadline, bounded body reads, no
// redirects unless asked, extra CA roots, gateway-only headers, a recorder
// of each exchange, and the redaction every outgoing string passes.
package wire

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Body limits: what a check reads at most.
const (
	MetadataLimit = 1 << 20 // discovery documents, error bodies
	MCPLimit      = 8 << 20 // MCP responses
)

// Options configure a Client.
type Options struct {
	Timeout        time.Duration // per request; default 10s
	CAFile         string        // PEM roots added to the system pool
	RootCAs        *x509.CertPool
	GatewayOrigin  string      // scheme://host[:port] that receives GatewayHeaders
	GatewayHeaders http.Header // e.g. an APIM subscription key
	Redactor       *Redactor
	Recorder       *Recorder
	// DialContext replaces the dialer (tests inject resolvers and failures).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	UserAgent   string
}

// Client sends requests and records them.
type Client struct {
	opts Options
	rt   http.RoundTripper
}

// New builds a Client.
func New(opts Options) (*Client, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
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
	dialer := &net.Dialer{Timeout: min(opts.Timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	dial := opts.DialContext
	if dial == nil {
		dial = dialer.DialContext
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dial,
		TLSClientConfig:       &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   min(opts.Timeout, 10*time.Second),
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	c := &Client{opts: opts}
	c.rt = &recordingTransport{c: c, next: tr}
	return c, nil
}

// Redactor returns the client's redactor.
func (c *Client) Redactor() *Redactor { return c.opts.Redactor }

// Recorder returns the client's recorder.
func (c *Client) Recorder() *Recorder { return c.opts.Recorder }

// Timeout is the per-request timeout.
func (c *Client) Timeout() time.Duration { return c.opts.Timeout }

// HTTPClient is a standard client over the same transport, for MSAL and
// mcp-go. It follows no redirect and has no overall timeout: streaming
// reads are bounded by their context.
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
	// Truncated is set when the body was longer than the limit.
	Truncated bool
	Duration  time.Duration
}

// ContentType is the media type without parameters.
func (r *Response) ContentType() string {
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// Do sends req and reads at most limit bytes of the answer, all within the
// per-request timeout.
func (c *Client) Do(ctx context.Context, req *http.Request, limit int64) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req = req.WithContext(ctx)
	start := time.Now()
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		return nil, c.describe(req, err)
	}
	defer resp.Body.Close()
	body, truncated, err := ReadLimited(resp.Body, limit)
	out := &Response{
		Method: req.Method, URL: req.URL.String(), StatusCode: resp.StatusCode,
		Header: resp.Header, Body: body, Truncated: truncated, Duration: time.Since(start),
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
	if n > limit {
		return buf.Bytes()[:limit], true, err
	}
	return buf.Bytes(), false, err
}

// describe turns transport errors into one short, redacted line.
func (c *Client) describe(req *http.Request, err error) error {
	return &Error{Method: req.Method, URL: c.opts.Redactor.String(req.URL.String()), Kind: Classify(err), Err: err, red: c.opts.Redactor}
}

// Error is a failed exchange.
type Error struct {
	Method, URL string
	Kind        ErrorKind
	Err         error
	red         *Redactor
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Method, e.URL, e.red.String(e.Kind.describe(e.Err)))
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorKind names what went wrong on the wire.
type ErrorKind string

const (
	KindTimeout     ErrorKind = "timeout"
	KindRefused     ErrorKind = "connection refused"
	KindDNS         ErrorKind = "name not resolved"
	KindTLS         ErrorKind = "tls"
	KindCanceled    ErrorKind = "canceled"
	KindInterrupted ErrorKind = "interrupted"
	KindOther       ErrorKind = "error"
)

func (k ErrorKind) describe(err error) string {
	switch k {
	case KindTimeout:
		return "no answer in time (timeout)"
	case KindCanceled:
		return "canceled"
	}
	return unwrapURLError(err).Error()
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Classify sorts a transport error into a kind a finding can name.
func Classify(err error) ErrorKind {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.As(err, &dnsErr):
		return KindDNS
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &unknownCA), errors.As(err, &invalid), errors.As(err, &recordErr):
		return KindTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	case strings.Contains(err.Error(), "connection refused"):
		return KindRefused
	}
	return KindOther
}
