package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// TokenState is what the token checks learn.
type TokenState struct {
	// Decoded is the gateway token, decoded (not verified) by gateway-token.
	Decoded *auth.Token
	// Account is who signed in through MSAL ("" for a given token).
	Account string
	// ExpiresOn is when MSAL says the token expires (zero for a given token).
	ExpiresOn time.Time
	// Verified is set by gateway-claims when the signature checked out
	// against the tenant's keys.
	Verified bool
}

// ClockSkew is the leeway allowed on exp and nbf, as APIM and Entra allow.
const ClockSkew = auth.ClockSkew

// maxTokenFile bounds what is read of --token-file.
const maxTokenFile = 1 << 20

// runGatewayToken gets a token for api://<gateway-app-id>/Mcp.Gateway.Access
// from, in order: the token file, $C7DOCTOR_TOKEN, MSAL's cache (silent,
// refreshing), then MSAL's device code when a person (or the lab) can sign in.
func runGatewayToken(ctx context.Context, env *Env, r *Result) {
	cfg := env.Config
	r.Evidence("scope", cfg.GatewayScope())
	if cfg.TokenFile != "" {
		data, err := readTokenFile(cfg.TokenFile)
		if err != nil {
			r.Evidence("source", "token file "+cfg.TokenFile)
			r.Find("token-invalid", fmt.Sprintf("The token file could not be read: %v.", err))
			return
		}
		givenToken(env, r, string(data), "token file "+cfg.TokenFile)
		return
	}
	if cfg.Token != "" {
		givenToken(env, r, cfg.Token, "$C7DOCTOR_TOKEN")
		return
	}
	if cfg.Flow == FlowBrowser {
		if !cfg.DeviceCode {
			r.Find("token-none", "--flow browser signs a person in, and stdin and stderr are not a terminal.")
			r.Skip("no token: --flow browser needs a terminal, and no token was given (set C7DOCTOR_TOKEN or --token-file)")
			return
		}
		browserToken(ctx, env, r)
		return
	}
	msalToken(ctx, env, r)
}

func readTokenFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, truncated, err := wire.ReadLimited(f, maxTokenFile)
	if err != nil {
		return nil, err
	}
	if truncated {
		return nil, fmt.Errorf("%s is larger than %d KiB: not a token file", path, maxTokenFile>>10)
	}
	return data, nil
}

// givenToken takes a token the user supplied, in any form Extract reads.
func givenToken(env *Env, r *Result, input, source string) {
	raw, form, err := auth.Extract(input)
	if err == nil {
		env.Redactor().Secret(raw)
		var tok *auth.Token
		tok, err = auth.Decode(raw)
		if err == nil {
			accept(env, r, tok, source+" ("+string(form)+")")
			return
		}
	}
	r.Evidence("source", source)
	detail := fmt.Sprintf("The token from %s is not a readable JWT: %v.", source, err)
	var de *auth.DecodeError
	if errors.As(err, &de) {
		detail += " " + de.Explain()
	}
	r.Find("token-invalid", detail)
}

// accept records the token for the checks that follow. The token itself is
// never evidence: its fingerprint and source are.
func accept(env *Env, r *Result, tok *auth.Token, source string) {
	env.Redactor().Secret(tok.Raw)
	env.State.GatewayToken = tok.Raw
	env.State.GatewayTokenSource = source
	env.State.Token.Decoded = tok
	r.Evidence("source", source)
	r.Evidence("token", tok.Describe()+", "+tok.Fingerprint())
	if u := tok.Claims.User(); u != "" {
		r.Evidence("user", u)
	}
	if tok.Claims.Exp != nil {
		r.Evidence("expires", auth.HumanTime(tok.Claims.Exp.Time, env.Now()))
	}
	r.Summary("token from %s", source)
}

