// Package lab is the world c7doctor is tested against: a fake Entra tenant,
// a fake APIM gateway that behaves like the guide's policies, and a Context7
// stand-in, all on loopback HTTPS. It never imports the code it tests.
package lab

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Well-known identities of the lab's tenant. Fixed so that reports and
// golden files are stable across runs.
const (
	TenantID      = "7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70"
	TenantDomain  = "contoso-lab.onmicrosoft.com"
	GatewayAppID  = "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"
	MCPAPIAppID   = "b8e4d2a6-1c7f-4e3b-9a5d-6f0c2e8b4d19"
	AzureCLIAppID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	APIPath       = "context7"
	// OtherTenantID is what Context7's "dashboard" holds under c7-tenant-mismatch.
	OtherTenantID = "c0ffee00-1111-4222-8333-444455556666"

	// The APIM instance as Azure Resource Manager knows it (guide Part 1).
	SubscriptionID = "d5b7c3a1-9e2f-4c6d-8b0a-1f3e5d7c9b24"
	ResourceGroup  = "rg-context7-mcp"
	APIMName       = "apim-context7-lab"
	// ReaderAppID is a service principal holding Reader on the instance:
	// who c7doctor signs in as to read the configuration.
	ReaderAppID = "e2c4a6b8-0d1f-4a3b-8c5d-7e9f1a2b3c4d"
)

// User is a person in the lab's tenant.
type User struct {
	Name  string
	Email string
	OID   string
}

// DefaultUser is who approves device-code sign-ins in the lab.
var DefaultUser = User{Name: "Ada Lab", Email: "ada@contoso-lab.onmicrosoft.com", OID: "5d9a3e71-2c4b-4f8e-a1d6-0b7c9e3f2a58"}

// Options configure a lab world.
type Options struct {
	Faults      []string      // names from Faults(); unknown names are an error
	Interactive bool          // device code waits for a person at /devicelogin
	SlowDelay   time.Duration // gateway-slow delay; default 30s
	// ARMDelay is how long every management-plane answer waits before it
	// starts (a slow ARM); default 0.
	ARMDelay time.Duration
	Log      io.Writer // request log; nil discards
	// Listen addresses; empty picks a free loopback port.
	TenantAddr, GatewayAddr, Context7Addr, ARMAddr, GraphAddr string
}

// World is a running lab.
type World struct {
	AuthorityHost string // https://127.0.0.1:<port> of the tenant
	GatewayURL    string // https://127.0.0.1:<port> of the gateway
	Context7URL   string // https://127.0.0.1:<port> of the Context7 stand-in
	GraphURL      string // https://127.0.0.1:<port> of the Microsoft Graph stand-in
	UpstreamURL   string // Context7URL + "/mcp/oauth"
	MCPEndpoint   string // GatewayURL + "/context7/mcp"
	ARMEndpoint   string // https://127.0.0.1:<port> of the management plane

	TenantID      string
	TenantDomain  string
	GatewayAppID  string
	MCPAPIAppID   string
	GatewaySecret string // the gateway app's client secret
	APIPath       string
	Users         []User

	// The APIM instance's place in ARM, and the reader's credentials.
	SubscriptionID string
	ResourceGroup  string
	APIMName       string
	ReaderAppID    string
	ReaderSecret   string // the reader's client secret

	CAPEM    []byte
	CertPool *x509.CertPool
	// Client trusts the lab CA; for the lab's own hops (gateway -> tenant, gateway -> Context7).
	Client *http.Client

	opts      Options
	faults    map[string]bool
	signKey   *rsa.PrivateKey
	keyID     string
	servers   []*http.Server
	dir       *directory
	tenant    *tenant
	gateway   *gateway
	c7        *context7
	arm       *armPlane
	mu        sync.Mutex
	logMu     sync.Mutex
	logClosed bool
}

