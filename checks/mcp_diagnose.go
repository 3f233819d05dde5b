package checks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/mcpclient"
	"github.com/c7doctor/c7doctor/wire"
)

// hop is the way an MCP request went: through the gateway, or straight to
// Context7 with c7doctor's own OBO token (upstream).
type hop struct {
	gateway bool
	url     string
}

func (h hop) where() string {
	if h.gateway {
		return "through the gateway (" + h.url + ")"
	}
	return "straight to Context7 (" + h.url + ")"
}

// apimError is the body APIM itself writes: {"statusCode": 401, "message": "…"}.
type apimError struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	ActivityID string `json:"activityId"`
}

func apimErrorIn(body []byte) (*apimError, bool) {
	var e apimError
	if json.Unmarshal(bytes.TrimSpace(body), &e) != nil || e.StatusCode == 0 || e.Message == "" {
		return nil, false
	}
	return &e, true
}

func isHTML(ex *mcpclient.Exchange) bool {
	if ct := ex.ContentType(); ct == "text/html" || ct == "application/xhtml+xml" {
		return true
	}
	head := bytes.ToLower(bytes.TrimSpace(ex.Body[:min(len(ex.Body), 512)]))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html"))
}

var htmlTitle = wire.NewLazyRegexp(`(?is)<title[^>]*>(.*?)</title>`)

