package checks

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/wire"
	"github.com/c7doctor/c7doctor/wire/wiretest"
)

// NewClient carries every setting a command gives into the client: the
// trusted roots (given or from a CA file), the resolver, the gateway-only
// headers (whose values become secrets) and the timeout.
func TestNewClientCarriesTheSettings(t *testing.T) {
	ca := wiretest.NewCA(t)
	leaf := ca.Leaf(t, []string{"gateway.test", "elsewhere.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	srv := wiretest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("key=" + r.Header.Get("Ocp-Apim-Subscription-Key")))
	}), leaf)
	addr := srv.Listener.Addr().String()
	port := addr[strings.LastIndex(addr, ":"):]
	resolver := wire.StaticResolver{"gateway.test": {"127.0.0.1"}, "elsewhere.test": {"127.0.0.1"}}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]ClientSettings{
		"roots":   {Roots: ca.Pool},
		"ca file": {CAFile: caFile},
	} {
		t.Run(name, func(t *testing.T) {
			red := wire.NewRedactor()
			s.Timeout, s.Resolver, s.Redactor = 7*time.Second, resolver, red
			s.Gateway = "https://gateway.test" + port
			s.GatewayHeaders = http.Header{"Ocp-Apim-Subscription-Key": {"sub-key-0123456789"}}
			client, err := NewClient(s)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			if client.Timeout() != 7*time.Second || client.Redactor() != red {
				t.Errorf("timeout %s, redactor kept %v", client.Timeout(), client.Redactor() == red)
			}
			for host, want := range map[string]string{"gateway.test": "key=sub-key-0123456789", "elsewhere.test": "key="} {
				resp, err := client.Get(context.Background(), (&url.URL{Scheme: "https", Host: host + port}).String(), "", wire.MetadataLimit)
				if err != nil {
					t.Fatalf("%s: %v", host, err)
				}
				if string(resp.Body) != want {
					t.Errorf("%s got %q, want %q", host, resp.Body, want)
				}
			}
			if got := red.String("sent sub-key-0123456789"); strings.Contains(got, "sub-key") {
				t.Errorf("the header's value is no secret to the redactor: %q", got)
			}
		})
	}
	if _, err := NewClient(ClientSettings{CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil {
		t.Error("a missing CA file is no error")
	}
}
