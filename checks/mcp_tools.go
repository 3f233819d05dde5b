package checks

import (
	"context"
	"fmt"
	"github.com/c7doctor/c7doctor/wire"
	"strings"
	"time"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/mcpclient"
)

// The tools Context7 serves.
var context7Tools = []string{"resolve-library-id", "query-docs"}

// The call the guide itself makes to verify the integration (Part 7).
const (
	callTool        = "resolve-library-id"
	callLibraryName = "Next.js"
	callQuery       = "resolve the library id for Next.js"
)

// runMCPTools lists the tools through the gateway and, with --call, makes a
// real resolve-library-id call: the first request that needs Context7 to
// know the user.
func runMCPTools(ctx context.Context, env *Env, r *Result) {
	// Its answer waits on the OBO exchange and Context7 behind the gateway.
	ctx = wire.WaitsBehind(ctx)
	h := hop{gateway: true, url: env.Config.MCPEndpoint()}
	c, err := newMCPClient(env, h.url, env.State.GatewayToken)
	if err != nil {
		r.Find("mcp-bad-response", err.Error())
		return
	}
	defer c.Close()
	init, err := c.Initialize(ctx)
	if init != nil {
		r.Evidence("initialize_latency", init.Duration.Round(time.Millisecond).String())
	}
	if err != nil {
		mcpFailure(env, r, h, err)
		return
	}
	st := &env.State.MCP
	st.Tools, st.Call = toolsAndCall(ctx, env, r, c, h)
	if r.Failed() {
		return
	}
	if st.Call.ok() {
		r.Summary("tools/list has %s; resolve-library-id for %s answered in %s", strings.Join(context7Tools, " and "), callLibraryName, st.Call.Latency.Round(time.Millisecond))
	} else if !st.Call.Ran {
		r.Summary("tools/list has %s (no call made: --call not set)", strings.Join(context7Tools, " and "))
	}
}

