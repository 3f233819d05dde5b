package checks

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/c7doctor/c7doctor/wire"
)

// ProtectedResourceMetadata is an RFC 9728 document, the members c7doctor
// judges. Has records which members were present at all.
type ProtectedResourceMetadata struct {
	Resource               string
	AuthorizationServers   []string
	ScopesSupported        []string
	BearerMethodsSupported []string
	ResourceName           string
	Has                    map[string]bool
	Placeholders           []string // template placeholders anywhere in the document
}

// ParsePRM reads a protected resource metadata document. The error names
// the member that is wrong.
func ParsePRM(body []byte) (*ProtectedResourceMetadata, error) {
	obj, err := metaObject(body)
	if err != nil {
		return nil, fmt.Errorf("prm: %w", err)
	}
	m := &ProtectedResourceMetadata{Has: map[string]bool{}, Placeholders: TemplatePlaceholders(body)}
	var present bool
	for _, f := range []struct {
		name string
		dst  *string
	}{{"resource", &m.Resource}, {"resource_name", &m.ResourceName}} {
		if *f.dst, present, err = metaString(obj, f.name); err != nil {
			return nil, fmt.Errorf("prm: %w", err)
		}
		m.Has[f.name] = present
	}
	for _, f := range []struct {
		name string
		dst  *[]string
	}{
		{"authorization_servers", &m.AuthorizationServers},
		{"scopes_supported", &m.ScopesSupported},
		{"bearer_methods_supported", &m.BearerMethodsSupported},
	} {
		if *f.dst, present, err = metaStrings(obj, f.name); err != nil {
			return nil, fmt.Errorf("prm: %w", err)
		}
		m.Has[f.name] = present
	}
	return m, nil
}

// Same reports whether two documents say the same thing (member order and
// whitespace aside), and if not, the first member that differs.
func (m *ProtectedResourceMetadata) Same(o *ProtectedResourceMetadata) (bool, string) {
	switch {
	case m.Resource != o.Resource:
		return false, fmt.Sprintf("resource %q vs %q", m.Resource, o.Resource)
	case !sameStringSet(m.AuthorizationServers, o.AuthorizationServers):
		return false, fmt.Sprintf("authorization_servers %q vs %q", m.AuthorizationServers, o.AuthorizationServers)
	case !sameStringSet(m.ScopesSupported, o.ScopesSupported):
		return false, fmt.Sprintf("scopes_supported %q vs %q", m.ScopesSupported, o.ScopesSupported)
	case !sameStringSet(m.BearerMethodsSupported, o.BearerMethodsSupported):
		return false, fmt.Sprintf("bearer_methods_supported %q vs %q", m.BearerMethodsSupported, o.BearerMethodsSupported)
	}
	return true, ""
}

func sameStringSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
		if count[s] < 0 {
			return false
		}
	}
	return true
}

// ResourceMatch is how a PRM resource relates to the MCP endpoint.
type ResourceMatch string

const (
	MatchExact    ResourceMatch = "exact"
	MatchPrefix   ResourceMatch = "prefix"
	MatchMismatch ResourceMatch = "mismatch"
)

// MatchResource compares a resource identifier with the endpoint a client
// called: scheme and host case-insensitively, default ports implied, the
// path case-sensitively and by whole segments (a trailing slash aside).
func MatchResource(resource, endpoint string) (ResourceMatch, string) {
	r, err := url.Parse(resource)
	if err != nil || !r.IsAbs() || r.Hostname() == "" {
		return MatchMismatch, "the resource is not an absolute URL"
	}
	e, err := url.Parse(endpoint)
	if err != nil || !e.IsAbs() || e.Hostname() == "" {
		return MatchMismatch, "the endpoint is not an absolute URL"
	}
	if r.Fragment != "" {
		return MatchMismatch, "the resource carries a fragment, which RFC 9728 forbids"
	}
	if !wire.SameOriginURL(r, e) {
		return MatchMismatch, fmt.Sprintf("the resource is on %s, the endpoint on %s", r.Scheme+"://"+r.Host, e.Scheme+"://"+e.Host)
	}
	if r.RawQuery != e.RawQuery {
		return MatchMismatch, "the resource's query differs from the endpoint's"
	}
	rp := strings.TrimSuffix(r.EscapedPath(), "/")
	ep := strings.TrimSuffix(e.EscapedPath(), "/")
	switch {
	case rp == ep:
		return MatchExact, ""
	case strings.HasPrefix(ep, rp+"/"):
		return MatchPrefix, ""
	}
	return MatchMismatch, fmt.Sprintf("the resource's path %q is neither the endpoint's path %q nor a prefix of it", r.EscapedPath(), e.EscapedPath())
}
