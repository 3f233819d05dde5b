package checks

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/report"
)

// challengeWith makes the MCP endpoint answer 401 with these WWW-Authenticate
// values and body.
func challengeWith(body string, values ...string) func(w *discWorld) {
	return func(w *discWorld) {
		w.gw["POST /context7/mcp"] = func(rw http.ResponseWriter, r *http.Request) {
			for _, v := range values {
				rw.Header().Add("WWW-Authenticate", strings.ReplaceAll(v, "GW", w.gateway.URL))
			}
			rw.Header().Set("Content-Type", "application/json")
			rw.WriteHeader(401)
			rw.Write([]byte(body))
		}
	}
}

const apim401 = `{ "statusCode": 401, "message": "Unauthorized." }`

func TestChallengeCases(t *testing.T) {
	runDiscCases(t, []discCase{
		{name: "healthy", check: "challenge", status: report.Pass,
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				reqs := w.gatewayRequests()
				if len(reqs) != 1 || reqs[0] != "POST /context7/mcp" {
					t.Errorf("requests %q", reqs)
				}
				if got := discEvidence(rep, "challenge", "resource_metadata"); got != w.gateway.URL+"/.well-known/oauth-protected-resource" {
					t.Errorf("resource_metadata evidence %q", got)
				}
				if got, want := discEvidence(rep, "challenge", "challenge_1"), `Bearer resource_metadata="`+w.gateway.URL+`/.well-known/oauth-protected-resource"`; got != want {
					t.Errorf("challenge_1 evidence %q, want %q", got, want)
				}
			}},
		{name: "open API", check: "challenge", want: []string{"mcp-api-open"},
			break_: func(w *discWorld) {
				w.gw["POST /context7/mcp"] = discBody(200, "text/event-stream", "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n")
			}},
		{name: "no MCP operation", check: "challenge", want: []string{"mcp-endpoint-not-found"},
			break_: func(w *discWorld) { delete(w.gw, "POST /context7/mcp") },
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if got := discEvidence(rep, "challenge", "body"); !strings.Contains(got, `APIM's own error body: statusCode 404, message "Resource not found"`) {
					t.Errorf("body evidence %q", got)
				}
			}},
		{name: "wrong api path", check: "challenge", want: []string{"mcp-endpoint-not-found"},
			tweak: func(c *Config) { c.APIPath = "ctx7" }},
		{name: "subscription key", check: "challenge", want: []string{"apim-subscription-required"},
			break_: challengeWith(`{ "statusCode": 401, "message": "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API." }`)},
		{name: "policy error", check: "challenge", want: []string{"challenge-unexpected-status"},
			break_: func(w *discWorld) {
				w.gw["POST /context7/mcp"] = discBody(500, "application/json", `{ "statusCode": 500, "message": "Internal server error", "activityId": "x" }`)
			}},
		{name: "html error page", check: "challenge", want: []string{"challenge-unexpected-status"},
			break_: func(w *discWorld) {
				w.gw["POST /context7/mcp"] = discBody(502, "text/html", "<html><head><title>502 Bad Gateway</title></head></html>")
			},
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if got := discEvidence(rep, "challenge", "body"); got != `an HTML page titled "502 Bad Gateway"` {
					t.Errorf("body evidence %q", got)
				}
			}},
		{name: "no header", check: "challenge", want: []string{"www-authenticate-missing"}, break_: challengeWith(apim401)},
		{name: "basic only", check: "challenge", want: []string{"www-authenticate-not-bearer"}, break_: challengeWith(apim401, `Basic realm="apim"`)},
		{name: "garbage", check: "challenge", want: []string{"www-authenticate-malformed"}, break_: challengeWith(apim401, `"Bearer"`)},
		{name: "unterminated quote", check: "challenge", want: []string{"www-authenticate-malformed"},
			break_: challengeWith(apim401, `Bearer resource_metadata="GW/.well-known/oauth-protected-resource`)},
		{name: "unquoted URL is read, with a warning", check: "challenge", want: []string{"www-authenticate-malformed"}, status: report.Warn,
			break_: challengeWith(apim401, `Bearer resource_metadata=GW/.well-known/oauth-protected-resource`),
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if env.State.Discovery.ResourceMetadataURL != w.gateway.URL+"/.well-known/oauth-protected-resource" {
					t.Errorf("ResourceMetadataURL %q", env.State.Discovery.ResourceMetadataURL)
				}
			}},
		{name: "no resource_metadata", check: "challenge", want: []string{"resource-metadata-missing"}, break_: challengeWith(apim401, `Bearer realm="apim", error="invalid_token"`)},
		{name: "placeholder", check: "challenge", want: []string{"resource-metadata-placeholder"},
			break_: challengeWith(apim401, `Bearer resource_metadata="https://<your-apim-host>/.well-known/oauth-protected-resource"`)},
		{name: "relative", check: "challenge", want: []string{"resource-metadata-invalid"},
			break_: challengeWith(apim401, `Bearer resource_metadata="/.well-known/oauth-protected-resource"`)},
		{name: "plain http off loopback", check: "challenge", want: []string{"resource-metadata-invalid"},
			break_: challengeWith(apim401, `Bearer resource_metadata="http://apim.example.net/.well-known/oauth-protected-resource"`)},
		{name: "another host", check: "challenge", want: []string{"resource-metadata-foreign"},
			break_: challengeWith(apim401, `Bearer resource_metadata="https://apim-old.azure-api.net/.well-known/oauth-protected-resource"`)},
		{name: "another host is not followed", only: []string{"challenge", "prm"}, check: "prm", want: []string{"prm-resource-prefix"},
			break_: challengeWith(apim401, `Bearer resource_metadata="https://apim-old.azure-api.net/.well-known/oauth-protected-resource"`),
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if got := discEvidence(rep, "prm", "not_followed"); !strings.HasPrefix(got, "https://apim-old.azure-api.net/") {
					t.Errorf("not_followed %q", got)
				}
			}},
		{name: "Context7 passed through", check: "challenge", want: []string{"challenge-from-context7", "resource-metadata-foreign"},
			break_: challengeWith(`{"jsonrpc":"2.0","error":{"code":-32001,"message":"Authentication required. Please authenticate to use this MCP server."},"id":null}`,
				`Bearer resource_metadata="https://mcp.context7.com/.well-known/oauth-protected-resource"`),
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if f := discFinding(rep, "challenge", "resource-metadata-foreign"); f == nil || !strings.Contains(f.Detail, "Context7's own metadata") {
					t.Errorf("foreign finding should name Context7: %+v", f)
				}
			}},
		{name: "two headers, two URLs", check: "challenge", want: []string{"resource-metadata-ambiguous"}, status: report.Warn,
			break_: challengeWith(apim401, `Bearer resource_metadata="GW/.well-known/oauth-protected-resource"`, `Bearer resource_metadata="https://mcp.context7.com/.well-known/oauth-protected-resource"`)},
		{name: "several challenges in one header", check: "challenge", status: report.Pass,
			break_: challengeWith(apim401, `Basic realm="x", Bearer realm="apim", resource_metadata="GW/.well-known/oauth-protected-resource", scope="api://`+discGwApp+`/Mcp.Gateway.Access openid"`),
			more: func(t *testing.T, w *discWorld, rep *report.Report, env *Env) {
				if n := len(env.State.Discovery.Challenges); n != 2 {
					t.Errorf("%d challenges parsed", n)
				}
				if got := discEvidence(rep, "challenge", "scope"); !strings.Contains(got, "Mcp.Gateway.Access") {
					t.Errorf("scope evidence %q", got)
				}
			}},
		{name: "scope of another app", check: "challenge", want: []string{"challenge-scope-mismatch"},
			break_: challengeWith(apim401, `Bearer resource_metadata="GW/.well-known/oauth-protected-resource", scope="api://`+discWrongApp+`/Mcp.Gateway.Access"`)},
		{name: "slow gateway", check: "challenge", want: []string{"gateway-timeout"},
			tweak: func(c *Config) { c.Timeout = 200 * 1e6 },
			break_: func(w *discWorld) {
				w.gw["POST /context7/mcp"] = func(rw http.ResponseWriter, r *http.Request) {
					io.Copy(io.Discard, r.Body) // the server notices a client that leaves only once the body is read
					<-r.Context().Done()
					// Returning would answer "200 OK" with an empty body, which
					// a client giving up at that instant may still read.
					panic(http.ErrAbortHandler)
				}
			}},
	})
}

func TestChallengeUnreachable(t *testing.T) {
	w := newDiscWorld(t)
	w.gateway.Close()
	rep, _ := w.run(t, []string{"challenge"}, nil)
	if got := findingIDs(rep, "challenge"); len(got) != 1 || got[0] != "gateway-unreachable" {
		t.Fatalf("findings %v", got)
	}
}