// logf writes one line to the request log (Options.Log); safe for concurrent use.
func (w *World) logf(format string, args ...any) {
	w.logMu.Lock()
	defer w.logMu.Unlock()
	if w.logClosed {
		return // a handler finishing after Close: its caller has stopped listening
	}
	fmt.Fprintf(w.opts.Log, format+"\n", args...)
}

// Has reports whether the named fault is on.
func (w *World) Has(fault string) bool { return w.faults[fault] }

// Start builds the world and serves it until ctx ends or Close is called.
func Start(ctx context.Context, opts Options) (*World, error) {
	faults := map[string]bool{}
	for _, f := range opts.Faults {
		if _, ok := faultByName(f); !ok {
			return nil, fmt.Errorf("lab: unknown fault %q (see c7doctor lab --list-faults)", f)
		}
		faults[f] = true
	}
	if opts.SlowDelay == 0 {
		opts.SlowDelay = 30 * time.Second
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	ca, err := newCA()
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	signKey, err := processSigningKey()
	if err != nil {
		return nil, fmt.Errorf("lab: signing key: %w", err)
	}
	w := &World{
		TenantID: TenantID, TenantDomain: TenantDomain, GatewayAppID: GatewayAppID,
		MCPAPIAppID: MCPAPIAppID, APIPath: APIPath, Users: []User{DefaultUser},
		GatewaySecret:  newSecretValue(),
		SubscriptionID: SubscriptionID, ResourceGroup: ResourceGroup, APIMName: APIMName,
		ReaderAppID: ReaderAppID, ReaderSecret: "rdr~" + randomString(34),
		CAPEM: ca.certPEM, CertPool: ca.pool,
		opts: opts, faults: faults, signKey: signKey, keyID: randomString(16),
	}
	w.Client = &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	var ls []net.Listener
	closeAll := func() {
		for _, l := range ls {
			l.Close()
		}
	}
	for _, addr := range []string{opts.TenantAddr, opts.GatewayAddr, opts.Context7Addr, opts.ARMAddr, opts.GraphAddr} {
		l, err := listen(addr)
		if err != nil {
			closeAll()
			return nil, err
		}
		ls = append(ls, l)
	}
	w.AuthorityHost = "https://" + ls[0].Addr().String()
	w.GatewayURL = "https://" + ls[1].Addr().String()
	w.Context7URL = "https://" + ls[2].Addr().String()
	w.ARMEndpoint = "https://" + ls[3].Addr().String()
	w.GraphURL = "https://" + ls[4].Addr().String()
	w.UpstreamURL = w.Context7URL + "/mcp/oauth"
	w.MCPEndpoint = w.GatewayURL + "/" + w.APIPath + "/mcp"

	w.dir = newDirectory(w, time.Now())
	if w.tenant, err = newTenant(w); err != nil {
		closeAll()
		return nil, fmt.Errorf("lab: tenant: %w", err)
	}
	w.gateway = newGateway(w)
	w.c7 = newContext7(w)
	w.arm = newARMPlane(w)
	for i, h := range []http.Handler{w.tenant, w.gateway, w.c7, w.arm, newGraph(w)} {
		srv := &http.Server{
			Handler:           h,
			TLSConfig:         &tls.Config{Certificates: []tls.Certificate{ca.leaf}},
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          nil,
		}
		w.servers = append(w.servers, srv)
		go srv.ServeTLS(ls[i], "", "")
	}
	go func() {
		<-ctx.Done()
		w.Close()
	}()
	return w, nil
}

// Close stops every server of the world.
func (w *World) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.logMu.Lock()
	w.logClosed = true
	w.logMu.Unlock()
	var errs []error
	// Close, not Shutdown: the lab has nothing to drain, and Shutdown would
	// wait out its timeout on idle HTTP/2 connections of the clients.
	for _, s := range w.servers {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	w.servers = nil
	return errors.Join(errs...)
}

// processSigningKey is the tenant's signing key, one per process: RSA key
// generation is most of the time it takes to start a world, and tests start many.
var processSigningKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lab: listen: %w", err)
	}
	return l, nil
}
