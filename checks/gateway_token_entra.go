package checks

import (
	"fmt"
	"strings"

	"github.com/c7doctor/c7doctor/auth"
)

// findEntra adds the finding for an Entra refusal, with its codes and ids.
// what says when it happened ("The device code sign-in").
func findEntra(env *Env, r *Result, e *auth.EntraError, what string, opts ...FindingOption) {
	cfg := env.Config
	id := EntraFinding("gateway-token", e, cfg)
	detail := fmt.Sprintf("%s was refused by Entra: %s", what, e.Error)
	if m := e.Message(); m != "" {
		detail += ": " + m
	}
	if e.HTTPStatus != 0 {
		detail += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	detail += "."
	var extra []string
	switch id {
	case "wrong-client-id":
		if strings.EqualFold(cfg.ClientID, AzureCLIClientID) || cfg.ClientID == "" {
			extra = append(extra, "c7doctor signs in as the Azure CLI ("+AzureCLIClientID+"): pre-authorize it on the Gateway app's Mcp.Gateway.Access scope as Part 6 Step 1 (Authorize the Azure CLI on the Gateway app) says.")
		}
		detail += graphCause(env.runContext(), env, causeClientPreauth)
	case "token-public-client-disabled":
		if firstPartyApp(cfg.ClientID) {
			opts = append(opts, withoutCommands())
		}
		if strings.EqualFold(cfg.ClientID, cfg.GatewayAppID) {
			detail += " --client-id is the APIM Gateway app's own id: the gateway app's id used as public client works only when its registration allows public client flows."
		}
	case "token-mfa-required", "token-conditional-access":
		if e.Claims != "" {
			detail += " Entra sent a claims challenge: an interactive sign-in that satisfies it is needed."
		}
	}
	if e.Suberror != "" {
		detail += " Suberror: " + e.Suberror + "."
	}
	if e.Timestamp != "" {
		detail += " At " + e.Timestamp + "."
	}
	opts = append([]FindingOption{WithEntra(e.Codes, e.TraceID, e.CorrelationID)}, opts...)
	if len(extra) > 0 {
		opts = append(opts, WithFix(extra...))
	}
	r.Find(id, detail, opts...)
	r.Evidence("entra_error", e.Error)
}
