package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/wire"
)

const testTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// A tenant's discovery document is read, its issuer judged, and every way
// it can fail comes back typed, with the answer a caller reports on.
func TestTenantConfiguration(t *testing.T) {
	var doc string
	status := 200
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(strings.ReplaceAll(doc, "AUTHORITY", "http://"+r.Host)))
	}))
	defer srv.Close()
	client, err := wire.New(wire.Options{})
	if err != nil {
		t.Fatal(err)
	}
	get := func() (*TenantConfig, error) {
		return TenantConfiguration(context.Background(), client, srv.URL+"/", "contoso.onmicrosoft.com")
	}

	doc = `{"issuer":"AUTHORITY/` + strings.ToUpper(testTenant) + `/v2.0","jwks_uri":"AUTHORITY/x/discovery/v2.0/keys"}`
	c, err := get()
	if err != nil || c.GUID != testTenant || c.JWKSURI != srv.URL+"/x/discovery/v2.0/keys" || c.Response.StatusCode != 200 ||
		c.URL != srv.URL+"/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration" {
		t.Fatalf("healthy: %+v, %v", c, err)
	}
	if g, err := ResolveTenant(context.Background(), client, srv.URL, "contoso.onmicrosoft.com"); g != testTenant || err != nil {
		t.Errorf("ResolveTenant = %q, %v", g, err)
	}

	for _, tc := range []struct {
		name, doc string
		status    int
		problem   FetchProblem
	}{
		{"status", `{"error":"invalid_tenant"}`, 400, BadStatus},
		{"html", `<html>`, 200, NotJSON},
		{"null", `null`, 200, NotJSON},
		{"no issuer", `{"jwks_uri":"AUTHORITY/k"}`, 200, MissingMember},
		{"issuer not a string", `{"issuer":7}`, 200, MissingMember},
	} {
		doc, status = tc.doc, tc.status
		_, err := get()
		var fe *FetchError
		if !errors.As(err, &fe) || fe.Problem != tc.problem || fe.Response == nil || fe.Response.StatusCode != tc.status || fe.URL == "" {
			t.Errorf("%s: %v (%+v), want problem %d with the answer", tc.name, err, fe, tc.problem)
		}
	}
	status = 200
	for _, tc := range []struct {
		name, issuer string
		off          bool
	}{
		{"another host", "https://login.example/" + testTenant + "/v2.0", true},
		{"a fragment", "AUTHORITY/" + testTenant + "/v2.0#x", true},
		{"v1 form", "AUTHORITY/" + testTenant + "/", false},
		{"no GUID", "AUTHORITY/contoso.onmicrosoft.com/v2.0", false},
	} {
		doc = `{"issuer":"` + tc.issuer + `"}`
		_, err := get()
		var ie *IssuerError
		if !errors.As(err, &ie) || ie.OffAuthority != tc.off || ie.Response == nil {
			t.Errorf("%s: %v, want an issuer error (off the authority: %v)", tc.name, err, tc.off)
		}
		if _, err := ResolveTenant(context.Background(), client, srv.URL, "contoso.onmicrosoft.com"); err == nil || !strings.Contains(err.Error(), "<tenant-guid>/v2.0") {
			t.Errorf("%s: ResolveTenant says %v", tc.name, err)
		}
	}

	srv.Close()
	_, err = get()
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Problem != NoAnswer || fe.Response != nil {
		t.Errorf("no answer: %v", err)
	}
}

// FetchKeys hands over the answer with the keys, and with a refusal.
func TestFetchKeysCarriesTheAnswer(t *testing.T) {
	status := 200
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(`{"keys":[]}`))
	}))
	defer srv.Close()
	client, err := wire.New(wire.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ks, err := FetchKeys(context.Background(), client, srv.URL+"/keys")
	if err != nil || string(ks.JWKS) != `{"keys":[]}` || ks.Response.ContentType() != "application/json" {
		t.Fatalf("%+v, %v", ks, err)
	}
	status = 404
	_, err = FetchKeys(context.Background(), client, srv.URL+"/keys")
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Problem != BadStatus || fe.Response.StatusCode != 404 || !strings.Contains(err.Error(), "could not get the signing keys from ") {
		t.Errorf("404: %v", err)
	}
}
