package main

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/lab/labtest"
	"github.com/c7doctor/c7doctor/report"
)

// runFlagNames are the keys a config file may hold.
func runFlagNames() map[string]bool {
	names := map[string]bool{}
	for _, f := range runFlags() {
		names[f.Names()[0]] = true
	}
	return names
}

// readInitConfig reads a written config the way run does and checks that
// every key is a run flag.
func readInitConfig(t *testing.T, path string) map[string][]string {
	t.Helper()
	values, err := readConfig(path)
	if err != nil {
		t.Fatalf("run cannot read what init wrote: %v", err)
	}
	known := runFlagNames()
	for k := range values {
		if !known[k] || k == "config" {
			t.Errorf("init wrote key %q, which run does not know", k)
		}
	}
	return values
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInitInfersFromTheGatewayAndRunReadsTheFile(t *testing.T) {
	w := labtest.Start(t, lab.Options{})
	dir := t.TempDir()
	ca := writeFile(t, filepath.Join(dir, "lab-ca.pem"), w.CAPEM)
	secretFile := writeFile(t, filepath.Join(dir, "gateway-secret"), []byte(w.GatewaySecret))
	cfg := filepath.Join(dir, "c7doctor.yaml")

	r := runCLI(t, cliOpts{env: map[string]string{"C7DOCTOR_GATEWAY_SECRET": w.GatewaySecret}}, "init",
		"--gateway", w.GatewayURL, "--ca-file", ca, "--mcp-api-app-id", w.MCPAPIAppID,
		"--gateway-secret-file", secretFile, "--require", "gateway-token,obo", "--file", cfg)
	if r.code != 0 {
		t.Fatalf("init exit %d: %s", r.code, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("init printed to stdout: %q", r.stdout)
	}
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if strings.Contains(text, w.GatewaySecret) {
		t.Fatalf("the secret is in the config:\n%s", text)
	}
	values := readInitConfig(t, cfg)
	want := map[string]string{
		"gateway": w.GatewayURL, "api-path": w.APIPath, "tenant": w.TenantID, "gateway-app-id": w.GatewayAppID,
		"mcp-api-app-id": w.MCPAPIAppID, "authority-host": w.AuthorityHost, "gateway-secret-file": secretFile, "ca-file": ca,
	}
	for k, v := range want {
		if got := strings.Join(values[k], ","); got != v {
			t.Errorf("%s = %q, want %q\n%s", k, got, v, text)
		}
	}
	if got := strings.Join(values["require"], ","); got != "gateway-token,obo" {
		t.Errorf("require = %q", got)
	}
	for _, src := range []string{"tenant: " + w.TenantID + "  # found in the AS metadata's jwks_uri",
		"gateway-app-id: " + w.GatewayAppID + "  # found in the PRM's scopes_supported"} {
		if !strings.Contains(text, src) {
			t.Errorf("config does not say where it found %q:\n%s", src, text)
		}
	}
	if !strings.Contains(r.stderr, "wrote "+cfg) {
		t.Errorf("stderr does not say what was written: %s", r.stderr)
	}
	// Without a terminal device code cannot run: init prints the complete
	// command that tests the whole path there, with the ids it found.
	for _, want := range []string{"device code needs a terminal",
		"az account get-access-token --resource api://" + w.GatewayAppID + " -o json > token.json",
		"c7doctor run --config " + cfg + " --token-file token.json"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	// run takes the file as it is: same target, no usage error.
	rr := runCLI(t, cliOpts{}, "run", "--config", cfg, "--only", "challenge", "--no-cache", "-o", "json")
	if rr.code == report.ExitUsage {
		t.Fatalf("run refused the config init wrote: %s", rr.stderr)
	}
	rep := decodeReport(t, rr.stdout)
	if rep.Target.Gateway != w.GatewayURL || rep.Target.Tenant != w.TenantID || rep.Target.GatewayAppID != w.GatewayAppID || rep.Target.MCPAPIAppID != w.MCPAPIAppID {
		t.Errorf("run's target %+v is not the lab's", rep.Target)
	}
}

// fakeGateway serves a PRM still holding the guide's template placeholders
// and no AS metadata, so init has nothing to infer but the API path.
func fakeGateway(t *testing.T, handler http.HandlerFunc) (url, caFile string) {
	t.Helper()
	srv := httptest.NewTLSServer(handler)
	t.Cleanup(srv.Close)
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return srv.URL, writeFile(t, filepath.Join(t.TempDir(), "ca.pem"), pemData)
}

func TestInitAsksOnATerminal(t *testing.T) {
	gw, ca := fakeGateway(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/oauth-protected-resource" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"resource":"https://` + r.Host + `/mcp-docs","authorization_servers":["https://` + r.Host + `"],` +
				`"scopes_supported":["api://<gateway-app-id>/Mcp.Gateway.Access"]}`))
			return
		}
		http.NotFound(w, r)
	})
	cfg := filepath.Join(t.TempDir(), "c7doctor.yaml")
	answers := strings.Join([]string{
		"",                                     // api-path: keep mcp-docs, found in the PRM
		"not a tenant!",                        // refused, asked again
		"contoso.onmicrosoft.com",              // tenant
		"3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83", // gateway app id
		"",                                     // mcp api app id: unknown
		"./secret.txt",                         // secret file
		"",                                     // subscription
		"rg-gateway",                           // resource group
	}, "\n") + "\n" // then the input ends: apim-name keeps its default
	r := runCLI(t, cliOpts{terminal: true, stdin: answers}, "init", "--gateway", gw, "--ca-file", ca, "--file", cfg, "--timeout", "2s")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"API path of the MCP API in APIM [mcp-docs]: ",
		"Entra tenant (GUID or domain): ",
		`expected a tenant GUID or domain (contoso.onmicrosoft.com), got "not a tenant!"`,
		"no authorization server metadata",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	values := readInitConfig(t, cfg)
	for k, v := range map[string]string{
		"gateway": gw, "api-path": "mcp-docs", "tenant": "contoso.onmicrosoft.com",
		"gateway-app-id": "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83", "gateway-secret-file": "./secret.txt",
		"resource-group": "rg-gateway", "mcp-api-app-id": "", "subscription": "",
	} {
		if got := strings.Join(values[k], ","); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	data, _ := os.ReadFile(cfg)
	if !strings.Contains(string(data), "# mcp-api-app-id: <mcp-api-app-id>") {
		t.Errorf("an unknown key is not left as a commented example:\n%s", data)
	}
	if !strings.Contains(r.stderr, "gateway-secret-file ./secret.txt does not exist yet") {
		t.Errorf("no note about the missing secret file:\n%s", r.stderr)
	}
}

