package checks

import (
	"net/http"
	"slices"
	"testing"

	"github.com/c7doctor/c7doctor/report"
)

func tokenAnswers(h http.HandlerFunc) func(w *discWorld) {
	return func(w *discWorld) { w.gw["POST /token"] = h }
}

func TestTokenProxyCases(t *testing.T) {
	runDiscCases(t, []discCase{
		{name: "Entra answers", check: "token-proxy", status: report.Pass,
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				for k, want := range map[string]string{"error": "invalid_grant", "aadsts": "9002313", "trace_id": "0d9e5a2c-0000-4000-8000-000000000001", "status": "400 Bad Request"} {
					if got := discEvidence(rep, "token-proxy", k); got != want {
						t.Errorf("evidence %s = %q, want %q", k, got, want)
					}
				}
			}},
		{name: "no operation", check: "token-proxy", want: []string{"token-proxy-not-found"},
			break_: func(w *discWorld) { delete(w.gw, "POST /token") }},
		{name: "HTML", check: "token-proxy", want: []string{"token-proxy-not-entra"},
			break_: tokenAnswers(discBody(200, "text/html", "<html><head><title>Welcome to nginx!</title></head></html>"))},
		{name: "APIM's own error", check: "token-proxy", want: []string{"token-proxy-not-entra"},
			break_: tokenAnswers(discBody(500, "application/json", `{ "statusCode": 500, "message": "Internal server error" }`))},
		{name: "another OAuth server", check: "token-proxy", want: []string{"token-proxy-not-entra"},
			break_: tokenAnswers(discBody(400, "application/json", `{"error":"invalid_grant","error_description":"bad code"}`))},
		{name: "unknown tenant", check: "token-proxy", want: []string{"token-proxy-wrong-tenant"},
			break_: tokenAnswers(func(rw http.ResponseWriter, r *http.Request) {
				discEntraError(rw, 400, "invalid_tenant", 90002, "Tenant '<your-tenant-id>' not found.")
			}),
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				f := discFinding(rep, "token-proxy", "token-proxy-wrong-tenant")
				if !slices.Equal(f.AADSTS, []int{90002}) || f.TraceID == "" || f.CorrelationID == "" {
					t.Errorf("finding %+v", f)
				}
			}},
		{name: "app not in tenant", check: "token-proxy", want: []string{"token-proxy-app-not-in-tenant"},
			break_: tokenAnswers(func(rw http.ResponseWriter, r *http.Request) {
				discEntraError(rw, 400, "unauthorized_client", 700016, "Application with identifier 'x' was not found in the directory 'y'.")
			})},
		{name: "confidential client only", check: "token-proxy", want: []string{"token-proxy-secret-required"}, status: report.Warn,
			break_: tokenAnswers(func(rw http.ResponseWriter, r *http.Request) {
				discEntraError(rw, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
			})},
		{name: "the request", check: "token-proxy", status: report.Pass,
			break_: tokenAnswers(func(rw http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				if r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("client_id") != discGwApp ||
					len(r.PostForm.Get("code")) < 20 || r.PostForm.Get("code_verifier") == "" || r.PostForm.Get("client_secret") != "" {
					discBody(418, "text/plain", "unexpected request: "+r.PostForm.Encode())(rw, r)
					return
				}
				discEntraError(rw, 400, "invalid_grant", 9002313, "Invalid request.")
			})},
	})
}
