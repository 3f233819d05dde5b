package checks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/policy"
)

// AzurePolicySource is where `policy lint --from-azure` reads the policies:
// the same endpoints, credential and instance a run reads ARM with.
type AzurePolicySource struct {
	Endpoints  Endpoints
	Credential Credential
	// The instance; an empty subscription or resource group is inferred
	// as a run infers it.
	Subscription, ResourceGroup, APIMName string
	// Gateway, when the instance is not named, gives its name
	// (<name>.azure-api.net).
	Gateway string
	// APIPath is the MCP API's path: that API is judged as the MCP route.
	APIPath string
	CAFile  string
	// Timeout bounds each request, Deadline the whole read.
	Timeout, Deadline time.Duration
}

// ErrNoCredential is a lint from Azure without a way to sign in.
var ErrNoCredential = errors.New("no Azure credential: sign in with az login, or give --azure-client-id with --azure-client-secret-file")

// LintAzure reads the instance's policy documents (global, products, the
// MCP API's and the OAuth proxy's, their operations and the fragments they
// include) with its named values, and lints them as the apim-policies
// check does. The error is a read that failed: with a result beside it,
// some documents could not be read and the rest were judged.
func LintAzure(ctx context.Context, s AzurePolicySource) (*policy.Result, error) {
	t := azure.Target{Subscription: s.Subscription, ResourceGroup: s.ResourceGroup, Service: s.APIMName}
	if t.Service == "" {
		t.Service = azure.ServiceNameFromHost(hostOf(s.Gateway))
	}
	if t.Service == "" {
		return nil, errors.New("no APIM instance: set --apim-name (or --gateway https://<name>.azure-api.net)")
	}
	if s.Timeout <= 0 {
		s.Timeout = 10 * time.Second
	}
	if s.Deadline <= 0 {
		s.Deadline = 2 * time.Minute
	}
	client, err := NewClient(ClientSettings{Timeout: s.Timeout, CAFile: s.CAFile, AuthOrigins: []string{s.Endpoints.ARMEndpoint}})
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	defer client.Close()
	arm, _, err := NewAzureReaders(s.Endpoints, s.Credential, client, s.Timeout)
	if err != nil {
		return nil, err
	}
	if arm == nil {
		return nil, ErrNoCredential
	}
	ctx, cancel := context.WithTimeout(ctx, s.Deadline)
	defer cancel()
	snap, err := arm.ReadAPIM(ctx, t, azure.ReadOptions{APIPaths: guideAPIPaths(s.APIPath)})
	if err != nil {
		return nil, err
	}
	if snap.APIsErr != nil {
		return nil, snap.APIsErr
	}
	pol := snap.Policies
	if len(pol.Docs) == 0 && len(pol.Errs) > 0 {
		return nil, errors.Join(pol.Errs...)
	}
	li := LintInput(snap, s.APIPath)
	return li.Lint(), errors.Join(pol.Errs...)
}

// guideAPIPaths are the APIs whose policies and diagnostics a read takes:
// the MCP API's and the OAuth proxy's at the host root.
func guideAPIPaths(apiPath string) []string {
	return []string{apiPath, ""}
}
