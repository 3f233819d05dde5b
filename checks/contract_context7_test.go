package checks

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// The contract tests run the challenge and prm checks against the real
// Context7 MCP server (npm @upstash/context7-mcp, pinned in
// testdata/contract/package.json; `npm ci` there installs it, .ci/run does).
// They prove c7doctor reads that server's 401, challenge and metadata as
// they really are, not as the lab imitates them.

const context7Version = "4.1.1"

// context7Server is a running Context7 MCP server on loopback.
type context7Server struct {
	URL  string // http://127.0.0.1:<port>
	Auth string // the loopback stub it names as its authorization servers
}

func startContext7(t *testing.T) *context7Server {
	t.Helper()
	return startContext7With(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"not_found"}`)
	}))
}

// startContext7With starts the server with api answering everything it
// calls (the Context7 API under /api, its authorization servers).
func startContext7With(t *testing.T, api http.Handler) *context7Server {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: the Context7 contract test needs Node.js and `npm ci` in testdata/contract")
	}
	entry, err := filepath.Abs(filepath.Join("..", "testdata", "contract", "node_modules", "@upstash", "context7-mcp", "dist", "index.js"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(entry); err != nil {
		t.Skipf("@upstash/context7-mcp is not installed: run `npm ci` in testdata/contract (%v)", err)
	}
	pkg, err := os.ReadFile(filepath.Join(filepath.Dir(entry), "..", "package.json"))
	if err != nil || !strings.Contains(string(pkg), `"version": "`+context7Version+`"`) {
		t.Fatalf("testdata/contract holds another @upstash/context7-mcp than %s: run `npm ci` there", context7Version)
	}

	// Everything the server may call stays on loopback: the Context7 API,
	// the authorization servers it advertises, their key sets.
	stub := httptest.NewServer(api)
	t.Cleanup(stub.Close)

	for attempt := 1; ; attempt++ {
		srv, err := launchContext7(t, node, entry, stub.URL)
		if err == nil {
			return srv
		}
		if attempt == 3 {
			t.Fatalf("context7-mcp: %v", err)
		}
		t.Logf("context7-mcp, attempt %d: %v", attempt, err)
	}
}

var context7Listening = regexp.MustCompile(`running on HTTP at http://localhost:(\d+)/mcp`)

// launchContext7 starts the server on a port picked here. The server moves
// to the next port when its port is busy, silently as far as a client can
// tell, so the port it reports must be the one asked for.
func launchContext7(t *testing.T, node, entry, stubURL string) (*context7Server, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, entry, "--transport", "http", "--port", strconv.Itoa(port))
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"RESOURCE_URL=" + base,
		"CONTEXT7_API_URL=" + stubURL + "/api",
		"OAUTH_AUTH_SERVER_URL=" + stubURL,
		"OAUTH_JWKS_URL=" + stubURL + "/.well-known/jwks.json",
		"EMA_ISSUER=" + stubURL + "/ema",
		"EMA_JWKS_URL=" + stubURL + "/ema/jwks",
		"OTEL_SDK_DISABLED=true",
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start: %w", err)
	}
	stop := func() {
		cancel()
		_ = cmd.Wait()
	}
	listening := make(chan int, 1)
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if log.Len() < 4096 {
				log.WriteString(sc.Text() + "\n")
			}
			if m := context7Listening.FindStringSubmatch(sc.Text()); m != nil {
				p, _ := strconv.Atoi(m[1])
				select {
				case listening <- p:
				default:
				}
			}
		}
		close(listening)
	}()
	select {
	case p, ok := <-listening:
		switch {
		case !ok:
			stop()
			return nil, fmt.Errorf("exited before listening")
		case p != port:
			stop()
			return nil, fmt.Errorf("port %d was busy, the server moved to %d", port, p)
		}
	case <-time.After(30 * time.Second):
		stop()
		return nil, fmt.Errorf("not listening after 30s")
	}
	t.Cleanup(stop)
	return &context7Server{URL: base, Auth: stubURL}, nil
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// runDiscAgainst runs checks against an MCP endpoint of another shape than
// <gateway>/<api-path>/mcp.
func runDiscAgainst(t *testing.T, origin, mcpURL string, only ...string) (*report.Report, *Env) {
	t.Helper()
	client, err := wire.New(wire.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Gateway: origin, APIPath: "mcp", AuthorityHost: "https://login.microsoftonline.com",
		ProtocolVersion: "2025-06-18", Timeout: 10 * time.Second, Deadline: 60 * time.Second}
	env := &Env{Config: cfg, HTTP: client, State: &State{}, Now: time.Now, Stderr: io.Discard,
		Target: &report.Target{Gateway: origin, MCPEndpoint: mcpURL}}
	env.State.Discovery.Endpoint = mcpURL
	return Run(context.Background(), env, All, Selection{Only: only}), env
}

