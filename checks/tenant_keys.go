package checks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"

	"github.com/c7doctor/c7doctor/wire"

	"github.com/c7doctor/c7doctor/auth"
)

// runTenantKeys reads the tenant's v2 OpenID configuration and signing
// keys, resolves a tenant given as a domain to its GUID, and compares the
// tenants the gateway named earlier once both sides are GUIDs.
func runTenantKeys(ctx context.Context, env *Env, r *Result) {
	cfg := env.Config
	given := cfg.Tenant
	disc, resp, fail := fetchTenantDiscovery(ctx, env, given)
	if resp != nil {
		recordExchange(r, "", resp)
	}
	if fail != nil {
		if fail.noAnswer != nil {
			reportNoAnswer(r, env, "GET the tenant's OpenID configuration", fail.url, fail.noAnswer, "authority-unreachable")
			return
		}
		r.Find(fail.id, fail.detail, fail.opts...)
		return
	}
	st := env.State
	st.TenantGUID, st.Issuer, st.JWKSURI = disc.GUID, disc.Issuer, disc.JWKSURI
	r.Evidence("issuer", disc.Issuer)
	if !strings.EqualFold(given, disc.GUID) {
		if auth.IsGUID(given) {
			r.Find("tenant-issuer-mismatch", fmt.Sprintf("The discovery document of tenant %s names issuer %s, another tenant.", given, disc.Issuer))
			return
		}
		r.Evidence("tenant_resolved", given+" → "+disc.GUID)
	}
	// From here on every comparison is between GUIDs.
	cfg.Tenant = disc.GUID
	env.Target.Tenant = disc.GUID

	fetchTenantKeys(ctx, env, r, disc)
	compareSeenTenants(ctx, env, r, disc.GUID)
	if !r.Failed() {
		r.Summary("tenant %s, issuer %s", disc.GUID, disc.Issuer)
	}
}

// tenantFailure is why a tenant's discovery could not be read: a catalog
// finding for the run's own tenant.
type tenantFailure struct {
	id, detail string
	opts       []FindingOption
	noAnswer   error // a transport error, reported by reportNoAnswer
	url        string
}

// fetchTenantDiscovery reads the tenant's v2 OpenID configuration through
// auth, and says what is wrong with it as a catalog finding.
func fetchTenantDiscovery(ctx context.Context, env *Env, tenant string) (*auth.TenantConfig, *wire.Response, *tenantFailure) {
	authority := strings.TrimRight(env.Config.AuthorityHost, "/")
	d, err := auth.TenantConfiguration(ctx, env.HTTP, authority, tenant)
	var fe *auth.FetchError
	var ie *auth.IssuerError
	switch {
	case err == nil && d.JWKSURI == "":
		return nil, d.Response, &tenantFailure{id: "tenant-discovery-invalid", detail: fmt.Sprintf("%s has no usable jwks_uri.", d.URL), url: d.URL}
	case err == nil:
		return d, d.Response, nil
	case errors.As(err, &ie):
		detail := fmt.Sprintf("%s names issuer %q, not %s/<tenant-guid>/v2.0.", ie.URL, ie.Issuer, authority)
		if ie.OffAuthority {
			detail = fmt.Sprintf("%s names issuer %q, not one on %s.", ie.URL, ie.Issuer, authority)
		}
		return nil, ie.Response, &tenantFailure{id: "tenant-issuer-mismatch", detail: detail, url: ie.URL}
	case !errors.As(err, &fe):
		return nil, nil, &tenantFailure{noAnswer: err, url: authority + "/" + url.PathEscape(tenant) + "/v2.0/.well-known/openid-configuration"}
	case fe.Response == nil:
		return nil, nil, &tenantFailure{noAnswer: fe.Err, url: fe.URL}
	}
	resp, u := fe.Response, fe.URL
	fail := &tenantFailure{id: "tenant-discovery-invalid", url: u}
	switch fe.Problem {
	case auth.BadStatus:
		if e, ok := entraShaped(resp.Body, resp.StatusCode); ok && EntraFinding("tenant-keys", e, env.Config) != "" {
			fail.id = EntraFinding("tenant-keys", e, env.Config)
			fail.detail = fmt.Sprintf("Entra does not know tenant %q: %s", tenant, e.Message())
			fail.opts = []FindingOption{WithEntra(e.Codes, e.TraceID, e.CorrelationID)}
		} else {
			fail.detail = fmt.Sprintf("GET %s answered %s with %s.", u, httpStatus(resp.StatusCode), bodyDescription(resp.ContentType(), resp.Body, resp.Truncated))
		}
	case auth.NotJSON:
		_, why := metaObject(resp.Body)
		if why == nil {
			why = fe.Err
		}
		fail.detail = fmt.Sprintf("%s: %v%s", u, why, cutNote(resp))
	default:
		fail.detail = fmt.Sprintf("%s has no usable issuer.", u)
	}
	return nil, resp, fail
}

