package checks

// State is what checks learn and later checks read. Checks run one after
// another, so no lock is needed. Each area keeps its details in its own
// struct, defined beside its checks.
type State struct {
	// Set by tenant-keys: the tenant's GUID, v2 issuer and raw JWKS.
	TenantGUID string
	Issuer     string
	JWKSURI    string
	JWKS       []byte

	// Set by gateway-token.
	GatewayToken       string
	GatewayTokenSource string

	// Set by obo.
	OBOToken string

	Discovery DiscoveryState
	Token     TokenState
	OBO       OBOState
	MCP       MCPState
	Graph     GraphState
	// GraphRoundTrips counts the requests the Graph read made.
	GraphRoundTrips int

	// APIM is the configuration read from ARM; it alone is written by
	// another goroutine, and read only after its done channel closes.
	APIM apimRead
}
