package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/c7doctor/c7doctor/wire"
)

// EntraError is an OAuth error as Entra's token and device-code endpoints
// send it. Field names follow Entra's JSON.
type EntraError struct {
	Error         string // "invalid_grant", "authorization_declined", …
	Description   string // error_description: "AADSTS65001: …\r\nTrace ID: …"
	Codes         []int  // error_codes, else the AADSTS numbers in the description
	TraceID       string
	CorrelationID string
	Timestamp     string
	Suberror      string // "consent_required", "basic_action", …
	Claims        string // a claims challenge (MFA, Conditional Access)
	ErrorURI      string
	HTTPStatus    int // 0 when unknown
}

// Code is the first AADSTS code, 0 when there is none.
func (e *EntraError) Code() int {
	if len(e.Codes) == 0 {
		return 0
	}
	return e.Codes[0]
}

// Has reports whether Entra named code.
func (e *EntraError) Has(code int) bool {
	for _, c := range e.Codes {
		if c == code {
			return true
		}
	}
	return false
}

// Message is the description's first line: "AADSTS65001: The user or
// administrator has not consented…", without the trace lines.
func (e *EntraError) Message() string {
	d := strings.TrimSpace(e.Description)
	if i := strings.IndexAny(d, "\r\n"); i >= 0 {
		d = strings.TrimSpace(d[:i])
	}
	return d
}

// String is one line: error, message, ids.
func (e *EntraError) String() string {
	var b strings.Builder
	b.WriteString(e.Error)
	if m := e.Message(); m != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(m)
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.TraceID != "" {
		b.WriteString(" trace " + e.TraceID)
	}
	if e.CorrelationID != "" {
		b.WriteString(" correlation " + e.CorrelationID)
	}
	return b.String()
}

// AsError wraps the Entra error as a Go error: "entra: invalid_grant: AADSTS…".
func (e *EntraError) AsError() error { return &EntraErr{E: e} }

// EntraErr is an EntraError carried as an error (EntraError's Error field
// cannot coexist with an Error method).
type EntraErr struct{ E *EntraError }

func (e *EntraErr) Error() string { return "entra: " + e.E.String() }

type entraJSON struct {
	Error         string          `json:"error"`
	Description   string          `json:"error_description"`
	Codes         json.RawMessage `json:"error_codes"`
	Timestamp     string          `json:"timestamp"`
	TraceID       string          `json:"trace_id"`
	CorrelationID string          `json:"correlation_id"`
	ErrorURI      string          `json:"error_uri"`
	Suberror      string          `json:"suberror"`
	Claims        string          `json:"claims"`
}

var (
	aadstsCode   = wire.NewLazyRegexp(`AADSTS(\d{4,9})`)
	traceLine    = wire.NewLazyRegexp(`(?i)Trace ID:\s*([0-9a-fA-F-]{8,})`)
	corrLine     = wire.NewLazyRegexp(`(?i)Correlation ID:\s*([0-9a-fA-F-]{8,})`)
	timeLine     = wire.NewLazyRegexp(`(?i)Timestamp:\s*([0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:.]+Z?)`)
	firstJSONObj = wire.NewLazyRegexp(`(?s)\{.*\}`)
	statusInText = wire.NewLazyRegexp(`reply status code was (\d{3})`)
)

// ParseEntraError reads an Entra OAuth error body. It reports false when the
// body is not one (no "error" member); status is the HTTP status, 0 if unknown.
func ParseEntraError(body []byte, status int) (*EntraError, bool) {
	var j entraJSON
	if err := json.Unmarshal(bytes.TrimSpace(body), &j); err != nil || j.Error == "" {
		return nil, false
	}
	e := &EntraError{
		Error: j.Error, Description: j.Description, TraceID: j.TraceID,
		CorrelationID: j.CorrelationID, Timestamp: j.Timestamp, Suberror: j.Suberror,
		Claims: j.Claims, ErrorURI: j.ErrorURI, HTTPStatus: status,
	}
	e.Codes = parseCodes(j.Codes)
	if len(e.Codes) == 0 {
		e.Codes = CodesIn(j.Description)
	}
	if e.TraceID == "" {
		e.TraceID = submatch(traceLine, j.Description)
	}
	if e.CorrelationID == "" {
		e.CorrelationID = submatch(corrLine, j.Description)
	}
	if e.Timestamp == "" {
		e.Timestamp = submatch(timeLine, j.Description)
	}
	return e, true
}

// parseCodes accepts error_codes as numbers or, from odd proxies, strings.
func parseCodes(raw json.RawMessage) []int {
	if len(raw) == 0 {
		return nil
	}
	var nums []int
	if err := json.Unmarshal(raw, &nums); err == nil {
		return nums
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		var out []int
		for _, s := range strs {
			if n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(s), "AADSTS")); err == nil {
				out = append(out, n)
			}
		}
		return out
	}
	return nil
}

// CodesIn finds the AADSTS codes in a text, in order, without repeats.
func CodesIn(text string) []int {
	var out []int
	seen := map[int]bool{}
	for _, m := range aadstsCode.FindAllStringSubmatch(text, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	return out
}

func submatch(re *wire.LazyRegexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// maxErrorBody bounds what is read from an MSAL error's response body.
const maxErrorBody = 1 << 20

// EntraErrorFrom finds Entra's error in what MSAL returned: an
// errors.CallErr (MSAL's value type) carries the response; its body still
// holds the JSON for most calls, but the device-code poll reads and closes
// it, leaving the JSON only in the error text after the first newline. A
// plain error whose text holds the JSON works too.
func EntraErrorFrom(err error) (*EntraError, bool) {
	if err == nil {
		return nil, false
	}
	var ce msalerrors.CallErr
	if errors.As(err, &ce) {
		status := 0
		if ce.Resp != nil {
			status = ce.Resp.StatusCode
			if ce.Resp.Body != nil {
				body, rerr := io.ReadAll(io.LimitReader(ce.Resp.Body, maxErrorBody))
				// Put it back: another reader (or a second call) may want it.
				ce.Resp.Body = io.NopCloser(bytes.NewReader(body))
				if rerr == nil {
					if e, ok := ParseEntraError(body, status); ok {
						return e, true
					}
				}
			}
		}
		if ce.Err != nil {
			if e, ok := entraErrorInText(ce.Err.Error(), status); ok {
				return e, true
			}
		}
	}
	return entraErrorInText(err.Error(), 0)
}

// entraErrorInText reads the JSON after the first newline of MSAL's message
// ("http call(…) error: reply status code was 400:\n{…}").
func entraErrorInText(text string, status int) (*EntraError, bool) {
	if status == 0 {
		if m := statusInText.FindStringSubmatch(text); m != nil {
			status, _ = strconv.Atoi(m[1])
		}
	}
	rest := text
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		rest = text[i+1:]
	}
	for _, candidate := range []string{strings.TrimSpace(rest), firstJSONObj.FindString(text)} {
		if candidate == "" {
			continue
		}
		if e, ok := ParseEntraError([]byte(candidate), status); ok {
			return e, true
		}
	}
	return nil, false
}
