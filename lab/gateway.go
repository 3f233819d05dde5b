package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// gateway is the fake APIM instance. It holds the two APIs the guide creates:
// "oauth-proxy" at the host root (PRM, AS metadata, /authorize, /token: Part 5)
// and "context7-mcp" at /<api-path> with its single POST /mcp operation and
// the OBO policy (Part 3). Anything else is answered the way APIM answers a
// request no operation matches.
type gateway struct {
	w   *World
	now func() time.Time
	// tokenBase, when set, replaces the authority host for the calls the
	// gateway makes to the tenant's token endpoint (tests stub that endpoint).
	tokenBase string

	mu  sync.Mutex
	obo map[string]gatewayCacheEntry // cache-lookup-value / cache-store-value
}

type gatewayCacheEntry struct {
	value   string
	expires time.Time
}

const (
	// gatewayOBOCacheDuration is the policy's cache-store-value duration.
	gatewayOBOCacheDuration = 3000 * time.Second
	// gatewayOBOTimeout is the policy's send-request timeout.
	gatewayOBOTimeout = 20 * time.Second
	// gatewayMaxBody bounds what the gateway reads of a request or of the
	// token endpoint's answer before it gives up.
	gatewayMaxBody = 4 << 20
)

func newGateway(w *World) *gateway {
	return &gateway{w: w, now: time.Now, obo: map[string]gatewayCacheEntry{}}
}

func (g *gateway) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	rec := &gwStatusRecorder{ResponseWriter: rw, status: http.StatusOK}
	defer func() { g.w.logf("gateway   %s %s -> %d", r.Method, r.URL.Path, rec.status) }()
	if g.w.Has("gateway-slow") {
		if !rec.waitBeforeAnswer(r, g.w.opts.SlowDelay) {
			return
		}
	}
	g.route(rec, r)
}

// subscriptionKeyHeader is where APIM looks for a subscription key.
const subscriptionKeyHeader = "Ocp-Apim-Subscription-Key"

// gwMissingKey is APIM's answer, before any policy runs, to a request
// without a key for an API whose subscription is required.
const gwMissingKey = "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."

func (g *gateway) route(rw http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	// The instance's configuration decides what is served: the state ARM shows.
	state := g.w.apim()
	proxy := state.api(apiProxy)
	api := proxy
	if path == "/"+g.w.APIPath+"/mcp" || strings.HasPrefix(path, "/"+g.w.APIPath+"/") {
		api = state.api(apiMCP)
	}
	if api.subscriptionRequired && r.Header.Get(subscriptionKeyHeader) == "" {
		gwAPIMError(rw, http.StatusUnauthorized, gwMissingKey)
		return
	}
	switch {
	case path == "/.well-known/oauth-protected-resource" && proxy.hasOperation(r.Method, path):
		gwReturnResponse(rw, state.policies.prmBody)
	case path == "/.well-known/oauth-authorization-server" && proxy.hasOperation(r.Method, path):
		gwReturnResponse(rw, state.policies.asBody)
	case path == "/authorize" && proxy.hasOperation(r.Method, path):
		g.authorize(rw, r, state.policies)
	case path == "/token" && proxy.hasOperation(r.Method, path):
		g.tokenProxy(rw, r, proxy.serviceURL, state.policies)
	case path == "/"+g.w.APIPath+"/mcp" && state.api(apiMCP).hasOperation(r.Method, "/mcp"):
		g.mcp(rw, r, state)
	default:
		// No operation matches: path-inserted well-knowns, openid-configuration,
		// GET/DELETE on /mcp (the guide defines POST only) and the faults above.
		gwAPIMError(rw, http.StatusNotFound, "Resource not found")
	}
}

// gwAPIMError writes the body APIM itself sends when it answers instead of a
// backend or a policy's return-response.
func gwAPIMError(rw http.ResponseWriter, status int, message string) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	fmt.Fprintf(rw, "{ \"statusCode\": %d, \"message\": %q }", status, message)
}

// gwInternalError is APIM's answer when a policy expression or a
// send-request fails: the on-error section runs and, with only <base />, the
// caller sees a 500 carrying an activity id.
func gwInternalError(rw http.ResponseWriter) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(rw, "{ \"statusCode\": 500, \"message\": \"Internal server error\", \"activityId\": %q }", newGUID())
}

