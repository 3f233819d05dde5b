package checks

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/wire"
)

// entraShaped reads an Entra error body: an OAuth error with AADSTS codes.
// ok is false for anything else (an HTML page, APIM's own error, another
// server's OAuth error).
func entraShaped(body []byte, status int) (*auth.EntraError, bool) {
	e, ok := auth.ParseEntraError(body, status)
	return e, ok && len(e.Codes) > 0
}

// Entra's answers that show the service URL reaches the wrong place.
var ()

// runTokenProxy posts an authorization code that cannot be valid to the
// gateway's /token: an answer in Entra's error shape proves APIM forwards
// the request to Entra, and Entra's codes say whether to the right tenant.
func runTokenProxy(ctx context.Context, env *Env, r *Result) {
	// APIM forwards /token to Entra and waits; the code is made up, so a
	// transient answer may be retried.
	ctx = wire.MadeUpInput(wire.WaitsBehind(ctx))
	target, source := gatewayEndpoint(env, "token_endpoint", "/token")
	r.Evidence("source", source)
	code := "c7doctor-not-a-code-" + randomURLSafe(12)
	env.Redactor().Secret(code)
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {clientIDForProbes(env)},
		"code":          {code},
		"redirect_uri":  {authorizeRedirectURI},
		"code_verifier": {randomURLSafe(32)},
	}
	if env.Config.GatewayAppID != "" {
		form.Set("scope", env.Config.GatewayScope()+" offline_access")
	}
	resp, err := env.HTTP.PostForm(ctx, target, form, wire.MetadataLimit)
	if err != nil && (resp == nil || resp.StatusCode == 0) {
		reportNoAnswer(r, env, "POST /token", target, err, "gateway-unreachable")
		return
	}
	if reportProxyKey(r, "POST", resp) {
		return
	}
	recordExchange(r, "", resp)
	body := bodyDescription(resp.ContentType(), resp.Body, resp.Truncated)
	entra, ok := entraShaped(resp.Body, resp.StatusCode)
	if !ok {
		r.Evidence("body", body)
		switch {
		case resp.StatusCode == 404:
			why := ""
			if strings.HasPrefix(body, "APIM's own") {
				why = " APIM answered itself: no operation matches POST /token."
			}
			r.Find("token-proxy-not-found", fmt.Sprintf("POST %s answered 404 with %s.%s", target, body, why))
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			r.Find("token-proxy-not-entra", fmt.Sprintf("POST %s with a made-up code answered %s with %s: whatever answers is not Entra, which refuses such a code.", target, httpStatus(resp.StatusCode), body))
		default:
			r.Find("token-proxy-not-entra", fmt.Sprintf("POST %s answered %s with %s, not Entra's error shape (error, error_codes, AADSTS…).", target, httpStatus(resp.StatusCode), body))
		}
		return
	}
	r.Evidence("error", entra.Error)
	r.Evidence("aadsts", joinInts(entra.Codes))
	r.Evidence("error_description", entra.Message())
	if entra.TraceID != "" {
		r.Evidence("trace_id", entra.TraceID)
	}
	if entra.CorrelationID != "" {
		r.Evidence("correlation_id", entra.CorrelationID)
	}
	withEntra := WithEntra(entra.Codes, entra.TraceID, entra.CorrelationID)
	switch id := EntraFinding("token-proxy", entra, env.Config); id {
	case "":
	case "token-proxy-secret-required":
		// The forwarding works; what Entra says is about the client.
		r.Find(id, fmt.Sprintf("Entra answered through the gateway, so /token forwards; but for client %s it wants a secret: %s.", clientIDForProbes(env), entra.Message()), withEntra)
		return
	default:
		r.Find(id, fmt.Sprintf("Entra answered through the gateway: %s.", entra.Message()), withEntra)
		return
	}
	r.Summary("Entra answered through the gateway: %s, AADSTS%d (as expected for a made-up code)", entra.Error, entra.Codes[0])
	probeTokenResource(ctx, env, r, target, form)
}

// probeTokenResource sends the made-up code again with the RFC 8707
// resource a spec-following client adds, and tells Entra refusing the
// parameter (before it looks at the code) from Entra refusing the code.
func probeTokenResource(ctx context.Context, env *Env, r *Result, target string, form url.Values) {
	resource := resourceParameter(env)
	code := "c7doctor-not-a-code-" + randomURLSafe(12)
	env.Redactor().Secret(code)
	form.Set("code", code)
	form.Set("resource", resource)
	resp, err := env.HTTP.PostForm(ctx, target, form, wire.MetadataLimit)
	if err != nil && (resp == nil || resp.StatusCode == 0) {
		r.Evidence("with_resource", fmt.Sprintf("no answer: %v", err))
		return
	}
	entra, ok := entraShaped(resp.Body, resp.StatusCode)
	switch {
	case !ok:
		r.Evidence("with_resource", fmt.Sprintf("%s with %s", httpStatus(resp.StatusCode), bodyDescription(resp.ContentType(), resp.Body, resp.Truncated)))
	case EntraFinding("token-proxy", entra, env.Config) == "token-resource-refused":
		r.Evidence("with_resource", "Entra refused the parameter: "+entra.Message())
		r.Find("token-resource-refused", fmt.Sprintf(
			"With resource=%s, as spec-following MCP clients send it, Entra refused the parameter before looking at the code: %s. A client that got a code cannot redeem it through this gateway.",
			resource, strings.TrimSuffix(entra.Message(), ".")), WithEntra(entra.Codes, entra.TraceID, entra.CorrelationID))
	default:
		r.Evidence("with_resource", fmt.Sprintf("Entra refused the code (as expected), not resource: %s, AADSTS%d", entra.Error, entra.Code()))
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
