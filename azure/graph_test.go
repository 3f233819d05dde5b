package azure

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/c7doctor/c7doctor/wire"
)

const (
	tGateway = "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"
	tMCP     = "b8e4d2a6-1c7f-4e3b-9a5d-6f0c2e8b4d19"
	tGwSP    = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	tMCPSP   = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
	tUser    = "5d9a3e71-2c4b-4f8e-a1d6-0b7c9e3f2a58"
)

type staticCred struct {
	err    error
	scopes []string
}

func (c *staticCred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.scopes = o.Scopes
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	return azcore.AccessToken{Token: "graph-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// sub is one answer inside a $batch.
type sub struct {
	status  int
	headers map[string]string
	body    any
}

func ok(body any) sub { return sub{status: 200, body: body} }

func gerr(status int, code string) sub {
	return sub{status: status, body: map[string]any{"error": map[string]any{"code": code, "message": code + " happened", "innerError": map[string]string{"request-id": "rid-1"}}}}
}

// healthy answers every read as the guide's tenant would.
func healthy(path string) sub {
	switch {
	case strings.HasPrefix(path, "/applications(appId='"+tGateway+"')/federatedIdentityCredentials"):
		return ok(map[string]any{"value": []any{map[string]any{"name": "apim-managed-identity", "issuer": "https://login.microsoftonline.com/t/v2.0",
			"subject": "mi-principal", "audiences": []string{"api://AzureADTokenExchange"}}}})
	case strings.HasPrefix(path, "/applications(appId='"+tGateway+"')"):
		return ok(map[string]any{"id": "gw-obj", "appId": tGateway, "displayName": "Context7 APIM Gateway", "signInAudience": "AzureADMyOrg",
			"api": map[string]any{"requestedAccessTokenVersion": 2}, "passwordCredentials": []any{
				map[string]any{"keyId": "k1", "hint": "abc", "endDateTime": "2027-01-01T00:00:00Z", "startDateTime": "2026-01-01T00:00:00Z"}}})
	case strings.HasPrefix(path, "/applications(appId='"+tMCP+"')"):
		return ok(map[string]any{"id": "mcp-obj", "appId": tMCP, "displayName": "Context7 MCP API", "api": map[string]any{"requestedAccessTokenVersion": nil}})
	case strings.HasPrefix(path, "/servicePrincipals(appId='"+tGateway+"')"):
		return ok(map[string]any{"id": tGwSP, "appId": tGateway, "displayName": "Context7 APIM Gateway", "appRoleAssignmentRequired": true})
	case strings.HasPrefix(path, "/servicePrincipals(appId='"+tMCP+"')"):
		return ok(map[string]any{"id": tMCPSP, "appId": tMCP, "displayName": "Context7 MCP API"})
	case strings.HasPrefix(path, "/oauth2PermissionGrants"):
		return ok(map[string]any{"value": []any{map[string]any{"id": "g1", "clientId": tGwSP, "resourceId": tMCPSP, "consentType": "AllPrincipals", "scope": "mcp.access"}}})
	case strings.HasPrefix(path, "/servicePrincipals/"+tGwSP+"/appRoleAssignedTo"):
		return ok(map[string]any{"value": []any{map[string]any{"principalId": "group-1", "principalType": "Group"}}})
	case strings.HasPrefix(path, "/users/"+tUser+"/transitiveMemberOf"):
		return ok(map[string]any{"value": []any{map[string]any{"id": "group-1"}}})
	}
	return gerr(400, "BadRequest")
}

type fakeGraph struct {
	*httptest.Server
	batches, gets atomic.Int32
}

// newFake serves $batch by answering each request with answer; raw, when
// set, answers the $batch POST itself; get answers direct GETs (pages).
func newFake(t *testing.T, answer func(path string, attempt int) sub, raw http.HandlerFunc, get http.HandlerFunc) *fakeGraph {
	t.Helper()
	f := &fakeGraph{}
	seen := map[string]int{}
	f.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer graph-token" {
			http.Error(w, "no token", 401)
			return
		}
		if r.Method == http.MethodGet {
			f.gets.Add(1)
			get(w, r)
			return
		}
		f.batches.Add(1)
		if raw != nil {
			raw(w, r)
			return
		}
		var req struct {
			Requests []struct{ ID, Method, URL string }
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Requests) > 20 {
			http.Error(w, "bad batch", 400)
			return
		}
		var out []map[string]any
		for _, q := range req.Requests {
			path := strings.SplitN(q.URL, "?", 2)[0]
			seen[path]++
			s := answer(q.URL, seen[path])
			h := s.headers
			if h == nil {
				h = map[string]string{"Content-Type": "application/json"}
			}
			out = append(out, map[string]any{"id": q.ID, "status": s.status, "headers": h, "body": s.body})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"responses": out})
	}))
	t.Cleanup(f.Close)
	return f
}

