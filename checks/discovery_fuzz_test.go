package checks

import (
	"strings"
	"testing"
)

// The metadata parsers read whatever a gateway sends: they must never
// panic, and what they return must hold together.

func FuzzParsePRM(f *testing.F) {
	f.Add([]byte(guidePRMTemplate))
	f.Add([]byte(`{"resource":"https://h/context7","authorization_servers":["https://h"],"scopes_supported":["api://x/Mcp.Gateway.Access"],"bearer_methods_supported":["header"]}`))
	f.Add([]byte(`{"resource":null,"authorization_servers":[null]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParsePRM(body)
		if err != nil {
			if m != nil || !strings.HasPrefix(err.Error(), "prm: ") {
				t.Fatalf("error %v with %+v", err, m)
			}
			return
		}
		if same, diff := m.Same(m); !same {
			t.Fatalf("a document differs from itself: %s", diff)
		}
		if len(m.Placeholders) > 16 {
			t.Fatalf("%d placeholders", len(m.Placeholders))
		}
		for _, p := range m.Placeholders {
			if !holdsPlaceholder(p) {
				t.Fatalf("placeholder %q does not match its own pattern", p)
			}
		}
		if m.Resource != "" {
			MatchResource(m.Resource, "https://apim.example.net/context7/mcp")
		}
		_ = bodyDescription("application/json", body, false)
	})
}

func FuzzParseASMetadata(f *testing.F) {
	f.Add([]byte(`{"issuer":"https://h","authorization_endpoint":"https://h/authorize","token_endpoint":"https://h/token","jwks_uri":"https://login.microsoftonline.com/<your-tenant-id>/discovery/v2.0/keys","code_challenge_methods_supported":["S256"]}`))
	f.Add([]byte(`{"issuer":"https://h/tenant1/"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseASMetadata(body)
		if err != nil {
			if m != nil || !strings.HasPrefix(err.Error(), "as metadata: ") {
				t.Fatalf("error %v with %+v", err, m)
			}
			return
		}
		if urls, err := ASMetadataURLs(m.Issuer); err == nil {
			if len(urls) != 2 && len(urls) != 3 {
				t.Fatalf("%d URLs for %q", len(urls), m.Issuer)
			}
			for _, u := range urls {
				if !strings.Contains(u, "/.well-known/") {
					t.Fatalf("URL %q for issuer %q", u, m.Issuer)
				}
			}
		}
	})
}

func FuzzMatchResource(f *testing.F) {
	f.Add("https://h/context7", "https://h/context7/mcp")
	f.Add("HTTPS://H:443/context7/", "https://h/context7/mcp")
	f.Add("https://[::1]/a", "https://[::1]:443/a/b")
	f.Fuzz(func(t *testing.T, resource, ep string) {
		m, _ := MatchResource(resource, ep)
		// Exactness is symmetric only between URLs without fragments: a
		// resource may not carry one (RFC 9728), an endpoint's is never sent.
		if m == MatchExact && !strings.Contains(resource, "#") && !strings.Contains(ep, "#") {
			if back, why := MatchResource(ep, resource); back != MatchExact {
				t.Fatalf("exact one way (%q, %q), %s the other: %s", resource, ep, back, why)
			}
		}
	})
}
