package auth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"testing"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
)

func TestParseEntraErrorRecorded(t *testing.T) {
	body, err := os.ReadFile("testdata/entra/error-invalid-client-secret.http401.json")
	if err != nil {
		t.Fatal(err)
	}
	e, ok := ParseEntraError(body, 401)
	if !ok {
		t.Fatal("not parsed")
	}
	want := EntraError{
		Error:         "invalid_client",
		Description:   e.Description,
		Codes:         []int{7000215},
		TraceID:       "6bb6aa70-c6cb-4705-a554-de618c90b600",
		CorrelationID: "9945f236-c0ab-4bb8-8a38-d8cb584cea28",
		Timestamp:     "2021-11-17 23:25:07Z",
		ErrorURI:      "https://login.microsoftonline.com/error?code=7000215",
		HTTPStatus:    401,
	}
	if !reflect.DeepEqual(*e, want) {
		t.Errorf("got %+v\nwant %+v", *e, want)
	}
	if e.Message() != "AADSTS7000215: Invalid client secret is provided." || e.Code() != 7000215 || !e.Has(7000215) {
		t.Errorf("message %q code %d", e.Message(), e.Code())
	}
}

func TestParseEntraErrorFromDescriptionOnly(t *testing.T) {
	body := []byte(`{"error":"invalid_grant","error_description":"AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access 'x'.\r\nTrace ID: 11111111-2222-3333-4444-555555555555\r\nCorrelation ID: 66666666-7777-8888-9999-000000000000\r\nTimestamp: 2026-01-01 10:00:00Z","suberror":"basic_action","claims":"{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"x\"]}}}"}`)
	e, ok := ParseEntraError(body, 400)
	if !ok {
		t.Fatal("not parsed")
	}
	if e.Code() != 50076 || e.TraceID != "11111111-2222-3333-4444-555555555555" || e.CorrelationID != "66666666-7777-8888-9999-000000000000" || e.Timestamp != "2026-01-01 10:00:00Z" {
		t.Errorf("%+v", e)
	}
	if e.Suberror != "basic_action" || e.Claims == "" {
		t.Errorf("suberror %q claims %q", e.Suberror, e.Claims)
	}
}

func TestParseEntraErrorRejects(t *testing.T) {
	for _, b := range []string{"", "<html>404</html>", `{"message":"Resource not found"}`, `{"error":""}`, `[1]`} {
		if _, ok := ParseEntraError([]byte(b), 404); ok {
			t.Errorf("%q parsed as an Entra error", b)
		}
	}
	// String codes from an odd proxy still count.
	e, ok := ParseEntraError([]byte(`{"error":"x","error_codes":["AADSTS65005"]}`), 0)
	if !ok || e.Code() != 65005 {
		t.Errorf("string codes: %+v", e)
	}
}

func callErr(status int, body string, bodyConsumed bool) error {
	resp := &http.Response{StatusCode: status, Body: io.NopCloser(bytes.NewBufferString(body))}
	if bodyConsumed {
		resp.Body = io.NopCloser(bytes.NewReader(nil))
	}
	return msalerrors.CallErr{
		Resp: resp,
		Err:  fmt.Errorf("http call(https://login/x/oauth2/v2.0/token)(POST) error: reply status code was %d:\n%s", status, body),
	}
}

func TestEntraErrorFromMSAL(t *testing.T) {
	pending, _ := os.ReadFile("testdata/entra/error-authorization-pending.http400.json")
	cases := []struct {
		name string
		err  error
	}{
		{"body (OBO)", callErr(400, string(pending), false)},
		{"text only (device code)", callErr(400, string(pending), true)},
		{"wrapped", fmt.Errorf("gateway-token: %w", callErr(400, string(pending), true))},
		{"plain text", errors.New("http call(https://x)(POST) error: reply status code was 400:\n" + string(pending))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, ok := EntraErrorFrom(c.err)
			if !ok {
				t.Fatal("not found")
			}
			if e.Error != "authorization_pending" || e.Code() != 70016 || e.HTTPStatus != 400 ||
				e.TraceID != "2902ef55-9b43-4155-a7c0-1f02278e6600" || e.CorrelationID != "867ce6b1-f4b6-4f78-ad0a-1d14cc78dbf9" {
				t.Errorf("%+v", e)
			}
		})
	}
	// The body stays readable for a second reader.
	ce := callErr(401, `{"error":"invalid_client","error_codes":[7000215]}`, false)
	for i := 0; i < 2; i++ {
		if e, ok := EntraErrorFrom(ce); !ok || e.Code() != 7000215 || e.HTTPStatus != 401 {
			t.Fatalf("read %d: %+v %v", i, e, ok)
		}
	}
	for _, err := range []error{nil, errors.New("context deadline exceeded"), callErr(500, "<html>oops</html>", false)} {
		if e, ok := EntraErrorFrom(err); ok {
			t.Errorf("%v: parsed %+v", err, e)
		}
	}
}

func TestEntraErrorString(t *testing.T) {
	e := &EntraError{Error: "invalid_grant", Description: "AADSTS65001: The user or administrator has not consented.\r\nTrace ID: t", Codes: []int{65001}, TraceID: "t", CorrelationID: "c", HTTPStatus: 400}
	want := "invalid_grant: AADSTS65001: The user or administrator has not consented. (HTTP 400) trace t correlation c"
	if e.String() != want {
		t.Errorf("String() = %q", e.String())
	}
	if e.AsError().Error() != "entra: "+want {
		t.Errorf("AsError() = %q", e.AsError())
	}
}
