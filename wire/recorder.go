package wire

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// prefixLimit is how much of each body the recorder keeps for evidence.
const prefixLimit = 4 << 10

// Exchange is one recorded request and its answer, already redacted.
type Exchange struct {
	Started    time.Time
	Method     string
	URL        string
	ReqHeader  http.Header
	ReqBody    string
	Status     int
	RespHeader http.Header
	RespBody   string // prefix, redacted
	Duration   time.Duration
	Err        string
}

// Recorder keeps every exchange of a run, redacted, and optionally tells a
// listener (for -v) as each completes.
type Recorder struct {
	mu        sync.Mutex
	red       *Redactor
	exchanges []Exchange
	listeners []func(Exchange)
}

// NewRecorder returns an empty recorder redacting with red.
func NewRecorder(red *Redactor) *Recorder { return &Recorder{red: red} }

// OnExchange registers fn to be called with each completed exchange.
func (r *Recorder) OnExchange(fn func(Exchange)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listeners = append(r.listeners, fn)
}

// Exchanges returns a copy of what was recorded.
func (r *Recorder) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Exchange(nil), r.exchanges...)
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

func (r *Recorder) headers(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		for _, v := range vs {
			if strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "Ocp-Apim-Subscription-Key") || strings.EqualFold(k, "Cookie") {
				v = r.redactAuthorization(v)
			}
			out.Add(k, r.red.String(v))
		}
	}
	return out
}

func (r *Recorder) redactAuthorization(v string) string {
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok {
		return Redacted
	}
	if strings.HasPrefix(cred, "eyJ") && strings.Count(cred, ".") == 2 {
		return scheme + " " + StripSignature(cred)
	}
	if cred == "" {
		return scheme + " "
	}
	return scheme + " " + Redacted
}

// recordingTransport adds gateway headers, records, and tees a body prefix.
type recordingTransport struct {
	c    *Client
	next http.RoundTripper
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	opts := t.c.opts
	req = req.Clone(req.Context())
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
	var reqBody string
	if req.GetBody != nil {
		if b, err := req.GetBody(); err == nil {
			p, _, _ := ReadLimited(b, prefixLimit)
			b.Close()
			reqBody = string(p)
		}
	}
	rec := t.c.opts.Recorder
	ex := Exchange{
		Started: time.Now(), Method: req.Method, URL: rec.red.String(req.URL.String()),
		ReqHeader: rec.headers(req.Header), ReqBody: rec.red.String(reqBody),
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		ex.Duration = time.Since(ex.Started)
		ex.Err = rec.red.String(unwrapURLError(err).Error())
		rec.add(ex)
		return nil, err
	}
	ex.Status = resp.StatusCode
	ex.RespHeader = rec.headers(resp.Header)
	resp.Body = &teeBody{rc: resp.Body, ex: ex, rec: rec}
	return resp, nil
}

// teeBody keeps a prefix of what the caller reads and records the exchange
// when the caller closes the body.
type teeBody struct {
	rc     io.ReadCloser
	ex     Exchange
	rec    *Recorder
	prefix []byte
	once   sync.Once
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if room := prefixLimit - len(b.prefix); room > 0 && n > 0 {
		b.prefix = append(b.prefix, p[:min(n, room)]...)
	}
	return n, err
}

func (b *teeBody) Close() error {
	err := b.rc.Close()
	b.once.Do(func() {
		b.ex.Duration = time.Since(b.ex.Started)
		b.ex.RespBody = b.rec.red.String(string(b.prefix))
		b.rec.add(b.ex)
	})
	return err
}

// SameOrigin reports whether u has the given scheme://host[:port] origin.
func SameOrigin(u *url.URL, origin string) bool {
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Scheme, o.Scheme) && strings.EqualFold(hostPort(u), hostPort(o))
}

// Origin returns scheme://host[:port] of a URL string.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}
