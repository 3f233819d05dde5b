package checks

import (
	"context"
	"fmt"
	"time"
)

// runUpstream sends c7doctor's own OBO token straight to Context7 (the URL
// APIM forwards to) and compares the answer with what came through the
// gateway: the two together name the side at fault.
func runUpstream(ctx context.Context, env *Env, r *Result) {
	h := hop{gateway: false, url: env.Config.Upstream}
	r.Evidence("upstream", h.url)
	c, err := newMCPClient(env, h.url, env.State.OBOToken)
	if err != nil {
		r.Find("upstream-unreachable", err.Error())
		return
	}
	defer c.Close()
	var direct MCPState
	init, err := c.Initialize(ctx)
	direct.Initialize.Ran = true
	if init != nil {
		direct.Initialize.Latency = init.Duration
		r.Evidence("latency", init.Duration.Round(time.Millisecond).String())
	}
	if err != nil {
		direct.Initialize.Failed = mcpFailure(env, r, h, err)
		if direct.Initialize.Failed == "mcp-unreachable" || direct.Initialize.Failed == "mcp-timeout" {
			r.Find("upstream-unreachable", fmt.Sprintf("Context7 at %s could not be reached from here, so the two sides cannot be compared.", h.url))
			return
		}
	} else {
		r.Evidence("server", init.Result.ServerInfo.Name+" "+init.Result.ServerInfo.Version)
		direct.Tools, direct.Call = toolsAndCall(ctx, env, r, c, h)
	}
	compareSides(env, r, &env.State.MCP, &direct)
}

// compareSides names the faulty side from the gateway's and Context7's answers.
func compareSides(env *Env, r *Result, gw, direct *MCPState) {
	gwFail, gwOp := firstFailure3(gw)
	dFail, dOp := firstFailure3(direct)
	switch {
	case dFail == "" && gwFail == "":
		r.Summary("Context7 accepts the OBO token directly, as it does through the gateway: both sides agree")
	case dFail == "" && gwFail == "context7-call-refused":
		findCaused(r, "gateway-rewrite-missing", fmt.Sprintf("Straight to Context7's /mcp/oauth the OBO token works (%s), but through the gateway the same call is refused as an unknown API key: APIM forwards to Context7's open /mcp, so the policy's rewrite-uri template=\"/mcp/oauth\" is missing.%s", passedOps(direct), unreadSecretOnUpstream(r, env)), armCause(r.context(), env, topicRewrite))
	case dFail == "" && gwFail != "" && refusedByContext7(gwFail):
		r.Find("upstream-apim-fault", fmt.Sprintf("Straight to Context7 the OBO token works (%s), but through the gateway Context7 refused %s with %s: what APIM forwards is not what c7doctor's exchange yields.", passedOps(direct), gwOp, gwFail))
	case dFail == "" && gwFail != "" && gatewayDead(env):
		r.Summary("Context7 accepts the OBO token directly (%s); the gateway did not answer", passedOps(direct))
	case dFail == "" && gwFail != "":
		r.Summary("Context7 accepts the OBO token directly (%s): the gateway's failure (%s at %s) lies before Context7", passedOps(direct), gwFail, gwOp)
	case dFail != "" && gwFail != "" && dFail == gwFail:
		r.Find("upstream-context7-fault", fmt.Sprintf("Context7 refuses c7doctor's fresh OBO token at %s with %s, exactly as it refused what APIM forwarded: APIM passes on what Context7 refuses, it does not cause it.", dOp, dFail))
	case dFail != "" && gwFail == "" && gw.Initialize.ok():
		r.Find("upstream-cached-token", fmt.Sprintf("Through the gateway %s passed, but straight to Context7 a fresh OBO token fails at %s with %s.", passedOps(gw), dOp, dFail))
	case dFail != "" && gwFail != "":
		r.Find("upstream-context7-fault", fmt.Sprintf("Context7 refuses c7doctor's fresh OBO token at %s with %s; through the gateway %s failed with %s. Fix Context7's side first, then look again at the gateway.", dOp, dFail, gwOp, gwFail))
	default:
		r.Summary("straight to Context7: %s failed with %s; the gateway path did not get that far", dOp, dFail)
	}
}

// firstFailure3 is the first failed operation of initialize, tools, call.
func firstFailure3(s *MCPState) (finding, op string) {
	for _, x := range []struct {
		h  hopResult
		op string
	}{{s.Initialize, "initialize"}, {s.Tools, "tools/list"}, {s.Call, "the resolve-library-id call"}} {
		if x.h.Ran && x.h.Failed != "" {
			return x.h.Failed, x.op
		}
	}
	return "", ""
}

func passedOps(s *MCPState) string {
	switch {
	case s.Call.ok():
		return "initialize, tools/list and a resolve-library-id call"
	case s.Tools.ok():
		return "initialize and tools/list"
	case s.Initialize.ok():
		return "initialize"
	}
	return "nothing"
}

// refusedByContext7 reports a gateway failure that Context7 itself answered.
func refusedByContext7(finding string) bool {
	switch finding {
	case "context7-401", "context7-401-audience", "context7-401-scope", "context7-401-claims",
		"context7-401-signature", "context7-401-token", "context7-401-expired", "context7-no-token",
		"context7-user-not-provisioned", "context7-call-refused", "mcp-call-without-token", "mcp-call-apim-obo-failed":
		return true
	}
	return false
}

// gatewayDead reports that the gateway stopped being asked in this run.
func gatewayDead(env *Env) bool {
	_, dead := env.HTTP.Dead(env.Config.Gateway)
	return dead
}

// unreadSecretOnUpstream qualifies the verdict when the configuration was
// not read: an empty token from APIM's own failing exchange is refused by
// Context7 the same way.
func unreadSecretOnUpstream(r *Result, env *Env) string {
	if unreadSecretCause(r, env) == "" {
		return ""
	}
	return " Unless APIM's own OBO exchange fails with its apim-gateway-client-secret named value (the secret c7doctor tested works): Context7 refuses the empty token APIM then forwards the same way, and only the configuration checks tell the two apart."
}
