package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/c7doctor/c7doctor/mcpclient"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// DefaultProtocolVersion is the MCP protocol version a run pins when it
// names none, and what the unauthenticated initialize announces.
const DefaultProtocolVersion = mcpclient.DefaultProtocolVersion

// runChallenge is what an MCP client does first: call the MCP endpoint
// without a token and read the 401 that tells it where to sign in.
func runChallenge(ctx context.Context, env *Env, r *Result) {
	ep := discoveryEndpoint(env)
	req, err := http.NewRequest(http.MethodPost, ep, bytes.NewReader(initializeBody(env)))
	if err != nil {
		r.Find("gateway-unreachable", fmt.Sprintf("The MCP endpoint %q is not a URL: %v", ep, bareURLError(err)))
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := env.HTTP.Do(ctx, req, wire.MetadataLimit)
	if resp == nil || resp.StatusCode == 0 {
		reportNoAnswer(r, env, "POST to the MCP endpoint without a token", ep, err, "gateway-unreachable")
		return
	}
	// An open API may stream for as long as it likes: a read that ends in a
	// timeout still has its status and headers.
	recordExchange(r, "", resp)
	body := bodyDescription(resp.ContentType(), resp.Body, resp.Truncated)
	r.Evidence("body", body)

	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		findCaused(r, "mcp-api-open", fmt.Sprintf("POST %s without a token answered %s (%s): the MCP API serves anyone.", ep, httpStatus(code), body), armCause(ctx, env, topicTokenValidation))
		return
	case code == http.StatusNotFound:
		r.Find("mcp-endpoint-not-found", fmt.Sprintf("POST %s answered 404 with %s.", ep, body))
		return
	case code == http.StatusUnauthorized:
	default:
		if wantsSubscriptionKey(resp) {
			r.Find("apim-subscription-required", fmt.Sprintf("POST %s answered %s with %s.", ep, httpStatus(code), body))
			return
		}
		r.Find("challenge-unexpected-status", fmt.Sprintf("POST %s without a token answered %s with %s; expected 401.", ep, httpStatus(code), body))
		return
	}
	if wantsSubscriptionKey(resp) {
		r.Find("apim-subscription-required", fmt.Sprintf("POST %s answered 401 with %s: APIM wants a subscription key before it looks at the token.", ep, body))
		return
	}
	fromContext7 := context7Refusal(resp.Body)
	if fromContext7 {
		findCaused(r, "challenge-from-context7", fmt.Sprintf("The 401 carries Context7's own JSON-RPC error (%s): the request reached Context7 without a token.", body), armCause(ctx, env, topicTokenValidation))
	}
	readChallenges(env, r, resp, fromContext7)
}

// initializeBody is a real initialize request, as an MCP client sends it.
func initializeBody(env *Env) []byte {
	pv := env.Config.ProtocolVersion
	if pv == "" {
		pv = DefaultProtocolVersion
	}
	b, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0", "id": 1, "method": "initialize",
		"params": map[string]any{
			"protocolVersion": pv,
			"capabilities":    map[string]any{},
			"clientInfo":      map[string]any{"name": "c7doctor", "version": report.Version()},
		},
	})
	return b
}

