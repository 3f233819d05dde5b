package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/c7doctor/c7doctor/wire"
)

// Kind says what kind of failure a read met, so that checks can tell
// "cannot look" (skip) from "looked and saw" (a finding).
type Kind int

const (
	KindOther      Kind = iota
	KindNoAccess        // 401, 403, 404 on the instance: the role is missing (or the name is wrong)
	KindCredential      // no credential could sign in
	KindThrottled       // 429 after the one retry
	KindServer          // 5xx after the one retry
	KindTarget          // the instance could not be located (inference failed)
	KindTimeout         // the read ran out of time
)

// Error is a failed read, with ARM's own error fields when it sent them
// (RetrieveError style: the protocol's fields, then a short message).
type Error struct {
	Op      string // "GET service", "list APIs"
	Kind    Kind
	Status  int    // HTTP status, 0 without an answer
	Code    string // ARM's error.code, e.g. AuthorizationFailed
	Message string // ARM's error.message, or what went wrong
	Err     error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("azure: " + e.Op + ": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d ", e.Status)
	}
	if e.Code != "" {
		b.WriteString(e.Code + ": ")
	}
	b.WriteString(e.Message)
	return strings.TrimRight(b.String(), ": ")
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf is the kind of err, KindOther when it is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindOther
}

// classify turns what the SDK returned into an *Error.
func classify(op string, err error) *Error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return already
	}
	out := &Error{Op: op, Err: err, Message: firstLine(err.Error())}
	var re *azcore.ResponseError
	var af *azidentity.AuthenticationFailedError
	var cu interface{ CredentialUnavailable() }
	switch {
	case errors.As(err, &af):
		out.Kind = KindCredential
		out.Message = "sign-in failed: " + firstLine(err.Error())
		if af.RawResponse != nil {
			out.Status = af.RawResponse.StatusCode
		}
	case errors.As(err, &cu) || strings.Contains(err.Error(), "credential unavailable") || strings.Contains(err.Error(), "DefaultAzureCredential") || strings.Contains(err.Error(), "ChainedTokenCredential"):
		out.Kind = KindCredential
		out.Message = "no Azure sign-in available: " + firstLine(err.Error())
	case errors.As(err, &re):
		out.Status, out.Code = re.StatusCode, re.ErrorCode
		out.Message = armMessage(re)
		switch {
		case re.StatusCode == http.StatusUnauthorized, re.StatusCode == http.StatusForbidden, re.StatusCode == http.StatusNotFound:
			out.Kind = KindNoAccess
		case re.StatusCode == http.StatusTooManyRequests:
			out.Kind = KindThrottled
		case re.StatusCode >= 500:
			out.Kind = KindServer
		}
	case errors.Is(err, context.DeadlineExceeded):
		out.Kind = KindTimeout
		out.Message = "no answer in time"
	case errors.Is(err, errEmptyAnswer):
		out.Kind = KindServer
		out.Message = errEmptyAnswer.Error()
	case wire.IsTooLarge(err):
		out.Kind = KindServer
		out.Message = "the answer is larger than the read's limit: read stopped there"
	}
	return out
}

// armMessage is ARM's error.message, without the SDK's dump of the
// exchange (which repeats the body and headers).
func armMessage(re *azcore.ResponseError) string {
	if re.RawResponse != nil {
		if body, err := runtime.Payload(re.RawResponse); err == nil {
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
				return firstLine(e.Error.Message)
			}
		}
	}
	if re.RawResponse != nil && isHTML(re.RawResponse) {
		return http.StatusText(re.StatusCode) + " (an HTML page, not ARM's JSON)"
	}
	return http.StatusText(re.StatusCode)
}

// isHTML reports an answer that is an HTML page (a proxy's or load
// balancer's error page), whatever its Content-Type says.
func isHTML(resp *http.Response) bool {
	if strings.Contains(strings.ToLower(resp.Header.Get("Content-Type")), "html") {
		return true
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return false
	}
	head := strings.ToLower(strings.TrimSpace(string(body[:min(len(body), 64)])))
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
