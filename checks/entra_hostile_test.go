package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
	"github.com/c7doctor/c7doctor/wire/wiretest"
)

// The hostile-Graph suite: Microsoft Graph (or whatever answers in its
// place) misbehaving one way each. Every case asserts that the run does
// not panic, ends well within its deadline, and that the entra checks say
// what came back: a skip with a finding naming it, never a false verdict.

type graphToken struct{}

func (graphToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "hostile-graph-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

const (
	hgGwSP  = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	hgMCPSP = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
	hgScope = "d2b3c4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
	hgGwSc  = "c1a2b3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
)

// graphHealthy is the guide's tenant as Graph shows it, read by read.
func graphHealthy(path string) (int, any) {
	end := time.Now().Add(400 * 24 * time.Hour).UTC().Format(time.RFC3339)
	switch {
	case strings.HasPrefix(path, "/applications(appId='"+hostGwApp+"')"):
		return 200, map[string]any{"id": "gw-obj", "appId": hostGwApp, "displayName": "Context7 APIM Gateway", "signInAudience": "AzureADMyOrg",
			"identifierUris": []string{"api://" + hostGwApp},
			"api": map[string]any{"requestedAccessTokenVersion": 2,
				"oauth2PermissionScopes":    []any{map[string]any{"id": hgGwSc, "value": "Mcp.Gateway.Access", "isEnabled": true}},
				"preAuthorizedApplications": []any{map[string]any{"appId": AzureCLIClientID, "delegatedPermissionIds": []string{hgGwSc}}, map[string]any{"appId": VSCodeClientID, "delegatedPermissionIds": []string{hgGwSc}}}},
			"requiredResourceAccess": []any{map[string]any{"resourceAppId": hostMCPApp, "resourceAccess": []any{map[string]any{"id": hgScope, "type": "Scope"}}}},
			"passwordCredentials":    []any{map[string]any{"keyId": "k1", "displayName": "apim-obo", "hint": "hos", "endDateTime": end}},
			"publicClient":           map[string]any{"redirectUris": VSCodeRedirectURIs}}
	case strings.HasPrefix(path, "/applications(appId='"+hostMCPApp+"')"):
		return 200, map[string]any{"id": "mcp-obj", "appId": hostMCPApp, "displayName": "Context7 MCP API", "signInAudience": "AzureADMyOrg",
			"identifierUris": []string{"api://" + hostMCPApp},
			"api": map[string]any{"requestedAccessTokenVersion": 2,
				"oauth2PermissionScopes":    []any{map[string]any{"id": hgScope, "value": "mcp.access", "isEnabled": true}},
				"preAuthorizedApplications": []any{map[string]any{"appId": hostGwApp, "delegatedPermissionIds": []string{hgScope}}}}}
	case strings.HasPrefix(path, "/servicePrincipals(appId='"+hostGwApp+"')"):
		return 200, map[string]any{"id": hgGwSP, "appId": hostGwApp, "displayName": "Context7 APIM Gateway"}
	case strings.HasPrefix(path, "/servicePrincipals(appId='"+hostMCPApp+"')"):
		return 200, map[string]any{"id": hgMCPSP, "appId": hostMCPApp, "displayName": "Context7 MCP API"}
	case strings.HasPrefix(path, "/oauth2PermissionGrants"):
		return 200, map[string]any{"value": []any{map[string]any{"id": "g", "clientId": hgGwSP, "resourceId": hgMCPSP, "consentType": "AllPrincipals", "scope": "mcp.access"}}}
	}
	return 400, map[string]any{"error": map[string]any{"code": "BadRequest", "message": "unexpected " + path}}
}

type graphSub struct {
	status  int
	headers map[string]string
	body    any
}

type hostileGraphCase struct {
	name string
	// sub answers each request inside a $batch (default: healthy).
	sub func(path string, attempt int) graphSub
	// batch answers the $batch POST itself; get answers direct GETs (pages).
	batch, get func(g *hostileGraph, w http.ResponseWriter, r *http.Request)
	// want maps an entra check to its status and the words its findings say.
	want map[string]hostileWant
}

type hostileWant struct {
	status report.Status
	words  []string
}

type hostileGraph struct {
	srv, evil *httptest.Server
	evilAuth  atomic.Value
	done      chan struct{}
}

func graphBatch(c hostileGraphCase) func(g *hostileGraph, w http.ResponseWriter, r *http.Request) {
	seen := map[string]int{}
	return func(g *hostileGraph, w http.ResponseWriter, r *http.Request) {
		var req struct{ Requests []struct{ ID, URL string } }
		json.NewDecoder(r.Body).Decode(&req)
		var out []map[string]any
		for _, q := range req.Requests {
			seen[q.URL]++
			s := graphSub{}
			if c.sub != nil {
				s = c.sub(q.URL, seen[q.URL])
			}
			if s.status == 0 {
				s.status, s.body = graphHealthy(q.URL)
			}
			out = append(out, map[string]any{"id": q.ID, "status": s.status, "headers": s.headers, "body": s.body})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"responses": out})
	}
}