// The bodies of the guide's prm-policy.xml and as-metadata-policy.xml,
// character for character; the lab fills the placeholders the way an admin
// following the guide would (apimPolicies holds the bodies it serves).
const (
	gatewayPRMTemplate = `{
  "resource": "https://<your-apim-host>/context7",
  "authorization_servers": ["https://<your-apim-host>"],
  "scopes_supported": ["api://<gateway-app-id>/Mcp.Gateway.Access"],
  "bearer_methods_supported": ["header"]
}`
	gatewayASTemplate = `{
  "issuer": "https://<your-apim-host>",
  "authorization_endpoint": "https://<your-apim-host>/authorize",
  "token_endpoint": "https://<your-apim-host>/token",
  "jwks_uri": "https://login.microsoftonline.com/<your-tenant-id>/discovery/v2.0/keys",
  "response_types_supported": ["code"],
  "grant_types_supported": ["authorization_code", "refresh_token"],
  "code_challenge_methods_supported": ["S256"],
  "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
  "scopes_supported": ["openid", "profile", "email", "offline_access", "api://<gateway-app-id>/Mcp.Gateway.Access"]
}`
	// gatewayWrongResource is what prm-wrong-resource puts in "resource": an
	// APIM host that is not this gateway (a copy from another instance).
	gatewayWrongResource = "https://apim-context7-old.azure-api.net/context7"
)

// gwReturnResponse answers like the guide's return-response policies:
// 200, Content-Type application/json, the set-body text as is.
func gwReturnResponse(rw http.ResponseWriter, body string) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(http.StatusOK)
	io.WriteString(rw, body)
}

// authorize is the authorize operation's policy: a 302 to the tenant's
// authorize endpoint. The guide's appends
// context.Request.OriginalUrl.QueryString (it carries its "?"); c7doctor's
// fix drops the RFC 8707 resource parameter that Entra v2 refuses.
func (g *gateway) authorize(rw http.ResponseWriter, r *http.Request, p apimPolicies) {
	loc := g.w.AuthorityHost + "/" + g.w.TenantID + "/oauth2/v2.0/authorize"
	query := r.URL.RawQuery
	if !p.forwardsQuery {
		query = gwWithoutResource(query)
	}
	if query != "" {
		loc += "?" + query
	}
	rw.Header().Set("Location", loc)
	rw.Header().Set("Content-Length", "0")
	rw.WriteHeader(http.StatusFound)
}

// tokenProxy is the /token operation without a policy: APIM forwards it to
// the API's service URL (the tenant's .../oauth2/v2.0) with the body intact
// and hands back whatever comes, status included.
func (g *gateway) tokenProxy(rw http.ResponseWriter, r *http.Request, serviceURL string, p apimPolicies) {
	body, err := gwReadBounded(r.Body, gatewayMaxBody)
	if err != nil {
		gwAPIMError(rw, http.StatusRequestEntityTooLarge, "Request entity too large")
		return
	}
	if p.tokenDropsResource {
		// c7doctor's fix: the /token operation's set-body drops resource.
		body = []byte(gwWithoutResource(string(body)))
	}
	if g.tokenBase != "" {
		serviceURL = g.tokenBase + strings.TrimPrefix(serviceURL, g.w.AuthorityHost)
	}
	target, _ := url.Parse(serviceURL + "/token")
	target.RawQuery = r.URL.RawQuery
	g.forward(rw, r, target, body, "", p)
}

// gwWithoutResource drops every resource=… pair of a query string or form
// body, as the fix's policy expressions do: split on "&", keep the rest in
// order, untouched.
func gwWithoutResource(encoded string) string {
	var kept []string
	for _, p := range strings.Split(encoded, "&") {
		if p != "" && !strings.HasPrefix(p, "resource=") && p != "resource" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "&")
}

// tokenURL is the tenant's token endpoint, the URL the OBO send-request calls.
func (g *gateway) tokenURL() string {
	base := g.w.AuthorityHost
	if g.tokenBase != "" {
		base = g.tokenBase
	}
	return base + "/" + g.w.TenantID + "/oauth2/v2.0/token"
}

