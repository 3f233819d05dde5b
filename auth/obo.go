package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
)

// OBORequest is the On-Behalf-Of exchange APIM's policy performs: the
// gateway app, with its secret, trades the user's gateway token for a token
// to the MCP API.
type OBORequest struct {
	AuthorityHost string // https://login.microsoftonline.com
	Tenant        string // GUID or domain
	ClientID      string // the gateway app
	Secret        string // the gateway app's client secret (its value)
	Assertion     string // the user's token for the gateway
	Scopes        []string
	// HTTPClient carries MSAL's requests (discovery and token).
	HTTPClient *http.Client
}

// OBOResult is a token the exchange issued.
type OBOResult struct {
	AccessToken   string
	ExpiresOn     time.Time
	GrantedScopes []string
	Duration      time.Duration
}

// OBOError is a failed exchange: Entra's answer when there was one.
type OBOError struct {
	Entra *EntraError // nil when Entra did not answer with an OAuth error
	Err   error
}

func (e *OBOError) Error() string {
	if e.Entra != nil {
		return "obo: " + e.Entra.String()
	}
	return "obo: " + e.Err.Error()
}

func (e *OBOError) Unwrap() error { return e.Err }

// OnBehalfOf performs the exchange with a fresh MSAL confidential client and
// no persistent cache: MSAL Go v1.10.1 writes an empty cache and then fails
// every later OBO call when given one (upstream issue #455), and a probe must
// ask Entra each time anyway, not answer from a cache.
func OnBehalfOf(ctx context.Context, r OBORequest) (*OBOResult, error) {
	authority, err := oboAuthority(r.AuthorityHost, r.Tenant)
	if err != nil {
		return nil, &OBOError{Err: err}
	}
	cred, err := confidential.NewCredFromSecret(r.Secret)
	if err != nil {
		return nil, &OBOError{Err: fmt.Errorf("secret: %w", err)}
	}
	// Instance discovery asks login.microsoftonline.com about the authority:
	// right for Microsoft's clouds, wrong for any other host (the lab).
	opts := []confidential.Option{confidential.WithInstanceDiscovery(KnownAuthorityHost(hostOf(r.AuthorityHost)))}
	if r.HTTPClient != nil {
		opts = append(opts, confidential.WithHTTPClient(r.HTTPClient))
	}
	client, err := confidential.New(authority, r.ClientID, cred, opts...)
	if err != nil {
		return nil, &OBOError{Err: fmt.Errorf("msal: %w", err)}
	}
	start := time.Now()
	res, err := client.AcquireTokenOnBehalfOf(ctx, r.Assertion, r.Scopes)
	took := time.Since(start)
	if err != nil {
		if ee, ok := EntraErrorFrom(err); ok {
			return nil, &OBOError{Entra: ee, Err: ee.AsError()}
		}
		return nil, &OBOError{Err: err}
	}
	return &OBOResult{AccessToken: res.AccessToken, ExpiresOn: res.ExpiresOn, GrantedScopes: res.GrantedScopes, Duration: took}, nil
}

// oboAuthority is <authority-host>/<tenant>; MSAL accepts only https.
func oboAuthority(host, tenant string) (string, error) {
	u, err := url.Parse(strings.TrimRight(host, "/"))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("authority host %q is not a URL", host)
	}
	if u.Scheme != "https" {
		return "", fmt.Errorf("authority host %q: MSAL accepts only https", host)
	}
	if strings.TrimSpace(tenant) == "" {
		return "", errors.New("no tenant")
	}
	return strings.TrimRight(host, "/") + "/" + tenant, nil
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