// excerpt is the start of a body, on one line, for a finding's detail.
func excerpt(b []byte, n int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// statusLine is "HTTP 401 application/json" for a detail.
func statusLine(ex *mcpclient.Exchange) string {
	ct := ex.ContentType()
	if ct == "" {
		ct = "no content type"
	}
	return fmt.Sprintf("HTTP %d (%s)", ex.Status, ct)
}

// mcpFailure reports a failed MCP operation and returns the id of the
// finding that explains it ("interrupted", with no finding, when the run
// was interrupted: the runner says so).
func mcpFailure(env *Env, r *Result, h hop, err error) string {
	var e *mcpclient.Error
	if !errors.As(err, &e) {
		r.Find("mcp-bad-response", fmt.Sprintf("The MCP client failed %s: %v.", h.where(), err))
		return "mcp-bad-response"
	}
	ex := e.Exchange
	if ex != nil {
		r.Evidence(e.Op, ex.String())
	}
	switch e.Kind {
	case mcpclient.KindCanceled:
		return "interrupted"
	case mcpclient.KindTransport:
		r.Find("mcp-unreachable", fmt.Sprintf("%s %s got no answer (%s): %v.", e.Op, h.where(), e.Wire, e.Err))
		return "mcp-unreachable"
	case mcpclient.KindTimeout:
		if ex == nil || ex.Status == 0 {
			r.Find("mcp-timeout", fmt.Sprintf("%s %s: no answer within %s.", e.Op, h.where(), env.HTTP.Timeout()))
		} else {
			events, _, _ := ex.Events()
			r.Find("mcp-timeout", fmt.Sprintf("%s %s: the answer began (%s, %d bytes, %d complete events) but no complete response arrived within %s.", e.Op, h.where(), statusLine(ex), len(ex.Body), len(events), env.HTTP.Timeout()))
		}
		return "mcp-timeout"
	case mcpclient.KindTooLarge:
		r.Find("mcp-too-large", fmt.Sprintf("%s %s: %s, larger than %d bytes; it begins: %s", e.Op, h.where(), statusLine(ex), len(ex.Body), excerpt(ex.Body, 200)))
		return "mcp-too-large"
	case mcpclient.KindTruncated:
		return truncated(r, h, e)
	case mcpclient.KindRPC:
		if isVersionRefusal(e.RPC) {
			r.Find("mcp-protocol-version", fmt.Sprintf("%s %s: the server refused protocol version %s: %d %s.", e.Op, h.where(), env.Config.ProtocolVersion, e.RPC.Code, e.RPC.Message))
			return "mcp-protocol-version"
		}
		r.Find("mcp-rpc-error", fmt.Sprintf("%s %s: JSON-RPC error %d: %s.", e.Op, h.where(), e.RPC.Code, e.RPC.Message))
		return "mcp-rpc-error"
	case mcpclient.KindHTTP:
		return httpFailure(env, r, h, e)
	}
	// KindProtocol: 200 but not an MCP answer.
	if ex != nil && isHTML(ex) {
		r.Find("mcp-html", fmt.Sprintf("%s %s: %s is an HTML page%s, not an MCP answer.", e.Op, h.where(), statusLine(ex), titleOf(ex.Body)))
		return "mcp-html"
	}
	if ex != nil {
		r.Find("mcp-bad-response", fmt.Sprintf("%s %s: %s: %v. The body begins: %s", e.Op, h.where(), statusLine(ex), e.Err, orNone(excerpt(ex.Body, 300))))
	} else {
		r.Find("mcp-bad-response", fmt.Sprintf("%s %s: %v.", e.Op, h.where(), e.Err))
	}
	return "mcp-bad-response"
}

func titleOf(body []byte) string {
	if m := htmlTitle.FindSubmatch(body); m != nil {
		if t := strings.TrimSpace(string(m[1])); t != "" {
			return fmt.Sprintf(" titled %q", excerpt([]byte(t), 80))
		}
	}
	return ""
}

func isVersionRefusal(e *mcpclient.RPCError) bool {
	return e != nil && (e.Code == -32602 || e.Code == -32000 || e.Code == -32004) && strings.Contains(strings.ToLower(e.Message), "protocol version")
}

func truncated(r *Result, h hop, e *mcpclient.Error) string {
	ex := e.Exchange
	events, cut, partial := ex.Events()
	var what string
	if cut {
		what = fmt.Sprintf("the event stream ended after %d bytes inside an event (%d complete before it); the unfinished event's data begins %q", len(ex.Body), len(events), excerpt([]byte(partial), 120))
	} else {
		what = fmt.Sprintf("the event stream ended after %d bytes and %d complete events without the response event", len(ex.Body), len(events))
	}
	detail := fmt.Sprintf("%s %s answered %s, but %s.", e.Op, h.where(), statusLine(ex), what)
	if !h.gateway {
		r.Find("sse-truncated", detail+" This stream came straight from Context7, without APIM: something on this machine's path (a proxy) or Context7 itself cut it.")
		return "sse-truncated"
	}
	detail += " Context7 sends each answer whole; APIM diagnostics that log response payload bytes cut event streams short."
	findCaused(r, "sse-truncated", detail, armCause(r.context(), r.env, topicResponseLogging))
	return "sse-truncated"
}

// httpFailure names an error status for what it is and who sent it.
func httpFailure(env *Env, r *Result, h hop, e *mcpclient.Error) string {
	ex := e.Exchange
	apim, isAPIM := apimErrorIn(ex.Body)
	head := fmt.Sprintf("%s %s answered %s", e.Op, h.where(), statusLine(ex))
	switch {
	case ex.Status == http.StatusUnauthorized:
		return unauthorized(env, r, h, e)
	case isHTML(ex):
		r.Find("mcp-html", fmt.Sprintf("%s: an HTML page%s, not APIM's or Context7's answer.", head, titleOf(ex.Body)))
		return "mcp-html"
	case isVersionRefusal(e.RPC):
		r.Find("mcp-protocol-version", fmt.Sprintf("%s: %s", head, e.RPC.Message))
		return "mcp-protocol-version"
	case ex.Status == http.StatusForbidden:
		r.Find("mcp-forbidden", fmt.Sprintf("%s: %s", head, bodyWords(ex)))
		return "mcp-forbidden"
	case ex.Status == http.StatusNotFound && h.gateway:
		who := "no operation matched"
		if isAPIM {
			who = fmt.Sprintf("APIM's own answer %q: no API operation matches POST %s", apim.Message, h.url)
		}
		r.Find("mcp-not-found", fmt.Sprintf("%s: %s.", head, who))
		return "mcp-not-found"
	case ex.Status == http.StatusNotFound:
		r.Find("mcp-http-error", fmt.Sprintf("%s: %s. --upstream must be the URL APIM forwards to, https://mcp.context7.com/mcp/oauth.", head, bodyWords(ex)))
		return "mcp-http-error"
	case ex.Status == http.StatusInternalServerError && h.gateway && isAPIM:
		detail := fmt.Sprintf("%s: APIM's own %q", head, apim.Message)
		if apim.ActivityID != "" {
			detail += " (activity id " + apim.ActivityID + ")"
		}
		if env.State.OBO.Failed != "" {
			detail += "; c7doctor's own OBO exchange fails too, " + env.State.OBO.failedWith()
		}
		r.Find("mcp-policy-error", detail+".")
		return "mcp-policy-error"
	case oboFailedAnswer(h, ex):
		return gatewayOBOFailed(env, r, head)
	case h.gateway && (ex.Status == http.StatusBadGateway || ex.Status == http.StatusServiceUnavailable || ex.Status == http.StatusGatewayTimeout):
		r.Find("mcp-backend-error", fmt.Sprintf("%s: %s.", head, bodyWords(ex)))
		return "mcp-backend-error"
	case ex.Status >= 500:
		who := "the server's"
		if e.RPC != nil {
			who = "Context7's JSON-RPC error"
		}
		r.Find("mcp-server-error", fmt.Sprintf("%s: %s %s.", head, who, bodyWords(ex)))
		return "mcp-server-error"
	case ex.Status >= 300 && ex.Status < 400:
		r.Find("mcp-http-error", fmt.Sprintf("%s: a redirect to %s. An MCP endpoint answers POST itself; this is not the MCP API.", head, orNone(ex.Header.Get("Location"))))
		return "mcp-http-error"
	}
	r.Find("mcp-http-error", fmt.Sprintf("%s: %s.", head, bodyWords(ex)))
	return "mcp-http-error"
}

// bodyWords says what a body holds: a JSON-RPC error, APIM's message, or its start.
func bodyWords(ex *mcpclient.Exchange) string {
	if rpc, ok := mcpclient.ParseRPCError(ex.Body); ok {
		return fmt.Sprintf("JSON-RPC error %d %q", rpc.Code, rpc.Message)
	}
	if a, ok := apimErrorIn(ex.Body); ok {
		return fmt.Sprintf("APIM's message %q", a.Message)
	}
	if len(bytes.TrimSpace(ex.Body)) == 0 {
		return "an empty body"
	}
	return "body " + excerpt(ex.Body, 200)
}

// challengeOrigin is the origin of the resource_metadata URL in the
// answer's WWW-Authenticate, "" when there is none.
func challengeOrigin(ex *mcpclient.Exchange) (origin, url string) {
	for _, v := range ex.Header.Values("WWW-Authenticate") {
		if m := resourceMetadataParam.FindStringSubmatch(v); m != nil {
			u := m[1]
			if u == "" {
				u = m[2]
			}
			return wire.Origin(u), u
		}
	}
	return "", ""
}

var resourceMetadataParam = wire.NewLazyRegexp(`(?i)resource_metadata\s*=\s*(?:"([^"]*)"|([^\s,]+))`)

// challengeSide says whose WWW-Authenticate an answer carries.
func challengeSide(env *Env, h hop, ex *mcpclient.Exchange) string {
	origin, u := challengeOrigin(ex)
	switch {
	case u == "":
		return "It carries no WWW-Authenticate resource_metadata."
	case !h.gateway:
		return "Its WWW-Authenticate (" + u + ") is Context7's own."
	case strings.EqualFold(origin, wire.Origin(env.Config.Gateway)):
		return "Its WWW-Authenticate points at the gateway's own metadata (" + u + "): APIM's on-error policy (Part 5 Step 3) set it."
	default:
		return "Its WWW-Authenticate points at " + u + ": Context7's own challenge, passed through by APIM; an MCP client following it is sent to Context7's sign-in, not to your tenant."
	}
}

// unauthorized tells APIM's 401 from Context7's and maps Context7's reason.
func unauthorized(env *Env, r *Result, h hop, e *mcpclient.Error) string {
	ex := e.Exchange
	head := fmt.Sprintf("%s %s answered %s", e.Op, h.where(), statusLine(ex))
	if a, ok := apimErrorIn(ex.Body); ok && missingSubscriptionKey(ex.Status, ex.Body) {
		r.Find("apim-subscription-required", fmt.Sprintf("%s with APIM's own body %q: APIM wants a subscription key before it looks at the token (as at challenge).", head, a.Message))
		return "apim-subscription-required"
	}
	if a, ok := apimErrorIn(ex.Body); ok {
		detail := fmt.Sprintf("%s with APIM's own body %q: validate-azure-ad-token refused the gateway token. %s %s", head, a.Message, apimRefusalCause(env), challengeSide(env, h, ex))
		r.Find("apim-401", detail)
		return "apim-401"
	}
	if e.RPC != nil && e.RPC.Code == -32001 {
		return context7Reason(env, r, h, e, head)
	}
	r.Find("mcp-401-unknown", fmt.Sprintf("%s: %s. %s", head, bodyWords(ex), challengeSide(env, h, ex)))
	return "mcp-401-unknown"
}

// apimRefusalCause compares the gateway token with what the guide's
// validate-azure-ad-token demands.
func apimRefusalCause(env *Env) string {
	tok, err := auth.Decode(env.State.GatewayToken)
	if err != nil {
		return "The gateway token is not a readable JWT."
	}
	c := &tok.Claims
	cfg := env.Config
	var why []string
	if tok.Version == auth.V1 {
		why = append(why, "its issuer is v1 ("+c.Iss+"): the APIM Gateway app's manifest needs requestedAccessTokenVersion 2")
	}
	if !c.HasAudience(cfg.GatewayAppID) {
		why = append(why, fmt.Sprintf("its aud is %s, not the APIM Gateway app %s", quoteList(c.AudString()), cfg.GatewayAppID))
	}
	if !c.HasScope("Mcp.Gateway.Access") {
		why = append(why, fmt.Sprintf("its scp %q lacks Mcp.Gateway.Access", strings.Join(c.Scp, " ")))
	}
	if c.Exp != nil && !c.Exp.Time.After(env.Now()) {
		why = append(why, "it expired at "+c.Exp.Time.UTC().Format(time.RFC3339))
	}
	if env.State.TenantGUID != "" && !strings.EqualFold(c.Tid, env.State.TenantGUID) {
		why = append(why, fmt.Sprintf("it was issued by tenant %s, not %s", orNone(c.Tid), env.State.TenantGUID))
	}
	if len(env.State.JWKS) > 0 && !env.State.Token.Verified {
		why = append(why, "its signature does not verify against the tenant's keys")
	}
	if len(why) > 0 {
		return "The token fails APIM's rule because " + strings.Join(why, "; ") + " (gateway-claims shows the same)."
	}
	return fmt.Sprintf("Its claims pass what c7doctor checks (iss %s, aud %s, scp %s), so APIM's named values differ: entra-tenant-id must be %s and apim-gateway-app-id %s.", c.Iss, c.AudString(), strings.Join(c.Scp, " "), orNone(c.Tid), cfg.GatewayAppID)
}

// context7Reason maps Context7's -32001 message to the dashboard field to
// fix, with the value the OBO token carries.
func context7Reason(env *Env, r *Result, h hop, e *mcpclient.Error, head string) string {
	msg := e.RPC.Message
	cfg := env.Config
	tok := env.State.OBO.Token
	val := func(what, v string) string {
		if tok == nil {
			return fmt.Sprintf("c7doctor has no OBO token to read its %s from (the obo check did not pass); it should be %s", what, v)
		}
		return ""
	}
	said := fmt.Sprintf("%s: Context7's JSON-RPC error -32001 %q.", head, msg)
	var id, detail string
	lower := strings.ToLower(msg)
	switch {
	case strings.HasPrefix(lower, "authentication required"):
		id = "context7-no-token"
		detail = said + " " + noTokenCause(env, h)
	case strings.Contains(lower, "audience"):
		id = "context7-401-audience"
		if v := val("aud", cfg.MCPAPIAppID); v != "" {
			detail = said + " " + v + "."
		} else {
			detail = said + fmt.Sprintf(" The dashboard's Audience must equal the OBO token's aud exactly: %s.", quoteList(tok.Claims.AudString()))
		}
	case strings.Contains(lower, "required scope"):
		id = "context7-401-scope"
		if v := val("scp", "mcp.access"); v != "" {
			detail = said + " " + v + "."
		} else {
			detail = said + fmt.Sprintf(" The dashboard's Required scope must be one of the OBO token's scp values: %q.", strings.Join(tok.Claims.Scp, " "))
		}
	case strings.Contains(lower, "claims"):
		id = "context7-401-claims"
		if v := val("tid", cfg.Tenant); v != "" {
			detail = said + " " + v + "."
		} else {
			detail = said + fmt.Sprintf(" The dashboard's Tenant ID must be the OBO token's tid, %s (its issuer is %s).", orNone(tok.Claims.Tid), tok.Claims.Iss)
		}
	case strings.Contains(lower, "signature"):
		id = "context7-401-signature"
		detail = said
		if tok != nil {
			detail += fmt.Sprintf(" The token was issued by tenant %s (kid %s); the dashboard's Tenant ID must be that tenant.", orNone(tok.Claims.Tid), orNone(tok.Header.Kid))
		}
	case strings.Contains(lower, "expired"):
		id = "context7-401-expired"
		detail = said
		if tok != nil && tok.Claims.Exp != nil {
			detail += fmt.Sprintf(" c7doctor's fresh OBO token expires %s.", tok.Claims.Exp.Time.UTC().Format(time.RFC3339))
		}
	case strings.HasPrefix(lower, "invalid token"):
		id = "context7-401-token"
		detail = said
		if tok != nil {
			detail += fmt.Sprintf(" The OBO token's issuer is %s (ver %s); Context7 takes only https://login.microsoftonline.com/<tenant-id>/v2.0.", tok.Claims.Iss, orNone(tok.Claims.Ver))
		}
	default:
		id = "context7-401"
		detail = said
	}
	if id != "context7-no-token" {
		detail += " " + challengeSide(env, h, e.Exchange)
	} else if h.gateway {
		// No token reached Context7: what APIM's exchange sends may be why.
		findCaused(r, id, detail, armCause(r.context(), env, topicGatewaySecret))
		return id
	}
	switch id {
	case "context7-401-audience", "context7-401-scope", "context7-401-claims", "context7-401-signature", "context7-401":
		if h.gateway && env.State.OBO.Failed == "" && env.State.OBO.Ran {
			detail += " If the dashboard already holds these values, APIM may be forwarding an OBO token it cached before the fix (the guide's policy keeps it 3000 s); --upstream-probe sends a fresh one straight to Context7 to tell the two apart."
		}
	}
	r.Find(id, detail)
	return id
}

// noTokenCause explains "Authentication required": no bearer reached Context7.
func noTokenCause(env *Env, h hop) string {
	if !h.gateway {
		return "c7doctor sent its OBO token, yet Context7 saw none: something on the way removed the Authorization header."
	}
	st := &env.State.OBO
	switch {
	case st.Failed != "":
		return "APIM forwarded the request without a token: its OBO exchange failed as c7doctor's does, " + st.failedWith() + "."
	case st.Ran:
		return "APIM forwarded the request without a token, yet c7doctor's own OBO exchange succeeds: APIM's named values (apim-gateway-app-id, apim-gateway-client-secret, mcp-api-app-id) differ from what c7doctor used, or its send-request cannot reach the token endpoint."
	default:
		return "APIM forwarded the request without a token: its OBO exchange failed. Give c7doctor the gateway app's secret (--gateway-secret-file or $C7DOCTOR_GATEWAY_SECRET) and the obo check shows Entra's reason."
	}
}
