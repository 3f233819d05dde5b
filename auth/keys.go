package auth

import (
	"context"
	"encoding/json"
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
	URI  string // the jwks_uri
	JWKS []byte
}

// FetchError is a document that could not be had; it names the host that
// did not deliver it.
type FetchError struct {
	What string // "the signing keys"
	Host string
	Err  error
}

func (e *FetchError) Error() string {
	return fmt.Sprintf("could not get %s from %s: %v", e.What, e.Host, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

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
	body, err := get(ctx, client, jwksURI, signingKeys)
	if err != nil {
		return nil, err
	}
	return &KeySet{URI: jwksURI, JWKS: body}, nil
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
	discovery := strings.TrimRight(authority, "/") + "/" + url.PathEscape(tenant) + "/v2.0/.well-known/openid-configuration"
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := getJSON(ctx, client, discovery, "the discovery document of tenant "+tenant, &doc); err != nil {
		return "", err
	}
	guid := strings.TrimSuffix(strings.TrimPrefix(doc.Issuer, strings.TrimRight(authority, "/")+"/"), "/v2.0")
	if !IsGUID(guid) {
		return "", fmt.Errorf("tenant %s: the discovery document %s names issuer %q, not %s/<tenant-guid>/v2.0", tenant, discovery, doc.Issuer, strings.TrimRight(authority, "/"))
	}
	return strings.ToLower(guid), nil
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
	body, err := get(ctx, client, rawURL, what)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return &FetchError{What: what, Host: hostPort(rawURL), Err: fmt.Errorf("%s is not a JSON document: %v", rawURL, err)}
	}
	return nil
}

// get fetches a document over https (plain http only on loopback).
func get(ctx context.Context, client *wire.Client, rawURL, what string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && wire.IsLoopback(u.Hostname())) {
		return nil, fmt.Errorf("could not get %s: %q is not an https URL", what, rawURL)
	}
	resp, err := client.Get(ctx, rawURL, "application/json", wire.MetadataLimit)
	if err != nil {
		return nil, &FetchError{What: what, Host: u.Host, Err: err}
	}
	if resp.StatusCode != 200 {
		return nil, &FetchError{What: what, Host: u.Host, Err: fmt.Errorf("GET %s answered HTTP %d", rawURL, resp.StatusCode)}
	}
	return resp.Body, nil
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
