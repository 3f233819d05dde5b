package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/report"
)

// Sign-in flows of gateway-token.
const (
	FlowDeviceCode = "device-code"
	FlowBrowser    = "browser"
)

// defaultBrowserWait bounds the wait for a person in the browser.
const defaultBrowserWait = 5 * time.Minute

// browserToken signs the user in as Part 7's client does: authorization
// code with PKCE through the gateway's /authorize and /token, the Gateway
// app's id as client, the RFC 8707 resource a spec-following client adds,
// a loopback listener for the redirect, and the system browser. It then
// redeems the refresh token through the gateway's /token too.
func browserToken(ctx context.Context, env *Env, r *Result) {
	cfg := env.Config
	source := "browser sign-in through the gateway"
	r.Evidence("source", source)
	clientID := browserClientID(cfg)
	r.Evidence("client_id", clientID+clientName(clientID, cfg))
	if env.OpenBrowser == nil {
		r.Find("token-browser-failed", "No browser can be opened from here.")
		return
	}
	authURL, _ := gatewayEndpoint(env, "authorization_endpoint", "/authorize")
	tokenURL, _ := gatewayEndpoint(env, "token_endpoint", "/token")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.Find("token-browser-failed", fmt.Sprintf("No loopback port to receive the sign-in on: %v.", err))
		return
	}
	// No path: VS Code's registered http://127.0.0.1:33418, whose port
	// Entra ignores for a loopback redirect URI.
	redirect := "http://" + l.Addr().String()
	scopes := strings.Fields(clientAuthorizeQuery(env, clientID, redirect).Get("scope"))
	oc := &oauth2.Config{
		ClientID:    clientID,
		Endpoint:    oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: redirect,
		Scopes:      scopes,
	}
	resource := resourceParameter(env)
	verifier := oauth2.GenerateVerifier()
	state := randomURLSafe(16)
	env.Redactor().Secret(verifier)
	signInURL := oc.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("resource", resource))
	r.Evidence("redirect_uri", redirect)
	r.Evidence("resource", resource)

	answer, waitErr := waitForBrowser(ctx, env, l, signInURL)
	if waitErr != nil {
		if ctx.Err() != nil {
			r.Summary("browser sign-in canceled")
			return
		}
		r.Find("token-browser-failed", waitErr.Error())
		return
	}
	if answer.Get("state") != state {
		r.Find("token-browser-failed", "The redirect came back with another state than the one sent: not this sign-in's answer.")
		return
	}
	if e, ok := auth.EntraErrorFromRedirect(answer); ok {
		browserRefusal(env, r, e, "The browser sign-in (at /authorize)", "authorize-resource-refused")
		return
	}
	code := answer.Get("code")
	env.Redactor().Secret(code)
	if code == "" {
		r.Find("token-browser-failed", "The redirect came back with neither a code nor an error.")
		return
	}

	hc := env.HTTP.HTTPClient()
	hc.Timeout = env.HTTP.Timeout()
	hc.Transport = scopeOnRefresh{next: hc.Transport, tokenURL: tokenURL, scope: strings.Join(scopes, " ")}
	octx := context.WithValue(ctx, oauth2.HTTPClient, hc)
	tok, err := oc.Exchange(octx, code, oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("resource", resource))
	if err != nil {
		tokenEndpointFailed(env, r, err, "Redeeming the code at the gateway's /token", "token-resource-refused")
		return
	}
	secretTokens(env, tok)
	decoded, err := auth.Decode(tok.AccessToken)
	if err != nil {
		r.Find("token-invalid", fmt.Sprintf("The access token redeemed through the gateway is not a readable JWT: %v.", err))
		return
	}
	accept(env, r, decoded, source)
	refreshThroughGateway(octx, env, r, oc, tok)
}

// browserClientID is the client the browser sign-in uses: the Gateway app,
// as Part 7's client, unless --client-id names another than the Azure CLI
// (whose default serves the device code): VS Code's id, for one.
func browserClientID(cfg *Config) string {
	if cfg.ClientID != "" && !strings.EqualFold(cfg.ClientID, AzureCLIClientID) {
		return cfg.ClientID
	}
	return cfg.GatewayAppID
}

