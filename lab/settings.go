package lab

// Settings are the run settings that check a world, as plain values under
// the long names of `c7doctor run`'s flags: what the lab's c7doctor.yaml
// holds, what `run --lab` applies and what tests configure a run from.
// They name the secret's file, never the secret.
type Settings struct {
	Gateway           string `yaml:"gateway"`
	APIPath           string `yaml:"api-path"`
	Tenant            string `yaml:"tenant"`
	GatewayAppID      string `yaml:"gateway-app-id"`
	MCPAPIAppID       string `yaml:"mcp-api-app-id"`
	AuthorityHost     string `yaml:"authority-host"`
	CAFile            string `yaml:"ca-file"`
	GatewaySecretFile string `yaml:"gateway-secret-file"`
	Upstream          string `yaml:"upstream"`
	CacheFile         string `yaml:"cache-file"`
	// In the lab every hop can be exercised, so a run tries them all.
	Call          bool `yaml:"call"`
	UpstreamProbe bool `yaml:"upstream-probe"`

	// The management plane: where ARM is, the instance in it, and the
	// service principal that reads it (Reader, and listValue for secrets).
	ARMEndpoint           string `yaml:"arm-endpoint"`
	Subscription          string `yaml:"subscription"`
	ResourceGroup         string `yaml:"resource-group"`
	APIMName              string `yaml:"apim-name"`
	AzureClientID         string `yaml:"azure-client-id"`
	AzureClientSecretFile string `yaml:"azure-client-secret-file"`
	ReadSecrets           bool   `yaml:"read-secrets"`
	// Microsoft Graph, where the app registrations are read (by the same
	// service principal, which holds Application.Read.All).
	GraphEndpoint string `yaml:"graph-endpoint"`
}

// Settings returns the settings of a run against this world, using the
// files WriteFiles wrote.
func (w *World) Settings(f Files) Settings {
	return Settings{
		Gateway: w.GatewayURL, APIPath: w.APIPath, Tenant: w.TenantID,
		GatewayAppID: w.GatewayAppID, MCPAPIAppID: w.MCPAPIAppID, AuthorityHost: w.AuthorityHost,
		CAFile: f.CA, GatewaySecretFile: f.Secret, Upstream: w.UpstreamURL, CacheFile: f.Cache,
		Call: true, UpstreamProbe: true,
		ARMEndpoint: w.ARMEndpoint, Subscription: w.SubscriptionID, ResourceGroup: w.ResourceGroup, APIMName: w.APIMName,
		AzureClientID: w.ReaderAppID, AzureClientSecretFile: f.ReaderSecret, ReadSecrets: true,
		GraphEndpoint: w.GraphURL,
	}
}
