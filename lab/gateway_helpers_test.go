package lab

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// gwUserClaims are the claims of a good gateway token for the lab user.
func gwUserClaims(w *World) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": w.AuthorityHost + "/" + w.TenantID + "/v2.0",
		"aud": w.GatewayAppID,
		"scp": "Mcp.Gateway.Access",
		"oid": DefaultUser.OID,
		"tid": w.TenantID,
		"azp": AzureCLIAppID,
		"ver": "2.0",
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
}

// gwOBOClaims are the claims of a good OBO token (what Context7 receives).
func gwOBOClaims(w *World) jwt.MapClaims {
	c := gwUserClaims(w)
	c["aud"] = w.MCPAPIAppID
	c["scp"] = "mcp.access"
	c["azp"] = w.GatewayAppID
	return c
}

// gwMint signs claims with the tenant's key, as the tenant would.
func gwMint(t *testing.T, w *World, claims jwt.MapClaims) string {
	t.Helper()
	return w.MintToken(claims)
}

func gwMintWith(t *testing.T, key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// gwOtherKey is an RSA key the tenant never published.
func gwOtherKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	gwOtherKeyOnce.Do(func() { gwOtherKeyValue, gwOtherKeyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if gwOtherKeyErr != nil {
		t.Fatal(gwOtherKeyErr)
	}
	return gwOtherKeyValue
}

var (
	gwOtherKeyOnce  sync.Once
	gwOtherKeyValue *rsa.PrivateKey
	gwOtherKeyErr   error
)

// gwStubTenantToken replaces the tenant's token endpoint, for the gateway's
// OBO hop and /token proxy, with handler; it keeps the tenant's identity
// (issuer host) unchanged for the other servers by only moving the gateway's
// view of it. It returns the number of calls made so far.
func gwStubTenantToken(t *testing.T, w *World, handler http.HandlerFunc) *atomic.Int32 {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/"+w.TenantID+"/oauth2/v2.0/token" {
			http.NotFound(rw, r)
			return
		}
		handler(rw, r)
	}))
	t.Cleanup(srv.Close)
	w.CertPool.AddCert(srv.Certificate())
	w.gateway.tokenBase = srv.URL
	return &calls
}

// gwOBOStub answers an OBO request like Entra: a token for the MCP API with
// the assertion's oid and tid, after checking the form the policy sends.
func gwOBOStub(t *testing.T, w *World) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f := r.PostForm
		if f.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || f.Get("client_id") != w.GatewayAppID ||
			f.Get("scope") != "api://"+w.MCPAPIAppID+"/.default" || f.Get("requested_token_use") != "on_behalf_of" {
			t.Errorf("OBO form = %v", gwRedactForm(f))
		}
		// The client proves itself as the MCP policy says: the guide's with
		// the secret, c7doctor's with APIM's managed identity.
		if w.apim().policies.guideMCP {
			if f.Get("client_secret") != w.GatewaySecret || f.Has("client_assertion") {
				t.Errorf("OBO form = %v, want the client secret", gwRedactForm(f))
			}
		} else {
			var mi jwt.MapClaims
			_, _, err := jwt.NewParser().ParseUnverified(f.Get("client_assertion"), &mi)
			if err != nil || f.Has("client_secret") || f.Get("client_assertion_type") != clientAssertionJWT ||
				mi["aud"] != tokenExchangeAudience || mi["sub"] != apimIdentityObjectID {
				t.Errorf("OBO form = %v (%v), want APIM's managed identity as client assertion", gwRedactForm(f), err)
			}
		}
		var assertion jwt.MapClaims
		if _, _, err := jwt.NewParser().ParseUnverified(f.Get("assertion"), &assertion); err != nil {
			t.Errorf("assertion: %v", err)
		}
		claims := gwOBOClaims(w)
		claims["oid"] = assertion["oid"]
		rw.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(rw).Encode(map[string]any{
			"token_type": "Bearer", "scope": "api://" + w.MCPAPIAppID + "/mcp.access",
			"expires_in": 3599, "ext_expires_in": 3599, "access_token": gwMint(t, w, claims),
		})
	}
}

func gwRedactForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		if k == "client_secret" || k == "assertion" || k == "client_assertion" {
			v = []string{"<redacted>"}
		}
		out[k] = v
	}
	return out
}

// gwDo sends a request with the lab's client and returns status, headers, body.
func gwDo(t *testing.T, w *World, method, u, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, u, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

const gwInitBody = `{"jsonrpc":"2.0","method":"initialize","id":1,"params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"smoke","version":"0.0.1"}}}`

func gwMCPHeaders(token string) map[string]string {
	h := map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return h
}

// gwSSEData returns the data of the single event of an SSE body.
func gwSSEData(t *testing.T, body string) map[string]any {
	t.Helper()
	if !strings.HasPrefix(body, "event: message\ndata: ") || !strings.HasSuffix(body, "\n\n") {
		t.Fatalf("not one SSE message event: %q", body)
	}
	data := strings.TrimSuffix(strings.TrimPrefix(body, "event: message\ndata: "), "\n\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		t.Fatalf("event data: %v: %q", err, data)
	}
	return m
}
