package checks

import (
	"fmt"
	"strings"

	"github.com/c7doctor/c7doctor/auth"
)

// entraFindingID maps an Entra refusal during sign-in to its catalog entry.
func entraFindingID(e *auth.EntraError, cfg *Config) string {
	cli := strings.EqualFold(cfg.ClientID, AzureCLIClientID) || cfg.ClientID == ""
	switch {
	case e.Error == "authorization_declined":
		return "token-device-code-declined"
	case e.Error == "expired_token" || e.Has(70020):
		return "token-device-code-expired"
	case e.Has(65005):
		return "wrong-client-id"
	case e.Has(700016):
		return "token-unknown-client"
	case e.Has(90009):
		return "token-app-requested-itself"
	case e.Has(500011):
		return "token-resource-not-found"
	case e.Has(90002):
		return "token-tenant-not-found"
	case e.Has(50020):
		return "token-user-wrong-tenant"
	case e.Has(50105):
		return "token-user-not-assigned"
	case e.Has(65001), e.Has(65004), e.Suberror == "consent_required":
		if cli {
			return "token-consent-cli"
		}
		return "token-consent-client"
	case e.Has(70011), e.Error == "invalid_scope":
		return "token-invalid-scope"
	case e.Has(7000218):
		return "token-public-client-disabled"
	case e.Has(50076), e.Has(50079):
		return "token-mfa-required"
	case e.Has(53003):
		return "token-conditional-access"
	case e.Has(50173):
		return "token-grant-revoked"
	case e.Has(700082):
		return "token-refresh-expired"
	}
	return "token-entra-error"
}

// findEntra adds the finding for an Entra refusal, with its codes and ids.
// what says when it happened ("The device code sign-in").
func findEntra(env *Env, r *Result, e *auth.EntraError, what string, opts ...FindingOption) {
	cfg := env.Config
	id := entraFindingID(e, cfg)
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