// waitForBrowser serves the loopback redirect, opens the browser and waits
// for the one answer. The wait is the person's: it does not count against
// the run's deadline, and ends at the browser wait, Ctrl-C or the run's end.
func waitForBrowser(ctx context.Context, env *Env, l net.Listener, signInURL string) (url.Values, error) {
	got := make(chan url.Values, 1)
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
			if req.Method != http.MethodGet || (req.URL.Path != "/" && req.URL.Path != "") || !req.URL.Query().Has("state") {
				http.NotFound(rw, req)
				return
			}
			select {
			case got <- req.URL.Query():
			default:
			}
			rw.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(rw, "<!DOCTYPE html><title>c7doctor</title><p>c7doctor received the sign-in. You can close this window.</p>")
		}),
	}
	go srv.Serve(l)
	defer srv.Close()

	resume := env.PersonTime()
	defer resume()
	wait := env.Config.BrowserWait
	if wait <= 0 {
		wait = defaultBrowserWait
	}
	stderr := env.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	fmt.Fprintf(stderr, "\r\033[KSign in through the gateway in your browser (waiting up to %s). If no browser opens, open:\n%s\n", wait, signInURL)
	opened := make(chan error, 1)
	go func() { opened <- env.OpenBrowser(ctx, signInURL) }()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var openErr error
	for {
		select {
		case q := <-got:
			return q, nil
		case err := <-opened:
			openErr = err
			opened = nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
			msg := fmt.Sprintf("Nobody completed the sign-in in the browser within %s.", wait)
			if openErr != nil {
				msg += fmt.Sprintf(" The browser: %v.", openErr)
			}
			return nil, errors.New(msg)
		}
	}
}

// refreshThroughGateway redeems the refresh token at the gateway's /token,
// as a client does every hour.
func refreshThroughGateway(ctx context.Context, env *Env, r *Result, oc *oauth2.Config, tok *oauth2.Token) {
	if tok.RefreshToken == "" {
		r.Find("token-browser-no-refresh", "Entra issued no refresh token for offline_access: clients will send their users back to the browser when the access token expires.")
		return
	}
	fresh, err := oc.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		tokenEndpointFailed(env, r, err, "Refreshing the sign-in at the gateway's /token", "", WithSeverity(report.Warning))
		return
	}
	secretTokens(env, fresh)
	r.Evidence("refresh", "a new access token through the gateway's /token")
}

// browserRefusal files an Entra refusal met on the browser route.
func browserRefusal(env *Env, r *Result, e *auth.EntraError, what, resourceID string, opts ...FindingOption) {
	opts = append(opts, WithEntra(e.Codes, e.TraceID, e.CorrelationID))
	detail := fmt.Sprintf("%s was refused by Entra: %s.", what, e.Message())
	switch {
	case resourceID != "" && (e.Has(9010010) || e.Has(901002) || e.Error == "invalid_target"):
		r.Find(resourceID, detail+" The browser sign-in sends resource as spec-following MCP clients do.", append([]FindingOption{WithSeverity(report.Error)}, opts...)...)
	case EntraFinding("gateway-token", e, env.Config) == "token-browser-web-platform":
		r.Find("token-browser-web-platform", detail, opts...)
	default:
		findEntra(env, r, e, what, opts...)
	}
}

// tokenEndpointFailed reads an error of x/oauth2's calls to /token.
func tokenEndpointFailed(env *Env, r *Result, err error, what, resourceID string, opts ...FindingOption) {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if e, ok := auth.ParseEntraError(re.Body, status); ok {
			browserRefusal(env, r, e, what, resourceID, opts...)
			return
		}
		r.Find("token-browser-failed", fmt.Sprintf("%s answered HTTP %d with %s, not Entra's error shape.", what, status, bodyDescription(re.Response.Header.Get("Content-Type"), re.Body, false)), opts...)
		return
	}
	r.Find("token-browser-failed", fmt.Sprintf("%s failed: %v.", what, err), opts...)
}

func secretTokens(env *Env, tok *oauth2.Token) {
	env.Redactor().Secret(tok.AccessToken, tok.RefreshToken)
	if id, ok := tok.Extra("id_token").(string); ok {
		env.Redactor().Secret(id)
	}
}

// scopeOnRefresh adds the sign-in's scope to refresh requests to the token
// endpoint: Entra v2 wants it, and x/oauth2 sends none on a refresh.
type scopeOnRefresh struct {
	next     http.RoundTripper
	tokenURL string
	scope    string
}

func (s scopeOnRefresh) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.URL.String() != s.tokenURL || req.Body == nil {
		return s.next.RoundTrip(req)
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err == nil && form.Get("grant_type") == "refresh_token" && !form.Has("scope") {
		form.Set("scope", s.scope)
		body = []byte(form.Encode())
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return s.next.RoundTrip(out)
}