func TestContractContext7(t *testing.T) {
	c7 := startContext7(t) // one server for both: it takes seconds to start
	t.Run("oauth endpoint", func(t *testing.T) { contractOAuthEndpoint(t, c7) })
	t.Run("open endpoint", func(t *testing.T) { contractOpenEndpoint(t, c7) })
}

// On /mcp/oauth the server wants a token and says where its metadata is.
func contractOAuthEndpoint(t *testing.T, c7 *context7Server) {
	rep, env := runDiscAgainst(t, c7.URL, c7.URL+"/mcp/oauth", "challenge", "prm")

	ch, _ := rep.Find("challenge")
	ev := func(c *report.Check, k string) string { v, _ := c.Evidence.Get(k); return v }
	wantMeta := c7.URL + "/.well-known/oauth-protected-resource"
	if got := ev(ch, "status"); got != "401 Unauthorized" {
		t.Errorf("challenge status discEvidence %q", got)
	}
	if got := ev(ch, "www_authenticate"); got != `Bearer resource_metadata="`+wantMeta+`"` {
		t.Errorf("www_authenticate evidence %q: want the header as sent", got)
	}
	if got := ev(ch, "resource_metadata"); got != wantMeta {
		t.Errorf("resource_metadata %q, want %q", got, wantMeta)
	}
	if got := ev(ch, "body"); !strings.Contains(got, "JSON-RPC error -32001") || !strings.Contains(got, "Authentication required") {
		t.Errorf("body discEvidence %q: want Context7's -32001 refusal", got)
	}
	// Straight at Context7 the refusal is Context7's own, and the metadata
	// URL is on the server's origin: that is all the check should say.
	if got := findingIDs(rep, "challenge"); !slices.Equal(got, []string{"challenge-from-context7"}) {
		t.Errorf("challenge findings %v, want [challenge-from-context7]", got)
	}
	if cs := env.State.Discovery.Challenges; len(cs) != 1 || !cs[0].Is("Bearer") || len(cs[0].Params) != 1 {
		t.Errorf("parsed challenges %#v, want one Bearer with resource_metadata alone", cs)
	}
	if env.State.Discovery.ResourceMetadataURL != wantMeta {
		t.Errorf("ResourceMetadataURL %q", env.State.Discovery.ResourceMetadataURL)
	}

	prm, _ := rep.Find("prm")
	if got := ev(prm, "url"); got != wantMeta {
		t.Errorf("prm read from %q, want the challenge's URL %q", got, wantMeta)
	}
	if got := ev(prm, "tried"); !strings.Contains(got, c7.URL+"/.well-known/oauth-protected-resource/mcp/oauth (well-known, endpoint path inserted): 404 Not Found") {
		t.Errorf("tried %q: want the path-inserted URL's 404", got)
	}
	doc := env.State.Discovery.PRM
	if doc == nil {
		t.Fatalf("no PRM read; findings %v", findingIDs(rep, "prm"))
	}
	if doc.Resource != c7.URL || ev(prm, "resource_match") != "prefix" {
		t.Errorf("resource %q match %q, want %q prefix", doc.Resource, ev(prm, "resource_match"), c7.URL)
	}
	if !slices.Equal(doc.AuthorizationServers, []string{c7.Auth, c7.Auth + "/ema"}) {
		t.Errorf("authorization_servers %q", doc.AuthorizationServers)
	}
	if !slices.Equal(doc.ScopesSupported, []string{"profile", "email"}) || !slices.Equal(doc.BearerMethodsSupported, []string{"header"}) {
		t.Errorf("scopes %q bearer methods %q", doc.ScopesSupported, doc.BearerMethodsSupported)
	}
	// Context7's own metadata is not the gateway's: no gateway scope, its
	// authorization servers elsewhere. Exactly those findings, nothing invented.
	want := []string{"prm-resource-prefix", "prm-authorization-server-elsewhere", "prm-scope-missing"}
	if t.Failed() {
		discDump(t, rep)
	}
	if got := findingIDs(rep, "prm"); !slices.Equal(got, want) {
		t.Errorf("prm findings %v, want %v", got, want)
	}
}

// Context7's /mcp needs no token: the challenge check must call that open.
func contractOpenEndpoint(t *testing.T, c7 *context7Server) {
	rep, _ := runDiscAgainst(t, c7.URL, c7.URL+"/mcp", "challenge")
	ch, _ := rep.Find("challenge")
	if got := findingIDs(rep, "challenge"); !slices.Equal(got, []string{"mcp-api-open"}) {
		t.Fatalf("challenge findings %v, want [mcp-api-open]; discEvidence %v", got, ch.Evidence)
	}
	if st, _ := ch.Evidence.Get("status"); st != "200 OK" {
		t.Errorf("status %q", st)
	}
}
