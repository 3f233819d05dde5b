package checks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/mcpclient"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// The MCP contract tests speak to the real Context7 MCP server (npm
// @upstash/context7-mcp 4.1.1, started on loopback by startContext7With)
// with c7doctor's MCP client and read its answers with the checks' own
// code: initialize, tools/list, a resolve-library-id call answered from a
// loopback stand-in of the Context7 API, and the -32001 refusals of
// /mcp/oauth. The lab imitates this server; these tests hold the lab and the
// checks to the real thing.

// context7API stands in for the Context7 API the server calls: the library
// search answers with Next.js, or with a 401 when refuse is set (the API's
// answer to a key it does not know); Entra configurations are not found.
type context7API struct {
	refuse atomic.Bool
}

func (a *context7API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/api/v2/libs/search":
		if a.refuse.Load() {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{}`)
			return
		}
		io.WriteString(w, `{"results":[{"id":"/vercel/next.js","title":"Next.js","description":"The React Framework","totalSnippets":4000,"trustScore":10,"benchmarkScore":90,"versions":["v15.1.0"]}]}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"not_found"}`)
	}
}

// contractEnv is an Env aimed at the real server, as a run configures one.
func contractEnv(t *testing.T, c7 *context7Server, apiPath, version string) *Env {
	t.Helper()
	client, err := wire.New(wire.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Gateway: c7.URL, APIPath: apiPath, Upstream: c7.URL + "/mcp/oauth", Tenant: "7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70",
		MCPAPIAppID: "b8e4d2a6-1c7f-4e3b-9a5d-6f0c2e8b4d19", AuthorityHost: "https://login.microsoftonline.com",
		ProtocolVersion: version, Call: true, Timeout: 10 * time.Second, Deadline: 60 * time.Second}
	return &Env{Config: cfg, HTTP: client, State: &State{}, Now: time.Now, Stderr: io.Discard,
		Target: &report.Target{Gateway: c7.URL, MCPEndpoint: cfg.MCPEndpoint()}}
}

// runCheck runs one check's function directly: the contract is about what a
// check reads, not about the checks before it (there is no gateway here).
func runCheck(t *testing.T, env *Env, run func(context.Context, *Env, *Result)) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := &Result{env: env}
	run(ctx, env, r)
	return r
}

func (r *Result) ids() []string {
	var out []string
	for _, f := range r.findings {
		out = append(out, f.ID)
	}
	return out
}

func (r *Result) evidenceOf(k string) string {
	v, _ := r.evidence.Get(k)
	return v
}

// unsignedEntraToken is a token that takes the Entra path of Context7's
// validateJWT (its issuer matches login.microsoftonline.com/<tenant>/v2.0)
// and is refused before any key is fetched.
func unsignedEntraToken(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"typ": "JWT", "alg": "RS256", "kid": "k1"}) + "." + enc(claims) + "." + base64.RawURLEncoding.EncodeToString([]byte("not-a-signature-but-long-enough"))
}

func TestContractMCP(t *testing.T) {
	api := &context7API{}
	c7 := startContext7With(t, api)

	t.Run("initialize", func(t *testing.T) {
		env := contractEnv(t, c7, "", "2025-06-18")
		r := runCheck(t, env, runMCPInitialize)
		if r.Failed() {
			t.Fatalf("mcp-initialize failed: %v %v", r.ids(), r.findings)
		}
		// Context7 4.x is stateless: the missing session id is info, nothing more.
		if !slices.Equal(r.ids(), []string{"mcp-no-session-id"}) || r.findings[0].Severity != report.Info {
			t.Errorf("findings %v, want the info mcp-no-session-id alone", r.ids())
		}
		for k, want := range map[string]string{
			"server": "Context7 4.1.1", "protocol_version": "2025-06-18", "session_id": "none", "events": "1 (message×1)",
		} {
			if got := r.evidenceOf(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if got := r.evidenceOf("initialize"); !strings.Contains(got, "→ 200 text/event-stream") {
			t.Errorf("initialize evidence %q", got)
		}
		if got := r.evidenceOf("initialized"); !strings.Contains(got, "→ 202") {
			t.Errorf("initialized evidence %q", got)
		}
		// Context7 answers GET itself with 405; APIM (the guide's POST-only
		// API) answers 404. Both are expected.
		if got := r.evidenceOf("get"); !strings.Contains(got, "405") || !strings.Contains(got, "expected") {
			t.Errorf("get evidence %q", got)
		}
		// Context7 sends its own challenge on a 200 too.
		if got := r.evidenceOf("www_authenticate"); !strings.HasPrefix(got, c7.URL+"/.well-known/oauth-protected-resource") {
			t.Errorf("www_authenticate evidence %q", got)
		}
	})

	t.Run("tools and a call", func(t *testing.T) {
		api.refuse.Store(false)
		env := contractEnv(t, c7, "", "2025-06-18")
		r := runCheck(t, env, runMCPTools)
		if len(r.findings) != 0 {
			t.Fatalf("mcp-tools findings %v: %+v", r.ids(), r.findings)
		}
		if got := r.evidenceOf("tools"); !strings.Contains(got, "resolve-library-id") || !strings.Contains(got, "query-docs") {
			t.Errorf("tools %q", got)
		}
		if got := r.evidenceOf("libraries"); got != "/vercel/next.js" {
			t.Errorf("libraries %q (answer %q)", got, r.evidenceOf("call_answer"))
		}
	})

	t.Run("call refused by the Context7 API", func(t *testing.T) {
		api.refuse.Store(true)
		defer api.refuse.Store(false)
		env := contractEnv(t, c7, "", "2025-06-18")
		r := runCheck(t, env, runMCPTools)
		// The real server's fallback text for an API 401 is what marks an
		// unprovisioned user.
		if !slices.Equal(r.ids(), []string{"context7-user-not-provisioned"}) {
			t.Fatalf("findings %v, answer %q", r.ids(), r.evidenceOf("call_answer"))
		}
	})

	t.Run("2026-07-28 answers JSON", func(t *testing.T) {
		env := contractEnv(t, c7, "", "2026-07-28")
		r := runCheck(t, env, runMCPInitialize)
		if r.Failed() {
			t.Fatalf("mcp-initialize failed: %v %+v", r.ids(), r.findings)
		}
		if got := r.evidenceOf("protocol_version"); got != "2026-07-28" {
			t.Errorf("protocol_version %q", got)
		}
		t.Logf("initialize: %s", r.evidenceOf("initialize"))
	})

	// /mcp/oauth refuses with JSON-RPC -32001; each message maps to the
	// dashboard field to fix.
	refusals := []struct {
		name, bearer, finding, message string
	}{
		{"no token", "", "context7-no-token", "Authentication required"},
		{"unknown audience", unsignedEntraToken(map[string]any{
			"iss": "https://login.microsoftonline.com/7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70/v2.0", "aud": "b8e4d2a6-1c7f-4e3b-9a5d-6f0c2e8b4d19",
			"exp": time.Now().Add(time.Hour).Unix(),
		}), "context7-401-audience", "Unknown audience"},
		{"missing audience", unsignedEntraToken(map[string]any{
			"iss": "https://login.microsoftonline.com/7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70/v2.0",
		}), "context7-401-audience", "Missing audience"},
	}
	for _, tt := range refusals {
		t.Run("oauth "+tt.name, func(t *testing.T) {
			env := contractEnv(t, c7, "", "2025-06-18")
			h := hop{gateway: false, url: c7.URL + "/mcp/oauth"}
			c, err := newMCPClient(env, h.url, tt.bearer)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.Initialize(context.Background())
			var e *mcpclient.Error
			if !errors.As(err, &e) || e.Kind != mcpclient.KindHTTP || e.RPC == nil || e.RPC.Code != -32001 || !strings.HasPrefix(e.RPC.Message, tt.message) {
				t.Fatalf("err = %v (%+v)", err, e)
			}
			r := &Result{env: env}
			if id := mcpFailure(env, r, h, err); id != tt.finding {
				t.Errorf("finding %s, want %s: %+v", id, tt.finding, r.findings)
			}
		})
	}

	// What the guide's policy forwards when Entra refuses its exchange:
	// "Authorization: Bearer " with nothing after it. Context7 takes the
	// trimmed "Bearer" for an API key and serves initialize.
	t.Run("oauth empty bearer", func(t *testing.T) {
		body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c7doctor-contract","version":"0"}}}`
		req, _ := http.NewRequest(http.MethodPost, c7.URL+"/mcp/oauth", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer ")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"serverInfo"`) {
			t.Errorf("empty bearer: %d %s", resp.StatusCode, b)
		}
	})
}
