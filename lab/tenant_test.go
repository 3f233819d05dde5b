package lab

import (
	"context"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// startWorld runs a lab for one test.
func startWorld(t *testing.T, opts Options) *World {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w, err := Start(ctx, opts)
	if err != nil {
		cancel()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		w.Close()
	})
	return w
}

func getJSON(t *testing.T, w *World, u string, into any) *http.Response {
	t.Helper()
	resp, err := w.Client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("GET %s: %d %v: %s", u, resp.StatusCode, err, body)
		}
	}
	return resp
}

// postForm posts to the tenant and decodes the JSON answer into a generic map.
func postForm(t *testing.T, w *World, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := w.Client.PostForm(w.AuthorityHost+path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("POST %s: %d, not JSON: %s", path, resp.StatusCode, body)
	}
	return resp.StatusCode, m
}

var descriptionShape = regexp.MustCompile(`^AADSTS(\d+): .+\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`)

// assertEntraError checks an error body field by field against the shape of
// reference/entra/error-*.json, then its status, error and AADSTS code.
func assertEntraError(t *testing.T, status int, body map[string]any, wantStatus int, wantError string, wantCode int) {
	t.Helper()
	if status != wantStatus || body["error"] != wantError {
		t.Fatalf("got %d %v, want %d %s: %v", status, body["error"], wantStatus, wantError, body)
	}
	desc, _ := body["error_description"].(string)
	m := descriptionShape.FindStringSubmatch(desc)
	if m == nil {
		t.Fatalf("error_description %q is not Entra-shaped", desc)
	}
	codes, _ := body["error_codes"].([]any)
	if len(codes) != 1 || codes[0] != float64(wantCode) || m[1] != itoa(wantCode) {
		t.Fatalf("error_codes %v / description %q, want AADSTS%d", codes, desc, wantCode)
	}
	for _, f := range []string{"timestamp", "trace_id", "correlation_id", "error_uri"} {
		if s, _ := body[f].(string); s == "" {
			t.Errorf("error body lacks %s: %v", f, body)
		}
	}
	if !strings.Contains(desc, "Trace ID: "+body["trace_id"].(string)) || !strings.Contains(desc, "Correlation ID: "+body["correlation_id"].(string)) {
		t.Errorf("description's ids differ from the fields: %v", body)
	}
	if !strings.HasSuffix(body["error_uri"].(string), "/error?code="+itoa(wantCode)) {
		t.Errorf("error_uri %v", body["error_uri"])
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

// referenceKeys loads a reference body's top-level keys, in order.
func referenceKeys(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/entra/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return jsonKeys(t, b)
}

// jsonKeys lists an object's top-level keys in document order.
func jsonKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", b)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("keys: %v", err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("keys: %v", err)
		}
	}
	return keys
}

func TestDiscoveryHasEntrasShapeOnTheLabHost(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	for _, tenant := range []string{w.TenantID, w.TenantDomain, strings.ToUpper(w.TenantDomain)} {
		var doc map[string]any
		resp := getJSON(t, w, w.AuthorityHost+"/"+tenant+"/v2.0/.well-known/openid-configuration", &doc)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", tenant, resp.StatusCode)
		}
		base := w.AuthorityHost + "/" + w.TenantID
		want := map[string]string{
			"issuer":                        base + "/v2.0",
			"token_endpoint":                base + "/oauth2/v2.0/token",
			"device_authorization_endpoint": base + "/oauth2/v2.0/devicecode",
			"authorization_endpoint":        base + "/oauth2/v2.0/authorize",
			"jwks_uri":                      base + "/discovery/v2.0/keys",
		}
		for k, v := range want {
			if doc[k] != v {
				t.Errorf("%s: %s = %v, want %s", tenant, k, doc[k], v)
			}
		}
		if _, ok := doc["code_challenge_methods_supported"]; ok {
			t.Errorf("Entra omits code_challenge_methods_supported")
		}
	}
	// Same keys in the same order as the recorded document.
	resp, err := w.Client.Get(w.AuthorityHost + "/" + w.TenantID + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got, want := jsonKeys(t, b), referenceKeys(t, "openid-configuration-v2.json"); !reflect.DeepEqual(got, want) {
		t.Errorf("keys\n got %v\nwant %v", got, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}

	var v1 map[string]any
	getJSON(t, w, w.AuthorityHost+"/"+w.TenantID+"/.well-known/openid-configuration", &v1)
	if v1["issuer"] != "https://sts.windows.net/"+w.TenantID+"/" {
		t.Errorf("v1 issuer %v", v1["issuer"])
	}
}

func TestUnknownTenantIsRefusedAsEntraDoes(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	resp, err := w.Client.Get(w.AuthorityHost + "/fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	assertEntraError(t, resp.StatusCode, body, 400, "invalid_tenant", 90002)
}

func TestJWKSPublishesTheSigningKeyAsEntraDoes(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{})
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	getJSON(t, w, w.AuthorityHost+"/"+w.TenantDomain+"/discovery/v2.0/keys", &set)
	if len(set.Keys) != 2 {
		t.Fatalf("want the signing key and a spare, got %d keys", len(set.Keys))
	}
	var found bool
	for _, k := range set.Keys {
		for _, f := range []string{"kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"} {
			if k[f] == nil {
				t.Errorf("key lacks %s: %v", f, k)
			}
		}
		der, err := base64.StdEncoding.DecodeString(k["x5c"].([]any)[0].(string))
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha1.Sum(der)
		if thumb := base64.RawURLEncoding.EncodeToString(sum[:]); k["x5t"] != thumb || k["kid"] != thumb {
			t.Errorf("kid %v / x5t %v, want the certificate thumbprint %s", k["kid"], k["x5t"], thumb)
		}
		pub := cert.PublicKey.(*rsa.PublicKey)
		if n := base64.RawURLEncoding.EncodeToString(pub.N.Bytes()); n != k["n"] {
			t.Errorf("n does not match the certificate's key")
		}
		if k["issuer"] != w.Issuer() {
			t.Errorf("issuer %v", k["issuer"])
		}
		if k["kid"] == w.keyID {
			found = true
			if pub.N.Cmp(w.signKey.N) != 0 {
				t.Errorf("the key named %s is not the signing key", w.keyID)
			}
		}
	}
	if !found {
		t.Errorf("signing key %s not published", w.keyID)
	}
}
