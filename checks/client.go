package checks

import (
	"crypto/x509"
	"net/http"
	"time"

	"github.com/c7doctor/c7doctor/wire"
)

// ClientSettings are what a command knows of the HTTP client it needs, as
// plain values. NewClient turns them into the one client every request goes
// through, so that no command assembles transport options itself.
type ClientSettings struct {
	Timeout time.Duration // per request
	CAFile  string        // PEM roots added to the trusted ones
	// Roots replaces the system's roots (the lab's own CA).
	Roots *x509.CertPool
	// Gateway is the origin that receives GatewayHeaders (an APIM
	// subscription key); their values are secrets to the redactor.
	Gateway        string
	GatewayHeaders http.Header
	// AuthOrigins may receive an Authorization header besides Gateway.
	AuthOrigins []string
	Redactor    *wire.Redactor
	// Resolver replaces DNS (tests name hosts that do not resolve).
	Resolver wire.Resolver
}

// NewClient builds the HTTP client of a command. Its error is the CA file's.
func NewClient(s ClientSettings) (*wire.Client, error) {
	if s.Redactor != nil {
		for _, vs := range s.GatewayHeaders {
			s.Redactor.Secret(vs...)
		}
	}
	return wire.New(wire.Options{
		Timeout: s.Timeout, CAFile: s.CAFile, RootCAs: s.Roots,
		GatewayOrigin: s.Gateway, GatewayHeaders: s.GatewayHeaders, AuthOrigins: s.AuthOrigins,
		Redactor: s.Redactor, Resolver: s.Resolver,
	})
}
