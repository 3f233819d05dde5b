package checks

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/wire"
)

// GatewayFacts is what a gateway's discovery surface reveals about its
// setup: enough for init to fill in what the admin did not type.
type GatewayFacts struct {
	APIPath       string
	Tenant        string
	TenantFrom    string // where the tenant was read
	AuthorityHost string
	GatewayAppID  string
	AppIDFrom     string   // where the gateway app id was read
	Notes         []string // what was read, or why not
}

// DiscoverGateway reads the PRM (RFC 9728), the authorization server
// metadata it names (RFC 8414, then OpenID fallbacks) and, when those do not
// name the tenant, where /authorize redirects: the documents the guide's
// Part 5 sets up. Every read is bounded in size and time.
func DiscoverGateway(ctx context.Context, client *wire.Client, origin, apiPath string) GatewayFacts {
	var f GatewayFacts
	var prm *ProtectedResourceMetadata
	prmURL, err := fetchFirst(ctx, client, prmWellKnown(origin, origin+"/"+strings.Trim(apiPath, "/")+"/mcp"), func(b []byte) (err error) {
		prm, err = ParsePRM(b)
		return err
	})
	var issuers []string
	if err != nil {
		f.Notes = append(f.Notes, "no protected resource metadata: "+err.Error())
		issuers = []string{origin}
	} else {
		f.Notes = append(f.Notes, "read "+prmURL)
		if u, err := url.Parse(prm.Resource); err == nil && wire.Origin(prm.Resource) == origin {
			f.APIPath = strings.Trim(strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/mcp"), "/")
		}
		f.GatewayAppID = appIDFromScopes(prm.ScopesSupported)
		f.AppIDFrom = "the PRM's scopes_supported"
		issuers = prm.AuthorizationServers
		if len(issuers) == 0 {
			issuers = []string{origin}
		}
	}
	var as *ASMetadata
	asURLs, _ := ASMetadataURLs(issuers[0])
	asURL, err := fetchFirst(ctx, client, asURLs, func(b []byte) (err error) {
		as, err = ParseASMetadata(b)
		return err
	})
	if err != nil {
		f.Notes = append(f.Notes, "no authorization server metadata: "+err.Error())
	} else {
		f.Notes = append(f.Notes, "read "+asURL)
		if f.GatewayAppID == "" {
			f.GatewayAppID = appIDFromScopes(as.ScopesSupported)
			f.AppIDFrom = "the AS metadata's scopes_supported"
		}
		if t, host := tenantFromURL(as.JWKSURI); t != "" {
			f.Tenant, f.AuthorityHost, f.TenantFrom = t, host, "the AS metadata's jwks_uri"
		} else if t, host := tenantFromURL(as.Issuer); t != "" {
			f.Tenant, f.AuthorityHost, f.TenantFrom = t, host, "the AS metadata's issuer"
		}
	}
	if f.Tenant == "" {
		if t, host := authorizeRedirectTenant(ctx, client, origin); t != "" {
			f.Tenant, f.AuthorityHost, f.TenantFrom = t, host, "where /authorize redirects"
		}
	}
	if f.GatewayAppID == "" {
		f.AppIDFrom = ""
	}
	return f
}

// fetchFirst GETs each URL in turn and parses the first document that
// answers 200.
func fetchFirst(ctx context.Context, client *wire.Client, urls []string, parse func([]byte) error) (string, error) {
	var last error = fmt.Errorf("no URL to read")
	for _, u := range urls {
		if _, problem := judgeURL(u); problem != "" {
			last = fmt.Errorf("%s: %s", u, problem)
			continue
		}
		resp, err := getMetadata(ctx, client, u)
		if err != nil {
			last = err
			continue
		}
		if resp.StatusCode != http.StatusOK {
			last = fmt.Errorf("%s answered %d", u, resp.StatusCode)
			continue
		}
		if resp.Truncated {
			last = fmt.Errorf("%s: larger than %d bytes", u, wire.MetadataLimit)
			continue
		}
		if err := parse(resp.Body); err != nil {
			last = fmt.Errorf("%s: %w", u, err)
			continue
		}
		return u, nil
	}
	return "", last
}

// appIDFromScopes finds api://<guid>/… in a scope list, preferring the
// guide's Mcp.Gateway.Access scope. Template placeholders are no GUID and
// are passed over.
func appIDFromScopes(scopes []string) string {
	found := ""
	for _, s := range scopes {
		rest, ok := strings.CutPrefix(s, "api://")
		if !ok {
			continue
		}
		id, _, _ := strings.Cut(rest, "/")
		if !auth.IsGUID(id) {
			continue
		}
		if gatewayScopePattern.MatchString(s) {
			return strings.ToLower(id)
		}
		if found == "" {
			found = strings.ToLower(id)
		}
	}
	return found
}

// tenantFromURL reads <authority-host>/<tenant>/… (jwks_uri, issuer,
// authorize endpoint). The multi-tenant aliases and placeholders name no tenant.
func tenantFromURL(raw string) (tenant, authorityHost string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", ""
	}
	seg, _ := entraTenantSegment(u)
	if tenantProblem(seg) != "" {
		return "", ""
	}
	return strings.ToLower(seg), u.Scheme + "://" + u.Host
}

// authorizeRedirectTenant reads the tenant from the Location of the
// gateway's /authorize 302 (Part 5 Step 2's policy). No redirect is followed.
func authorizeRedirectTenant(ctx context.Context, client *wire.Client, origin string) (string, string) {
	resp, err := client.Get(ctx, origin+"/authorize", "", wire.MetadataLimit)
	if err != nil || resp.StatusCode < 300 || resp.StatusCode > 399 {
		return "", ""
	}
	return tenantFromURL(resp.Header.Get("Location"))
}