func readApps(t *testing.T, f *fakeGraph, cred *staticCred, q Query) (*Apps, error) {
	t.Helper()
	if cred == nil {
		cred = &staticCred{}
	}
	g, err := NewGraph(cred, graphOptions(f.URL, f.Client()))
	if err != nil {
		t.Fatal(err)
	}
	g.maxRetryWait, g.bodyLimit, g.maxPages = 2*time.Second, 64<<10, 4
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return g.ReadApps(ctx, q)
}

var fullQuery = Query{GatewayAppID: tGateway, MCPAPIAppID: tMCP, UserOID: tUser}

func TestReadAppsHealthyInTwoRoundTrips(t *testing.T) {
	f := newFake(t, func(p string, _ int) sub { return healthy(p) }, nil, nil)
	cred := &staticCred{}
	apps, err := readApps(t, f, cred, fullQuery)
	if err != nil {
		t.Fatal(err)
	}
	if apps.RoundTrips != 2 || f.batches.Load() != 2 {
		t.Errorf("round trips %d, batches %d: want 2", apps.RoundTrips, f.batches.Load())
	}
	if len(cred.scopes) != 1 || cred.scopes[0] != f.URL+"/.default" {
		t.Errorf("token scopes %v: want the endpoint's .default", cred.scopes)
	}
	if apps.Gateway.TokenVersion() != 2 || apps.MCPAPI.TokenVersion() != 1 || apps.MCPAPI.API.RequestedAccessTokenVersion != nil {
		t.Errorf("token versions: gateway %d, mcp %d", apps.Gateway.TokenVersion(), apps.MCPAPI.TokenVersion())
	}
	if g, ok := apps.AdminConsent(); !ok || g.Scope != "mcp.access" {
		t.Errorf("admin consent %v %v", g, ok)
	}
	if assigned, known := apps.UserAssigned(apps.GatewaySP); !assigned || !known {
		t.Errorf("assigned through a group: %v %v", assigned, known)
	}
	if len(apps.Errors) != 0 {
		t.Errorf("errors %v", apps.Errors)
	}
	if fc := apps.GatewayFederated; len(fc) != 1 || fc[0].Subject != "mi-principal" || len(fc[0].Audiences) != 1 {
		t.Errorf("federated credentials %+v", fc)
	}
	if end := apps.Gateway.PasswordCredentials[0].EndDateTime; end == nil || end.Year() != 2027 {
		t.Errorf("secret end %v", end)
	}
}

func TestReadAppsNotFoundIsAFact(t *testing.T) {
	f := newFake(t, func(p string, _ int) sub {
		if strings.Contains(p, tMCP) {
			return gerr(404, "Request_ResourceNotFound")
		}
		return healthy(p)
	}, nil, nil)
	apps, err := readApps(t, f, nil, fullQuery)
	if err != nil || apps.MCPAPI != nil || apps.MCPAPISP != nil || len(apps.Errors) != 0 {
		t.Fatalf("err %v, mcp %v, sp %v, errors %v", err, apps.MCPAPI, apps.MCPAPISP, apps.Errors)
	}
	if _, ok := apps.AdminConsent(); ok {
		t.Error("no consent without the MCP API's service principal")
	}
}