// mcp is the context7-mcp API's POST /mcp under its policy (apimPolicies):
// validate the caller's token, exchange it on the user's behalf (cached per
// user), forward to Context7 with the new token, stream the answer.
func (g *gateway) mcp(rw http.ResponseWriter, r *http.Request, state apimState) {
	p := state.policies
	if !p.mcpPolicy {
		// No policy: the request goes as it is to the service URL and the
		// operation's path, Context7's open /mcp.
		body, err := gwReadBounded(r.Body, gatewayMaxBody)
		if err != nil {
			gwAPIMError(rw, http.StatusRequestEntityTooLarge, "Request entity too large")
			return
		}
		target, _ := url.Parse(g.w.Context7URL + "/mcp")
		target.RawQuery = r.URL.RawQuery
		g.forward(rw, r, target, body, "", p)
		return
	}
	raw, claims, err := g.validateToken(r)
	if err != nil {
		g.w.logf("gateway   validate-azure-ad-token: %v", err)
		if p.challenge {
			rw.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+p.gateway+`/.well-known/oauth-protected-resource"`)
		}
		gwAPIMError(rw, http.StatusUnauthorized, "Unauthorized.")
		return
	}
	body, err := gwReadBounded(r.Body, gatewayMaxBody)
	if err != nil {
		gwAPIMError(rw, http.StatusRequestEntityTooLarge, "Request entity too large")
		return
	}
	oid, _ := claims["oid"].(string)
	tid, _ := claims["tid"].(string)
	oboToken, err := g.oboToken(r.Context(), tid+"-"+oid, raw, state)
	if err != nil {
		g.w.logf("gateway   obo: %v", err)
		gwInternalError(rw)
		return
	}
	if oboToken == "" && !p.guideMCP {
		// c7doctor's policy looks at the exchange's status before going on.
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusBadGateway)
		io.WriteString(rw, gatewayOBOFailedBody)
		return
	}
	target, _ := url.Parse(g.w.Context7URL + "/mcp/oauth") // rewrite-uri template="/mcp/oauth"
	if !p.rewrite {
		// Without rewrite-uri, APIM keeps the operation's path: Context7's open /mcp.
		target, _ = url.Parse(g.w.Context7URL + "/mcp")
	}
	target.RawQuery = r.URL.RawQuery
	var modify []func(*http.Response) error
	if !p.guideMCP {
		modify = append(modify, gwOutboundChallenge(p.gateway))
	}
	if state.buffersResponses(apiMCP) && gwIsInitialize(body) {
		// Diagnostics that log response bodies make APIM buffer them: the stream is cut.
		modify = append(modify, gwCutFirstEvent)
	}
	g.forward(rw, r, target, body, "Bearer "+oboToken, p, modify...)
}

// gwOutboundChallenge is c7doctor's outbound section: a 401 carries the
// gateway's challenge, any other answer none (Context7 sends its own,
// pointing at itself, on every response).
func gwOutboundChallenge(gateway string) func(*http.Response) error {
	return func(resp *http.Response) error {
		if resp.StatusCode == http.StatusUnauthorized {
			resp.Header.Set("WWW-Authenticate", `Bearer resource_metadata="`+gateway+`/.well-known/oauth-protected-resource"`)
		} else {
			resp.Header.Del("WWW-Authenticate")
		}
		return nil
	}
}

