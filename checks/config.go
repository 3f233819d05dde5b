// Package checks holds the ordered checks of a c7doctor run, the runner that
// executes them, and the troubleshooting catalog every finding comes from.
package checks

import (
	"strings"
	"time"
)

// AzureCLIClientID is the public client the guide's Part 6 Step 1 pre-authorizes.
const AzureCLIClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// Config is what a run checks, after flags, environment and config file.
type Config struct {
	Gateway       string // scheme://host[:port], no path
	APIPath       string // "context7"
	Tenant        string // GUID or domain; a GUID once tenant-keys resolved it
	GatewayAppID  string
	MCPAPIAppID   string
	ClientID      string // public client for device code
	AuthorityHost string // https://login.microsoftonline.com

	TokenFile         string
	Token             string // $C7DOCTOR_TOKEN
	GatewaySecretFile string
	GatewaySecret     string // read from the file or $C7DOCTOR_GATEWAY_SECRET; never a flag
	CacheFile         string // MSAL token cache; "" with NoCache
	NoCache           bool

	Upstream        string
	ProtocolVersion string
	Call            bool // call resolve-library-id in mcp-tools
	UpstreamProbe   bool

	Subscription, ResourceGroup, APIMName string
	// ReadSecrets lets the named-values check read secret values (listValue)
	// to compare them in memory; they are never shown.
	ReadSecrets bool

	// SecretExpiryWarn is how long before its end a client secret is warned about.
	SecretExpiryWarn time.Duration

	// Flow is how gateway-token signs a person in: FlowDeviceCode (the
	// default) or FlowBrowser, the authorization-code route MCP clients take.
	Flow string
	// BrowserWait bounds the wait for the person in the browser.
	BrowserWait time.Duration

	// MCPClients are clients client-authorize asks about besides the
	// Gateway app and VS Code (--mcp-client).
	MCPClients []MCPClient

	Timeout  time.Duration // per request
	Deadline time.Duration // whole run

	// DeviceCode allows signing a person in (the device code, or the browser
	// with FlowBrowser): stdin and stderr are terminals, or the lab's tenant
	// and browser approve by themselves.
	DeviceCode bool
}

// MCPEndpoint is <gateway>/<api-path>/mcp.
func (c *Config) MCPEndpoint() string {
	p := strings.Trim(c.APIPath, "/")
	if p == "" {
		return strings.TrimRight(c.Gateway, "/") + "/mcp"
	}
	return strings.TrimRight(c.Gateway, "/") + "/" + p + "/mcp"
}

// GatewayScope is the scope a client requests for the gateway.
func (c *Config) GatewayScope() string {
	return "api://" + c.GatewayAppID + "/Mcp.Gateway.Access"
}

// OBOScope is the scope APIM's policy requests in the OBO exchange.
func (c *Config) OBOScope() string {
	return "api://" + c.MCPAPIAppID + "/.default"
}

// Authority is <authority-host>/<tenant>.
func (c *Config) Authority() string {
	return strings.TrimRight(c.AuthorityHost, "/") + "/" + c.Tenant
}

// V2Issuer is the issuer of the tenant's v2 tokens.
func (c *Config) V2Issuer() string {
	return strings.TrimRight(c.AuthorityHost, "/") + "/" + c.Tenant + "/v2.0"
}

// firstPartyApps are Microsoft's own public clients the guide names: their
// registrations live in Microsoft's tenant, so no command can change them.
var firstPartyApps = []string{AzureCLIClientID, "aebc6443-996d-45c2-90f0-388ff96faa56"}

func firstPartyApp(id string) bool {
	for _, a := range firstPartyApps {
		if strings.EqualFold(a, id) {
			return true
		}
	}
	return false
}
