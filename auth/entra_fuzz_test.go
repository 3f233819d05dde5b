package auth

import (
	"strings"
	"testing"
)

// FuzzParseEntraError feeds the Entra error parser what a token endpoint
// (or a proxy in front of it) may answer. Seeds, among them the recorded
// Entra bodies, are in testdata/fuzz/FuzzParseEntraError.
func FuzzParseEntraError(f *testing.F) {
	f.Add([]byte(`{"error":"invalid_grant","error_description":"AADSTS50013: Assertion failed signature validation.\r\nTrace ID: a\r\nCorrelation ID: b","error_codes":["AADSTS50013"]}`), 400)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		e, ok := ParseEntraError(body, status)
		if !ok {
			if e != nil {
				t.Fatal("an error and ok=false")
			}
			return
		}
		if e.Error == "" || e.HTTPStatus != status {
			t.Fatalf("parsed %+v from %q", e, body)
		}
		if strings.ContainsAny(e.Message(), "\r\n") {
			t.Fatalf("Message() spans lines: %q", e.Message())
		}
		if !strings.HasPrefix(e.AsError().Error(), "entra: ") {
			t.Fatalf("AsError() = %q", e.AsError())
		}
		_ = e.String()
		_ = e.Code()
		for _, c := range e.Codes {
			if !e.Has(c) {
				t.Fatalf("Has(%d) is false", c)
			}
		}
	})
}

// FuzzEntraErrorInText feeds the reader of MSAL's error text, where the
// device-code poll leaves Entra's JSON after the first line.
func FuzzEntraErrorInText(f *testing.F) {
	f.Add("http call(https://login.microsoftonline.com/t/oauth2/v2.0/token)(POST) error: reply status code was 400:\n{\"error\":\"authorization_declined\",\"error_codes\":[70000]}")
	f.Add("no json here")
	f.Fuzz(func(t *testing.T, text string) {
		e, ok := entraErrorInText(text, 0)
		if ok && (e == nil || e.Error == "") {
			t.Fatalf("ok without an error from %q", text)
		}
		if ok {
			_ = e.String()
		}
		_ = CodesIn(text)
	})
}

// FuzzEntraErrorFromPage feeds the reader of Entra's error pages whatever
// HTML an authorize endpoint (or something in front of it) may show.
func FuzzEntraErrorFromPage(f *testing.F) {
	f.Add([]byte(`<script>$Config={"strServiceExceptionMessage":"AADSTS50011: The redirect URI \u0027x\u0027 does not match.","strServiceExceptionCorrelationId":"a9b8c7d6-e5f4-4321-8765-0fedcba98765"};</script>`), 200)
	f.Add([]byte(`<p class="err">AADSTS700016: Application with identifier &#39;x&#39; was not found.</p><p>Request Id: 0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0<br>Correlation Id: a9b8c7d6-e5f4-4321-8765-0fedcba98765`), 400)
	f.Add([]byte(`<form method="post"><input name="loginfmt"></form>`), 200)
	f.Fuzz(func(t *testing.T, page []byte, status int) {
		e, ok := EntraErrorFromPage(page, status)
		if !ok {
			return
		}
		if len(e.Codes) == 0 || e.HTTPStatus != status || strings.ContainsAny(e.Message(), "\r\n") {
			t.Fatalf("parsed %+v from %q", e, page)
		}
		_ = e.String()
	})
}
