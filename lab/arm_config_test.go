package lab

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"testing"
	"time"
)

// armReader reads the lab's management plane as the reader service
// principal, with a token from the lab's tenant (client credentials).
type armReader struct {
	t     *testing.T
	w     *World
	token string
}

func newARMReader(t *testing.T, w *World) *armReader {
	t.Helper()
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {w.ReaderAppID}, "client_secret": {w.ReaderSecret},
		"scope": {"https://management.azure.com/.default"},
	}
	resp, err := w.Client.PostForm(w.AuthorityHost+"/"+w.TenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("ARM token: HTTP %d %v", resp.StatusCode, err)
	}
	return &armReader{t: t, w: w, token: tok.AccessToken}
}

// get answers the status and JSON body of a GET under the instance (path
// starts with "/"), or of an absolute URL (a nextLink).
func (a *armReader) get(path string, query ...string) (int, map[string]any) {
	a.t.Helper()
	u := path
	if !strings.HasPrefix(path, "https://") {
		u = a.w.ARMEndpoint + "/subscriptions/" + a.w.SubscriptionID + "/resourceGroups/" + a.w.ResourceGroup +
			"/providers/Microsoft.ApiManagement/service/" + a.w.APIMName + path + "?api-version=2024-05-01"
		for i := 0; i+1 < len(query); i += 2 {
			u += "&" + query[i] + "=" + url.QueryEscape(query[i+1])
		}
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.w.Client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		a.t.Fatalf("GET %s: HTTP %d, not JSON: %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode, body
}

// list follows nextLink to the end and returns every value.
func (a *armReader) list(path string) []map[string]any {
	a.t.Helper()
	var out []map[string]any
	for next, pages := path, 0; next != ""; pages++ {
		if pages > 20 {
			a.t.Fatalf("%s: more than 20 pages", path)
		}
		status, body := a.get(next)
		if status != http.StatusOK {
			a.t.Fatalf("GET %s: HTTP %d %v", next, status, body)
		}
		for _, v := range body["value"].([]any) {
			out = append(out, v.(map[string]any))
		}
		next, _ = body["nextLink"].(string)
	}
	return out
}

// policy returns a policy document's value (format xml unless given).
func (a *armReader) policy(path string, format ...string) string {
	a.t.Helper()
	var q []string
	if len(format) > 0 {
		q = []string{"format", format[0]}
	}
	status, body := a.get(path, q...)
	if status != http.StatusOK {
		a.t.Fatalf("GET %s: HTTP %d %v", path, status, body)
	}
	props := body["properties"].(map[string]any)
	return props["value"].(string)
}

func props(v map[string]any) map[string]any { return v["properties"].(map[string]any) }

// wellFormed reports whether a document parses as XML.
func wellFormed(doc string) error {
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		if _, err := d.Token(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

const (
	mcpPolicy  = "/apis/context7-mcp/policies/policy"
	prmPolicy  = "/apis/oauth-proxy/operations/prm-metadata/policies/policy"
	authPolicy = "/apis/oauth-proxy/operations/authorize/policies/policy"
)

func TestARMHealthyPolicies(t *testing.T) {
	w := startWorld(t, Options{})
	a := newARMReader(t, w)

	global := a.policy("/policies/policy")
	if !strings.Contains(global, `<include-fragment fragment-id="correlation-id" />`) {
		t.Errorf("global policy does not include the fragment:\n%s", global)
	}
	if got := a.list("/policies"); len(got) != 1 || got[0]["name"] != "policy" {
		t.Errorf("service policies: %v", got)
	}
	frags := a.list("/policyFragments")
	if len(frags) != 1 || frags[0]["name"] != "correlation-id" {
		t.Fatalf("fragments: %v", frags)
	}
	if frag := a.policy("/policyFragments/correlation-id"); !strings.Contains(frag, "<fragment>") {
		t.Errorf("fragment: %s", frag)
	}

	products := a.list("/products")
	if len(products) != 3 || products[0]["name"] != productMCP {
		t.Fatalf("products: %v", products)
	}
	if apis := a.list("/products/" + productMCP + "/apis"); len(apis) != 1 || apis[0]["name"] != apiMCP {
		t.Errorf("product APIs: %v", apis)
	}
	if ps := a.list("/apis/context7-mcp/products"); len(ps) != 1 || ps[0]["name"] != productMCP {
		t.Errorf("API products: %v", ps)
	}
	if ps := a.list("/apis/oauth-proxy/products"); len(ps) != 0 {
		t.Errorf("oauth-proxy products: %v", ps)
	}
	if p := a.policy("/products/" + productMCP + "/policies/policy"); !strings.Contains(p, "<base />") {
		t.Errorf("product policy: %s", p)
	}

	mcp := a.policy(mcpPolicy)
	for _, want := range []string{
		`<rewrite-uri template="/mcp/oauth" />`,
		`<authentication-managed-identity resource="api://AzureADTokenExchange"`,
		`"/.default" }`,
		`Bearer resource_metadata="` + w.GatewayURL + `/.well-known/oauth-protected-resource"`,
		`{{entra-tenant-id}}`, `{{mcp-api-app-id}}`,
		`@("` + w.AuthorityHost + `/" + (string)context.Variables["entraTenantId"] + "/oauth2/v2.0/token")`,
	} {
		if !strings.Contains(mcp, want) {
			t.Errorf("MCP policy lacks %s", want)
		}
	}
	if strings.Contains(mcp, "apim-gateway-client-secret") || strings.Contains(mcp, "[[") {
		t.Errorf("MCP policy:\n%s", mcp)
	}

	ops := map[string]string{}
	for _, op := range []string{"prm-metadata", "as-metadata", "authorize", "token"} {
		ops[op] = a.policy("/apis/oauth-proxy/operations/" + op + "/policies/policy")
	}
	if !strings.Contains(ops["prm-metadata"], `"resource": "`+w.GatewayURL+`/context7"`) {
		t.Errorf("PRM policy: %s", ops["prm-metadata"])
	}
	if !strings.Contains(ops["authorize"], `.Where(p =&gt; p.Key != "resource")`) {
		t.Errorf("authorize policy forwards resource: %s", ops["authorize"])
	}
	if !strings.Contains(ops["token"], `!p.StartsWith("resource=")`) {
		t.Errorf("token policy: %s", ops["token"])
	}
	// Every document ARM shows with format=xml is well-formed XML.
	for name, doc := range map[string]string{"global": global, "mcp": mcp, "prm": ops["prm-metadata"], "as": ops["as-metadata"], "authorize": ops["authorize"], "token": ops["token"]} {
		if err := wellFormed(doc); err != nil {
			t.Errorf("%s is not well-formed: %v", name, err)
		}
	}
}

// What the gateway serves is what the policy documents say.
func TestARMPolicyBodiesAreWhatTheGatewayServes(t *testing.T) {
	for _, fault := range []string{"", "prm-placeholder", "prm-wrong-resource"} {
		w := startWorld(t, Options{Faults: nonEmpty(fault)})
		a := newARMReader(t, w)
		resp, err := w.Client.Get(w.GatewayURL + "/.well-known/oauth-protected-resource")
		if err != nil {
			t.Fatal(err)
		}
		served, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var doc struct {
			Body string `xml:"inbound>return-response>set-body"`
		}
		if err := xml.Unmarshal([]byte(a.policy(prmPolicy)), &doc); err != nil {
			t.Fatalf("%s: %v", fault, err)
		}
		if doc.Body != string(served) {
			t.Errorf("%s: policy body\n%s\ngateway serves\n%s", fault, doc.Body, served)
		}
	}
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func TestARMFaultsShowInPolicies(t *testing.T) {
	tests := []struct {
		fault string
		check func(t *testing.T, w *World, a *armReader)
	}{
		{"rewrite-missing", func(t *testing.T, w *World, a *armReader) {
			if p := a.policy(mcpPolicy); strings.Contains(p, "rewrite-uri") {
				t.Errorf("rewrite-uri still there:\n%s", p)
			}
		}},
		{"no-www-authenticate", func(t *testing.T, w *World, a *armReader) {
			p := a.policy(mcpPolicy)
			onError := p[strings.Index(p, "<on-error>"):]
			if strings.Contains(onError, "WWW-Authenticate") {
				t.Errorf("on-error still sets WWW-Authenticate:\n%s", onError)
			}
		}},
		{"prm-placeholder", func(t *testing.T, w *World, a *armReader) {
			if p := a.policy(prmPolicy); !strings.Contains(p, `"resource": "https://&lt;your-apim-host&gt;/context7"`) {
				t.Errorf("PRM:\n%s", p)
			}
		}},
		{"prm-wrong-resource", func(t *testing.T, w *World, a *armReader) {
			if p := a.policy(prmPolicy); !strings.Contains(p, `"resource": "`+gatewayWrongResource+`"`) {
				t.Errorf("PRM:\n%s", p)
			}
		}},
		{"authorize-forwards-resource", func(t *testing.T, w *World, a *armReader) {
			if p := a.policy(authPolicy); !strings.Contains(p, "{context.Request.OriginalUrl.QueryString}") {
				t.Errorf("authorize:\n%s", p)
			}
		}},
		{"as-metadata-missing", func(t *testing.T, w *World, a *armReader) {
			if status, body := a.get("/apis/oauth-proxy/operations/as-metadata/policies/policy"); status != http.StatusNotFound {
				t.Errorf("as-metadata policy: HTTP %d %v", status, body)
			}
		}},
		{"authorize-broken", func(t *testing.T, w *World, a *armReader) {
			if status, _ := a.get(authPolicy); status != http.StatusNotFound {
				t.Errorf("authorize policy: HTTP %d", status)
			}
		}},
		{"token-proxy-broken", func(t *testing.T, w *World, a *armReader) {
			status, body := a.get("/apis/oauth-proxy/operations/token/policies/policy")
			if e, _ := body["error"].(map[string]any); status != http.StatusNotFound || e["message"] != "Operation not found." {
				t.Errorf("token policy: HTTP %d %v", status, body)
			}
		}},
		{"arm-forbidden", func(t *testing.T, w *World, a *armReader) {
			for _, path := range []string{"/policies/policy", mcpPolicy, "/policyFragments", "/diagnostics", "/apis/context7-mcp/diagnostics", "/loggers", "/products"} {
				if status, body := a.get(path); status != http.StatusForbidden {
					t.Errorf("%s: HTTP %d %v", path, status, body)
				}
			}
		}},
		{"obo-invalid-scope", func(t *testing.T, w *World, a *armReader) {
			if p := a.policy(mcpPolicy); !strings.Contains(p, `(string)context.Variables["mcpApiAppId"] + ".default" }`) {
				t.Errorf("OBO scope:\n%s", p)
			}
		}},
		{"named-value-secret-id", func(t *testing.T, w *World, a *armReader) {
			// The secret a named value holds matters only to a policy that sends it.
			if p := a.policy(mcpPolicy); !strings.Contains(p, `value="{{apim-gateway-client-secret}}"`) {
				t.Errorf("MCP policy does not send the secret:\n%s", p)
			}
		}},
		{"guide-as-written", func(t *testing.T, w *World, a *armReader) {
			if p := a.policy(authPolicy); !strings.Contains(p, "{context.Request.OriginalUrl.QueryString}") || strings.Contains(p, "<base />") {
				t.Errorf("authorize:\n%s", p)
			}
			if status, _ := a.get("/apis/oauth-proxy/operations/token/policies/policy"); status != http.StatusNotFound {
				t.Errorf("the guide has no /token policy: HTTP %d", status)
			}
			if ps := a.list("/apis/oauth-proxy/operations/token/policies"); len(ps) != 0 {
				t.Errorf("token policies: %v", ps)
			}
			if p := a.policy(mcpPolicy); !strings.Contains(p, `<set-variable name="gatewaySecret" value="{{apim-gateway-client-secret}}" />`) {
				t.Errorf("MCP policy is not the guide's:\n%s", p)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			w := startWorld(t, Options{Faults: []string{tt.fault}})
			tt.check(t, w, newARMReader(t, w))
		})
	}
}

func TestARMDiagnostics(t *testing.T) {
	bytes := func(d map[string]any, side, dir string) float64 {
		return props(d)[side].(map[string]any)[dir].(map[string]any)["body"].(map[string]any)["bytes"].(float64)
	}
	tests := []struct {
		fault        string
		service, api float64 // frontend response body bytes; api -1: no API-level diagnostic
		cut          bool
	}{
		{"", 0, -1, false},
		{"sse-truncated", 1024, -1, true},
		{"diagnostics-body-logging", 0, 8192, true},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			w := startWorld(t, Options{Faults: nonEmpty(tt.fault)})
			a := newARMReader(t, w)
			svc := a.list("/diagnostics")
			if len(svc) != 1 || svc[0]["name"] != "applicationinsights" || bytes(svc[0], "frontend", "response") != tt.service || bytes(svc[0], "backend", "response") != tt.service {
				t.Errorf("service diagnostics: %v", svc)
			}
			loggers := a.list("/loggers")
			if len(loggers) != 1 || props(svc[0])["loggerId"] != loggers[0]["id"] {
				t.Errorf("loggers %v, diagnostic's logger %v", loggers, props(svc[0])["loggerId"])
			}
			api := a.list("/apis/context7-mcp/diagnostics")
			switch {
			case tt.api < 0 && len(api) != 0:
				t.Errorf("API diagnostics: %v", api)
			case tt.api >= 0 && (len(api) != 1 || bytes(api[0], "frontend", "response") != tt.api || bytes(api[0], "backend", "response") != tt.api):
				t.Errorf("API diagnostics: %v", api)
			}
			if got := w.apim().buffersResponses(apiMCP); got != tt.cut {
				t.Errorf("the gateway cuts streams: %v, want %v", got, tt.cut)
			}
		})
	}
}

func TestARMPolicyFormats(t *testing.T) {
	w := startWorld(t, Options{Faults: []string{"guide-as-written"}})
	a := newARMReader(t, w)
	x := a.policy(mcpPolicy)
	raw := a.policy(mcpPolicy, "rawxml")
	if !strings.Contains(x, `value="@{
      var auth = context.Request.Headers.GetValueOrDefault(&quot;Authorization&quot;, &quot;&quot;);`) {
		t.Errorf("xml: attribute expression not escaped:\n%s", x)
	}
	if !strings.Contains(raw, `value="@{
      var auth = context.Request.Headers.GetValueOrDefault("Authorization", "");`) {
		t.Errorf("rawxml: attribute expression escaped:\n%s", raw)
	}
	if !strings.Contains(x, `Dictionary&lt;string, string&gt;`) || !strings.Contains(raw, `Dictionary<string, string>`) {
		t.Error("element expressions: xml must escape, rawxml must not")
	}
	if !strings.Contains(raw, `failed-validation-error-message="Unauthorized."`) || !strings.Contains(raw, "<!--") == strings.Contains(x, "<!--") {
		t.Error("rawxml changed more than expressions")
	}
	if err := wellFormed(x); err != nil {
		t.Errorf("xml: %v", err)
	}
	if wellFormed(raw) == nil {
		t.Error("rawxml of the guide's policy parses as XML: nothing was unescaped")
	}
	if status, body := a.get(mcpPolicy, "format", "json"); status != http.StatusBadRequest {
		t.Errorf("format=json: HTTP %d %v", status, body)
	}
	// Fragments take the format too.
	frag := a.policy("/policyFragments/correlation-id", "rawxml")
	if !strings.Contains(frag, `GetValueOrDefault("x-correlation-id", context.RequestId.ToString())`) {
		t.Errorf("fragment rawxml:\n%s", frag)
	}
}

func TestRawXMLLeavesNonExpressionsAlone(t *testing.T) {
	in := `<policies><inbound><!-- a &amp; b --><set-header name="a&amp;b" exists-action="override"><value>x &lt; y</value></set-header>` +
		`<set-variable name="v" value="@(&quot;a&quot; + &quot;&amp;&quot;)" /><set-body>@{ return 1 &lt; 2 ? "a" : "b"; }</set-body></inbound></policies>`
	want := `<policies><inbound><!-- a &amp; b --><set-header name="a&amp;b" exists-action="override"><value>x &lt; y</value></set-header>` +
		`<set-variable name="v" value="@("a" + "&")" /><set-body>@{ return 1 < 2 ? "a" : "b"; }</set-body></inbound></policies>`
	if got := rawXML(in); got != want {
		t.Errorf("rawXML:\n got %s\nwant %s", got, want)
	}
}

func TestARMMissingPolicies(t *testing.T) {
	w := startWorld(t, Options{})
	a := newARMReader(t, w)
	for path, msg := range map[string]string{
		"/apis/oauth-proxy/policies/policy":                      "Policy not found.",
		"/apis/nope/policies/policy":                             "Api not found.",
		"/apis/oauth-proxy/operations/nope/policies/policy":      "Operation not found.",
		"/apis/context7-mcp/operations/post-mcp/policies/policy": "Policy not found.",
		"/products/nope/policies/policy":                         "Product not found.",
		"/policyFragments/nope":                                  "PolicyFragment not found.",
	} {
		status, body := a.get(path)
		e, _ := body["error"].(map[string]any)
		if status != http.StatusNotFound || e["code"] != "ResourceNotFound" || e["message"] != msg {
			t.Errorf("%s: HTTP %d %v", path, status, body)
		}
	}
	// A scope without a policy lists none.
	if ps := a.list("/apis/oauth-proxy/policies"); len(ps) != 0 {
		t.Errorf("oauth-proxy API policies: %v", ps)
	}
}

func TestARMConfigListsPage(t *testing.T) {
	w := startWorld(t, Options{})
	a := newARMReader(t, w)
	status, first := a.get("/products")
	if status != http.StatusOK || len(first["value"].([]any)) != armPageSize || first["nextLink"] == nil {
		t.Fatalf("first page: %v", first)
	}
	if all := a.list("/products"); len(all) != len(w.apim().products) || len(all) <= armPageSize {
		t.Errorf("products: %d of %d", len(all), len(w.apim().products))
	}
}

func TestARMDelayEndsWithTheCaller(t *testing.T) {
	logs := &syncBuffer{}
	w := startWorld(t, Options{ARMDelay: 1 << 40, Log: logs})
	ctx, cancel := context.WithCancel(context.Background())
	wrote := make(chan struct{})
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(wrote) }})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.ARMEndpoint+"/subscriptions?api-version=2024-05-01", nil)
	done := make(chan error, 1)
	go func() {
		resp, err := w.Client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-wrote
	// Leave once the server holds the request: a request dropped before the
	// server read it would never reach the handler at all.
	waitForLog(t, logs, "arm       GET /subscriptions waits ")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("request: %v", err)
	}
	// The server logs the request when its wait ends: with the caller, not after 2^40 ns.
	waitForLog(t, logs, "arm       GET /subscriptions -> 499")
}

// waitForLog waits for a line of the lab's request log; a line that never
// comes fails the test after 30 s.
func waitForLog(t *testing.T, logs *syncBuffer, line string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), line) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the lab's log:\n%s", line, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
