package auth

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
)

// BrowserOptions configure a sign-in in the browser: authorization code
// with PKCE (golang.org/x/oauth2), as an MCP client makes it.
type BrowserOptions struct {
	AuthURL, TokenURL string
	ClientID          string
	Scopes            []string
	// Resource, when set, is sent to both endpoints as RFC 8707's resource,
	// as clients following the MCP authorization spec do.
	Resource   string
	HTTPClient *http.Client
	// Open shows the URL to the person; it may return before they are done.
	Open func(ctx context.Context, url string) error
	// Wait bounds the wait for the person; default five minutes.
	Wait time.Duration
	// Waiting is told the URL and the wait just before the browser opens;
	// the function it returns is called when the wait is over (a person's
	// time: the caller stops its clocks meanwhile).
	Waiting func(url string, wait time.Duration) (done func())
	// OnSecret is given every secret the sign-in sees.
	OnSecret func(values ...string)
}

// BrowserResult is a finished sign-in.
type BrowserResult struct {
	AccessToken  string
	RefreshToken string
	RedirectURI  string // the loopback listener's
}

// SignInError is a browser sign-in that failed at one step: "authorize"
// (Entra sent the browser back with an error), "token" (redeeming the
// code), "refresh", or "browser" (nothing came back). Entra is set when
// Entra answered.
type SignInError struct {
	Step  string
	Entra *EntraError
	Err   error
}

func (e *SignInError) Error() string {
	if e.Entra != nil {
		return "sign-in: " + e.Step + ": " + e.Entra.String()
	}
	return "sign-in: " + e.Step + ": " + e.Err.Error()
}

func (e *SignInError) Unwrap() error { return e.Err }

const defaultBrowserWait = 5 * time.Minute

// BrowserSignIn listens on a loopback port (no path: VS Code's registered
// http://127.0.0.1:33418, whose port Entra ignores for a loopback URI),
// opens the browser at the authorization URL, waits for the redirect and
// redeems the code.
func BrowserSignIn(ctx context.Context, o BrowserOptions) (BrowserResult, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return BrowserResult{}, &SignInError{Step: "browser", Err: fmt.Errorf("no loopback port to receive the sign-in on: %w", err)}
	}
	redirect := "http://" + l.Addr().String()
	oc := o.config(redirect)
	verifier := oauth2.GenerateVerifier()
	state := oauth2.GenerateVerifier()[:22]
	o.secret(verifier)
	signInURL := oc.AuthCodeURL(state, append(o.resourceOption(), oauth2.S256ChallengeOption(verifier))...)

	answer, err := o.await(ctx, l, signInURL)
	if err != nil {
		return BrowserResult{}, err
	}
	if answer.Get("state") != state {
		return BrowserResult{}, &SignInError{Step: "authorize", Err: errors.New("the redirect came back with another state than the one sent: not this sign-in's answer")}
	}
	if e, ok := EntraErrorFromRedirect(answer); ok {
		return BrowserResult{}, &SignInError{Step: "authorize", Entra: e, Err: e.AsError()}
	}
	code := answer.Get("code")
	if code == "" {
		return BrowserResult{}, &SignInError{Step: "authorize", Err: errors.New("the redirect came back with neither a code nor an error")}
	}
	o.secret(code)
	tok, err := oc.Exchange(o.context(ctx), code, append(o.resourceOption(), oauth2.VerifierOption(verifier))...)
	if err != nil {
		return BrowserResult{}, tokenError("token", err)
	}
	o.secretToken(tok)
	return BrowserResult{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, RedirectURI: redirect}, nil
}

// Refresh redeems a refresh token at the token endpoint, as a client does
// every hour, and returns the new access token.
func (o BrowserOptions) Refresh(ctx context.Context, refreshToken string) (string, error) {
	tok, err := o.config("").TokenSource(o.context(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return "", tokenError("refresh", err)
	}
	o.secretToken(tok)
	return tok.AccessToken, nil
}

func (o BrowserOptions) config(redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    o.ClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: o.AuthURL, TokenURL: o.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: redirect,
		Scopes:      o.Scopes,
	}
}

func (o BrowserOptions) resourceOption() []oauth2.AuthCodeOption {
	if o.Resource == "" {
		return nil
	}
	return []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("resource", o.Resource)}
}

// context carries the HTTP client for x/oauth2, with the scope added to
// refresh requests: Entra v2 wants it, and x/oauth2 sends none there.
func (o BrowserOptions) context(ctx context.Context) context.Context {
	hc := http.DefaultClient
	if o.HTTPClient != nil {
		hc = o.HTTPClient
	}
	c := *hc
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = scopeOnRefresh{next: next, tokenURL: o.TokenURL, scope: strings.Join(o.Scopes, " ")}
	return context.WithValue(ctx, oauth2.HTTPClient, &c)
}

func (o BrowserOptions) secret(v ...string) {
	if o.OnSecret != nil {
		o.OnSecret(v...)
	}
}

func (o BrowserOptions) secretToken(tok *oauth2.Token) {
	o.secret(tok.AccessToken, tok.RefreshToken)
	if id, ok := tok.Extra("id_token").(string); ok {
		o.secret(id)
	}
}

// await serves the loopback redirect, opens the browser and waits for the
// one answer, until the wait ends, ctx ends or it comes.
func (o BrowserOptions) await(ctx context.Context, l net.Listener, signInURL string) (url.Values, error) {
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

	wait := o.Wait
	if wait <= 0 {
		wait = defaultBrowserWait
	}
	if o.Waiting != nil {
		defer o.Waiting(signInURL, wait)()
	}
	opened := make(chan error, 1)
	if o.Open == nil {
		opened <- errors.New("no browser to open")
	} else {
		go func() { opened <- o.Open(ctx, signInURL) }()
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var openErr error
	for {
		select {
		case q := <-got:
			return q, nil
		case err := <-opened:
			openErr, opened = err, nil
		case <-ctx.Done():
			return nil, &SignInError{Step: "browser", Err: ctx.Err()}
		case <-timer.C:
			err := fmt.Errorf("nobody completed the sign-in in the browser within %s", wait)
			if openErr != nil {
				err = fmt.Errorf("%w (the browser: %v)", err, openErr)
			}
			return nil, &SignInError{Step: "browser", Err: err}
		}
	}
}

// tokenError reads an error of x/oauth2's calls to the token endpoint.
func tokenError(step string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if e, ok := ParseEntraError(re.Body, status); ok {
			return &SignInError{Step: step, Entra: e, Err: e.AsError()}
		}
		return &SignInError{Step: step, Err: fmt.Errorf("HTTP %d, not Entra's error shape: %q", status, snippet(re.Body))}
	}
	return &SignInError{Step: step, Err: err}
}

func snippet(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// scopeOnRefresh adds the sign-in's scope to refresh requests to the token
// endpoint.
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
