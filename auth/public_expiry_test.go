package auth

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A device code nobody uses ends with ErrDeviceCodeExpired when it
// expires: here after one second, the shortest expiry Entra's shape allows.
func TestDeviceCodeExpires(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
			fmt.Fprintf(w, `{"issuer":"%[1]s/tenant-x/v2.0","authorization_endpoint":"%[1]s/tenant-x/oauth2/v2.0/authorize","token_endpoint":"%[1]s/tenant-x/oauth2/v2.0/token","jwks_uri":"%[1]s/tenant-x/discovery/v2.0/keys"}`, srv.URL)
		case strings.HasSuffix(r.URL.Path, "/devicecode"):
			fmt.Fprint(w, `{"user_code":"ABCDEFGHJ","device_code":"DAQABAAEAAAD-device-code-value","verification_uri":"https://example.test/devicelogin","expires_in":1,"interval":5,"message":"m"}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"authorization_pending","error_description":"AADSTS70016: pending","error_codes":[70016]}`)
		}
	}))
	defer srv.Close()
	secrets := &secretLog{}
	c, err := NewPublicClient(PublicOptions{AuthorityHost: srv.URL, Tenant: "tenant-x", ClientID: AzureCLIClientID, HTTPClient: srv.Client(), OnSecret: secrets.add})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DeviceCode(ctxFor(t), []string{"api://gw/Mcp.Gateway.Access"}, nil)
	if !errors.Is(err, ErrDeviceCodeExpired) {
		t.Fatalf("want ErrDeviceCodeExpired, got %v", err)
	}
	if !secrets.has("DAQABAAEAAAD-device-code-value") {
		t.Error("the device code was not registered as a secret")
	}
}