func TestReadAppsForbidden(t *testing.T) {
	t.Run("inside the batch", func(t *testing.T) {
		f := newFake(t, func(string, int) sub { return gerr(403, "Authorization_RequestDenied") }, nil, nil)
		apps, err := readApps(t, f, nil, fullQuery)
		if err != nil || !apps.Forbidden() {
			t.Fatalf("err %v forbidden %v", err, apps.Forbidden())
		}
	})
	t.Run("the batch itself", func(t *testing.T) {
		f := newFake(t, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(403)
			fmt.Fprint(w, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}`)
		}, nil)
		_, err := readApps(t, f, nil, fullQuery)
		var ge *GraphError
		if !errors.As(err, &ge) || !ge.Forbidden() || !strings.Contains(err.Error(), "Insufficient privileges") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestReadAppsThrottledInsideTheBatch(t *testing.T) {
	throttle := func(after string) func(string, int) sub {
		return func(p string, attempt int) sub {
			if strings.Contains(p, "servicePrincipals(appId='"+tMCP) && attempt == 1 {
				return sub{status: 429, headers: map[string]string{"Retry-After": after}, body: map[string]any{"error": map[string]any{"code": "TooManyRequests", "message": "throttled"}}}
			}
			return healthy(p)
		}
	}
	t.Run("short wait: retried once", func(t *testing.T) {
		f := newFake(t, throttle("1"), nil, nil)
		start := time.Now()
		apps, err := readApps(t, f, nil, fullQuery)
		if err != nil || len(apps.Errors) != 0 || apps.MCPAPISP == nil {
			t.Fatalf("err %v errors %v", err, apps.Errors)
		}
		if apps.RoundTrips != 3 || time.Since(start) < time.Second {
			t.Errorf("round trips %d after %s: want 3 after the Retry-After", apps.RoundTrips, time.Since(start))
		}
	})
	t.Run("long wait: reported, not waited", func(t *testing.T) {
		f := newFake(t, throttle("120"), nil, nil)
		start := time.Now()
		apps, err := readApps(t, f, nil, fullQuery)
		e := apps.Errors[ReadMCPAPISP]
		if err != nil || e == nil || !e.Throttled() || e.RetryAfter != 120*time.Second || !strings.Contains(e.Error(), "retry after 2m0s") {
			t.Fatalf("err %v, sp error %v", err, e)
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("waited %s", time.Since(start))
		}
	})
}

func TestReadAppsPartialFailure(t *testing.T) {
	f := newFake(t, func(p string, _ int) sub {
		if strings.HasPrefix(p, "/oauth2PermissionGrants") {
			return gerr(500, "UnknownError")
		}
		if strings.HasPrefix(p, "/servicePrincipals(appId='"+tGateway) {
			return sub{status: 200, body: "PGh0bWw+"} // a base64 string, not an object
		}
		return healthy(p)
	}, nil, nil)
	apps, err := readApps(t, f, nil, fullQuery)
	if err != nil {
		t.Fatal(err)
	}
	if apps.Gateway == nil || apps.MCPAPI == nil || apps.MCPAPISP == nil {
		t.Error("the reads that answered are kept")
	}
	if e := apps.Errors[ReadGatewaySP]; e == nil || !strings.Contains(e.Error(), "not a JSON object") {
		t.Errorf("gateway sp: %v", e)
	}
	if _, ok := apps.Errors[ReadGrants]; ok {
		t.Error("no grants are read without the gateway's service principal")
	}
}

func TestReadAppsHostileBatchAnswers(t *testing.T) {
	for _, c := range []struct {
		name string
		h    http.HandlerFunc
		want string
	}{
		{"HTML", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!DOCTYPE html><html><body>Proxy login</body></html>")
		}, "an HTML page instead of JSON"},
		{"HTML error", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
		}, "HTTP 502: an HTML page"},
		{"huge", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"responses":[`+strings.Repeat(" ", 200<<10)+`]}`)
		}, "larger than 65536 bytes"},
		{"no responses", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"value":[]}`)
		}, "the $batch answer is not Graph's JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, nil, c.h, nil)
			_, err := readApps(t, f, nil, fullQuery)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestReadAppsMissingAnswer(t *testing.T) {
	f := newFake(t, nil, func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"responses":[]}`)
	}, nil)
	apps, err := readApps(t, f, nil, Query{GatewayAppID: tGateway})
	if err != nil || apps.Errors[ReadGatewayApp] == nil || !strings.Contains(apps.Errors[ReadGatewayApp].Error(), "no response for this request") {
		t.Fatalf("err %v errors %v", err, apps.Errors)
	}
}

