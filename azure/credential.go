package azure

import (
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Credential names a --azure-credential may pick: azidentity's own type
// names and its "dev" and "prod" groups, as AZURE_TOKEN_CREDENTIALS takes
// them, plus the Azure Pipelines credential (Azure DevOps service connections).
const (
	CredDev         = "dev"
	CredProd        = "prod"
	CredEnvironment = "EnvironmentCredential"
	CredWorkload    = "WorkloadIdentityCredential"
	CredManaged     = "ManagedIdentityCredential"
	CredCLI         = "AzureCLICredential"
	CredDeveloper   = "AzureDeveloperCLICredential"
	CredPowerShell  = "AzurePowerShellCredential"
	CredPipelines   = "AzurePipelinesCredential"
)

// CredentialNames lists what a selector may be.
func CredentialNames() []string {
	return []string{CredDev, CredProd, CredEnvironment, CredWorkload, CredManaged, CredCLI, CredDeveloper, CredPowerShell, CredPipelines}
}

// CanonicalCredential returns the selector's canonical spelling, or an error
// naming the valid ones. "" stays "" (the whole default chain).
func CanonicalCredential(selector string) (string, error) {
	s := strings.TrimSpace(selector)
	if s == "" {
		return "", nil
	}
	for _, n := range CredentialNames() {
		if strings.EqualFold(n, s) {
			return n, nil
		}
	}
	return "", fmt.Errorf("azure: unknown credential %q (one of %s)", selector, strings.Join(CredentialNames(), ", "))
}

// DefaultCredential is the credential of a real run: azidentity's default
// chain (environment service principal, workload identity, managed
// identity, Azure CLI, Azure Developer CLI, Azure PowerShell), or the one
// credential or group the selector names. Every credential that accepts
// client options gets the run's transport and retry rule; the CLI ones run
// their tool and take none. getenv reads the variables the selected
// credentials need where azidentity lets the caller pass them.
func DefaultCredential(selector, tenant string, o Options, getenv func(string) (string, bool)) (azcore.TokenCredential, error) {
	sel, err := CanonicalCredential(selector)
	if err != nil {
		return nil, err
	}
	co := o.credentialOptions()
	env := func(k string) string {
		if getenv == nil {
			return ""
		}
		v, _ := getenv(k)
		return strings.TrimSpace(v)
	}
	disco := o.disableInstanceDiscovery()
	cli := func() (azcore.TokenCredential, error) {
		return azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: tenant})
	}
	azd := func() (azcore.TokenCredential, error) {
		return azidentity.NewAzureDeveloperCLICredential(&azidentity.AzureDeveloperCLICredentialOptions{TenantID: tenant})
	}
	pwsh := func() (azcore.TokenCredential, error) {
		return azidentity.NewAzurePowerShellCredential(&azidentity.AzurePowerShellCredentialOptions{TenantID: tenant})
	}
	envCred := func() (azcore.TokenCredential, error) {
		return azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: disco})
	}
	workload := func() (azcore.TokenCredential, error) {
		return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: disco, TenantID: tenant})
	}
	managed := func() (azcore.TokenCredential, error) {
		mo := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
		if id := env("AZURE_CLIENT_ID"); id != "" {
			mo.ID = azidentity.ClientID(id)
		}
		return azidentity.NewManagedIdentityCredential(mo)
	}
	switch sel {
	case "":
		// The whole chain, built by azidentity itself: its managed-identity
		// step probes the instance metadata endpoint for one second only
		// when other credentials follow, so a laptop does not wait on it.
		return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: co, DisableInstanceDiscovery: disco, TenantID: tenant,
		})
	case CredDev:
		return chain(cli, azd, pwsh)
	case CredProd:
		return chain(envCred, workload, managed)
	case CredEnvironment:
		return envCred()
	case CredWorkload:
		return workload()
	case CredManaged:
		return managed()
	case CredCLI:
		return cli()
	case CredDeveloper:
		return azd()
	case CredPowerShell:
		return pwsh()
	case CredPipelines:
		// The Azure CLI task's variables for a workload-identity service connection.
		t, id, conn, tok := env("AZURESUBSCRIPTION_TENANT_ID"), env("AZURESUBSCRIPTION_CLIENT_ID"), env("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"), env("SYSTEM_ACCESSTOKEN")
		if t == "" {
			t = tenant
		}
		if t == "" || id == "" || conn == "" || tok == "" {
			return nil, fmt.Errorf("azure: %s needs AZURESUBSCRIPTION_TENANT_ID, AZURESUBSCRIPTION_CLIENT_ID, AZURESUBSCRIPTION_SERVICE_CONNECTION_ID and SYSTEM_ACCESSTOKEN", CredPipelines)
		}
		return azidentity.NewAzurePipelinesCredential(t, id, conn, tok, &azidentity.AzurePipelinesCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: disco})
	}
	return nil, fmt.Errorf("azure: unknown credential %q", sel)
}

func chain(builders ...func() (azcore.TokenCredential, error)) (azcore.TokenCredential, error) {
	var creds []azcore.TokenCredential
	var errs []string
	for _, b := range builders {
		c, err := b()
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		creds = append(creds, c)
	}
	if len(creds) == 0 {
		return nil, fmt.Errorf("azure: no credential could be built: %s", strings.Join(errs, "; "))
	}
	return azidentity.NewChainedTokenCredential(creds, nil)
}

// SecretCredential is a service principal's client-secret credential on the
// run's transport: the lab's reader, or a caller's own.
func SecretCredential(tenant, clientID, secret string, o Options) (azcore.TokenCredential, error) {
	c, err := azidentity.NewClientSecretCredential(tenant, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: o.credentialOptions(), DisableInstanceDiscovery: o.disableInstanceDiscovery(),
	})
	if err != nil {
		return nil, fmt.Errorf("azure: %w", err)
	}
	return c, nil
}
