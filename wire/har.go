package wire

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): the format
// browser developer tools import, so a trace can be opened there or
// attached to a support ticket. Custom fields start with "_" as the spec
// allows. Every string passes the redactor again on the way out, so values
// learned late in the run (pseudonyms, secrets) are applied to early
// exchanges too.

type harLog struct {
	Log harBody `json:"log"`
}

type harBody struct {
	Version string     `json:"version"`
	Creator harCreator `json:"creator"`
	Entries []harEntry `json:"entries"`
	Comment string     `json:"comment,omitempty"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harEntry struct {
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harTimings  `json:"timings"`
	Comment         string      `json:"comment,omitempty"`
	Error           string      `json:"_error,omitempty"`
	Notes           []string    `json:"_notes,omitempty"`
	Open            bool        `json:"_open,omitempty"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []harNV      `json:"cookies"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int64        `json:"bodySize"`
}

type harPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Comment  string `json:"comment,omitempty"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Cookies     []harNV    `json:"cookies"`
	Headers     []harNV    `json:"headers"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int64      `json:"bodySize"`
}

type harContent struct {
	Size     int64  `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

type harTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
	SSL     float64 `json:"ssl"`
}

// WriteHAR writes the exchanges as a HAR 1.2 document.
func WriteHAR(w io.Writer, exchanges []Exchange, red *Redactor, creatorVersion string) error {
	doc := harLog{Log: harBody{
		Version: "1.2",
		Creator: harCreator{Name: "c7doctor", Version: creatorVersion},
		Entries: make([]harEntry, 0, len(exchanges)),
		Comment: "Redacted by c7doctor: tokens without signatures, no secrets.",
	}}
	if red.PIIEnabled() {
		doc.Log.Comment += " Names, emails and object ids are pseudonyms."
	}
	for _, e := range exchanges {
		doc.Log.Entries = append(doc.Log.Entries, harEntryOf(e, red))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("har: %w", err)
	}
	return nil
}

func harEntryOf(e Exchange, red *Redactor) harEntry {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	wait, receive := e.Wait, e.Duration-e.Wait
	if e.Status == 0 {
		wait, receive = e.Duration, 0
	}
	receive = max(receive, 0)
	entry := harEntry{
		StartedDateTime: e.Started.Format("2006-01-02T15:04:05.000Z07:00"),
		Time:            ms(wait) + ms(receive),
		Timings:         harTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1, Send: 0, Wait: ms(wait), Receive: ms(receive)},
		Error:           red.String(e.Err),
		Open:            e.Open,
	}
	for _, n := range e.Notes {
		entry.Notes = append(entry.Notes, red.String(n))
	}
	comments := append([]string(nil), entry.Notes...)
	if e.Err != "" {
		comments = append(comments, "error: "+entry.Error)
	}
	if e.Open {
		comments = append(comments, "the body was still being read when the run ended")
	}
	entry.Comment = strings.Join(comments, "; ")

	u := red.String(e.URL)
	entry.Request = harRequest{
		Method: e.Method, URL: u, HTTPVersion: httpVersion(e.Proto),
		Cookies: []harNV{}, Headers: harHeaders(e.ReqHeader, red), QueryString: harQuery(u, red),
		HeadersSize: -1, BodySize: e.ReqBodySize,
	}
	if e.ReqBody != "" || e.ReqBodySize > 0 {
		entry.Request.PostData = &harPostData{MimeType: firstNonEmpty(e.ReqHeader.Get("Content-Type"), "application/octet-stream"), Text: red.String(e.ReqBody)}
		if e.ReqBodySize > int64(len(e.ReqBody)) {
			entry.Request.PostData.Comment = fmt.Sprintf("first %d of %d bytes", len(e.ReqBody), e.ReqBodySize)
		}
	}
	if e.Status == 0 {
		entry.Response = harResponse{Cookies: []harNV{}, Headers: []harNV{}, HeadersSize: -1, BodySize: -1,
			Content: harContent{MimeType: "x-unknown"}}
		return entry
	}
	content := harContent{Size: e.RespBodySize, MimeType: firstNonEmpty(e.RespHeader.Get("Content-Type"), "x-unknown")}
	if body := red.String(e.RespBody); body != "" {
		if utf8.ValidString(body) {
			content.Text = body
		} else {
			content.Text, content.Encoding = base64.StdEncoding.EncodeToString([]byte(body)), "base64"
		}
	}
	switch {
	case e.RespBodyCut:
		content.Comment = fmt.Sprintf("first %s of the %d bytes read", Size(int64(len(e.RespBody))), e.RespBodySize)
	case !e.ReadToEnd && !e.Open:
		content.Comment = "the body was not read to its end"
	}
	bodySize := int64(-1)
	if e.ReadToEnd {
		bodySize = e.RespBodySize
	}
	entry.Response = harResponse{
		Status: e.Status, StatusText: e.StatusText, HTTPVersion: httpVersion(e.Proto),
		Cookies: []harNV{}, Headers: harHeaders(e.RespHeader, red), Content: content,
		RedirectURL: red.String(e.RespHeader.Get("Location")), HeadersSize: -1, BodySize: bodySize,
	}
	return entry
}

func httpVersion(proto string) string {
	if proto == "" {
		return "HTTP/1.1"
	}
	return proto
}

func harHeaders(h http.Header, red *Redactor) []harNV {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []harNV{}
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, harNV{Name: k, Value: red.Header(k, v)})
		}
	}
	return out
}

// harQuery lists the query parameters in the order the URL has them.
func harQuery(raw string, red *Redactor) []harNV {
	out := []harNV{}
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return out
	}
	for _, part := range strings.Split(u.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		// Decoding may reveal a spelling the redactor did not see encoded.
		out = append(out, harNV{Name: red.String(k), Value: red.String(v)})
	}
	return out
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