// tenantJWK is the part of a JSON Web Key that decides whether it verifies RS256.
type tenantJWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// fetchTenantKeys reads the JWKS and keeps its raw bytes for the token
// checks when at least one key can verify an RS256 signature.
func fetchTenantKeys(ctx context.Context, env *Env, r *Result, d *auth.TenantConfig) {
	authority := strings.TrimRight(env.Config.AuthorityHost, "/")
	r.Evidence("jwks_uri", d.JWKSURI)
	ju, problem := judgeURL(d.JWKSURI)
	if problem != "" || !wire.SameOrigin(ju, authority) {
		r.Find("tenant-jwks-invalid", fmt.Sprintf("The tenant's jwks_uri %q is not on %s.", d.JWKSURI, authority))
		return
	}
	keys, err := auth.FetchKeys(ctx, env.HTTP, d.JWKSURI)
	var fe *auth.FetchError
	if err != nil && (!errors.As(err, &fe) || fe.Response == nil) {
		if fe != nil {
			err = fe.Err
		}
		reportNoAnswer(r, env, "GET the tenant's signing keys", d.JWKSURI, err, "authority-unreachable")
		return
	}
	if err != nil {
		recordExchange(r, "jwks_", fe.Response)
		r.Find("tenant-jwks-invalid", fmt.Sprintf("GET %s answered %s with %s.", d.JWKSURI, httpStatus(fe.Response.StatusCode), bodyDescription(fe.Response.ContentType(), fe.Response.Body, fe.Response.Truncated)))
		return
	}
	resp := keys.Response
	recordExchange(r, "jwks_", resp)
	usable, total, kids, err := usableRS256Keys(resp.Body)
	if err != nil {
		r.Find("tenant-jwks-invalid", fmt.Sprintf("%s: %v%s", d.JWKSURI, err, cutNote(resp)))
		return
	}
	r.Evidence("keys", fmt.Sprintf("%d, %d usable for RS256", total, usable))
	if len(kids) > 0 {
		r.Evidence("kids", strings.Join(kids, " "))
	}
	if usable == 0 {
		r.Find("tenant-jwks-invalid", fmt.Sprintf("%s holds %d keys, none an RSA signing key of 2048 bits or more.", d.JWKSURI, total))
		return
	}
	env.State.JWKS = append([]byte(nil), resp.Body...)
}

// usableRS256Keys counts the keys of a JWKS that can verify RS256.
func usableRS256Keys(body []byte) (usable, total int, kids []string, err error) {
	obj, err := metaObject(body)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("jwks: %w", err)
	}
	raw, ok := obj["keys"]
	if !ok {
		return 0, 0, nil, fmt.Errorf("jwks: no \"keys\" member")
	}
	var keys []json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return 0, 0, nil, fmt.Errorf("jwks: keys: expected an array, got %s", auth.JSONKind(raw))
	}
	for _, k := range keys {
		var key tenantJWK
		if json.Unmarshal(k, &key) != nil {
			continue
		}
		total++
		if key.Kty != "RSA" || (key.Use != "" && key.Use != "sig") || (key.Alg != "" && key.Alg != "RS256") {
			continue
		}
		n, errN := decodeB64URL(key.N)
		e, errE := decodeB64URL(key.E)
		if errN != nil || errE != nil || new(big.Int).SetBytes(n).BitLen() < 2048 || new(big.Int).SetBytes(e).Int64() < 3 {
			continue
		}
		usable++
		if key.Kid != "" && len(kids) < 8 {
			kids = append(kids, clipText(key.Kid, 64))
		}
	}
	return usable, total, kids, nil
}

func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// compareSeenTenants compares the tenants the gateway named with the run's
// tenant, now that it is a GUID; domains are resolved first.
func compareSeenTenants(ctx context.Context, env *Env, r *Result, guid string) {
	resolved := map[string]string{}
	for _, seen := range env.State.Discovery.TenantSources {
		g := strings.ToLower(seen.Tenant)
		if !auth.IsGUID(g) {
			if v, ok := resolved[g]; ok {
				g = v
			} else if len(resolved) < 3 {
				d, _, fail := fetchTenantDiscovery(ctx, env, seen.Tenant)
				if fail != nil {
					why := fail.detail
					if fail.noAnswer != nil {
						why = fail.noAnswer.Error()
					}
					r.Find("tenant-mismatch", fmt.Sprintf("%s names tenant %s, which does not resolve to a tenant: %s", seen.Where, seen.Tenant, why), fail.opts...)
					continue
				}
				resolved[strings.ToLower(seen.Tenant)] = d.GUID
				g = d.GUID
			} else {
				continue
			}
		}
		if g != guid {
			name := seen.Tenant
			if !strings.EqualFold(name, g) {
				name += " (" + g + ")"
			}
			r.Find("tenant-mismatch", fmt.Sprintf("%s names tenant %s, but the tenant is %s.", seen.Where, name, guid))
		}
	}
}

// cutNote explains a parse failure of a body cut at the read limit: the
// document may be fine, only too large to read.
func cutNote(resp *wire.Response) string {
	if err := resp.TooLarge(); err != nil {
		return " (the body is larger than " + wire.Size(resp.Limit) + ", c7doctor's read limit: read stopped there)"
	}
	return ""
}
