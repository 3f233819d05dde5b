package checks

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/wire"
)

// askEntra against a fake gateway and authority on one server: what each
// kind of answer becomes, and that nothing but the authority is followed.
func TestAskEntraAnswers(t *testing.T) {
	t.Parallel()
	const redirect = "http://127.0.0.1:33418"
	tests := []struct {
		name      string
		authority http.HandlerFunc
		accepted  bool
		code      int
		page      bool
		unclear   string
	}{
		{name: "sign-in page", accepted: true, authority: func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "text/html")
			rw.Write([]byte(`<html><form method="post"></form></html>`))
		}},
		{name: "sent back", code: 9010010, authority: func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, redirect+"?"+url.Values{"error": {"invalid_target"}, "error_description": {"AADSTS9010010: no.\r\nTrace ID: 0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"}, "state": {r.URL.Query().Get("state")}}.Encode(), http.StatusFound)
		}},
		{name: "error page", code: 50011, page: true, authority: func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "text/html")
			rw.WriteHeader(400)
			rw.Write([]byte(`<p>AADSTS50011: The redirect URI &#39;x&#39; does not match.</p>`))
		}},
		{name: "hop on the authority", accepted: true, authority: func(rw http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("hop") == "" {
				http.Redirect(rw, r, r.URL.String()+"&hop=1", http.StatusFound)
				return
			}
			rw.Header().Set("Content-Type", "text/html")
			rw.Write([]byte(`<html>sign in</html>`))
		}},
		{name: "another host", unclear: "not the authority host", authority: func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, "https://adfs.contoso.example/adfs/ls", http.StatusFound)
		}},
		{name: "endless redirects", unclear: "more than 4 redirects", authority: func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, r.URL.String(), http.StatusFound)
		}},
		{name: "not a page", unclear: "neither its sign-in page nor an error", authority: func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			rw.Write([]byte(`{"ok":true}`))
		}},
		{name: "back without anything", unclear: "without an error or a sign-in", authority: func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, redirect+"?state=x", http.StatusFound)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux := http.NewServeMux()
			mux.HandleFunc("/tenant/oauth2/v2.0/authorize", tt.authority)
			srv := httptest.NewTLSServer(mux)
			defer srv.Close()
			mux.HandleFunc("/authorize", func(rw http.ResponseWriter, r *http.Request) {
				http.Redirect(rw, r, srv.URL+"/tenant/oauth2/v2.0/authorize?"+r.URL.RawQuery, http.StatusFound)
			})
			pool := x509.NewCertPool()
			pool.AddCert(srv.Certificate())
			client, err := wire.New(wire.Options{Timeout: 5 * time.Second, RootCAs: pool})
			if err != nil {
				t.Fatal(err)
			}
			env := &Env{Config: &Config{AuthorityHost: srv.URL, GatewayAppID: "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"}, HTTP: client, State: &State{}}
			a := askEntra(context.Background(), env, srv.URL+"/authorize", clientAuthorizeQuery(env, VSCodeClientID, redirect))
			switch {
			case a.accepted != tt.accepted:
				t.Errorf("accepted = %v (%s)", a.accepted, a)
			case tt.code != 0 && (a.refusal == nil || !a.refusal.Has(tt.code) || a.page != tt.page):
				t.Errorf("refusal %+v page %v, want AADSTS%d page %v", a.refusal, a.page, tt.code, tt.page)
			case tt.unclear != "" && !strings.Contains(a.unclear, tt.unclear):
				t.Errorf("unclear %q, want %q", a.unclear, tt.unclear)
			}
			if !a.kept["code_challenge"] || a.kept["resource"] {
				t.Errorf("kept %v", a.kept)
			}
		})
	}
}
