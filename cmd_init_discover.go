package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/c7doctor/c7doctor/wire"
)

// gatewayFacts is what a gateway's discovery surface reveals about its
// setup: enough for init to fill in what the admin did not type.
type gatewayFacts struct {
	apiPath       string
	tenant        string
	tenantFrom    string
	authorityHost string
	gatewayAppID  string
	appIDFrom     string
	notes         []string // what was read, or why not
}

type prmDoc struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	ScopesSupported      []string `json:"scopes_supported"`
}

type asDoc struct {
	Issuer          string   `json:"issuer"`
	JWKSURI         string   `json:"jwks_uri"`
	ScopesSupported []string `json:"scopes_supported"`
}

// discoverGateway reads the PRM (RFC 9728), the authorization server
// metadata it names (RFC 8414, then OpenID fallbacks) and, when those do not
// name the tenant, where /authorize redirects: the documents the guide's
// Part 5 sets up. Every read is bounded in size and time.
func discoverGateway(ctx context.Context, client *wire.Client, origin, apiPath string) gatewayFacts {
	var f gatewayFacts
	var prm prmDoc
	prmURLs := []string{
		origin + "/.well-known/oauth-protected-resource/" + strings.Trim(apiPath, "/") + "/mcp",
		origin + "/.well-known/oauth-protected-resource",
	}
	prmURL, err := fetchFirst(ctx, client, prmURLs, &prm)
	var issuers []string
	if err != nil {
		f.notes = append(f.notes, "no protected resource metadata: "+err.Error())
		issuers = []string{origin}
	} else {
		f.notes = append(f.notes, "read "+prmURL)
		if u, err := url.Parse(prm.Resource); err == nil && wire.Origin(prm.Resource) == origin {
			f.apiPath = strings.Trim(strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/mcp"), "/")
		}
		f.gatewayAppID = appIDFromScopes(prm.ScopesSupported)
		f.appIDFrom = "the PRM's scopes_supported"
		issuers = prm.AuthorizationServers
		if len(issuers) == 0 {
			issuers = []string{origin}
		}
	}
	var as asDoc
	asURL, err := fetchFirst(ctx, client, asMetadataURLs(issuers[0]), &as)
	if err != nil {
		f.notes = append(f.notes, "no authorization server metadata: "+err.Error())
	} else {
		f.notes = append(f.notes, "read "+asURL)
		if f.gatewayAppID == "" {
			f.gatewayAppID = appIDFromScopes(as.ScopesSupported)
			f.appIDFrom = "the AS metadata's scopes_supported"
		}
		if t, host := tenantFromURL(as.JWKSURI); t != "" {
			f.tenant, f.authorityHost, f.tenantFrom = t, host, "the AS metadata's jwks_uri"
		} else if t, host := tenantFromURL(as.Issuer); t != "" {
			f.tenant, f.authorityHost, f.tenantFrom = t, host, "the AS metadata's issuer"
		}
	}
	if f.tenant == "" {
		if t, host := authorizeRedirectTenant(ctx, client, origin); t != "" {
			f.tenant, f.authorityHost, f.tenantFrom = t, host, "where /authorize redirects"
		}
	}
	if f.gatewayAppID == "" {
		f.appIDFrom = ""
	}
	return f
}

// asMetadataURLs are the places an issuer's metadata may live, in the order
// the MCP authorization spec tries them.
func asMetadataURLs(issuer string) []string {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return nil
	}
	origin := u.Scheme + "://" + u.Host
	p := strings.TrimRight(u.Path, "/")
	if p == "" {
		return []string{origin + "/.well-known/oauth-authorization-server", origin + "/.well-known/openid-configuration"}
	}
	return []string{
		origin + "/.well-known/oauth-authorization-server" + p,
		origin + "/.well-known/openid-configuration" + p,
		origin + p + "/.well-known/openid-configuration",
	}
}

// fetchFirst GETs each URL in turn and decodes the first JSON object that
// answers 200.
func fetchFirst(ctx context.Context, client *wire.Client, urls []string, into any) (string, error) {
	var last error = fmt.Errorf("no URL to read")
	for _, u := range urls {
		if err := checkHTTPS(u); err != nil {
			last = err
			continue
		}
		resp, err := client.Get(ctx, u, "application/json", wire.MetadataLimit)
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
		if err := json.Unmarshal(resp.Body, into); err != nil {
			last = fmt.Errorf("%s: not a JSON object: %w", u, err)
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
		id, scope, _ := strings.Cut(rest, "/")
		if !guidPattern.MatchString(id) {
			continue
		}
		if scope == "Mcp.Gateway.Access" {
			return strings.ToLower(id)
		}
		if found == "" {
			found = strings.ToLower(id)
		}
	}
	return found
}

// tenantFromURL reads <authority-host>/<tenant>/… (jwks_uri, issuer,
// authorize endpoint). The multi-tenant aliases name no tenant.
func tenantFromURL(raw string) (tenant, authorityHost string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", ""
	}
	seg, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	switch strings.ToLower(seg) {
	case "", "common", "organizations", "consumers":
		return "", ""
	}
	if !guidPattern.MatchString(seg) && !domainPattern.MatchString(seg) {
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
