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

// Graph reads Microsoft Graph v1.0 with JSON batching.
type Graph struct {
	base     *url.URL
	pipeline runtime.Pipeline
	cred     *watchedCredential
	// timeout bounds each request (the run's per-request timeout).
	timeout time.Duration
	// maxRetryWait is the longest Retry-After inside a batch that is
	// waited for; longer waits are reported as throttling.
	maxRetryWait time.Duration
	// bodyLimit bounds each answer; maxPages the pages followed through
	// @odata.nextLink per collection.
	bodyLimit int64
	maxPages  int
}

// NewGraph returns a reader of the app registrations at the run's
// graph-endpoint setting, with the run's credential (built by the caller,
// once) and transport. Tokens are asked for the endpoint's "/.default";
// the Authorization header goes to the endpoint's origin only.
func NewGraph(cred azcore.TokenCredential, o Options) (*Graph, error) {
	if cred == nil {
		return nil, errors.New("graph: no credential")
	}
	endpoint := strings.TrimRight(o.Cloud.GraphEndpoint, "/")
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && wire.IsLoopback(u.Hostname()))) {
		return nil, fmt.Errorf("graph: endpoint must be an absolute https URL, got %q", o.Cloud.GraphEndpoint)
	}
	if o.TryTimeout <= 0 {
		o.TryTimeout = 10 * time.Second
	}
	if o.Transport == nil {
		o.Transport = &http.Client{}
	}
	watched := &watchedCredential{inner: cred}
	bearer := runtime.NewBearerTokenPolicy(watched, []string{endpoint + "/.default"}, &policy.BearerTokenOptions{
		InsecureAllowCredentialWithHTTP: u.Scheme == "http",
	})
	co := o.clientOptions(bearer, audienceOrigin{origin: endpoint})
	return &Graph{
		base: u, pipeline: runtime.NewPipeline("c7doctor-graph", "v1.0.0", runtime.PipelineOptions{}, &co), cred: watched,
		timeout: o.TryTimeout, maxRetryWait: 5 * time.Second, bodyLimit: 4 << 20, maxPages: 10,
	}, nil
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
	ctx, cancel := context.WithTimeout(ctx, 2*g.timeout+g.maxRetryWait)
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
	data, truncated, err := wire.ReadLimited(resp.Body, g.bodyLimit)
	if err != nil {
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("graph: %s %s: reading the answer: %w", method, rawURL, err)
	}
	if truncated {
		return resp.StatusCode, resp.Header, nil, &GraphError{Status: resp.StatusCode, Message: fmt.Sprintf("answer larger than %d bytes: read stopped there", g.bodyLimit)}
	}
	return resp.StatusCode, resp.Header, data, nil
}
