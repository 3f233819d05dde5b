package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SameOrigin reports whether u has the given scheme://host[:port] origin.
func SameOrigin(u *url.URL, origin string) bool {
	o, err := url.Parse(origin)
	if err != nil || o.Host == "" {
		return false
	}
	return SameOriginURL(u, o)
}

// SameOriginURL reports whether a and b share scheme, host and port, the
// default port made explicit.
func SameOriginURL(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostPort(a), hostPort(b))
}

// Origin returns scheme://host[:port] of a URL string.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// originKey is scheme://host:port with the default port made explicit.
func originKey(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + hostPort(u)
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkScheme refuses anything but https, and plain http off loopback.
func checkScheme(u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) || u.Hostname() == imdsHost {
			return nil
		}
		return fmt.Errorf("%w: %s", ErrInsecureScheme, u.Redacted())
	}
	return fmt.Errorf("wire: unsupported scheme %q", u.Scheme)
}

// imdsHost is Azure's instance metadata endpoint, plain http on a
// link-local address that never leaves the machine: managed identity
// gets its tokens there.
const imdsHost = "169.254.169.254"

// authPolicy is where an Authorization header may go: the gateway and the
// origins given in Options.AuthOrigins. Anywhere else (a redirect target, a
// resource_metadata URL on another host) the header is removed before the
// request leaves, and the exchange records that it was.
type authPolicy struct {
	origins map[string]bool // originKey form
	names   []string        // for notes
}

func newAuthPolicy(gateway string, others []string) *authPolicy {
	p := &authPolicy{origins: map[string]bool{}}
	for _, o := range append([]string{gateway}, others...) {
		u, err := url.Parse(strings.TrimSpace(o))
		if err != nil || u.Host == "" {
			continue
		}
		if k := originKey(u); !p.origins[k] {
			p.origins[k] = true
			p.names = append(p.names, Origin(o))
		}
	}
	if len(p.origins) == 0 {
		return nil // a client with no gateway has no policy to apply
	}
	return p
}

// enforce strips credentials the request must not carry; it returns a note
// for the record, or "".
func (p *authPolicy) enforce(req *http.Request) string {
	if p == nil || req.Header.Get("Authorization") == "" {
		return ""
	}
	if p.origins[originKey(req.URL)] {
		return ""
	}
	req.Header.Del("Authorization")
	return fmt.Sprintf("Authorization removed: %s is not an origin the token is meant for (%s)",
		Origin(req.URL.String()), strings.Join(p.names, ", "))
}

// Resolver looks up host names; *net.Resolver is one. Tests inject one so
// that they never query real DNS.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// StaticResolver answers from a fixed table (name -> addresses); any other
// name does not exist.
type StaticResolver map[string][]string

// LookupHost implements Resolver.
func (s StaticResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if addrs, ok := s[strings.ToLower(strings.TrimSuffix(host, "."))]; ok && len(addrs) > 0 {
		return addrs, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// resolvingDial resolves names with r and dials each address in turn.
func resolvingDial(r Resolver, dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if net.ParseIP(host) != nil {
			return dial(ctx, network, addr)
		}
		addrs, err := r.LookupHost(ctx, host)
		if err != nil {
			var dnsErr *net.DNSError
			if !errors.As(err, &dnsErr) {
				err = &net.DNSError{Err: err.Error(), Name: host}
			}
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		var last error
		for _, a := range addrs {
			c, err := dial(ctx, network, net.JoinHostPort(a, port))
			if err == nil {
				return c, nil
			}
			last = err
		}
		return nil, last
	}
}

// withConnectTimeout bounds a dial, whoever's dialer it is.
func withConnectTimeout(d time.Duration, dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return dial(ctx, network, addr)
	}
}