// msalToken is the MSAL half: cache first, then device code.
func msalToken(ctx context.Context, env *Env, r *Result) {
	cfg := env.Config
	clientID := cfg.ClientID
	if clientID == "" {
		clientID = AzureCLIClientID
	}
	r.Evidence("client_id", clientID+clientName(clientID, cfg))
	r.Evidence("authority", cfg.Authority())
	var fc *auth.FileCache
	if !cfg.NoCache {
		path := cfg.CacheFile
		if path == "" {
			p, err := auth.DefaultCacheFile()
			if err != nil {
				r.Find("token-cache-problem", err.Error()+"; running without a token cache.")
			}
			path = p
		}
		if path != "" {
			fc = &auth.FileCache{Path: path, OnSecret: env.Redactor().Secret}
			r.Evidence("cache_file", path)
		}
	} else {
		r.Evidence("cache_file", "none (--no-cache)")
	}
	// Each MSAL request is bounded by the per-request timeout; the wait for a
	// person is bounded by the device code's expiry and Ctrl-C.
	hc := env.HTTP.HTTPClient()
	hc.Timeout = env.HTTP.Timeout()
	client, err := auth.NewPublicClient(auth.PublicOptions{
		AuthorityHost: cfg.AuthorityHost, Tenant: cfg.Tenant, ClientID: clientID,
		HTTPClient: hc, Cache: fc, OnSecret: env.Redactor().Secret,
	})
	if err != nil {
		r.Find("token-msal-failed", err.Error())
		return
	}
	defer reportCacheProblems(r, fc)
	scopes := []string{cfg.GatewayScope()}

	var refreshRefused *auth.EntraError
	if fc != nil {
		sctx, cancel := context.WithTimeout(ctx, 4*env.HTTP.Timeout())
		res, err := client.Silent(sctx, scopes)
		cancel()
		switch {
		case err == nil:
			source := "MSAL cache " + fc.Path
			if !res.FromCache {
				source += " (refreshed)"
			}
			acceptMSAL(env, r, res, source)
			return
		case errors.Is(err, auth.ErrNoAccount):
		case ctx.Err() != nil:
			return
		default:
			e, ok := auth.EntraErrorFrom(err)
			if !ok {
				r.Find("token-msal-failed", fmt.Sprintf("Reading the cached sign-in failed: %v.", err))
				return
			}
			refreshRefused = e
		}
	}
	if !cfg.DeviceCode {
		if refreshRefused != nil && signInMustBeRenewed(EntraFinding("gateway-token", refreshRefused, cfg)) {
			// The sign-in is gone, not the gateway: without a terminal this
			// run cannot test, which --require turns into exit 3, not 1.
			findEntra(env, r, refreshRefused, "Refreshing the cached sign-in", WithSeverity(report.Warning))
			r.Skip("the cached sign-in must be renewed in a terminal (c7doctor run), and stdin and stderr are not one")
			return
		}
		if refreshRefused != nil {
			findEntra(env, r, refreshRefused, "Refreshing the cached sign-in")
			return
		}
		r.Find("token-none", "No --token-file, no C7DOCTOR_TOKEN, no cached sign-in, and no terminal to sign in with a device code.")
		r.Skip("no token: stdin and stderr are not a terminal, and no token was given (set C7DOCTOR_TOKEN or --token-file)")
		return
	}
	if refreshRefused != nil {
		// The cached sign-in is gone; a new one replaces it.
		findEntra(env, r, refreshRefused, "Refreshing the cached sign-in", WithSeverity(report.Info))
	}
	res, err := deviceCode(ctx, env, client, scopes)
	if err != nil {
		deviceCodeFailed(ctx, env, r, err)
		return
	}
	acceptMSAL(env, r, res, "device code sign-in")
}

// signInMustBeRenewed tells the refusals of a cached sign-in that only a
// person can mend (it expired, was revoked, or now needs MFA) from those
// that say the setup is broken.
func signInMustBeRenewed(finding string) bool {
	switch finding {
	case "token-refresh-expired", "token-grant-revoked", "token-mfa-required":
		return true
	}
	return false
}

func clientName(id string, cfg *Config) string {
	switch {
	case strings.EqualFold(id, AzureCLIClientID):
		return " (Azure CLI)"
	case strings.EqualFold(id, cfg.GatewayAppID):
		return " (the APIM Gateway app itself)"
	case strings.EqualFold(id, VSCodeClientID):
		return " (VS Code)"
	}
	return ""
}

func acceptMSAL(env *Env, r *Result, res auth.Result, source string) {
	tok, err := auth.Decode(res.AccessToken)
	if err != nil {
		env.Redactor().Secret(res.AccessToken)
		r.Evidence("source", source)
		r.Find("token-invalid", fmt.Sprintf("Entra's access token is not a readable JWT: %v.", err))
		return
	}
	env.State.Token.Account = res.Account
	env.State.Token.ExpiresOn = res.ExpiresOn
	accept(env, r, tok, source)
	if res.Account != "" {
		r.Evidence("user", res.Account)
	}
}

func reportCacheProblems(r *Result, fc *auth.FileCache) {
	if fc == nil {
		return
	}
	for _, p := range fc.Problems() {
		r.Find("token-cache-problem", p)
	}
}

// deviceCode runs the device-code flow, talking to the person on stderr.
func deviceCode(ctx context.Context, env *Env, client *auth.PublicClient, scopes []string) (auth.Result, error) {
	var stop func()
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	resume := func() {}
	defer func() { resume() }()
	return client.DeviceCode(ctx, scopes, func(p auth.DeviceCodePrompt) {
		// From here on the clock is the person's.
		resume = env.PersonTime()
		stop = promptDeviceCode(env, p)
	})
}

// promptDeviceCode shows where to sign in and, on a terminal, a spinner
// with the time left; the returned function clears it.
func promptDeviceCode(env *Env, p auth.DeviceCodePrompt) (stop func()) {
	w := env.Stderr
	if w == nil {
		w = io.Discard
	}
	fmt.Fprintf(w, "\r\033[KTo sign in, open %s and enter the code %s\n", p.VerificationURL, p.UserCode)
	if !env.Interactive {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		frames := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
		tick := time.NewTicker(120 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			left := p.ExpiresOn.Sub(env.Now()).Truncate(time.Second)
			fmt.Fprintf(w, "\r\033[K%s waiting for the sign-in… %s left (Ctrl-C to cancel)", frames[i%len(frames)], minSec(left))
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// minSec writes a duration as m:ss.
func minSec(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func deviceCodeFailed(ctx context.Context, env *Env, r *Result, err error) {
	r.Evidence("source", "device code sign-in")
	switch {
	case ctx.Err() != nil:
		// Ctrl-C or the run's end: the runner says which.
		r.Summary("device code sign-in canceled")
		return
	case errors.Is(err, auth.ErrDeviceCodeExpired):
		r.Find("token-device-code-expired", "The device code expired before anyone signed in with it.")
		return
	}
	if e, ok := auth.EntraErrorFrom(err); ok {
		findEntra(env, r, e, "The device code sign-in")
		return
	}
	r.Find("token-msal-failed", fmt.Sprintf("The device code sign-in failed: %v.", err))
}
