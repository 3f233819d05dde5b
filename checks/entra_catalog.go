package checks

import (
	"slices"
	"strings"

	"github.com/c7doctor/c7doctor/auth"
)

// EntraRule says which finding an Entra refusal is in one check. An AADSTS
// code does not decide it alone: AADSTS7000218 means three things in three
// checks, and AADSTS65001 depends on the client that signed in.
type EntraRule struct {
	Check string // the check that met the refusal
	// The refusal matches when it carries one of Codes, Errors (OAuth
	// error) or Suberrors; a rule with none of them matches every refusal.
	Codes     []int
	Errors    []string
	Suberrors []string
	When      *RunCondition // nil: whatever the run's ids
	Finding   string
}

// RunCondition is a condition on the run's own ids.
type RunCondition struct {
	Says  string // for explain: "the client is the Azure CLI"
	Holds func(*Config) bool
}

var (
	whenAzureCLI = &RunCondition{Says: "the client is the Azure CLI", Holds: func(c *Config) bool {
		return c.ClientID == "" || strings.EqualFold(c.ClientID, AzureCLIClientID)
	}}
	whenBrowserFlow = &RunCondition{Says: "the sign-in is the browser route (--flow browser)", Holds: func(c *Config) bool {
		return c.Flow == FlowBrowser
	}}
	whenOtherClient = &RunCondition{Says: "the client is not the Azure CLI", Holds: func(c *Config) bool {
		return !whenAzureCLI.Holds(c)
	}}
)

// EntraRules decide, check by check and in order, which finding an Entra
// refusal is: the first rule of the check that matches wins.
var EntraRules = []EntraRule{
	// tenant-keys: the tenant's discovery document.
	{Check: "tenant-keys", Codes: []int{90002, 900023}, Errors: []string{"invalid_tenant"}, Finding: "tenant-not-found"},

	// token-proxy: a made-up code posted to the gateway's /token, without
	// and with the RFC 8707 resource parameter MCP clients send.
	{Check: "token-proxy", Codes: []int{9010010, 901002}, Errors: []string{"invalid_target"}, Finding: "token-resource-refused"},
	{Check: "token-proxy", Codes: []int{90002, 900023}, Finding: "token-proxy-wrong-tenant"},
	{Check: "token-proxy", Codes: []int{700016}, Finding: "token-proxy-app-not-in-tenant"},
	{Check: "token-proxy", Codes: []int{7000218}, Finding: "token-proxy-secret-required"},

	// client-authorize: the sign-in request each expected MCP client sends.
	{Check: "client-authorize", Codes: []int{9010010, 901002}, Errors: []string{"invalid_target"}, Finding: "authorize-resource-refused"},
	{Check: "client-authorize", Codes: []int{50011}, Finding: "client-redirect-not-registered"},
	{Check: "client-authorize", Codes: []int{700016}, Finding: "client-unknown"},
	{Check: "client-authorize", Codes: []int{65005}, Finding: "wrong-client-id"},
	{Check: "client-authorize", Finding: "client-authorize-refused"},

	// gateway-token: device code and refresh.
	{Check: "gateway-token", Errors: []string{"authorization_declined"}, Finding: "token-device-code-declined"},
	{Check: "gateway-token", Codes: []int{70020}, Errors: []string{"expired_token"}, Finding: "token-device-code-expired"},
	{Check: "gateway-token", Codes: []int{65005}, Finding: "wrong-client-id"},
	{Check: "gateway-token", Codes: []int{700016}, Finding: "token-unknown-client"},
	{Check: "gateway-token", Codes: []int{90009}, Finding: "token-app-requested-itself"},
	{Check: "gateway-token", Codes: []int{500011}, Finding: "token-resource-not-found"},
	{Check: "gateway-token", Codes: []int{90002}, Finding: "token-tenant-not-found"},
	{Check: "gateway-token", Codes: []int{50020}, Finding: "token-user-wrong-tenant"},
	{Check: "gateway-token", Codes: []int{50105}, Finding: "token-user-not-assigned"},
	{Check: "gateway-token", Codes: []int{65001, 65004}, Suberrors: []string{"consent_required"}, When: whenAzureCLI, Finding: "token-consent-cli"},
	{Check: "gateway-token", Codes: []int{65001, 65004}, Suberrors: []string{"consent_required"}, When: whenOtherClient, Finding: "token-consent-client"},
	{Check: "gateway-token", Codes: []int{70011}, Errors: []string{"invalid_scope"}, Finding: "token-invalid-scope"},
	{Check: "gateway-token", Codes: []int{7000218}, When: whenBrowserFlow, Finding: "token-browser-web-platform"},
	{Check: "gateway-token", Codes: []int{7000218}, Finding: "token-public-client-disabled"},
	{Check: "gateway-token", Codes: []int{50076, 50079}, Finding: "token-mfa-required"},
	{Check: "gateway-token", Codes: []int{53003}, Finding: "token-conditional-access"},
	{Check: "gateway-token", Codes: []int{50173}, Finding: "token-grant-revoked"},
	{Check: "gateway-token", Codes: []int{700082, 70043, 70008}, Finding: "token-refresh-expired"},
	{Check: "gateway-token", Finding: "token-entra-error"},

	// obo: the exchange APIM's policy makes.
	{Check: "obo", Codes: []int{65001}, Finding: "obo-consent"},
	{Check: "obo", Codes: []int{70011}, Finding: "obo-invalid-scope"},
	{Check: "obo", Codes: []int{7000222}, Finding: "obo-secret-expired"},
	{Check: "obo", Codes: []int{7000218}, Finding: "obo-secret-missing"},
	{Check: "obo", Codes: []int{7000215}, Finding: "obo-bad-secret"},
	{Check: "obo", Codes: []int{700016}, Finding: "obo-unknown-client"},
	{Check: "obo", Codes: []int{500011}, Finding: "obo-resource-not-found"},
	{Check: "obo", Codes: []int{50013, 500131, 500133, 50027}, Finding: "obo-assertion-refused"},
	{Check: "obo", Codes: []int{50076, 50079, 53003, 50158, 50074}, Errors: []string{"interaction_required"}, Finding: "obo-interaction-required"},
	{Check: "obo", Codes: []int{65005}, Finding: "obo-resource-misconfigured"},
	{Check: "obo", Finding: "obo-refused"},
}

// matches reports whether the rule applies to this refusal in this run
// (with no run, a rule with a condition does not).
func (rule EntraRule) matches(e *auth.EntraError, cfg *Config) bool {
	if rule.When != nil && (cfg == nil || !rule.When.Holds(cfg)) {
		return false
	}
	if len(rule.Codes) == 0 && len(rule.Errors) == 0 && len(rule.Suberrors) == 0 {
		return true
	}
	return slices.ContainsFunc(rule.Codes, e.Has) ||
		slices.Contains(rule.Errors, e.Error) ||
		slices.Contains(rule.Suberrors, e.Suberror)
}

// EntraFinding is the finding id for an Entra refusal met by check, "" when
// no rule of that check matches.
func EntraFinding(check string, e *auth.EntraError, cfg *Config) string {
	for _, rule := range EntraRules {
		if rule.Check == check && rule.matches(e, cfg) {
			return rule.Finding
		}
	}
	return ""
}

// entraCodes lists, per finding, the codes the rules map to it: what
// explain answers for an AADSTS code.
func entraCodes() map[string][]int {
	out := map[string][]int{}
	for _, rule := range EntraRules {
		for _, c := range rule.Codes {
			if !slices.Contains(out[rule.Finding], c) {
				out[rule.Finding] = append(out[rule.Finding], c)
			}
		}
	}
	return out
}
