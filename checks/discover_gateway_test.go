package checks

import (
	"strings"
	"testing"
)

func TestDiscoverGatewayParsers(t *testing.T) {
	for _, tc := range []struct{ scopes, want string }{
		{"openid api://3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83/Mcp.Gateway.Access", "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"},
		{"api://11111111-2222-3333-4444-555555555555/other api://3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83/Mcp.Gateway.Access", "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"},
		{"api://11111111-2222-3333-4444-555555555555/other", "11111111-2222-3333-4444-555555555555"},
		{"api://<gateway-app-id>/Mcp.Gateway.Access", ""},
		{"https://graph.microsoft.com/.default", ""},
	} {
		if got := appIDFromScopes(strings.Fields(tc.scopes)); got != tc.want {
			t.Errorf("appIDFromScopes(%s) = %q, want %q", tc.scopes, got, tc.want)
		}
	}
	for _, tc := range []struct{ url, tenant, host string }{
		{"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/discovery/v2.0/keys", "72f988bf-86f1-41af-91ab-2d7cd011db47", "https://login.microsoftonline.com"},
		{"https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", "contoso.onmicrosoft.com", "https://login.microsoftonline.com"},
		{"https://login.microsoftonline.com/common/discovery/v2.0/keys", "", ""},
		{"https://login.microsoftonline.com/<your-tenant-id>/discovery/v2.0/keys", "", ""},
		{"not a url", "", ""},
	} {
		if tenant, host := tenantFromURL(tc.url); tenant != tc.tenant || host != tc.host {
			t.Errorf("tenantFromURL(%s) = %q %q, want %q %q", tc.url, tenant, host, tc.tenant, tc.host)
		}
	}
}
