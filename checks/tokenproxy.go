package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/c7doctor/c7doctor/wire"
)

// entraErrorBody is the error shape Entra's token endpoint answers with
// (shared/reference/entra/error-*.json).
type entraErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
}

var aadstsCode = regexp.MustCompile(`AADSTS(\d{4,8})`)

// parseEntraError reads an Entra error body; ok is false when the body is
// not one (an HTML page, APIM's own error, another server's OAuth error).
func parseEntraError(body []byte) (entraErrorBody, bool) {
	var e entraErrorBody
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return e, false
	}
	if len(e.ErrorCodes) == 0 {
		for _, m := range aadstsCode.FindAllStringSubmatch(e.ErrorDescription, 4) {
			if n, err := strconv.Atoi(m[1]); err == nil {
				e.ErrorCodes = append(e.ErrorCodes, n)
			}
		}
	}
	return e, len(e.ErrorCodes) > 0
}

// Entra's answers that show the service URL reaches the wrong place.
var (
	tenantNotFoundCodes = map[int]bool{90002: true, 900023: true}
	appNotFoundCodes    = map[int]bool{700016: true}
)

// runTokenProxy posts an authorization code that cannot be valid to the
// gateway's /token: an answer in Entra's error shape proves APIM forwards
// the request to Entra, and Entra's codes say whether to the right tenant.
func runTokenProxy(ctx context.Context, env *Env, r *Result) {
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
	recordExchange(r, "", resp)
	body := bodyDescription(resp.ContentType(), resp.Body, resp.Truncated)
	entra, ok := parseEntraError(resp.Body)
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
	r.Evidence("aadsts", joinInts(entra.ErrorCodes))
	r.Evidence("error_description", firstLineOf(entra.ErrorDescription))
	if entra.TraceID != "" {
		r.Evidence("trace_id", entra.TraceID)
	}
	if entra.CorrelationID != "" {
		r.Evidence("correlation_id", entra.CorrelationID)
	}
	withEntra := WithEntra(entra.ErrorCodes, entra.TraceID, entra.CorrelationID)
	for _, c := range entra.ErrorCodes {
		switch {
		case tenantNotFoundCodes[c]:
			r.Find("token-proxy-wrong-tenant", fmt.Sprintf("Entra answered through the gateway: %s.", firstLineOf(entra.ErrorDescription)), withEntra)
			return
		case appNotFoundCodes[c]:
			r.Find("token-proxy-app-not-in-tenant", fmt.Sprintf("Entra answered through the gateway: %s.", firstLineOf(entra.ErrorDescription)), withEntra)
			return
		}
	}
	r.Summary("Entra answered through the gateway: %s, AADSTS%d (as expected for a made-up code)", entra.Error, entra.ErrorCodes[0])
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
