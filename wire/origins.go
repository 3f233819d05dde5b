package wire

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// An origin is dead after a connect or TLS failure, or after a timeout on
// an answer the origin produces itself: asking it again in the same run
// would only wait as long again. Requests to a dead origin fail at once
// with an *OriginDeadError. A timeout on a request that waits on something
// behind the origin (APIM's /token waits on Entra, an MCP call on Context7)
// says nothing about the origin: mark its context with WaitsBehind.

// DeadOrigin is why an origin is not asked again in this run.
type DeadOrigin struct {
	Origin string    // scheme://host[:port]
	Kind   ErrorKind // timeout, connection refused, name not resolved, tls
	Err    string    // the first failure, redacted
	Owner  string    // who met it first (WithOwner), e.g. a check id
}

// OriginDeadError is a request refused before sending: its origin failed earlier in the run.
type OriginDeadError struct {
	Method, URL string
	Dead        DeadOrigin
}

func (e *OriginDeadError) Error() string {
	return fmt.Sprintf("%s %s: not sent: %s did not answer earlier in this run (%s)", e.Method, e.URL, e.Dead.Origin, e.Dead.Kind)
}

// ErrOriginDead matches every OriginDeadError with errors.Is.
var ErrOriginDead = errors.New("origin did not answer earlier in this run")

func (e *OriginDeadError) Is(target error) bool { return target == ErrOriginDead }

// Retry is one request sent again after a transient answer.
type Retry struct {
	Method, URL string // URL redacted
	Status      int
	Wait        time.Duration
	Owner       string
}

func (r Retry) String() string {
	return fmt.Sprintf("%s %s answered %d %s; retried once after %s", r.Method, r.URL, r.Status, http.StatusText(r.Status), r.Wait)
}

type ownerKey struct{}
type waitsBehindKey struct{}
type madeUpKey struct{}

// WithOwner names who sends the requests made under ctx (a check id), so
// that a dead origin and a retry can say whose request met it.
func WithOwner(ctx context.Context, owner string) context.Context {
	return context.WithValue(ctx, ownerKey{}, owner)
}

// WaitsBehind marks requests whose answer waits on a server behind the
// origin: their timeout does not make the origin dead.
func WaitsBehind(ctx context.Context) context.Context {
	return context.WithValue(ctx, waitsBehindKey{}, true)
}

// MadeUpInput marks a probe that sends made-up input (a code that was
// never issued): safe to send twice, so a transient answer is retried even
// though it is not a GET. Never mark a real redemption or exchange.
func MadeUpInput(ctx context.Context) context.Context {
	return context.WithValue(ctx, madeUpKey{}, true)
}

func ownerOf(ctx context.Context) string {
	s, _ := ctx.Value(ownerKey{}).(string)
	return s
}

// origins keeps the dead origins and the retries of a run.
type origins struct {
	mu      sync.Mutex
	dead    map[string]DeadOrigin
	hits    map[string][]DeadOrigin // by owner: dead origins a request of theirs was refused for
	retries []Retry
}

func newOrigins() *origins {
	return &origins{dead: map[string]DeadOrigin{}, hits: map[string][]DeadOrigin{}}
}

// refuse returns the error for a request to a dead origin, or nil.
func (o *origins) refuse(req *http.Request, red *Redactor) error {
	key := originKey(req.URL)
	o.mu.Lock()
	defer o.mu.Unlock()
	d, ok := o.dead[key]
	if !ok {
		return nil
	}
	if owner := ownerOf(req.Context()); owner != d.Owner {
		o.hits[owner] = append(o.hits[owner], d)
	}
	return &OriginDeadError{Method: req.Method, URL: red.String(req.URL.String()), Dead: d}
}

// failed records a request that got no answer; it may make its origin dead.
func (o *origins) failed(req *http.Request, err error, red *Redactor) {
	kind := Classify(err)
	switch kind {
	case KindRefused, KindDNS, KindTLS:
	case KindTimeout:
		if behind, _ := req.Context().Value(waitsBehindKey{}).(bool); behind {
			return
		}
	default:
		return
	}
	key := originKey(req.URL)
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.dead[key]; ok {
		return
	}
	o.dead[key] = DeadOrigin{
		Origin: Origin(req.URL.String()), Kind: kind,
		Err:   red.String(unwrapURLError(err).Error()),
		Owner: ownerOf(req.Context()),
	}
}

// Dead returns why an origin is not asked again, if it is dead.
func (c *Client) Dead(rawURL string) (DeadOrigin, bool) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return DeadOrigin{}, false
	}
	c.origins.mu.Lock()
	defer c.origins.mu.Unlock()
	d, ok := c.origins.dead[originKey(u)]
	return d, ok
}

// DeadHits returns, and forgets, the dead origins owner's requests were
// refused for (origins another owner found dead).
func (c *Client) DeadHits(owner string) []DeadOrigin {
	c.origins.mu.Lock()
	defer c.origins.mu.Unlock()
	h := c.origins.hits[owner]
	delete(c.origins.hits, owner)
	return h
}

// Retries returns, and forgets, owner's retried requests.
func (c *Client) Retries(owner string) []Retry {
	c.origins.mu.Lock()
	defer c.origins.mu.Unlock()
	var out, keep []Retry
	for _, r := range c.origins.retries {
		if r.Owner == owner {
			out = append(out, r)
		} else {
			keep = append(keep, r)
		}
	}
	c.origins.retries = keep
	return out
}

// transient answers are worth one more try: rate limits and gateways that
// could not reach their backend for a moment.
func transient(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryable reports whether sending req twice is harmless.
func retryable(req *http.Request) bool {
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return true
	}
	madeUp, _ := req.Context().Value(madeUpKey{}).(bool)
	return madeUp
}

// defaultRetryWait is the pause before a retry when the answer names none.
const defaultRetryWait = 500 * time.Millisecond

// retryWait reads Retry-After (seconds or an HTTP date); ok is false when
// the wait would pass the deadline.
func retryWait(h http.Header, now time.Time, deadline time.Time, hasDeadline bool) (time.Duration, bool) {
	wait := defaultRetryWait
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		var secs int
		if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && fmt.Sprint(secs) == v {
			wait = time.Duration(max(secs, 0)) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			wait = max(t.Sub(now), 0)
		}
	}
	if hasDeadline && now.Add(wait).After(deadline) {
		return wait, false
	}
	return wait, true
}
