package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fakeAS is an authorization server whose /authorize sends the browser
// straight back (with answer's values, or a code) and whose /token records
// what it was sent.
type fakeAS struct {
	*httptest.Server
	answer url.Values
	forms  chan url.Values
}

func newFakeAS(t *testing.T, answer url.Values) *fakeAS {
	f := &fakeAS{answer: answer, forms: make(chan url.Values, 4)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(rw http.ResponseWriter, r *http.Request) {
		q := url.Values{"state": {r.URL.Query().Get("state")}, "code": {"the-code"}}
		if f.answer != nil {
			q = url.Values{"state": {r.URL.Query().Get("state")}}
			for k, v := range f.answer {
				q[k] = v
			}
		}
		if r.URL.Query().Get("resource") != "https://gw/context7" || r.URL.Query().Get("code_challenge_method") != "S256" {
			t.Errorf("authorize got %v", r.URL.Query())
		}
		http.Redirect(rw, r, r.URL.Query().Get("redirect_uri")+"?"+q.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(rw http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f.forms <- r.PostForm
		rw.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("grant_type") == "authorization_code" && r.PostForm.Get("code") != "the-code" {
			rw.WriteHeader(400)
			json.NewEncoder(rw).Encode(map[string]any{"error": "invalid_grant", "error_description": "AADSTS70000: bad code.\r\nCorrelation ID: a9b8c7d6-e5f4-4321-8765-0fedcba98765", "error_codes": []int{70000}})
			return
		}
		json.NewEncoder(rw).Encode(map[string]any{"token_type": "Bearer", "access_token": "at-" + r.PostForm.Get("grant_type"), "refresh_token": "rt", "expires_in": 3599})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAS) options(open func(context.Context, string) error) BrowserOptions {
	return BrowserOptions{
		AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", ClientID: "client",
		Scopes: []string{"api://gw/Mcp.Gateway.Access", "offline_access"}, Resource: "https://gw/context7",
		Open: open, Wait: 5 * time.Second,
	}
}

// aBrowser follows every redirect, loopback included.
func aBrowser(_ context.Context, u string) error {
	resp, err := http.Get(u)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

func TestBrowserSignInAndRefresh(t *testing.T) {
	f := newFakeAS(t, nil)
	var secrets []string
	o := f.options(aBrowser)
	o.OnSecret = func(v ...string) { secrets = append(secrets, v...) }
	waited := false
	o.Waiting = func(string, time.Duration) func() { return func() { waited = true } }
	res, err := BrowserSignIn(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.AccessToken != "at-authorization_code" || res.RefreshToken != "rt" || !strings.HasPrefix(res.RedirectURI, "http://127.0.0.1:") || !waited {
		t.Fatalf("result %+v waited %v", res, waited)
	}
	form := <-f.forms
	if form.Get("code_verifier") == "" || form.Get("resource") != "https://gw/context7" || form.Get("client_secret") != "" || form.Get("client_id") != "client" {
		t.Errorf("token request %v", form)
	}
	at, err := o.Refresh(context.Background(), res.RefreshToken)
	if err != nil || at != "at-refresh_token" {
		t.Fatalf("refresh: %q %v", at, err)
	}
	if form := <-f.forms; form.Get("scope") != "api://gw/Mcp.Gateway.Access offline_access" {
		t.Errorf("refresh sent scope %q: Entra v2 wants the scope", form.Get("scope"))
	}
	if !strings.Contains(strings.Join(secrets, " "), "the-code") {
		t.Errorf("the code was not handed to OnSecret: %q", secrets)
	}
}

func TestBrowserSignInFailures(t *testing.T) {
	var se *SignInError
	// Entra sends the browser back with an error.
	f := newFakeAS(t, url.Values{"error": {"invalid_target"}, "error_description": {"AADSTS9010010: no.\r\nCorrelation ID: a9b8c7d6-e5f4-4321-8765-0fedcba98765"}})
	_, err := BrowserSignIn(context.Background(), f.options(aBrowser))
	if !errors.As(err, &se) || se.Step != "authorize" || se.Entra == nil || !se.Entra.Has(9010010) {
		t.Errorf("refusal: %v", err)
	}
	// A code the token endpoint refuses.
	f = newFakeAS(t, url.Values{"code": {"another"}})
	_, err = BrowserSignIn(context.Background(), f.options(aBrowser))
	if !errors.As(err, &se) || se.Step != "token" || se.Entra == nil || !se.Entra.Has(70000) || se.Entra.CorrelationID == "" {
		t.Errorf("token refusal: %v", err)
	}
	// Nobody comes back: the wait ends and says what the browser said.
	o := f.options(func(context.Context, string) error { return errors.New("no display") })
	o.Wait = 100 * time.Millisecond
	_, err = BrowserSignIn(context.Background(), o)
	if !errors.As(err, &se) || se.Step != "browser" || !strings.Contains(err.Error(), "within 100ms") || !strings.Contains(err.Error(), "no display") {
		t.Errorf("timeout: %v", err)
	}
	// Ctrl-C while waiting.
	ctx, cancel := context.WithCancel(context.Background())
	o.Open = func(context.Context, string) error { cancel(); return nil }
	o.Wait = 5 * time.Second
	_, err = BrowserSignIn(ctx, o)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	// An answer with another state is not this sign-in's.
	o = f.options(func(_ context.Context, u string) error {
		p, _ := url.Parse(u)
		resp, err := http.Get(p.Query().Get("redirect_uri") + "?state=forged&code=x")
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
	_, err = BrowserSignIn(context.Background(), o)
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "another state") {
		t.Errorf("forged state: %v", err)
	}
}
