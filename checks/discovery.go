package checks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/c7doctor/c7doctor/wire"
)

// DiscoveryState is what the discovery checks (challenge … tenant-keys)
// learn, for the checks after them.
type DiscoveryState struct {
	// Endpoint is the MCP endpoint the discovery checks probe. Empty means
	// the configured <gateway>/<api-path>/mcp; a caller may preset it to
	// probe an endpoint of another shape (Context7's own /mcp/oauth).
	Endpoint string

	// From challenge.
	Challenges           []wire.Challenge
	ChallengeMetadataURL string // the challenge's resource_metadata, as sent
	ResourceMetadataURL  string // the same, when a client can use it

	// From prm.
	PRMURL string
	PRM    *ProtectedResourceMetadata

	// From as-metadata.
	ASMetadataURL string
	AS            *ASMetadata

	// TenantSources lists the tenants the gateway named (jwks_uri, the
	// authorize redirect) that could not be compared with the configured
	// tenant yet (one of them is a domain); tenant-keys compares them once
	// it has resolved the GUID.
	TenantSources []TenantSeen
	// TenantInferredFrom says where an inferred tenant came from.
	TenantInferredFrom string
	// GatewayAppInferredFrom says where an inferred gateway app id came from.
	GatewayAppInferredFrom string
}

// TenantSeen is a tenant the gateway revealed, and where.
type TenantSeen struct {
	Tenant string
	Where  string // "the AS metadata's jwks_uri", "the /authorize redirect"
	Check  string // the check that saw it
}

// discoveryEndpoint is the MCP endpoint the discovery checks probe.
func discoveryEndpoint(env *Env) string {
	if env.State.Discovery.Endpoint != "" {
		return env.State.Discovery.Endpoint
	}
	return env.Config.MCPEndpoint()
}

// probedOrigin is scheme://host[:port] of the probed endpoint.
func probedOrigin(env *Env) string {
	if o := wire.Origin(discoveryEndpoint(env)); o != "" {
		return o
	}
	return strings.TrimRight(env.Config.Gateway, "/")
}

// recordExchange writes the evidence every request leaves: where it went,
// what came back, in what shape and how fast.
func recordExchange(r *Result, prefix string, resp *wire.Response) {
	r.Evidence(prefix+"url", resp.URL)
	r.Evidence(prefix+"status", httpStatus(resp.StatusCode))
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = "(none)"
	}
	r.Evidence(prefix+"content_type", ct)
	r.Evidence(prefix+"time", durationText(resp.Duration))
}

func httpStatus(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}

func durationText(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// fetchMetadata fetches a metadata document: GET, JSON wanted, no credentials.
func fetchMetadata(ctx context.Context, env *Env, rawURL string) (*wire.Response, error) {
	return getMetadata(ctx, env.HTTP, rawURL)
}

func getMetadata(ctx context.Context, client *wire.Client, rawURL string) (*wire.Response, error) {
	return client.Get(ctx, rawURL, "application/json", wire.MetadataLimit)
}

// reportNoAnswer reports a request that got no answer. On the gateway's
// origin it names the gateway; elsewhere the finding the caller gives.
func reportNoAnswer(r *Result, env *Env, what, rawURL string, err error, elsewhere string) {
	var we *wire.Error
	kind := wire.KindOther
	if errors.As(err, &we) {
		kind = we.Kind
	}
	detail := fmt.Sprintf("%s (%s): %v", what, rawURL, err)
	r.Evidence("error", err.Error())
	onGateway := wire.Origin(rawURL) == probedOrigin(env)
	switch {
	case kind == wire.KindCanceled:
		// The run was interrupted or hit its deadline: the runner says so.
	case onGateway && kind == wire.KindTimeout:
		r.Find("gateway-timeout", fmt.Sprintf("%s: no answer from the gateway within %s (--timeout). %s", what, env.HTTP.Timeout(), detail))
	case onGateway && kind == wire.KindTLS:
		r.Find("gateway-tls", detail)
	case onGateway:
		r.Find("gateway-unreachable", detail)
	default:
		r.Find(elsewhere, detail)
	}
}

// judgeURL says what is wrong with a URL the gateway published, "" when it
// is an absolute https URL (http only on loopback) without a fragment.
func judgeURL(raw string) (*url.URL, string) {
	if strings.TrimSpace(raw) == "" {
		return nil, "it is empty"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Sprintf("it is not a URL (%v)", bareURLError(err))
	}
	switch {
	case !u.IsAbs() || u.Host == "":
		return u, "it is not an absolute URL"
	case strings.EqualFold(u.Scheme, "http") && wire.IsLoopback(u.Hostname()):
	case !strings.EqualFold(u.Scheme, "https"):
		return u, fmt.Sprintf("its scheme is %q, not https", u.Scheme)
	}
	if u.Fragment != "" {
		return u, "it carries a fragment (#…)"
	}
	return u, ""
}

func bareURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// context7Host reports whether a URL points at the hosted Context7, whose
// own 401 names its own metadata: a sign that APIM passed the request through.
func context7Host(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return h == "context7.com" || strings.HasSuffix(h, ".context7.com")
}

// joinOr renders a list for evidence.
func joinOr(v []string, none string) string {
	if len(v) == 0 {
		return none
	}
	return strings.Join(v, " ")
}