// oboToken is the policy's cache-lookup-value, send-request and
// cache-store-value, keyed on the user. Like the guide's policy it never
// looks at the status: when the tenant refuses, access_token is missing and
// the token is "" (mcp decides, as the policy does, what follows). A
// missing token is not cached. A failed call or a body that is not JSON is
// an error in the policy.
func (g *gateway) oboToken(ctx context.Context, user, assertion string, state apimState) (string, error) {
	key := "obo-mcp-" + user
	g.mu.Lock()
	if e, ok := g.obo[key]; ok && g.now().Before(e.expires) {
		g.mu.Unlock()
		return e.value, nil
	}
	g.mu.Unlock()

	form := url.Values{
		"grant_type":          {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"client_id":           {g.w.GatewayAppID},
		"assertion":           {assertion},
		"scope":               {"api://" + g.w.MCPAPIAppID + state.policies.oboScope},
		"requested_token_use": {"on_behalf_of"},
	}
	if state.policies.guideMCP {
		form.Set("client_secret", state.gatewaySecretValue) // the apim-gateway-client-secret named value
	} else {
		// authentication-managed-identity resource="api://AzureADTokenExchange"
		mi, err := g.w.managedIdentityToken(time.Now())
		if err != nil {
			return "", fmt.Errorf("authentication-managed-identity: %w", err)
		}
		form.Set("client_assertion_type", clientAssertionJWT)
		form.Set("client_assertion", mi)
	}
	ctx, cancel := context.WithTimeout(ctx, gatewayOBOTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.tokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("send-request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := g.w.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("send-request: %w", err)
	}
	defer resp.Body.Close()
	raw, err := gwReadBounded(resp.Body, gatewayMaxBody)
	if err != nil {
		return "", fmt.Errorf("send-request: %w", err)
	}
	var answer map[string]any
	if err := json.Unmarshal(raw, &answer); err != nil {
		return "", fmt.Errorf("token endpoint answered HTTP %d, not JSON: %w", resp.StatusCode, err)
	}
	token, _ := answer["access_token"].(string)
	if token == "" {
		code, _ := answer["error"].(string)
		g.w.logf("gateway   obo refused (HTTP %d %s): forwarding an empty bearer token", resp.StatusCode, code)
		return "", nil
	}
	g.mu.Lock()
	g.obo[key] = gatewayCacheEntry{value: token, expires: g.now().Add(gatewayOBOCacheDuration)}
	g.mu.Unlock()
	return token, nil
}

// forward sends the request on to target and streams the answer back as it
// comes (flushing after every read), headers and status included.
func (g *gateway) forward(rw http.ResponseWriter, r *http.Request, target *url.URL, body []byte, authorization string, p apimPolicies, modify ...func(*http.Response) error) {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = target
			pr.Out.Host = target.Host
			pr.Out.Body = io.NopCloser(bytes.NewReader(body))
			pr.Out.ContentLength = int64(len(body))
			pr.Out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			if authorization != "" {
				pr.Out.Header.Set("Authorization", authorization)
			}
			if p.correlationID && pr.Out.Header.Get("X-Correlation-Id") == "" {
				// The global policy's correlation-id fragment.
				pr.Out.Header.Set("X-Correlation-Id", newGUID())
			}
		},
		Transport:     g.w.Client.Transport,
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			for _, m := range modify {
				if err := m(resp); err != nil {
					return err
				}
			}
			return nil
		},
		ErrorLog: log.New(io.Discard, "", 0),
		ErrorHandler: func(rw http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the caller went away
			}
			g.w.logf("gateway   backend: %v", err)
			gwInternalError(rw)
		},
	}
	proxy.ServeHTTP(rw, r)
}

// gwIsInitialize reports whether a JSON-RPC body is an initialize request.
func gwIsInitialize(body []byte) bool {
	var m struct {
		Method string `json:"method"`
	}
	return json.Unmarshal(body, &m) == nil && m.Method == "initialize"
}

// gwCutFirstEvent is sse-truncated: of an event stream only the head of the
// first event gets through, cut inside its data line, then the stream ends.
// The upstream sends no event ids, so a client has nothing to resume from.
func gwCutFirstEvent(resp *http.Response) error {
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return nil
	}
	resp.Body = &gwCutStream{src: resp.Body}
	resp.ContentLength = -1
	resp.Header.Del("Content-Length")
	return nil
}

type gwCutStream struct {
	src  io.ReadCloser
	head []byte
	read bool
}

func (c *gwCutStream) Read(p []byte) (int, error) {
	if !c.read {
		c.read = true
		event := gwReadEvent(c.src, 1<<20)
		cut := len(event) / 2
		if i := bytes.Index(event, []byte("data: ")); i >= 0 {
			cut = i + len("data: ") + (len(event)-i-len("data: "))/2
		}
		c.head = event[:cut]
	}
	if len(c.head) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.head)
	c.head = c.head[n:]
	return n, nil
}

func (c *gwCutStream) Close() error { return c.src.Close() }

// gwReadEvent reads up to the end of the first SSE event (a blank line), EOF or
// limit bytes, whichever comes first.
func gwReadEvent(r io.Reader, limit int) []byte {
	var buf []byte
	chunk := make([]byte, 4096)
	for len(buf) < limit {
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if i := bytes.Index(buf, []byte("\n\n")); i >= 0 {
			return buf[:i+2]
		}
		if err != nil {
			break
		}
	}
	return buf
}

var errGatewayBodyTooLarge = errors.New("body too large")

// gwReadBounded reads all of r, refusing more than limit bytes.
func gwReadBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errGatewayBodyTooLarge
	}
	return b, nil
}