func TestReadAppsNextLinks(t *testing.T) {
	grants := func(next string) func(string, int) sub {
		return func(p string, _ int) sub {
			if strings.HasPrefix(p, "/oauth2PermissionGrants") {
				return ok(map[string]any{"value": []any{}, "@odata.nextLink": next})
			}
			return healthy(p)
		}
	}
	t.Run("loop", func(t *testing.T) {
		var f *fakeGraph
		f = newFake(t, func(p string, a int) sub { return grants(f.URL+"/v1.0/page/1")(p, a) }, nil, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"value":[],"@odata.nextLink":%q}`, f.URL+r.URL.Path)
		})
		apps, err := readApps(t, f, nil, fullQuery)
		if err != nil || apps.Errors[ReadGrants] == nil || !strings.Contains(apps.Errors[ReadGrants].Error(), "loops back") {
			t.Fatalf("err %v errors %v", err, apps.Errors)
		}
		if f.gets.Load() != 1 {
			t.Errorf("%d pages fetched for a loop", f.gets.Load())
		}
	})
	t.Run("endless", func(t *testing.T) {
		var f *fakeGraph
		n := 0
		f = newFake(t, func(p string, a int) sub { return grants(f.URL+"/v1.0/page/0")(p, a) }, nil, func(w http.ResponseWriter, r *http.Request) {
			n++
			fmt.Fprintf(w, `{"value":[],"@odata.nextLink":"%s/v1.0/page/%d"}`, f.URL, n)
		})
		apps, err := readApps(t, f, nil, fullQuery)
		if err != nil || apps.Errors[ReadGrants] == nil || !strings.Contains(apps.Errors[ReadGrants].Error(), "more than 4 pages") {
			t.Fatalf("err %v errors %v", err, apps.Errors)
		}
	})
	t.Run("another origin", func(t *testing.T) {
		f := newFake(t, grants("https://graph.example.net/v1.0/steal"), nil, nil)
		apps, err := readApps(t, f, nil, fullQuery)
		if err != nil || apps.Errors[ReadGrants] == nil || !strings.Contains(apps.Errors[ReadGrants].Error(), "not followed") || f.gets.Load() != 0 {
			t.Fatalf("err %v errors %v gets %d", err, apps.Errors, f.gets.Load())
		}
	})
}

func TestReadAppsCredentialFailure(t *testing.T) {
	f := newFake(t, func(p string, _ int) sub { return healthy(p) }, nil, nil)
	_, err := readApps(t, f, &staticCred{err: errors.New("AzureCLICredential: please run 'az login'")}, fullQuery)
	var ce *CredentialError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "az login") || f.batches.Load() != 0 {
		t.Fatalf("err %v, batches %d", err, f.batches.Load())
	}
}

func TestNewGraphRefusesPlainHTTPOffLoopback(t *testing.T) {
	if _, err := NewGraph(&staticCred{}, graphOptions("http://graph.example.com", nil)); err == nil {
		t.Error("plain http accepted")
	}
	if _, err := NewGraph(nil, graphOptions("https://graph.example.com", nil)); err == nil {
		t.Error("no credential accepted")
	}
}

// Through the project's HTTP client (which records each request body),
// the $batch body still reaches Graph whole.
func TestReadAppsThroughTheWireClient(t *testing.T) {
	f := newFake(t, func(p string, _ int) sub { return healthy(p) }, nil, nil)
	pool := x509.NewCertPool()
	pool.AddCert(f.Certificate())
	wc, err := wire.New(wire.Options{RootCAs: pool, AuthOrigins: []string{f.URL}, GatewayOrigin: "https://gateway.invalid"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGraph(&staticCred{}, graphOptions(f.URL, wc.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	apps, err := g.ReadApps(context.Background(), fullQuery)
	if err != nil || apps.Gateway == nil || len(apps.Errors) != 0 {
		t.Fatalf("err %v errors %v", err, apps.Errors)
	}
	ex := wc.Recorder().Exchanges()
	if len(ex) != 2 || !strings.Contains(ex[0].ReqBody, `"requests"`) {
		t.Errorf("recorded %d exchanges, first body %q", len(ex), ex[0].ReqBody)
	}
}

func graphOptions(endpoint string, client *http.Client) Options {
	o := Options{Cloud: Cloud{AuthorityHost: "https://login.test", GraphEndpoint: endpoint}, TryTimeout: 5 * time.Second}
	if client != nil {
		o.Transport = client
	}
	return o
}
