package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/c7doctor/c7doctor/wire"
)

// publicAuthority is where v1 issuers (sts.windows.net) keep their tenant's
// discovery document, and where a tenant is looked up without an issuer.
const publicAuthority = "https://login.microsoftonline.com"

// KeySet is an issuer's signing keys and where they came from.
type KeySet struct {
	URI      string // the jwks_uri
	JWKS     []byte
	Response *wire.Response // the answer, for a caller that reports on the host
}

// FetchError is a document that could not be had; it names the host that
// did not deliver it. URL and Response (nil when no answer came; Err is
// then the transport's) are there for a caller that reports on the host:
// its status, content type and body.
type FetchError struct {
	What     string // "the signing keys"
	Host     string
	Err      error
	URL      string
	Response *wire.Response
	Problem  FetchProblem
}

func (e *FetchError) Error() string {
	return fmt.Sprintf("could not get %s from %s: %v", e.What, e.Host, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// FetchProblem sorts why a document could not be had.
type FetchProblem int

const (
	NoAnswer      FetchProblem = iota // Err is the transport's
	BadStatus                         // an answer other than 200
	NotJSON                           // a 200 whose body is no JSON object
	MissingMember                     // a JSON object without a member it needs (Member)
	WrongIssuer                       // a tenant's issuer that is not <authority>/<tenant-guid>/v2.0
)

const signingKeys = "the signing keys"

// IssuerKeys fetches the signing keys of an issuer: the jwks_uri of its
// OpenID discovery document, then the key set it names.
func IssuerKeys(ctx context.Context, client *wire.Client, iss string) (*KeySet, error) {
	if iss == "" {
		return nil, fmt.Errorf("no iss claim to find the keys from: give --jwks-uri")
	}
	discovery := strings.TrimRight(iss, "/") + "/.well-known/openid-configuration"
	if rest, ok := strings.CutPrefix(iss, "https://sts.windows.net/"); ok {
		// v1 issuers serve no discovery of their own; the authority does.
		discovery = publicAuthority + "/" + strings.Trim(rest, "/") + "/.well-known/openid-configuration"
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(ctx, client, discovery, signingKeys, &doc); err != nil {
		return nil, err
	}
	if doc.JWKSURI == "" {
		return nil, &FetchError{What: signingKeys, Host: hostPort(discovery), Err: fmt.Errorf("the discovery document %s has no jwks_uri", discovery)}
	}
	return FetchKeys(ctx, client, doc.JWKSURI)
}

// FetchKeys fetches the key set at jwksURI.
func FetchKeys(ctx context.Context, client *wire.Client, jwksURI string) (*KeySet, error) {
	resp, err := getDocument(ctx, client, jwksURI, signingKeys)
	if err != nil {
		return nil, err
	}
	return &KeySet{URI: jwksURI, JWKS: resp.Body, Response: resp}, nil
}

// VerifySignature fetches the keys of tok's issuer (or those at jwksURI
// when given) and verifies tok's signature with them. keys is nil when they
// could not be had; the error is then a fetch error, else Verify's.
func VerifySignature(ctx context.Context, client *wire.Client, tok *Token, jwksURI string) (keys *KeySet, err error) {
	if jwksURI == "" {
		keys, err = IssuerKeys(ctx, client, tok.Claims.Iss)
	} else {
		keys, err = FetchKeys(ctx, client, jwksURI)
	}
	if err != nil {
		return nil, err
	}
	return keys, Verify(tok, keys.JWKS)
}

// TenantConfig is what a tenant's v2 OpenID configuration says.
type TenantConfig struct {
	URL      string // where it was read
	Issuer   string
	JWKSURI  string // "" when the document names none
	GUID     string // the tenant, from the issuer
	Response *wire.Response
}

// IssuerError is a tenant's discovery document whose issuer is not
// <authority>/<tenant-guid>/v2.0. OffAuthority says it is not on the
// authority host at all.
type IssuerError struct {
	URL, Issuer, Authority string
	OffAuthority           bool
	Response               *wire.Response
}

func (e *IssuerError) Error() string {
	return fmt.Sprintf("the discovery document %s names issuer %q, not %s/<tenant-guid>/v2.0", e.URL, e.Issuer, e.Authority)
}

// TenantConfiguration reads <authority>/<tenant>/v2.0/.well-known/openid-configuration
// and the tenant's GUID from its issuer. Errors are a *FetchError or an
// *IssuerError, both carrying the answer.
func TenantConfiguration(ctx context.Context, client *wire.Client, authority, tenant string) (*TenantConfig, error) {
	authority = strings.TrimRight(authority, "/")
	what := "the discovery document of tenant " + tenant
	discovery := authority + "/" + url.PathEscape(tenant) + "/v2.0/.well-known/openid-configuration"
	resp, err := getDocument(ctx, client, discovery, what)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(resp.Body, &obj); err != nil || obj == nil {
		if err == nil {
			err = errors.New("null")
		}
		return nil, &FetchError{What: what, Host: hostPort(discovery), URL: discovery, Response: resp, Problem: NotJSON,
			Err: fmt.Errorf("%s is not a JSON document: %v", discovery, err)}
	}
	c := &TenantConfig{URL: discovery, Response: resp}
	if json.Unmarshal(obj["issuer"], &c.Issuer) != nil || c.Issuer == "" {
		return nil, &FetchError{What: what, Host: hostPort(discovery), URL: discovery, Response: resp, Problem: MissingMember,
			Err: fmt.Errorf("the discovery document %s has no usable issuer", discovery)}
	}
	if json.Unmarshal(obj["jwks_uri"], &c.JWKSURI) != nil {
		c.JWKSURI = ""
	}
	iu, err := url.Parse(c.Issuer)
	if err != nil || iu.Fragment != "" || !wire.SameOrigin(iu, authority) {
		return nil, &IssuerError{URL: discovery, Issuer: c.Issuer, Authority: authority, OffAuthority: true, Response: resp}
	}
	guid, rest, _ := strings.Cut(strings.TrimPrefix(iu.EscapedPath(), "/"), "/")
	if !IsGUID(guid) || rest != "v2.0" {
		return nil, &IssuerError{URL: discovery, Issuer: c.Issuer, Authority: authority, Response: resp}
	}
	c.GUID = strings.ToLower(guid)
	return c, nil
}

// ResolveTenant returns the GUID of a tenant given as a GUID or a domain:
// a domain's v2 discovery document at the authority names the tenant in its
// issuer, https://<authority-host>/<tenant-guid>/v2.0.
func ResolveTenant(ctx context.Context, client *wire.Client, authority, tenant string) (string, error) {
	if IsGUID(tenant) {
		return strings.ToLower(tenant), nil
	}
	if authority == "" {
		authority = publicAuthority
	}
	c, err := TenantConfiguration(ctx, client, authority, tenant)
	var fe *FetchError
	var ie *IssuerError
	switch {
	case errors.As(err, &ie):
		return "", fmt.Errorf("tenant %s: %v", tenant, ie)
	case errors.As(err, &fe) && fe.Problem == MissingMember:
		return "", fmt.Errorf("tenant %s: %v", tenant, &IssuerError{URL: fe.URL, Authority: strings.TrimRight(authority, "/")})
	case err != nil:
		return "", err
	}
	return c.GUID, nil
}

// AuthorityOf is the authority host of an Entra issuer: its origin for v2
// issuers, the public cloud's for v1 (sts.windows.net) or none.
func AuthorityOf(iss string) string {
	u, err := url.Parse(iss)
	if err != nil || u.Host == "" || IssuerVersion(iss) != V2 {
		return publicAuthority
	}
	return u.Scheme + "://" + u.Host
}

func getJSON(ctx context.Context, client *wire.Client, rawURL, what string, dst any) error {
	resp, err := getDocument(ctx, client, rawURL, what)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.Body, dst); err != nil {
		return &FetchError{What: what, Host: hostPort(rawURL), URL: rawURL, Problem: NotJSON, Err: fmt.Errorf("%s is not a JSON document: %v", rawURL, err)}
	}
	return nil
}

// getDocument fetches a document over https (plain http only on loopback);
// an answer other than 200 is a *FetchError carrying it.
func getDocument(ctx context.Context, client *wire.Client, rawURL, what string) (*wire.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && wire.IsLoopback(u.Hostname())) {
		return nil, fmt.Errorf("could not get %s: %q is not an https URL", what, rawURL)
	}
	resp, err := client.Get(ctx, rawURL, "application/json", wire.MetadataLimit)
	if err != nil {
		return nil, &FetchError{What: what, Host: u.Host, URL: rawURL, Err: err}
	}
	if resp.StatusCode != 200 {
		return resp, &FetchError{What: what, Host: u.Host, URL: rawURL, Response: resp, Problem: BadStatus,
			Err: fmt.Errorf("GET %s answered HTTP %d", rawURL, resp.StatusCode)}
	}
	return resp, nil
}

// hostPort is the host (and port) of a URL, for messages.
func hostPort(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Host
	}
	return rawURL
}

// IsTenant reports a tenant named by its GUID or one of its domains.
func IsTenant(s string) bool { return IsGUID(s) || IsDomain(s) }

// IsDomain reports a DNS name of two labels or more (contoso.onmicrosoft.com):
// letters, digits and inner hyphens, 63 characters a label at most.
func IsDomain(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
