// Package azure reads the configuration side of the guide's setup: the app
// registrations, service principals and consent from Microsoft Graph (plain
// REST on azcore). Readers return typed snapshots; judging them is the
// checks' business.
package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/c7doctor/c7doctor/wire"
)

// GraphOptions configure a Graph reader.
type GraphOptions struct {
	// Endpoint is the Graph root, https://graph.microsoft.com in the public
	// cloud; tokens are asked for Endpoint + "/.default".
	Endpoint   string
	Credential azcore.TokenCredential
	// HTTPClient is the project's client (bounded, redacted, recorded).
	HTTPClient *http.Client
	// Timeout bounds each request; default 10s.
	Timeout time.Duration
	// MaxRetryWait is the longest Retry-After honoured; longer waits are
	// reported as throttling. Default 5s.
	MaxRetryWait time.Duration
	// BodyLimit bounds each answer; default 4 MiB.
	BodyLimit int64
	// MaxPages bounds the pages followed through @odata.nextLink per
	// collection; default 10.
	MaxPages int
}

// Graph reads Microsoft Graph v1.0 with JSON batching.
type Graph struct {
	opts     GraphOptions
	base     *url.URL
	pipeline runtime.Pipeline
	cred     *watchedCredential
}

// NewGraph builds a reader. The credential and HTTP client are injected:
// this package builds neither.
func NewGraph(o GraphOptions) (*Graph, error) {
	if o.Credential == nil {
		return nil, errors.New("graph: no credential")
	}
	u, err := url.Parse(strings.TrimRight(o.Endpoint, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && wire.IsLoopback(u.Hostname()))) {
		return nil, fmt.Errorf("graph: endpoint must be an absolute https URL, got %q", o.Endpoint)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = 5 * time.Second
	}
	if o.BodyLimit <= 0 {
		o.BodyLimit = 4 << 20
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 10
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	cred := &watchedCredential{inner: o.Credential}
	scope := u.String() + "/.default"
	bearer := runtime.NewBearerTokenPolicy(cred, []string{scope}, &policy.BearerTokenOptions{
		InsecureAllowCredentialWithHTTP: u.Scheme == "http",
	})
	pl := runtime.NewPipeline("c7doctor-graph", "v1", runtime.PipelineOptions{PerRetry: []policy.Policy{bearer}}, &policy.ClientOptions{
		Transport: o.HTTPClient,
		// One retry, and only within the wait the run can afford: azcore's
		// default of three retries of up to a minute each would outlast the run.
		Retry:     policy.RetryOptions{MaxRetries: 1, MaxRetryDelay: o.MaxRetryWait, TryTimeout: o.Timeout},
		Telemetry: policy.TelemetryOptions{Disabled: true},
	})
	return &Graph{opts: o, base: u, pipeline: pl, cred: cred}, nil
}

// Endpoint is the Graph root this reader talks to.
func (g *Graph) Endpoint() string { return g.base.String() }

// watchedCredential remembers the credential's last failure: azcore wraps
// it in a type that hides it from errors.As.
type watchedCredential struct {
	inner azcore.TokenCredential
	mu    sync.Mutex
	err   error
}

func (c *watchedCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tk, err := c.inner.GetToken(ctx, o)
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
	return tk, err
}

func (c *watchedCredential) lastErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// CredentialError is a token the credential could not get.
type CredentialError struct{ Err error }

func (e *CredentialError) Error() string { return "graph: no token: " + e.Err.Error() }
func (e *CredentialError) Unwrap() error { return e.Err }

// GraphError is an answer Graph (or something in front of it) gave instead
// of the data.
type GraphError struct {
	Read       string // which read, e.g. "gateway app"; "" for the whole batch
	Status     int
	Code       string // Graph's error.code, e.g. Authorization_RequestDenied
	Message    string
	RequestID  string
	RetryAfter time.Duration // when throttled
}

func (e *GraphError) Error() string {
	var b strings.Builder
	b.WriteString("graph: ")
	if e.Read != "" {
		b.WriteString(e.Read + ": ")
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.RequestID != "" {
		b.WriteString(" (request-id " + e.RequestID + ")")
	}
	return b.String()
}

// Forbidden is a refusal for lack of permission (401 and 403).
func (e *GraphError) Forbidden() bool {
	return e != nil && (e.Status == http.StatusForbidden || e.Status == http.StatusUnauthorized || e.Code == "Authorization_RequestDenied")
}

// NotFound is Graph's 404 for an object that does not exist.
func (e *GraphError) NotFound() bool {
	return e != nil && e.Status == http.StatusNotFound
}

// Throttled is a 429 (or 503) Graph asked to retry later.
func (e *GraphError) Throttled() bool {
	return e != nil && (e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable)
}

// graphErrorBody is Graph's error envelope.
type graphErrorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			RequestID string `json:"request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// errorFrom reads an error answer: Graph's JSON envelope, or a description
// of whatever came instead (an HTML page, an empty body).
func errorFrom(read string, status int, header func(string) string, body []byte) *GraphError {
	e := &GraphError{Read: read, Status: status, RequestID: header("request-id"), RetryAfter: retryAfter(header("Retry-After"))}
	var env graphErrorBody
	if json.Unmarshal(body, &env) == nil && env.Error.Code != "" {
		e.Code, e.Message = env.Error.Code, env.Error.Message
		if env.Error.InnerError.RequestID != "" {
			e.RequestID = env.Error.InnerError.RequestID
		}
		return e
	}
	e.Message = describeBody(header("Content-Type"), body)
	return e
}

func describeBody(contentType string, body []byte) string {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return "empty body"
	case strings.Contains(strings.ToLower(contentType), "html") || bytes.HasPrefix(bytes.ToLower(trimmed), []byte("<!doctype html")) || bytes.HasPrefix(bytes.ToLower(trimmed), []byte("<html")):
		return "an HTML page instead of JSON: " + wire.Snippet(trimmed, 80)
	}
	return "not Graph's JSON: " + wire.Snippet(trimmed, 80)
}

// retryAfter reads Retry-After in seconds or as an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(min(s, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// send makes one request through the pipeline and reads its answer, bounded.
func (g *Graph) send(ctx context.Context, method, rawURL string, body any) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, g.opts.Timeout+g.opts.MaxRetryWait)
	defer cancel()
	req, err := runtime.NewRequest(ctx, method, rawURL)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("graph: %w", err)
	}
	runtime.SkipBodyDownload(req)
	req.Raw().Header.Set("Accept", "application/json")
	if body != nil {
		if err := runtime.MarshalAsJSON(req, body); err != nil {
			return 0, nil, nil, fmt.Errorf("graph: %w", err)
		}
	}
	resp, err := g.pipeline.Do(req)
	if err != nil {
		if cerr := g.cred.lastErr(); cerr != nil {
			return 0, nil, nil, &CredentialError{Err: cerr}
		}
		return 0, nil, nil, fmt.Errorf("graph: %w", err)
	}
	defer resp.Body.Close()
	data, truncated, err := wire.ReadLimited(resp.Body, g.opts.BodyLimit)
	if err != nil {
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("graph: %s %s: reading the answer: %w", method, rawURL, err)
	}
	if truncated {
		return resp.StatusCode, resp.Header, nil, &GraphError{Status: resp.StatusCode, Message: fmt.Sprintf("answer larger than %d bytes: read stopped there", g.opts.BodyLimit)}
	}
	return resp.StatusCode, resp.Header, data, nil
}