func TestInitRefusesToOverwriteWithoutForce(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "c7doctor.yaml"), []byte("gateway: https://old.example.net\n"))
	args := []string{"init", "--gateway", "https://127.0.0.1:1", "--no-discover", "--file", cfg}
	r := runCLI(t, cliOpts{}, args...)
	if r.code != report.ExitUsage || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("exit %d, stderr %q: want exit 2 pointing at --force", r.code, r.stderr)
	}
	if data, _ := os.ReadFile(cfg); string(data) != "gateway: https://old.example.net\n" {
		t.Fatalf("the file was touched:\n%s", data)
	}
	r = runCLI(t, cliOpts{}, append(args, "--force")...)
	if r.code != 0 {
		t.Fatalf("--force: exit %d: %s", r.code, r.stderr)
	}
	if got := readInitConfig(t, cfg)["gateway"]; len(got) != 1 || got[0] != "https://127.0.0.1:1" {
		t.Errorf("gateway = %v after --force", got)
	}
}

func TestInitUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"init", "--no-discover"}, "--gateway"},
		{[]string{"init", "--gateway", "http://apim.example.net", "--no-discover"}, "plain http is refused"},
		{[]string{"init", "--gateway", "https://apim.example.net", "--tenant", "no tenant", "--no-discover"}, "--tenant"},
		{[]string{"init", "--gateway", "https://apim.example.net", "--mcp-api-app-id", "42", "--no-discover"}, "--mcp-api-app-id"},
		{[]string{"init", "--gateway", "https://apim.example.net", "--require", "nope", "--no-discover"}, "--require"},
	} {
		r := runCLI(t, cliOpts{}, append(tc.args, "--file", filepath.Join(dir, "c.yaml"))...)
		if r.code != report.ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %s", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "c.yaml")); err == nil {
		t.Error("a usage error wrote the file")
	}
}

func TestInitToStdoutWithAnUnreachableGateway(t *testing.T) {
	// Nothing listens on port 1: init says so and writes what it was given.
	r := runCLI(t, cliOpts{}, "init", "--gateway", "https://127.0.0.1:1/ctx7/mcp", "--timeout", "500ms", "--file", "-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "no protected resource metadata") {
		t.Errorf("stderr does not say the gateway could not be read:\n%s", r.stderr)
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("stdout is not YAML: %v\n%s", err, r.stdout)
	}
	if doc["gateway"] != "https://127.0.0.1:1" || doc["api-path"] != "ctx7" {
		t.Errorf("gateway and api-path from the MCP URL: %v", doc)
	}
}

func TestDiscoverReadsTheAuthorizeRedirectWhenMetadataIsSilent(t *testing.T) {
	gw, ca := fakeGateway(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/oauth-protected-resource":
			json.NewEncoder(w).Encode(map[string]any{
				"resource": "https://" + r.Host + "/context7", "authorization_servers": []string{"https://" + r.Host},
				"scopes_supported": []string{"openid", "api://9A1C2E3F-4B5D-4E6F-8A7B-1C2D3E4F5A6B/Mcp.Gateway.Access"},
			})
		case "/.well-known/oauth-authorization-server":
			json.NewEncoder(w).Encode(map[string]any{"issuer": "https://" + r.Host, "jwks_uri": "https://login.microsoftonline.com/<your-tenant-id>/discovery/v2.0/keys"})
		case "/authorize":
			http.Redirect(w, r, "https://login.microsoftonline.us/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/authorize", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	})
	r := runCLI(t, cliOpts{}, "init", "--gateway", gw, "--ca-file", ca, "--file", "-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"tenant: 72f988bf-86f1-41af-91ab-2d7cd011db47  # found in where /authorize redirects",
		"authority-host: https://login.microsoftonline.us  # found in where /authorize redirects",
		"gateway-app-id: 9a1c2e3f-4b5d-4e6f-8a7b-1c2d3e4f5a6b  # found in the PRM's scopes_supported",
		"api-path: context7  # found in the PRM's resource",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in:\n%s", want, r.stdout)
		}
	}
}

func TestInitAPIMName(t *testing.T) {
	if got := apimNameOf("https://apim-contoso.azure-api.net"); got != "apim-contoso" {
		t.Errorf("apimNameOf = %q", got)
	}
	if got := apimNameOf("https://mcp.contoso.com"); got != "" {
		t.Errorf("apimNameOf(custom domain) = %q", got)
	}
}
