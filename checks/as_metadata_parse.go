package checks

import "fmt"

// ASMetadata is an RFC 8414 (or OpenID Connect discovery) document, the
// members c7doctor judges. Has records which members were present at all.
type ASMetadata struct {
	Issuer                            string
	AuthorizationEndpoint             string
	TokenEndpoint                     string
	JWKSURI                           string
	RegistrationEndpoint              string
	ResponseTypesSupported            []string
	GrantTypesSupported               []string
	CodeChallengeMethodsSupported     []string
	TokenEndpointAuthMethodsSupported []string
	ScopesSupported                   []string
	Has                               map[string]bool
	Placeholders                      []string
}

// ParseASMetadata reads an authorization server metadata document. The
// error names the member that is wrong.
func ParseASMetadata(body []byte) (*ASMetadata, error) {
	obj, err := metaObject(body)
	if err != nil {
		return nil, fmt.Errorf("as metadata: %w", err)
	}
	m := &ASMetadata{Has: map[string]bool{}, Placeholders: TemplatePlaceholders(body)}
	var present bool
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"issuer", &m.Issuer},
		{"authorization_endpoint", &m.AuthorizationEndpoint},
		{"token_endpoint", &m.TokenEndpoint},
		{"jwks_uri", &m.JWKSURI},
		{"registration_endpoint", &m.RegistrationEndpoint},
	} {
		if *f.dst, present, err = metaString(obj, f.name); err != nil {
			return nil, fmt.Errorf("as metadata: %w", err)
		}
		m.Has[f.name] = present
	}
	for _, f := range []struct {
		name string
		dst  *[]string
	}{
		{"response_types_supported", &m.ResponseTypesSupported},
		{"grant_types_supported", &m.GrantTypesSupported},
		{"code_challenge_methods_supported", &m.CodeChallengeMethodsSupported},
		{"token_endpoint_auth_methods_supported", &m.TokenEndpointAuthMethodsSupported},
		{"scopes_supported", &m.ScopesSupported},
	} {
		if *f.dst, present, err = metaStrings(obj, f.name); err != nil {
			return nil, fmt.Errorf("as metadata: %w", err)
		}
		m.Has[f.name] = present
	}
	return m, nil
}

// ASMetadataURLs are the URLs an MCP client tries for an issuer, in the
// order the MCP authorization spec (2025-06-18, 2025-11-25) gives: for an
// issuer with a path, RFC 8414 path insertion, OpenID Connect path
// insertion, OpenID Connect path appending; without a path, RFC 8414 then
// OpenID Connect at the root.
func ASMetadataURLs(issuer string) ([]string, error) {
	u, problem := judgeURL(issuer)
	if problem != "" {
		return nil, fmt.Errorf("issuer %q: %s", issuer, problem)
	}
	origin := u.Scheme + "://" + u.Host
	path := u.EscapedPath()
	for len(path) > 0 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	if path == "" {
		return []string{
			origin + "/.well-known/oauth-authorization-server",
			origin + "/.well-known/openid-configuration",
		}, nil
	}
	return []string{
		origin + "/.well-known/oauth-authorization-server" + path,
		origin + "/.well-known/openid-configuration" + path,
		origin + path + "/.well-known/openid-configuration",
	}, nil
}
