package lab

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// authorizeURL is what an MCP client sends to the gateway's /authorize.
func authorizeURL(w *World, clientID, redirect string, extra url.Values) string {
	q := url.Values{
		"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {redirect},
		"scope":          {"api://" + w.GatewayAppID + "/" + GatewayScope + " offline_access"},
		"code_challenge": {pkceChallenge(strings.Repeat("v", 43))}, "code_challenge_method": {"S256"}, "state": {"st8"},
	}
	for k, v := range extra {
		q[k] = v
	}
	return w.GatewayURL + "/authorize?" + q.Encode()
}

// follow walks the gateway's 302 to the tenant and returns the tenant's answer.
func follow(t *testing.T, w *World, gatewayURL string) (status int, loc *url.URL, page string) {
	t.Helper()
	resp, err := w.Client.Get(gatewayURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	next, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("gateway /authorize: %d %v", resp.StatusCode, err)
	}
	resp, err = w.Client.Get(next.String())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loc, _ = resp.Location()
	return resp.StatusCode, loc, string(b)
}

func TestAuthorizeBeforeSignIn(t *testing.T) {
	t.Parallel()
	resource := url.Values{"resource": {"PRM"}}
	tests := []struct {
		name, fault, client, redirect string
		extra                         url.Values
		wantPage                      string // "" when a sign-in page is wanted
		wantBack                      string // error sent back to the redirect URI
	}{
		{name: "gateway app, loopback", client: GatewayAppID, redirect: "http://127.0.0.1:33418"},
		{name: "loopback on another port", client: GatewayAppID, redirect: "http://127.0.0.1:50123"},
		{name: "vscode.dev", client: GatewayAppID, redirect: "https://vscode.dev/redirect"},
		{name: "VS Code's own id", client: VSCodeAppID, redirect: "http://127.0.0.1:33418"},
		{name: "healthy gateway strips resource", client: GatewayAppID, redirect: "http://127.0.0.1:33418", extra: resource},
		{name: "guide as written", fault: "guide-as-written", client: GatewayAppID, redirect: "http://127.0.0.1:33418", extra: resource, wantBack: "invalid_target AADSTS9010010"},
		{name: "authorize forwards resource", fault: "authorize-forwards-resource", client: VSCodeAppID, redirect: "https://vscode.dev/redirect", extra: resource, wantBack: "invalid_target AADSTS9010010"},
		{name: "resource naming the app", fault: "guide-as-written", client: GatewayAppID, redirect: "http://127.0.0.1:33418", extra: url.Values{"resource": {"api://" + GatewayAppID}}},
		{name: "redirect missing", fault: "vscode-redirect-missing", client: GatewayAppID, redirect: "http://127.0.0.1:33418", wantPage: "AADSTS50011: "},
		{name: "unregistered path", client: GatewayAppID, redirect: "http://127.0.0.1:33418/callback", wantPage: "AADSTS50011: "},
		{name: "web platform passes here", fault: "redirect-on-web-platform", client: GatewayAppID, redirect: "http://127.0.0.1:33418"},
		{name: "client unknown", fault: "client-unknown", client: VSCodeAppID, redirect: "http://127.0.0.1:33418", wantPage: "AADSTS700016: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := Options{}
			if tt.fault != "" {
				opts.Faults = []string{tt.fault}
			}
			w := startWorld(t, opts)
			extra := tt.extra
			if extra.Get("resource") == "PRM" {
				extra = url.Values{"resource": {w.GatewayURL + "/" + w.APIPath}}
			}
			status, loc, page := follow(t, w, authorizeURL(w, tt.client, tt.redirect, extra))
			switch {
			case tt.wantBack != "":
				q := loc.Query()
				if status != http.StatusFound || !strings.HasPrefix(loc.String(), tt.redirect) || q.Get("state") != "st8" ||
					q.Get("error")+" "+strings.SplitN(q.Get("error_description"), ":", 2)[0] != tt.wantBack ||
					!strings.Contains(q.Get("error_description"), "\r\nCorrelation ID: ") || !strings.Contains(q.Get("error_uri"), "/error?code=") {
					t.Errorf("got %d %s, want %s back to %s", status, loc, tt.wantBack, tt.redirect)
				}
			case tt.wantPage != "":
				if status != http.StatusBadRequest || loc != nil || !strings.Contains(page, tt.wantPage) || !strings.Contains(page, "Correlation Id: ") {
					t.Errorf("got %d %v %s, want an error page with %s", status, loc, page, tt.wantPage)
				}
			default:
				if status != http.StatusOK || loc != nil || !strings.Contains(page, `<form method="post" id="signin">`) || strings.Contains(page, "AADSTS") {
					t.Errorf("got %d %v %s, want the sign-in page", status, loc, page)
				}
			}
		})
	}
}

