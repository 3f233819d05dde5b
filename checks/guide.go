package checks

import (
	"strings"
	"unicode"

	"github.com/c7doctor/c7doctor/report"
)

// Guide section headings, exactly as the guide writes them (backticks removed).
const (
	SecPart1          = "Part 1: Provision API Management"
	SecPart2          = "Part 2: Register Entra applications"
	SecMCPAPIApp      = "Step 1: Register the MCP API app"
	SecGatewayApp     = "Step 2: Register the APIM Gateway app"
	SecPermChain      = "Step 3: Wire the permission chain"
	SecPart3          = "Part 3: Configure API Management"
	SecNamedValues    = "Step 1: Store credentials as named values"
	SecCreateAPI      = "Step 2: Create the API and the MCP operation"
	SecOBOPolicy      = "Step 3: Attach the OBO policy"
	SecPart4          = "Part 4: Onboard your tenant in Context7"
	SecConfigTenant   = "Step 1: Configure the tenant"
	SecProvisionUsers = "Step 2: Pre-provision your developers"
	SecPart5          = "Part 5: Expose OAuth discovery for MCP clients"
	SecOAuthProxyAPI  = "Step 1: Create the OAuth proxy API at the host root"
	SecDiscoveryPol   = "Step 2: Attach the discovery + redirect policies"
	SecWWWAuth        = "Step 3: Add WWW-Authenticate to the MCP API on 401"
	SecVerifyDisc     = "Step 4: Verify the discovery surface"
	SecPart6          = "Part 6: Smoke test the gateway from CLI"
	SecAuthorizeCLI   = "Step 1: Authorize the Azure CLI on the Gateway app"
	SecSmokeCall      = "Step 2: Acquire a token and call the gateway"
	SecPart7          = "Part 7: Connect an MCP client"
	SecTokenClaims    = "End-to-end token claims"
	SecAPIM401        = "401 Unauthorized at APIM"
	SecOBO50013       = "OBO exchange returns AADSTS50013 or AADSTS65001"
	SecOBO70011       = "OBO exchange returns AADSTS70011: Invalid scope"
	SecContext7401    = "401 Unauthorized from Context7 with a valid OBO token"
	SecStreamingCut   = "Streaming responses get cut off"
	SecWrongClientID  = "Wrong client ID returned to MCP clients"
)

// GuideSections lists every heading a finding may point at.
var GuideSections = []string{
	SecPart1, SecPart2, SecMCPAPIApp, SecGatewayApp, SecPermChain, SecPart3, SecNamedValues,
	SecCreateAPI, SecOBOPolicy, SecPart4, SecConfigTenant, SecProvisionUsers, SecPart5,
	SecOAuthProxyAPI, SecDiscoveryPol, SecWWWAuth, SecVerifyDisc, SecPart6, SecAuthorizeCLI,
	SecSmokeCall, SecPart7, SecTokenClaims, SecAPIM401, SecOBO50013, SecOBO70011,
	SecContext7401, SecStreamingCut, SecWrongClientID,
}

// GuideRef returns the report's pointer to a section, nil for "".
func GuideRef(section string) *report.Guide {
	if section == "" {
		return nil
	}
	return &report.Guide{Section: section, Anchor: Anchor(section)}
}

// Anchor is the heading's fragment as the published guide renders it:
// lower case, punctuation dropped, spaces to hyphens.
func Anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}
