package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/report"
)

// Sign-in flows of gateway-token.
const (
	FlowDeviceCode = "device-code"
	FlowBrowser    = "browser"
)

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
	authURL, _ := gatewayEndpoint(env, "authorization_endpoint", "/authorize")
	tokenURL, _ := gatewayEndpoint(env, "token_endpoint", "/token")
	hc := env.HTTP.HTTPClient()
	hc.Timeout = env.HTTP.Timeout()
	o := auth.BrowserOptions{
		AuthURL: authURL, TokenURL: tokenURL, ClientID: clientID,
		Scopes:     clientScopes(env),
		Resource:   resourceParameter(env),
		HTTPClient: hc, Open: env.OpenBrowser, Wait: cfg.BrowserWait,
		OnSecret: env.Redactor().Secret,
		Waiting: func(u string, wait time.Duration) func() {
			// From here on the clock is the person's.
			resume := env.PersonTime()
			w := env.Stderr
			if w == nil {
				w = io.Discard
			}
			fmt.Fprintf(w, "\r\033[KSign in through the gateway in your browser (waiting up to %s). If no browser opens, open:\n%s\n", wait, u)
			return resume
		},
	}
	r.Evidence("resource", o.Resource)
	res, err := auth.BrowserSignIn(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			r.Summary("browser sign-in canceled")
			return
		}
		signInFailed(env, r, err, WithSeverity(report.Error))
		return
	}
	r.Evidence("redirect_uri", res.RedirectURI)
	tok, err := auth.Decode(res.AccessToken)
	if err != nil {
		r.Find("token-invalid", fmt.Sprintf("The access token redeemed through the gateway is not a readable JWT: %v.", err))
		return
	}
	accept(env, r, tok, source)
	if res.RefreshToken == "" {
		r.Find("token-browser-no-refresh", "Entra issued no refresh token for offline_access: clients will send their users back to the browser when the access token expires.")
		return
	}
	if _, err := o.Refresh(ctx, res.RefreshToken); err != nil {
		signInFailed(env, r, err, WithSeverity(report.Warning))
		return
	}
	r.Evidence("refresh", "a new access token through the gateway's /token")
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

// signInFailed files a failed browser sign-in by the step it failed at and
// what Entra said.
func signInFailed(env *Env, r *Result, err error, severity FindingOption) {
	var se *auth.SignInError
	if !errors.As(err, &se) {
		r.Find("token-browser-failed", fmt.Sprintf("The browser sign-in failed: %v.", err), severity)
		return
	}
	what := map[string]string{
		"authorize": "The browser sign-in (at the gateway's /authorize)",
		"token":     "Redeeming the code at the gateway's /token",
		"refresh":   "Refreshing the sign-in at the gateway's /token",
		"browser":   "The browser sign-in",
	}[se.Step]
	e := se.Entra
	if e == nil {
		r.Find("token-browser-failed", fmt.Sprintf("%s: %v.", what, se.Err), severity)
		return
	}
	opts := []FindingOption{severity, WithEntra(e.Codes, e.TraceID, e.CorrelationID)}
	detail := fmt.Sprintf("%s was refused by Entra: %s.", what, strings.TrimSuffix(e.Message(), "."))
	switch {
	case e.Has(9010010) || e.Has(901002) || e.Error == "invalid_target":
		id := "authorize-resource-refused"
		if se.Step != "authorize" {
			id = "token-resource-refused"
		}
		r.Find(id, detail+" The browser sign-in sends resource as spec-following MCP clients do.", opts...)
	case se.Step == "token" && EntraFinding("gateway-token", e, env.Config) == "token-browser-web-platform":
		r.Find("token-browser-web-platform", detail, opts...)
	default:
		findEntra(env, r, e, what, opts...)
	}
}