// The lab's browser signs in through the gateway and lands on the client's
// loopback listener with a code that redeems (through the gateway's /token)
// only where the redirect URI's platform allows a public client.
func TestBrowserSignInAndPlatform(t *testing.T) {
	t.Parallel()
	for _, fault := range []string{"", "redirect-on-web-platform", "client-not-authorized"} {
		t.Run("fault="+fault, func(t *testing.T) {
			t.Parallel()
			opts := Options{}
			if fault != "" {
				opts.Faults = []string{fault}
			}
			w := startWorld(t, opts)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan url.Values, 1)
			srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				got <- r.URL.Query()
				io.WriteString(rw, "signed in")
			})}
			go srv.Serve(l)
			t.Cleanup(func() { srv.Close() })
			redirect := "http://" + l.Addr().String()
			client := VSCodeAppID
			if fault != "client-not-authorized" {
				client = GatewayAppID
			}
			if err := w.Browser(context.Background(), authorizeURL(w, client, redirect, url.Values{"resource": {w.GatewayURL + "/" + w.APIPath}})); err != nil {
				t.Fatal(err)
			}
			var q url.Values
			select {
			case q = <-got:
			case <-time.After(5 * time.Second):
				t.Fatal("the browser never reached the listener")
			}
			if fault == "client-not-authorized" {
				if q.Get("error") != "invalid_client" || !strings.HasPrefix(q.Get("error_description"), "AADSTS65005: ") {
					t.Errorf("not pre-authorized: %v", q)
				}
				return
			}
			status, body := gatewayToken(t, w, url.Values{
				"grant_type": {"authorization_code"}, "client_id": {client}, "code": {q.Get("code")},
				"redirect_uri": {redirect}, "code_verifier": {strings.Repeat("v", 43)},
				"scope": {"api://" + w.GatewayAppID + "/" + GatewayScope + " offline_access"}, "resource": {w.GatewayURL + "/" + w.APIPath},
			})
			if fault == "redirect-on-web-platform" {
				if status != 401 || !strings.Contains(body, "AADSTS7000218") {
					t.Errorf("web platform: %d %s", status, body)
				}
				return
			}
			if status != 200 || !strings.Contains(body, `"refresh_token"`) {
				t.Errorf("redeem: %d %s", status, body)
			}
		})
	}
}

func gatewayToken(t *testing.T, w *World, form url.Values) (int, string) {
	t.Helper()
	resp, err := w.Client.PostForm(w.GatewayURL+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestGatewayTokenStripsResourceUnlessGuideAsWritten(t *testing.T) {
	t.Parallel()
	for fault, want := range map[string]string{"": "AADSTS9002313", "authorize-forwards-resource": "AADSTS9002313", "guide-as-written": "AADSTS9010010"} {
		opts := Options{}
		if fault != "" {
			opts.Faults = []string{fault}
		}
		w := startWorld(t, opts)
		_, body := gatewayToken(t, w, url.Values{
			"grant_type": {"authorization_code"}, "client_id": {GatewayAppID}, "code": {"made-up"}, "redirect_uri": {"http://127.0.0.1:33418"},
			"scope": {"api://" + w.GatewayAppID + "/" + GatewayScope}, "resource": {w.GatewayURL + "/" + w.APIPath},
		})
		if !strings.Contains(body, want) {
			t.Errorf("fault %q: %s, want %s", fault, body, want)
		}
	}
	if got := gwWithoutResource("a=1&resource=x%2Fy&b=2&resource&c="); got != "a=1&b=2&c=" {
		t.Errorf("gwWithoutResource: %q", got)
	}
}