// readChallenges parses the WWW-Authenticate headers of a 401 and judges
// the resource_metadata URL an MCP client would follow.
func readChallenges(env *Env, r *Result, resp *wire.Response, fromContext7 bool) {
	ds := &env.State.Discovery
	values := resp.Header.Values("WWW-Authenticate")
	if len(values) == 0 {
		r.Evidence("www_authenticate", "(none)")
		findCaused(r, "www-authenticate-missing", fmt.Sprintf("The 401 from %s has no WWW-Authenticate header, so an MCP client cannot find the metadata.", resp.URL), armCause(r.context(), env, topicChallenge))
		return
	}
	r.Evidence("www_authenticate", strings.Join(values, " | "))
	challenges, perr := wire.ParseWWWAuthenticate(values)
	ds.Challenges = challenges
	var bearer []wire.Challenge
	for i, c := range challenges {
		r.Evidence(fmt.Sprintf("challenge_%d", i+1), c.String())
		if c.Is("Bearer") {
			bearer = append(bearer, c)
		}
	}
	if len(bearer) == 0 {
		if perr != nil {
			r.Find("www-authenticate-malformed", fmt.Sprintf("WWW-Authenticate: %v", perr))
			return
		}
		var schemes []string
		for _, c := range challenges {
			schemes = append(schemes, c.Scheme)
		}
		r.Find("www-authenticate-not-bearer", fmt.Sprintf("The 401 offers %s, no Bearer challenge.", strings.Join(schemes, ", ")))
		return
	}

	// The first Bearer challenge with resource_metadata is the one clients use.
	chosen := bearer[0]
	var urls []string
	for _, c := range bearer {
		if v, ok := c.Param("resource_metadata"); ok {
			if len(urls) == 0 {
				chosen = c
			}
			if !hasString(urls, v) {
				urls = append(urls, v)
			}
		}
	}
	if perr != nil {
		if len(urls) == 0 {
			// What parsed names no metadata: the malformed headers are the problem.
			r.Find("www-authenticate-malformed", fmt.Sprintf("WWW-Authenticate: %v", perr))
			return
		}
		r.Find("www-authenticate-malformed", fmt.Sprintf("WWW-Authenticate: %v. Lenient clients may still read it; strict ones will not.", perr), WithSeverity(report.Warning))
	}
	if scope, ok := chosen.Param("scope"); ok {
		r.Evidence("scope", scope)
		if env.Config.GatewayAppID != "" && !hasStringFold(strings.Fields(scope), env.Config.GatewayScope()) {
			r.Find("challenge-scope-mismatch", fmt.Sprintf("The challenge's scope is %q; the gateway's scope is %s.", scope, env.Config.GatewayScope()))
		}
	}
	if e, ok := chosen.Param("error"); ok {
		desc, _ := chosen.Param("error_description")
		r.Evidence("error", strings.TrimSpace(e+" "+desc))
	}
	if len(urls) == 0 {
		r.Find("resource-metadata-missing", fmt.Sprintf("The Bearer challenge %s names no resource_metadata.", chosen.String()))
		return
	}
	if len(urls) > 1 {
		r.Find("resource-metadata-ambiguous", fmt.Sprintf("The 401 names %d metadata URLs: %s. Which one a client follows depends on the client.", len(urls), strings.Join(urls, ", ")))
	}
	judgeResourceMetadataURL(env, r, urls[0], fromContext7)
}

// judgeResourceMetadataURL checks the URL an MCP client will fetch next.
func judgeResourceMetadataURL(env *Env, r *Result, raw string, fromContext7 bool) {
	r.Evidence("resource_metadata", raw)
	env.State.Discovery.ChallengeMetadataURL = raw
	if ph := placeholderRE.FindString(raw); ph != "" {
		r.Find("resource-metadata-placeholder", fmt.Sprintf("resource_metadata is %q: %s is the guide's placeholder.", raw, ph))
		return
	}
	u, problem := judgeURL(raw)
	if problem != "" {
		r.Find("resource-metadata-invalid", fmt.Sprintf("resource_metadata is %q: %s.", raw, problem))
		return
	}
	if !wire.SameOrigin(u, probedOrigin(env)) {
		why := ""
		switch {
		case context7Host(raw):
			why = " It is Context7's own metadata: APIM passed Context7's header through instead of setting its own."
		case fromContext7:
			why = " It came with Context7's refusal."
		}
		r.Find("resource-metadata-foreign", fmt.Sprintf("resource_metadata is %s, not on the gateway %s: MCP clients would take their authorization server from there.%s", raw, probedOrigin(env), why))
		return
	}
	env.State.Discovery.ResourceMetadataURL = raw
	r.Summary("401 with resource_metadata=%s", raw)
}

// wantsSubscriptionKey recognises APIM's refusal for a missing
// Ocp-Apim-Subscription-Key.
func wantsSubscriptionKey(resp *wire.Response) bool {
	return missingSubscriptionKey(resp.StatusCode, resp.Body)
}

// missingSubscriptionKey recognises APIM's own 401 for a missing key
// ("Access denied due to missing subscription key…"), which APIM answers
// before any policy runs: every check that can meet it names it, so that
// none blames the token for it.
func missingSubscriptionKey(status int, body []byte) bool {
	return status == 401 && bytes.Contains(bytes.ToLower(body), []byte("subscription key"))
}

// context7Refusal recognises the Context7 MCP server's 401: a JSON-RPC
// error -32001 with a null id.
func context7Refusal(body []byte) bool {
	var m struct {
		JSONRPC string `json:"jsonrpc"`
		Error   *struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	return json.Unmarshal(body, &m) == nil && m.JSONRPC == "2.0" && m.Error != nil && m.Error.Code == -32001
}

func hasString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hasStringFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
