package wire

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// prefixLimit is how much of each body the recorder keeps for -v and the trace.
const prefixLimit = 64 << 10

// Exchange is one recorded request and its answer, already redacted.
type Exchange struct {
	Started     time.Time
	Method      string
	URL         string
	ReqHeader   http.Header
	ReqBody     string // prefix, redacted
	ReqBodySize int64  // -1 when unknown

	Status       int
	StatusText   string // "Unauthorized"
	Proto        string // of the response: "HTTP/1.1", "HTTP/2.0"
	RespHeader   http.Header
	RespBody     string // prefix, redacted
	RespBodySize int64  // bytes the caller read
	// RespBodyCut is set when RespBody holds less than was read.
	RespBodyCut bool
	// ReadToEnd is set when the caller read the body to its end.
	ReadToEnd bool

	Wait     time.Duration // until the response headers arrived
	Duration time.Duration // until the body was done with
	Err      string
	// Notes say what the transport did to the request: a header removed, a
	// scheme refused.
	Notes []string
	// Open is set on an exchange still being read when the list was taken
	// (an event stream that had not ended).
	Open bool
}

// Recorder keeps every exchange of a run, redacted, and optionally tells
// listeners (-v) as each completes.
type Recorder struct {
	mu        sync.Mutex
	red       *Redactor
	exchanges []Exchange
	open      map[*teeBody]struct{}
	listeners []func(Exchange)
}

// NewRecorder returns an empty recorder redacting with red.
func NewRecorder(red *Redactor) *Recorder {
	return &Recorder{red: red, open: map[*teeBody]struct{}{}}
}

// OnExchange registers fn to be called with each completed exchange.
// Calls may come from several goroutines.
func (r *Recorder) OnExchange(fn func(Exchange)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listeners = append(r.listeners, fn)
}

