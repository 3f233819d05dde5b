package mcpclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/c7doctor/c7doctor/wire"
)

// ErrBodyTooLarge ends a read once a response passes the client's limit.
var ErrBodyTooLarge = errors.New("mcpclient: response body exceeds the limit")

// Exchange is one HTTP request the MCP client made and what came back, as
// seen on the wire: mcp-go exposes neither status codes nor headers, so the
// client records them beneath it.
type Exchange struct {
	Method string
	URL    string
	// RPCMethod is the JSON-RPC method the request carried ("initialize",
	// "notifications/initialized", "tools/list"…); "" for GET and DELETE.
	RPCMethod string
	// RequestHeader holds what the client sent that matters for diagnosis;
	// Authorization is never kept, only Auth below.
	RequestHeader http.Header
	// Auth describes the Authorization the request carried: "none",
	// "bearer (empty)" or "bearer".
	Auth string

	Started  time.Time
	Status   int // 0 when no answer came
	Header   http.Header
	Body     []byte // at most the limit
	Duration time.Duration
	// HeaderTime is how long the status line and headers took.
	HeaderTime time.Duration

	// TooLarge: the body went past the limit and reading stopped there.
	TooLarge bool
	// Ended: the server ended the body (EOF was read). A stream the client
	// stopped reading after its answer has Ended false.
	Ended bool
	// ReadErr is why reading the body failed, if it did (reset, timeout).
	ReadErr error
	// Err is why no answer came (refused, timeout, TLS…).
	Err error
}

// ContentType is the media type without parameters, lower case.
func (e *Exchange) ContentType() string {
	if e.Header == nil {
		return ""
	}
	mt, _, err := mime.ParseMediaType(e.Header.Get("Content-Type"))
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.Split(e.Header.Get("Content-Type"), ";")[0]))
	}
	return mt
}

// IsSSE reports a text/event-stream answer.
func (e *Exchange) IsSSE() bool { return e.ContentType() == "text/event-stream" }

// SessionID is the Mcp-Session-Id the server answered with.
func (e *Exchange) SessionID() string {
	if e.Header == nil {
		return ""
	}
	return e.Header.Get("Mcp-Session-Id")
}

// WWWAuthenticate is every WWW-Authenticate value of the answer, joined.
func (e *Exchange) WWWAuthenticate() string {
	if e.Header == nil {
		return ""
	}
	return strings.Join(e.Header.Values("WWW-Authenticate"), ", ")
}

// Events parses the captured body as an event stream. cut is set when the
// server ended the stream inside an event; partial is that event's data.
func (e *Exchange) Events() (events []Event, cut bool, partial string) {
	if !e.IsSSE() {
		return nil, false, ""
	}
	return ParseSSE(e.Body, e.Ended)
}

// String is a one-line summary for evidence: "POST initialize → 200 text/event-stream, 1.2 KiB in 85ms".
func (e *Exchange) String() string {
	what := e.Method
	if e.RPCMethod != "" {
		what += " " + e.RPCMethod
	}
	if e.Err != nil {
		return fmt.Sprintf("%s → no answer (%v) after %s", what, e.Err, e.Duration.Round(time.Millisecond))
	}
	ct := e.ContentType()
	if ct == "" {
		ct = "no content type"
	}
	s := fmt.Sprintf("%s → %d %s, %d bytes in %s", what, e.Status, ct, len(e.Body), e.Duration.Round(time.Millisecond))
	if e.TooLarge {
		s += " (cut at the size limit)"
	}
	return s
}

// recorder is the http.RoundTripper beneath mcp-go: it notes each request
// and reads each answer into a bounded buffer as the caller consumes it.
type recorder struct {
	next  http.RoundTripper
	limit int64

	mu        sync.Mutex
	exchanges []*Exchange
}

