package auth

import (
	"github.com/c7doctor/c7doctor/wire"
	"html"
	"net/url"
	"strings"
)

// EntraErrorFromRedirect reads the error Entra's /authorize sends back to a
// client's redirect URI: error, error_description (with its trace lines),
// error_uri and state in the query. It reports false when the query carries
// no error.
func EntraErrorFromRedirect(q url.Values) (*EntraError, bool) {
	if q.Get("error") == "" {
		return nil, false
	}
	d := q.Get("error_description")
	return &EntraError{
		Error: q.Get("error"), Description: d, Codes: CodesIn(d),
		TraceID: submatch(traceLine, d), CorrelationID: submatch(corrLine, d),
		Timestamp: submatch(timeLine, d), ErrorURI: q.Get("error_uri"),
	}, true
}

var (
	// Entra's error page keeps its message and ids in its $Config script
	// (strServiceExceptionMessage…) and prints them as troubleshooting
	// details ("Request Id:", "Correlation Id:").
	pageMessage = wire.NewLazyRegexp(`AADSTS\d{4,9}: [^"<\r\n]*`)
	pageTrace   = wire.NewLazyRegexp(`(?i)(?:strServiceExceptionTraceId"\s*:\s*"|Request Id:\s*|Trace ID:\s*)([0-9a-fA-F-]{36})`)
	pageCorr    = wire.NewLazyRegexp(`(?i)(?:strServiceExceptionCorrelationId"\s*:\s*"|Correlation Id:\s*)([0-9a-fA-F-]{36})`)
	pageTime    = wire.NewLazyRegexp(`(?i)(?:strServiceExceptionTimestamp"\s*:\s*"|Timestamp:\s*)([0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:.]+Z?)`)
)

// EntraErrorFromPage reads an Entra error page (the HTML /authorize shows
// when it cannot send an error back: an unknown client, a redirect URI
// that is not registered). It reports false when the page carries no
// AADSTS message, as a sign-in page does not.
func EntraErrorFromPage(page []byte, status int) (*EntraError, bool) {
	text := html.UnescapeString(string(page))
	msg := pageMessage.FindString(text)
	if msg == "" {
		return nil, false
	}
	msg = strings.TrimSpace(strings.ReplaceAll(msg, `\u0027`, "'"))
	return &EntraError{
		Description: msg, Codes: CodesIn(msg), HTTPStatus: status,
		TraceID: submatch(pageTrace, text), CorrelationID: submatch(pageCorr, text), Timestamp: submatch(pageTime, text),
	}, true
}