// Exchanges returns what was recorded, in the order the requests started,
// including exchanges whose body is still being read (Open).
func (r *Recorder) Exchanges() []Exchange {
	r.mu.Lock()
	out := append([]Exchange(nil), r.exchanges...)
	open := make([]*teeBody, 0, len(r.open))
	for b := range r.open {
		open = append(open, b)
	}
	r.mu.Unlock()
	for _, b := range open {
		out = append(out, b.snapshot())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out
}

func (r *Recorder) add(e Exchange) {
	r.mu.Lock()
	r.exchanges = append(r.exchanges, e)
	ls := slices.Clone(r.listeners)
	r.mu.Unlock()
	for _, fn := range ls {
		fn(e)
	}
}

func (r *Recorder) opened(b *teeBody) {
	r.mu.Lock()
	r.open[b] = struct{}{}
	r.mu.Unlock()
}

func (r *Recorder) closed(b *teeBody, e Exchange) {
	r.mu.Lock()
	delete(r.open, b)
	r.mu.Unlock()
	r.add(e)
}

// recordingTransport enforces the client's policies (https, Authorization
// origins, gateway headers), records each exchange, tees a body prefix and
// caps the body.
type recordingTransport struct {
	c    *Client
	next http.RoundTripper
	auth *authPolicy
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	opts := t.c.opts
	rec, red := opts.Recorder, opts.Redactor
	req = req.Clone(req.Context())
	ex := Exchange{Started: time.Now(), Method: req.Method, URL: red.String(req.URL.String()), ReqBodySize: req.ContentLength}
	if req.ContentLength == 0 && req.Body != nil && req.Body != http.NoBody {
		ex.ReqBodySize = -1
	}
	if err := checkScheme(req.URL); err != nil {
		req.Header.Del("Authorization")
		ex.ReqHeader = red.Headers(req.Header)
		ex.Err = red.String(err.Error())
		ex.Notes = append(ex.Notes, "refused before sending: "+ex.Err)
		rec.add(ex)
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if err := t.c.origins.refuse(req, red); err != nil {
		req.Header.Del("Authorization")
		ex.ReqHeader = red.Headers(req.Header)
		ex.Err = err.Error()
		ex.Notes = append(ex.Notes, "not sent: its origin did not answer earlier in this run")
		rec.add(ex)
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", opts.UserAgent)
	}
	if opts.GatewayOrigin != "" && SameOrigin(req.URL, opts.GatewayOrigin) {
		for k, vs := range opts.GatewayHeaders {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
	}
	if note := t.auth.enforce(req); note != "" {
		ex.Notes = append(ex.Notes, note)
	}
	if req.GetBody != nil {
		if b, err := req.GetBody(); err == nil {
			p, cut, _ := ReadLimited(b, prefixLimit)
			ex.ReqBody = red.Prefix(string(p), prefixLimit, cut)
			// Some GetBody funcs (azcore's) hand back the request's own
			// stream, rewound: the prefix read above consumed it, so the
			// request goes out with a fresh one. In-memory bodies need no Close.
			if fresh, err := req.GetBody(); err == nil {
				req.Body = fresh
			}
		}
	}
	ex.ReqHeader = red.Headers(req.Header)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.c.origins.failed(req, err, red)
		ex.Duration = time.Since(ex.Started)
		ex.Err = red.String(unwrapURLError(err).Error())
		rec.add(ex)
		return nil, err
	}
	ex.Wait = time.Since(ex.Started)
	ex.Status = resp.StatusCode
	ex.StatusText = statusText(resp)
	ex.Proto = resp.Proto
	ex.RespHeader = red.Headers(resp.Header)
	// One byte past the limit may be read: that is how a consumer with the
	// same limit tells a body of exactly the limit from a longer one.
	limit := opts.StreamLimit + 1
	if l, ok := req.Context().Value(limitKey{}).(int64); ok && l > 0 {
		limit = l
	}
	tb := &teeBody{ctx: req.Context(), rc: resp.Body, ex: ex, rec: rec, red: red, limit: limit}
	rec.opened(tb)
	resp.Body = tb
	return resp, nil
}

func statusText(resp *http.Response) string {
	if _, text, ok := strings.Cut(resp.Status, " "); ok && text != "" {
		return text
	}
	return http.StatusText(resp.StatusCode)
}

// teeBody caps what the caller may read, keeps a prefix of it, and records
// the exchange when the body ends, fails or is closed.
type teeBody struct {
	ctx   context.Context // the request's
	rc    io.ReadCloser
	rec   *Recorder
	red   *Redactor
	limit int64

	mu     sync.Mutex
	ex     Exchange
	prefix []byte
	read   int64
	over   bool // the caller tried to read past the limit
	done   bool
}

func (b *teeBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	if b.over {
		b.mu.Unlock()
		return 0, &tooLargeError{limit: b.limit}
	}
	if room := b.limit - b.read; int64(len(p)) > room+1 {
		p = p[:room+1]
	}
	b.mu.Unlock()
	n, err := b.rc.Read(p)
	if errors.Is(err, io.EOF) && b.ctx.Err() != nil {
		// net/http sometimes ends a body cut by its context with a clean
		// EOF; a stream cut by the deadline must not look complete.
		err = b.ctx.Err()
	}
	b.mu.Lock()
	if keep := prefixLimit - len(b.prefix); keep > 0 && n > 0 {
		b.prefix = append(b.prefix, p[:min(n, keep)]...)
	}
	b.read += int64(n)
	if b.read > b.limit {
		n -= int(b.read - b.limit)
		b.read = b.limit
		b.over = true
		err = &tooLargeError{limit: b.limit}
	}
	b.mu.Unlock()
	if err != nil {
		b.finish(err)
	}
	return n, err
}

func (b *teeBody) Close() error {
	err := b.rc.Close()
	b.finish(nil)
	return err
}

// finish records the exchange once.
func (b *teeBody) finish(err error) {
	b.mu.Lock()
	if b.done {
		b.mu.Unlock()
		return
	}
	b.done = true
	ex := b.fill(err)
	b.mu.Unlock()
	b.rec.closed(b, ex)
}

// fill completes the exchange from what was read; b.mu is held.
func (b *teeBody) fill(err error) Exchange {
	ex := b.ex
	ex.Duration = time.Since(ex.Started)
	ex.RespBodySize = b.read
	ex.RespBodyCut = int64(len(b.prefix)) < b.read
	ex.RespBody = b.red.Prefix(string(b.prefix), prefixLimit, ex.RespBodyCut)
	if isSecretResponse(b.ctx) && b.read > 0 {
		ex.RespBody = Redacted + " (a secret value)"
	}
	ex.Notes = slices.Clone(ex.Notes)
	switch {
	case errors.Is(err, io.EOF):
		ex.ReadToEnd = true
	case errors.Is(err, ErrBodyTooLarge):
		ex.Notes = append(ex.Notes, "body cut: "+err.Error())
	case err != nil:
		ex.Err = "reading the body: " + b.red.String(unwrapURLError(err).Error())
	}
	return ex
}

// snapshot is the exchange as it stands while its body is still open.
func (b *teeBody) snapshot() Exchange {
	b.mu.Lock()
	defer b.mu.Unlock()
	ex := b.fill(nil)
	ex.Open = true
	return ex
}
