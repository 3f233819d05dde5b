package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

// PublicOptions configure the public client that signs a user in.
type PublicOptions struct {
	AuthorityHost string // https://login.microsoftonline.com
	Tenant        string // GUID or domain
	ClientID      string
	HTTPClient    *http.Client
	// Cache keeps tokens between runs; nil keeps them in memory only.
	Cache *FileCache
	// OnSecret, when set, is given every secret the client sees (device codes).
	OnSecret func(values ...string)
}

// PublicClient is MSAL's public client for one tenant and client id.
type PublicClient struct {
	client public.Client
	opts   PublicOptions
}

// Result is a token the user got.
type Result struct {
	AccessToken string
	ExpiresOn   time.Time
	Account     string // the user's name in the tenant (preferred_username)
	// FromCache is true when MSAL answered from its cache without asking Entra.
	FromCache bool
}

// AzureCLIClientID is the Azure CLI's public client id, which the guide's Part 6 Step 1
// pre-authorizes on the gateway app.
const AzureCLIClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// ErrNoAccount is Silent's answer when the cache holds no sign-in for the tenant.
var ErrNoAccount = errors.New("msal: no cached sign-in for this tenant")

// ErrDeviceCodeExpired is DeviceCode's answer when nobody signed in before
// the code expired.
var ErrDeviceCodeExpired = errors.New("msal: the device code expired before anyone signed in")

// NewPublicClient builds the client. Instance discovery is left on only for
// the authority hosts MSAL already trusts, where it never needs the network:
// for any other host (the lab, a sovereign or private authority MSAL does
// not know) MSAL would ask login.microsoftonline.com to vouch for the host,
// which fails for a host Microsoft does not run and leaks its name.
func NewPublicClient(o PublicOptions) (*PublicClient, error) {
	host := strings.TrimRight(o.AuthorityHost, "/")
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("msal: authority host must be an https URL, got %q", o.AuthorityHost)
	}
	if o.Tenant == "" || o.ClientID == "" {
		return nil, fmt.Errorf("msal: tenant and client id are required")
	}
	if strings.Contains(strings.ToLower(u.Host+o.Tenant), "token") {
		// MSAL derives the device-code URL by replacing "token" in the token endpoint.
		return nil, fmt.Errorf("msal: the authority %s/%s contains \"token\", which MSAL's device-code URL rewriting breaks", host, o.Tenant)
	}
	opts := []public.Option{
		public.WithAuthority(host + "/" + o.Tenant),
		public.WithInstanceDiscovery(KnownAuthorityHost(u.Hostname())),
	}
	if o.HTTPClient != nil {
		opts = append(opts, public.WithHTTPClient(o.HTTPClient))
	}
	if o.Cache != nil {
		opts = append(opts, public.WithCache(o.Cache))
	}
	c, err := public.New(o.ClientID, opts...)
	if err != nil {
		return nil, fmt.Errorf("msal: %w", err)
	}
	return &PublicClient{client: c, opts: o}, nil
}

// knownHosts are Microsoft's authority hosts, as MSAL trusts them.
var knownHosts = map[string]bool{
	"login.microsoftonline.com": true, "login.microsoft.com": true, "login.windows.net": true,
	"sts.windows.net": true, "login.microsoftonline.us": true, "login-us.microsoftonline.com": true,
	"login.usgovcloudapi.net": true, "login.partner.microsoftonline.cn": true, "login.chinacloudapi.cn": true,
	"login.microsoftonline.de": true, "login.sovcloud-identity.fr": true, "login.sovcloud-identity.de": true,
	"login.sovcloud-identity.sg": true,
}

// KnownAuthorityHost reports one of Microsoft's own authority hosts.
func KnownAuthorityHost(host string) bool { return knownHosts[strings.ToLower(host)] }

// Silent returns a cached token for scopes, refreshing it with the cached
// refresh token when it expired (MSAL writes the refreshed cache back).
func (p *PublicClient) Silent(ctx context.Context, scopes []string) (Result, error) {
	accounts, err := p.client.Accounts(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("msal: %w", err)
	}
	acct, ok := p.pickAccount(accounts)
	if !ok {
		return Result{}, ErrNoAccount
	}
	res, err := p.client.AcquireTokenSilent(ctx, scopes, public.WithSilentAccount(acct))
	if err != nil {
		return Result{}, fmt.Errorf("msal: silent: %w", err)
	}
	return p.result(res), nil
}

// pickAccount takes the cached account of the configured tenant: the realm
// is the tenant GUID; a tenant given as a domain matches any realm.
func (p *PublicClient) pickAccount(accounts []public.Account) (public.Account, bool) {
	var fallback []public.Account
	for _, a := range accounts {
		if strings.EqualFold(a.Realm, p.opts.Tenant) {
			return a, true
		}
		fallback = append(fallback, a)
	}
	if !IsGUID(p.opts.Tenant) && len(fallback) == 1 {
		return fallback[0], true
	}
	return public.Account{}, false
}

// DeviceCodePrompt is what a person needs to sign in.
type DeviceCodePrompt struct {
	VerificationURL string
	UserCode        string
	Message         string
	ExpiresOn       time.Time
}

// DeviceCode signs a user in with the device-code flow. prompt is called
// once the code is known and must return quickly; DeviceCode then waits
// for the sign-in until the code expires or ctx ends.
func (p *PublicClient) DeviceCode(ctx context.Context, scopes []string, prompt func(DeviceCodePrompt)) (Result, error) {
	dc, err := p.client.AcquireTokenByDeviceCode(ctx, scopes)
	if err != nil {
		return Result{}, fmt.Errorf("msal: device code: %w", err)
	}
	if p.opts.OnSecret != nil {
		p.opts.OnSecret(dc.Result.DeviceCode)
	}
	if prompt != nil {
		prompt(DeviceCodePrompt{
			VerificationURL: dc.Result.VerificationURL, UserCode: dc.Result.UserCode,
			Message: dc.Result.Message, ExpiresOn: dc.Result.ExpiresOn,
		})
	}
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return Result{}, ErrDeviceCodeExpired
		}
		return Result{}, fmt.Errorf("msal: device code: %w", err)
	}
	return p.result(res), nil
}

func (p *PublicClient) result(res public.AuthResult) Result {
	if p.opts.OnSecret != nil {
		p.opts.OnSecret(res.AccessToken)
	}
	return Result{
		AccessToken: res.AccessToken, ExpiresOn: res.ExpiresOn,
		Account:   res.Account.PreferredUsername,
		FromCache: res.Metadata.TokenSource == public.TokenSourceCache,
	}
}

// IsGUID reports a GUID in its 8-4-4-4-12 form.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}
