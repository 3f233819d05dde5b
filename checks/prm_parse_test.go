package checks

import (
	"slices"
	"strings"
	"testing"
)

func TestParsePRM(t *testing.T) {
	tests := []struct {
		name, body string
		wantErr    string
		check      func(t *testing.T, m *ProtectedResourceMetadata)
	}{
		{name: "guide", body: `{"resource":"https://h/context7","authorization_servers":["https://h"],"scopes_supported":["api://x/Mcp.Gateway.Access"],"bearer_methods_supported":["header"]}`,
			check: func(t *testing.T, m *ProtectedResourceMetadata) {
				if m.Resource != "https://h/context7" || !slices.Equal(m.AuthorizationServers, []string{"https://h"}) || !m.Has["bearer_methods_supported"] || m.Has["resource_name"] {
					t.Errorf("%+v", m)
				}
			}},
		{name: "unknown members ignored", body: `{"resource":"r","x":{"deep":[1,2,{"y":null}]},"resource_documentation":"d"}`,
			check: func(t *testing.T, m *ProtectedResourceMetadata) {
				if m.Resource != "r" || m.Has["authorization_servers"] {
					t.Errorf("%+v", m)
				}
			}},
		{name: "null members are absent", body: `{"resource":null,"scopes_supported":null}`,
			check: func(t *testing.T, m *ProtectedResourceMetadata) {
				if m.Has["resource"] || m.Has["scopes_supported"] {
					t.Errorf("%+v", m.Has)
				}
			}},
		{name: "duplicate member: the last wins, as in every JSON library", body: `{"resource":"a","resource":"b"}`,
			check: func(t *testing.T, m *ProtectedResourceMetadata) {
				if m.Resource != "b" {
					t.Errorf("%q", m.Resource)
				}
			}},
		{name: "unicode escapes", body: `{"resource":"https://h/\u0063ontext7","scopes_supported":["\u003cgateway-app-id\u003e"]}`,
			check: func(t *testing.T, m *ProtectedResourceMetadata) {
				if m.Resource != "https://h/context7" || !slices.Equal(m.Placeholders, []string{"<gateway-app-id>"}) {
					t.Errorf("%q %q", m.Resource, m.Placeholders)
				}
			}},
		{name: "placeholder in a key and a nested value", body: `{"<your-tenant-id>":1,"x":[{"y":"https://<your-apim-host>/a %3Capim-name%3E"}]}`,
			check: func(t *testing.T, m *ProtectedResourceMetadata) {
				if !slices.Equal(m.Placeholders, []string{"<your-tenant-id>", "<your-apim-host>", "%3Capim-name%3E"}) {
					t.Errorf("%q", m.Placeholders)
				}
			}},
		{name: "comparison operators are not placeholders", body: `{"resource_name":"a < b > c", "x": "<>", "y": "<1>"}`,
			check: func(t *testing.T, m *ProtectedResourceMetadata) {
				if len(m.Placeholders) != 0 {
					t.Errorf("%q", m.Placeholders)
				}
			}},
		{name: "empty", body: ``, wantErr: "empty"},
		{name: "whitespace", body: " \n\t", wantErr: "empty"},
		{name: "bom", body: "\ufeff{}", wantErr: "byte order mark"},
		{name: "array", body: `[{"resource":"r"}]`, wantErr: "not a JSON object"},
		{name: "string", body: `"resource"`, wantErr: "not a JSON object"},
		{name: "html", body: `<html><body>{}</body></html>`, wantErr: "not a JSON object"},
		{name: "trailing data", body: `{"resource":"r"} {"resource":"s"}`, wantErr: "after the JSON object"},
		{name: "truncated", body: `{"resource":"r","authorization_servers":["https://h"`, wantErr: "not valid JSON"},
		{name: "resource a number", body: `{"resource":42}`, wantErr: "resource: expected a string, got a number"},
		{name: "servers a string", body: `{"authorization_servers":"https://h"}`, wantErr: "authorization_servers: expected an array of strings, got a string"},
		{name: "servers holding an object", body: `{"authorization_servers":["https://h",{"a":1}]}`, wantErr: "authorization_servers[1]: expected a string, got an object"},
		{name: "scopes holding null", body: `{"scopes_supported":[null]}`, wantErr: "scopes_supported[0]: expected a string, got null"},
		{name: "bearer methods a bool", body: `{"bearer_methods_supported":true}`, wantErr: "got a boolean"},
		{name: "deep nesting", body: `{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, wantErr: "not valid JSON"},
		{name: "invalid UTF-8 is tolerated like browsers do", body: "{\"resource\":\"https://h/\xff\"}",
			check: func(t *testing.T, m *ProtectedResourceMetadata) {
				if !strings.HasPrefix(m.Resource, "https://h/") {
					t.Errorf("%q", m.Resource)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParsePRM([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "prm: ") {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, m)
		})
	}
}

func TestParseASMetadata(t *testing.T) {
	m, err := ParseASMetadata([]byte(`{"issuer":"https://h","authorization_endpoint":"https://h/authorize","token_endpoint":"https://h/token",
		"jwks_uri":"https://login.microsoftonline.com/t/discovery/v2.0/keys","response_types_supported":["code"],
		"grant_types_supported":["authorization_code","refresh_token"],"code_challenge_methods_supported":["S256"],
		"token_endpoint_auth_methods_supported":["none","client_secret_post"],"scopes_supported":["openid"]}`))
	if err != nil || m.Issuer != "https://h" || m.TokenEndpoint != "https://h/token" || !slices.Equal(m.CodeChallengeMethodsSupported, []string{"S256"}) || m.Has["registration_endpoint"] {
		t.Fatalf("%+v %v", m, err)
	}
	for body, want := range map[string]string{
		`{"issuer":["https://h"]}`:                           "issuer: expected a string, got an array",
		`{"code_challenge_methods_supported":"S256"}`:        "code_challenge_methods_supported: expected an array of strings, got a string",
		`{"response_types_supported":[["code"]]}`:            "response_types_supported[0]: expected a string, got an array",
		`{"token_endpoint":1e999}`:                           "token_endpoint: expected a string, got a number",
		`{"grant_types_supported":["authorization_code",1]}`: "grant_types_supported[1]",
		`null`: "not a JSON object",
	} {
		if _, err := ParseASMetadata([]byte(body)); err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "as metadata: ") {
			t.Errorf("%s: error %v, want %q", body, err, want)
		}
	}
}

func TestBodyDescription(t *testing.T) {
	tests := []struct{ ct, body, want string }{
		{"application/json", `{ "statusCode": 404, "message": "Resource not found" }`, `APIM's own error body: statusCode 404, message "Resource not found"`},
		{"application/json", `{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown audience"},"id":null}`, `a JSON-RPC error -32001: "Unknown audience"`},
		{"application/json", `{"error":"invalid_grant","error_description":"AADSTS9002313: Invalid request.\r\nTrace ID: x"}`, `an OAuth error "invalid_grant": "AADSTS9002313: Invalid request."`},
		{"application/json", `{"a":  1}`, `JSON: {"a":1}`},
		{"text/html", "<HTML><HEAD><TITLE>\n  Sign in\n to your account </TITLE>", `an HTML page titled "Sign in to your account"`},
		{"", "<!DOCTYPE html><html>", "an HTML page"},
		{"text/plain", "Bad gateway", `text: "Bad gateway"`},
		{"application/octet-stream", "\x00\x01\xff\xfe", "4 bytes of application/octet-stream"},
		{"", "", "an empty body"},
		{"", "{not json", `text that looks like JSON but is not: "{not json"`},
	}
	for _, tt := range tests {
		if got := bodyDescription(tt.ct, []byte(tt.body), false); got != tt.want {
			t.Errorf("bodyDescription(%q, %q) = %q, want %q", tt.ct, tt.body, got, tt.want)
		}
	}
	long := bodyDescription("text/plain", []byte(strings.Repeat("é", 1000)), true)
	if len(long) > 300 || !strings.HasSuffix(long, "(cut at the read limit)") {
		t.Errorf("long body description: %d bytes %q", len(long), long[len(long)-40:])
	}
}