// toolsAndCall runs tools/list and, with --call, the guide's call, on an
// initialized client.
func toolsAndCall(ctx context.Context, env *Env, r *Result, c *mcpclient.Client, h hop) (tools, call hopResult) {
	tools.Ran = true
	tl, err := c.ListTools(ctx)
	if tl != nil {
		tools.Latency = tl.Duration
		r.Evidence("tools_latency", tl.Duration.Round(time.Millisecond).String())
	}
	if err != nil {
		tools.Failed = mcpFailure(env, r, h, err)
		return tools, call
	}
	var names []string
	for _, t := range tl.Tools {
		names = append(names, t.Name)
	}
	r.Evidence("tools", strings.Join(names, ", "))
	var missing []string
	for _, want := range context7Tools {
		if !containsString(names, want) {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		tools.Failed = "mcp-tools-missing"
		r.Find("mcp-tools-missing", fmt.Sprintf("tools/list %s lists %d tools (%s) but not %s.", h.where(), len(names), orNone(strings.Join(names, ", ")), strings.Join(missing, " or ")))
		return tools, call
	}
	if !env.Config.Call {
		r.Evidence("call", "not made (--call not set)")
		return tools, call
	}
	call.Ran = true
	res, err := c.CallTool(ctx, callTool, map[string]any{"query": callQuery, "libraryName": callLibraryName})
	if res != nil {
		call.Latency = res.Duration
		r.Evidence("call_latency", res.Duration.Round(time.Millisecond).String())
	}
	if err != nil {
		call.Failed = mcpFailure(env, r, h, err)
		return tools, call
	}
	call.Failed = readCallResult(env, r, h, res)
	return tools, call
}

var libraryIDLine = wire.NewLazyRegexp(`Context7-compatible library ID:\s*(\S+)`)

// Texts of @upstash/context7-mcp 4.1.1 (dist/index.js, dist/lib/api.js).
const (
	textLibraries   = "Available Libraries:"
	textInvalidKey  = "Invalid API key"
	textRateLimited = "Rate limited or quota exceeded"
	textSearchError = "Error searching libraries:"
	textNoLibraries = "No libraries found matching the provided name."
)

// readCallResult reads Context7's answer to resolve-library-id: it answers
// refusals by the Context7 API as ordinary text results, not as errors.
func readCallResult(env *Env, r *Result, h hop, res *mcpclient.ToolResult) string {
	text := strings.TrimSpace(res.Text)
	r.Evidence("call_answer", excerpt([]byte(text), 160))
	switch {
	case res.Result != nil && res.Result.IsError:
		r.Find("mcp-call-error", fmt.Sprintf("%s for %s %s returned an error result: %s", callTool, callLibraryName, h.where(), orNone(excerpt([]byte(text), 300))))
		return "mcp-call-error"
	case strings.HasPrefix(text, textLibraries):
		var ids []string
		for _, m := range libraryIDLine.FindAllStringSubmatch(text, 5) {
			ids = append(ids, m[1])
		}
		r.Evidence("libraries", orNone(strings.Join(ids, ", ")))
		return ""
	case strings.Contains(text, textInvalidKey):
		return refusedUser(env, r, h, text)
	// The next three are Context7's own trouble, not the path's: the call
	// itself went through, so they are warnings and the hop counts as passed.
	case strings.HasPrefix(text, textRateLimited):
		r.Find("context7-rate-limited", fmt.Sprintf("%s %s: %q", callTool, h.where(), excerpt([]byte(text), 200)))
		return ""
	case strings.HasPrefix(text, textSearchError):
		r.Find("context7-api-error", fmt.Sprintf("%s %s: %q", callTool, h.where(), excerpt([]byte(text), 200)))
		return ""
	case strings.HasPrefix(text, textNoLibraries):
		r.Find("mcp-call-no-results", fmt.Sprintf("%s %s: %q", callTool, h.where(), text))
		return ""
	}
	r.Find("mcp-call-error", fmt.Sprintf("%s for %s %s answered %q, which is neither a list of libraries nor a text c7doctor knows.", callTool, callLibraryName, h.where(), excerpt([]byte(text), 300)))
	return "mcp-call-error"
}

// refusedUser explains Context7's "Invalid API key" answer to a call whose
// initialize it accepted: the token passed the tenant check but the Context7
// API refused the caller — an unprovisioned user, or no token at all.
func refusedUser(env *Env, r *Result, h hop, text string) string {
	said := fmt.Sprintf("%s for %s %s answered %q: the Context7 API refused the caller (HTTP 401 behind the MCP server).", callTool, callLibraryName, h.where(), excerpt([]byte(text), 200))
	if h.gateway && env.State.OBO.Failed != "" {
		// APIM's exchange fails the way c7doctor's did: its secret, or its scope.
		c := armCause(r.context(), env, topicGatewaySecret)
		if !c.found() {
			c = armCause(r.context(), env, topicOBOScope)
		}
		findCaused(r, "mcp-call-without-token", fmt.Sprintf("%s for %s %s reached Context7 with no token, %s.", callTool, callLibraryName, h.where(), env.State.OBO.failedWith()), c)
		return "mcp-call-without-token"
	}
	if h.gateway && env.State.OBO.Ran && env.State.OBO.Failed == "" {
		// c7doctor's exchange works with its secret; APIM's uses the named value.
		if c := armCause(r.context(), env, topicGatewaySecret); c.found() {
			findCaused(r, "mcp-call-apim-obo-failed", fmt.Sprintf("%s for %s %s answered %q: Context7 got no usable token. c7doctor's own OBO exchange works with the secret it was given, but APIM's uses its named value.", callTool, callLibraryName, h.where(), excerpt([]byte(text), 120)), c)
			return "mcp-call-apim-obo-failed"
		}
	}
	oid, email := userOf(env)
	detail := said + fmt.Sprintf(" The token passed Context7's tenant check (initialize and tools/list worked), so its user is not provisioned in the teamspace: add Email %s, Object ID (oid) %s under Settings → Microsoft Entra ID users.", orNone(email), orNone(oid))
	if h.gateway && env.State.OBO.Ran && env.State.OBO.Failed == "" {
		// Through the gateway the same answer has a second cause: without
		// rewrite-uri APIM sends the OBO token to Context7's open /mcp, which
		// takes it for an API key. Only the direct probe tells them apart.
		decide := "the upstream check sends the OBO token straight to /mcp/oauth and decides"
		if !env.Config.UpstreamProbe {
			decide = "--upstream-probe sends the OBO token straight to /mcp/oauth and decides"
		}
		findCaused(r, "context7-call-refused", fmt.Sprintf("%s Two causes answer this way: the user (oid %s, %s) is not provisioned in the teamspace, or the policy has no rewrite-uri, so APIM sends the token to Context7's open /mcp, where it is read as an API key; %s.%s", said, orNone(oid), orNone(email), decide, unreadSecretCause(r, env)), armCause(r.context(), env, topicRewrite))
		return "context7-call-refused"
	}
	r.Find("context7-user-not-provisioned", detail)
	return "context7-user-not-provisioned"
}

// userOf is the user's oid and sign-in name, from the OBO token, else the
// gateway token (the same user).
func userOf(env *Env) (oid, name string) {
	if t := env.State.OBO.Token; t != nil {
		oid, name = t.Claims.Oid, t.Claims.User()
	}
	if oid == "" || name == "" {
		if t, err := auth.Decode(env.State.GatewayToken); err == nil {
			if oid == "" {
				oid = t.Claims.Oid
			}
			if name == "" {
				name = t.Claims.User()
			}
		}
	}
	return oid, name
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// unreadSecretCause is the third cause of a refused key when the
// configuration was not read: APIM's exchange may fail where c7doctor's
// works (a read configuration shows it, or rules it out).
func unreadSecretCause(r *Result, env *Env) string {
	if armSnapshotFor(r.context(), env) != nil {
		return ""
	}
	return " A third cause answers the same way: APIM's own OBO exchange failing with its apim-gateway-client-secret named value (c7doctor tested the secret it was given), so that APIM forwards an empty token; the configuration checks name it when they can read the instance."
}
