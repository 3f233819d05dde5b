package main

import (
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/checks"
)

// azureAccess is how a command reads the configuration from Azure: the
// cloud's endpoints, the credential and the subscription, from the flags
// `run` and `policy lint --from-azure` share.
type azureAccess struct {
	cloud  checks.Endpoints // the settings applied over the --cloud preset
	azCred string           // --azure-credential, canonical
	// --azure-client-id and the secret read from --azure-client-secret-file
	azClientID, azClientSecret string
	subscription               string
	subFromEnv                 bool // the subscription came from $AZURE_SUBSCRIPTION_ID
}

// azureFlags validates the Azure flags; tenant is the run's --tenant, the
// directory of a service principal.
func (a *app) azureFlags(c *cli.Context, tenant string) (azureAccess, error) {
	var s azureAccess
	cloud, err := checks.ResolveEndpoints(c.String("cloud"), c.String("authority-host"), c.String("arm-endpoint"), c.String("graph-endpoint"))
	if err != nil {
		return s, usageError("--cloud: %v", strings.TrimPrefix(err.Error(), "azure: "))
	}
	for flag, v := range map[string]string{"authority-host": cloud.AuthorityHost, "arm-endpoint": cloud.ARMEndpoint, "graph-endpoint": cloud.GraphEndpoint} {
		if err := checkHTTPS(v); err != nil {
			return s, usageError("--%s: %v", flag, err)
		}
	}
	s.cloud = cloud
	selector := c.String("azure-credential")
	if selector == "" {
		selector, _ = a.getenv("AZURE_TOKEN_CREDENTIALS")
	}
	if s.azCred, err = checks.CanonicalCredential(selector); err != nil {
		return s, usageError("--azure-credential: %v", strings.TrimPrefix(err.Error(), "azure: "))
	}
	if s.azClientID = strings.TrimSpace(c.String("azure-client-id")); s.azClientID != "" {
		if !auth.IsGUID(s.azClientID) {
			return s, usageError("--azure-client-id: expected an application (client) id, a GUID, got %q", s.azClientID)
		}
		file := c.String("azure-client-secret-file")
		if file == "" {
			return s, usageError("--azure-client-id: needs --azure-client-secret-file")
		}
		data, err := os.ReadFile(file)
		if err != nil || strings.TrimSpace(string(data)) == "" {
			return s, usageError("--azure-client-secret-file: %s is missing or empty", file)
		}
		if tenant == "" {
			return s, usageError("--azure-client-id: needs --tenant (the service principal's directory)")
		}
		s.azClientSecret = strings.TrimSpace(string(data))
	}
	s.subscription = strings.TrimSpace(c.String("subscription"))
	if s.subscription == "" {
		if v, ok := a.getenv("AZURE_SUBSCRIPTION_ID"); ok && strings.TrimSpace(v) != "" {
			s.subscription, s.subFromEnv = strings.TrimSpace(v), true
		}
	}
	if s.subscription != "" && !auth.IsGUID(s.subscription) {
		return s, usageError("--subscription: expected a subscription id (a GUID), got %q", s.subscription)
	}
	return s, nil
}

// credential is the credential the flags give, for checks to build.
func (a *app) credential(s azureAccess, tenant string) checks.Credential {
	return checks.Credential{
		ClientID: s.azClientID, ClientSecret: s.azClientSecret, Selector: s.azCred,
		DefaultChain: a.azureChain, Tenant: tenant, Getenv: a.getenv,
	}
}
