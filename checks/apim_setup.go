package checks

import (
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"time"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/wire"
)

// Endpoints are where the cloud's services live for a run: --cloud's
// preset with any of --authority-host, --arm-endpoint and --graph-endpoint
// set over it.
type Endpoints struct {
	Cloud, AuthorityHost, ARMEndpoint, GraphEndpoint string
	armAudience                                      string
}

// CloudNames are --cloud's presets.
func CloudNames() []string { return azure.CloudNames() }

// CredentialNames are what --azure-credential takes: azidentity's names.
func CredentialNames() []string { return azure.CredentialNames() }

// CanonicalCredential checks a credential selector ("" is the whole chain).
func CanonicalCredential(selector string) (string, error) {
	return azure.CanonicalCredential(selector)
}

// ResolveEndpoints applies the settings over the cloud's preset; an empty
// setting keeps the preset's host.
func ResolveEndpoints(cloud, authorityHost, armEndpoint, graphEndpoint string) (Endpoints, error) {
	c, err := azure.CloudByName(cloud)
	if err != nil {
		return Endpoints{}, err
	}
	e := Endpoints{Cloud: c.Name, AuthorityHost: c.AuthorityHost, ARMEndpoint: c.ARMEndpoint, GraphEndpoint: c.GraphEndpoint, armAudience: c.ARMAudience}
	set := func(target *string, v string) {
		if v = strings.TrimRight(strings.TrimSpace(v), "/"); v != "" {
			*target = v
		}
	}
	set(&e.AuthorityHost, authorityHost)
	set(&e.ARMEndpoint, armEndpoint)
	set(&e.GraphEndpoint, graphEndpoint)
	return e, nil
}

// Credential says how a run signs in to read the configuration.
type Credential struct {
	// ClientID and ClientSecret: a service principal (the lab's reader).
	ClientID, ClientSecret string
	// Selector picks azidentity credentials by name ("" the whole chain).
	Selector string
	// DefaultChain allows azidentity's chain; without it (tests) and without
	// a service principal there is no credential and the checks skip.
	DefaultChain bool
	Tenant       string
	Getenv       func(string) (string, bool)
}

// NewAzureReaders builds the run's one credential and, on it and the run's
// HTTP client, the readers of the APIM instance (ARM) and of the app
// registrations (Microsoft Graph); both nil when there is no credential.
func NewAzureReaders(e Endpoints, c Credential, client *wire.Client, timeout time.Duration) (APIMReader, GraphReader, error) {
	audience := e.armAudience
	if audience == "" {
		audience = azure.Clouds[0].ARMAudience
	}
	o := azure.Options{Transport: client.HTTPClient(), TryTimeout: timeout, Cloud: azure.Cloud{
		Name: e.Cloud, AuthorityHost: e.AuthorityHost, ARMEndpoint: e.ARMEndpoint, ARMAudience: audience, GraphEndpoint: e.GraphEndpoint,
	}}
	var cred azcore.TokenCredential
	var err error
	switch {
	case c.ClientID != "":
		cred, err = azure.SecretCredential(c.Tenant, c.ClientID, c.ClientSecret, o)
	case c.DefaultChain:
		cred, err = azure.DefaultCredential(c.Selector, c.Tenant, o, c.Getenv)
	default:
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	graph, err := azure.NewGraph(cred, o)
	if err != nil {
		return nil, nil, err
	}
	return azure.NewReader(cred, o), graph, nil
}