// keptRequestHeaders are the request headers worth showing.
var keptRequestHeaders = []string{"Accept", "Content-Type", "Mcp-Protocol-Version", "Mcp-Session-Id", "Last-Event-Id", "Mcp-Method", "Mcp-Name"}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := &Exchange{Method: req.Method, URL: req.URL.String(), Started: time.Now(), RequestHeader: http.Header{}}
	for _, k := range keptRequestHeaders {
		if v := req.Header.Values(k); len(v) > 0 {
			ex.RequestHeader[k] = append([]string(nil), v...)
		}
	}
	ex.Auth = describeAuth(req.Header.Values("Authorization"))
	if req.GetBody != nil {
		if b, err := req.GetBody(); err == nil {
			head, _ := io.ReadAll(io.LimitReader(b, 64<<10))
			b.Close()
			ex.RPCMethod = rpcMethodOf(head)
		}
	}
	r.mu.Lock()
	r.exchanges = append(r.exchanges, ex)
	r.mu.Unlock()

	resp, err := r.next.RoundTrip(req)
	r.mu.Lock()
	ex.HeaderTime = time.Since(ex.Started)
	if err != nil {
		ex.Err = err
		ex.Duration = ex.HeaderTime
		r.mu.Unlock()
		return nil, err
	}
	ex.Status = resp.StatusCode
	ex.Header = resp.Header.Clone()
	sse := ex.IsSSE()
	r.mu.Unlock()
	body := &capturedBody{rc: resp.Body, ex: ex, r: r}
	if !sse {
		// A whole document (JSON, HTML, an error page): read it now, so the
		// capture holds it even when mcp-go never reads it (it does not on a
		// 401) or stops at the first JSON value.
		buf, rerr := io.ReadAll(body)
		body.Close()
		var tail error = io.EOF
		if rerr != nil {
			tail = rerr
		}
		resp.Body = &replayBody{r: bytes.NewReader(buf), tail: tail}
		return resp, nil
	}
	resp.Body = body
	return resp, nil
}

// exchangesSince returns copies of the exchanges recorded from index i on,
// as they stand now (a stream may still be read after a call returned).
func (r *recorder) exchangesSince(i int) []*Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i > len(r.exchanges) {
		return nil
	}
	out := make([]*Exchange, 0, len(r.exchanges)-i)
	for _, ex := range r.exchanges[i:] {
		c := *ex
		c.Body = bytes.Clone(ex.Body)
		c.Header = ex.Header.Clone()
		c.RequestHeader = ex.RequestHeader.Clone()
		out = append(out, &c)
	}
	return out
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.exchanges)
}

// capturedBody keeps what the caller reads, up to the limit, and notes how
// the body ended. The exchange is shared with the recorder: every write to
// it holds the recorder's lock.
type capturedBody struct {
	rc   io.ReadCloser
	ex   *Exchange
	r    *recorder
	read int64 // only the reading goroutine touches it
	done bool  // under r.mu
}

func (b *capturedBody) Read(p []byte) (int, error) {
	limit := b.r.limit
	if b.read >= limit {
		b.r.mu.Lock()
		b.ex.TooLarge = true
		b.r.mu.Unlock()
		return 0, ErrBodyTooLarge
	}
	if room := limit - b.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.rc.Read(p)
	b.read += int64(n)
	if err == nil && b.read >= limit {
		// Look one byte further: a body of exactly the limit is fine.
		var one [1]byte
		m, err2 := b.rc.Read(one[:])
		switch {
		case m > 0:
			err = ErrBodyTooLarge
		case err2 != nil:
			err = err2
		}
	}
	b.r.mu.Lock()
	if n > 0 && !b.done {
		b.ex.Body = append(b.ex.Body, p[:n]...)
	}
	switch {
	case err == io.EOF:
		b.ex.Ended = true
	case errors.Is(err, ErrBodyTooLarge), wire.IsTooLarge(err):
		b.ex.TooLarge = true
	case err != nil && b.ex.ReadErr == nil && !b.done && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
		// A read the client's own deadline ended is a stall, not a break.
		b.ex.ReadErr = err
	}
	b.r.mu.Unlock()
	return n, err
}

func (b *capturedBody) Close() error {
	// Mark first: a read the close interrupts is the client's doing, not
	// the server's.
	b.r.mu.Lock()
	if !b.done {
		b.done = true
		b.ex.Duration = time.Since(b.ex.Started)
	}
	b.r.mu.Unlock()
	return b.rc.Close()
}

// replayBody hands back a body read in full, then the way it ended.
type replayBody struct {
	r    *bytes.Reader
	tail error
}

func (b *replayBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, b.tail
	}
	return n, err
}

func (b *replayBody) Close() error { return nil }

func describeAuth(values []string) string {
	if len(values) == 0 {
		return "none"
	}
	v := strings.TrimSpace(values[0])
	scheme, cred, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return strings.ToLower(scheme)
	}
	if strings.TrimSpace(cred) == "" {
		return "bearer (empty)"
	}
	return "bearer"
}

// rpcMethodOf reads the method of a JSON-RPC message (or the first of a batch).
func rpcMethodOf(body []byte) string {
	body = bytes.TrimSpace(body)
	var one struct {
		Method string `json:"method"`
		ID     any    `json:"id"`
		Result any    `json:"result"`
		Error  any    `json:"error"`
	}
	if len(body) > 0 && body[0] == '[' {
		var batch []json.RawMessage
		if json.Unmarshal(body, &batch) == nil && len(batch) > 0 {
			body = batch[0]
		}
	}
	if json.Unmarshal(body, &one) != nil {
		return ""
	}
	if one.Method == "" && (one.Result != nil || one.Error != nil) {
		return "response"
	}
	return one.Method
}
