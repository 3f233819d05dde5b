package lab

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestWriteFiles(t *testing.T) {
	t.Parallel()
	w := startWorld(t, Options{Faults: []string{"prm-placeholder"}})
	dir := filepath.Join(t.TempDir(), "lab dir")
	// A secret file left with loose permissions is tightened.
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "gateway-secret"), []byte("old secret that is longer"), 0o644)

	f, err := w.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(f.Config) || filepath.Dir(f.Config) != f.Dir {
		t.Errorf("paths %+v", f)
	}
	st, err := os.Stat(f.Secret)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", st.Mode(), err)
	}
	if b, _ := os.ReadFile(f.Secret); string(b) != w.GatewaySecret {
		t.Errorf("secret file holds %d bytes, not the secret", len(b))
	}
	b, _ := os.ReadFile(f.CA)
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("ca.pem is not PEM")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatalf("ca.pem: %v", err)
	}

	raw, _ := os.ReadFile(f.Config)
	if strings.Contains(string(raw), w.GatewaySecret) {
		t.Fatal("the config holds the secret")
	}
	if !strings.Contains(string(raw), "faults: prm-placeholder") {
		t.Errorf("config header does not name the faults:\n%s", raw)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"gateway": w.GatewayURL, "api-path": "context7", "tenant": w.TenantID,
		"gateway-app-id": w.GatewayAppID, "mcp-api-app-id": w.MCPAPIAppID, "authority-host": w.AuthorityHost,
		"ca-file": f.CA, "gateway-secret-file": f.Secret, "upstream": w.UpstreamURL, "cache-file": f.Cache,
		"call": true, "upstream-probe": true,
		"arm-endpoint": w.ARMEndpoint, "subscription": w.SubscriptionID, "resource-group": w.ResourceGroup,
		"apim-name": w.APIMName, "azure-client-id": w.ReaderAppID, "azure-client-secret-file": f.ReaderSecret,
		"read-secrets": true, "graph-endpoint": w.GraphURL,
	}
	if len(cfg) != len(want) {
		t.Errorf("config keys %v", cfg)
	}
	for k, v := range want {
		if cfg[k] != v {
			t.Errorf("%s = %v, want %v", k, cfg[k], v)
		}
	}
	if got := f.RunCommand(); got != "c7doctor run --config '"+f.Config+"'" {
		t.Errorf("RunCommand %q", got)
	}
}