func TestHostileGraph(t *testing.T) {
	throttled := graphSub{status: 429, headers: map[string]string{"Retry-After": "300"}, body: map[string]any{"error": map[string]any{"code": "TooManyRequests", "message": "Too many requests"}}}
	cases := []hostileGraphCase{
		{name: "429 with Retry-After inside the batch",
			sub:  func(string, int) graphSub { return throttled },
			want: map[string]hostileWant{"entra-gateway-app": {report.Skip, []string{"HTTP 429", "TooManyRequests", "retry after 5m0s"}}}},
		{name: "429 once, then answered",
			sub: func(p string, n int) graphSub {
				if n == 1 && strings.Contains(p, "servicePrincipals") {
					return graphSub{status: 429, headers: map[string]string{"Retry-After": "1"}, body: map[string]any{"error": map[string]any{"code": "TooManyRequests"}}}
				}
				return graphSub{}
			},
			want: map[string]hostileWant{"entra-gateway-app": {report.Pass, nil}, "entra-consent": {report.Pass, nil}}},
		{name: "partial failure: one read 500",
			sub: func(p string, _ int) graphSub {
				if strings.Contains(p, "applications(appId='"+hostGwApp) {
					return graphSub{status: 500, body: map[string]any{"error": map[string]any{"code": "UnknownError", "message": "Something broke"}}}
				}
				return graphSub{}
			},
			want: map[string]hostileWant{
				"entra-gateway-app": {report.Skip, []string{"gateway app", "HTTP 500", "UnknownError"}},
				"entra-mcp-api-app": {report.Pass, nil}, "entra-consent": {report.Pass, nil},
				"entra-secret": {report.Skip, []string{"gateway app"}},
			}},
		{name: "HTML instead of the batch answer",
			batch: func(_ *hostileGraph, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Sign in to the proxy</title></head></html>")
			},
			want: map[string]hostileWant{"entra-gateway-app": {report.Skip, []string{"an HTML page", "Sign in to the proxy"}}, "entra-consent": {report.Skip, []string{"see entra-gateway-app"}}}},
		{name: "huge batch answer",
			batch: func(_ *hostileGraph, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"responses":[`)
				chunk := strings.Repeat(" ", 64<<10)
				for range 128 { // 8 MiB
					if _, err := fmt.Fprint(w, chunk); err != nil {
						return
					}
				}
			},
			want: map[string]hostileWant{"entra-gateway-app": {report.Skip, []string{"larger than"}}}},
		{name: "nextLink loop",
			sub: func(p string, _ int) graphSub {
				if strings.HasPrefix(p, "/oauth2PermissionGrants") {
					return graphSub{status: 200, body: map[string]any{"value": []any{}, "@odata.nextLink": "LOOP"}}
				}
				return graphSub{}
			},
			get: func(g *hostileGraph, w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `{"value":[],"@odata.nextLink":%q}`, g.srv.URL+r.URL.Path)
			},
			want: map[string]hostileWant{"entra-consent": {report.Skip, []string{"permission grants", "loops back"}}, "entra-gateway-app": {report.Pass, nil}}},
		{name: "nextLink to another host",
			sub: func(p string, _ int) graphSub {
				if strings.HasPrefix(p, "/oauth2PermissionGrants") {
					return graphSub{status: 200, body: map[string]any{"value": []any{}, "@odata.nextLink": "EVIL"}}
				}
				return graphSub{}
			},
			want: map[string]hostileWant{"entra-consent": {report.Skip, []string{"points away from the Graph endpoint"}}}},
		{name: "Graph never answers",
			batch: func(g *hostileGraph, _ http.ResponseWriter, r *http.Request) {
				select {
				case <-g.done:
				case <-r.Context().Done():
				}
			},
			want: map[string]hostileWant{"entra-gateway-app": {report.Skip, []string{"Microsoft Graph"}}}},
		{name: "401 for the token",
			batch: func(_ *hostileGraph, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(401)
				fmt.Fprint(w, `{"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure. Invalid audience."}}`)
			},
			want: map[string]hostileWant{"entra-gateway-app": {report.Skip, []string{"HTTP 401", "Invalid audience."}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ca := wiretest.NewCA(t)
			g := &hostileGraph{done: make(chan struct{})}
			defer close(g.done)
			batch := c.batch
			if batch == nil {
				batch = graphBatch(c)
			}
			g.evil = wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				g.evilAuth.Store(r.Header.Get("Authorization"))
				fmt.Fprint(w, `{"value":[]}`)
			}), ca.Valid(t))
			g.srv = wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer hostile-graph-token" {
					http.Error(w, "no token", 401)
					return
				}
				if r.Method == http.MethodGet && c.get != nil {
					c.get(g, w, r)
					return
				}
				batch(g, w, r)
			}), ca.Valid(t))
			if c.sub != nil {
				inner := c.sub
				c.sub = func(p string, n int) graphSub {
					s := inner(p, n)
					if b, ok := s.body.(map[string]any); ok {
						switch b["@odata.nextLink"] {
						case "LOOP":
							b["@odata.nextLink"] = g.srv.URL + "/v1.0/page/1"
						case "EVIL":
							b["@odata.nextLink"] = g.evil.URL + "/v1.0/steal"
						}
					}
					return s
				}
				if c.batch == nil {
					batch = graphBatch(c)
				}
			}
			cfg := &Config{GatewayAppID: hostGwApp, MCPAPIAppID: hostMCPApp, ClientID: AzureCLIClientID, Tenant: hostTenant,
				GatewaySecret: "hostile-secret-value", Timeout: 2 * time.Second, Deadline: 30 * time.Second}
			red := wire.NewRedactor()
			red.Secret(cfg.GatewaySecret)
			client, err := wire.New(wire.Options{Timeout: cfg.Timeout, RootCAs: ca.Pool, Redactor: red, GatewayOrigin: "https://gw.test", AuthOrigins: []string{g.srv.URL}})
			if err != nil {
				t.Fatal(err)
			}
			graph, err := azure.NewGraph(graphToken{}, azure.Options{Transport: client.HTTPClient(), TryTimeout: cfg.Timeout,
				Cloud: azure.Cloud{AuthorityHost: "https://login.test", GraphEndpoint: g.srv.URL}})
			if err != nil {
				t.Fatal(err)
			}
			env := &Env{Config: cfg, HTTP: client, State: &State{}, Now: time.Now, Graph: graph, Target: &report.Target{}, Stderr: nopWriter{}}
			rep := Run(context.Background(), env, All, Selection{Only: entraChecks})
			// A hostile answer ends its read, not the run: no check may be
			// cut short by the run's deadline.
			for _, c := range rep.Checks {
				if slices.ContainsFunc(c.Findings, func(f report.Finding) bool { return f.ID == "deadline" || f.ID == "check-timeout" }) {
					t.Errorf("%s ran into the deadline: %s", c.ID, c.Summary)
				}
			}
			for id, want := range c.want {
				got := check(t, rep, id)
				if got.Status != want.status {
					t.Errorf("%s is %s (%s) %v, want %s", id, got.Status, got.Summary, findingIDs(rep, id), want.status)
				}
				text := got.Summary
				for _, f := range got.Findings {
					text += " " + f.Detail
					if f.Severity == report.Error {
						t.Errorf("%s: %s is an error: a Graph that does not answer is no verdict on the setup", id, f.ID)
					}
				}
				for _, w := range want.words {
					if !strings.Contains(text, w) {
						t.Errorf("%s does not say %q: %s", id, w, text)
					}
				}
			}
			if a, _ := g.evilAuth.Load().(string); a != "" {
				t.Errorf("another host received Authorization %q", a)
			}
		})
	}
}
