package main

import (
	"errors"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// azureLintFlags are run's flags that `policy lint --from-azure` takes:
// where the instance is, how to sign in to ARM, and the MCP API's path.
var azureLintFlags = []string{
	"apim-name", "resource-group", "subscription", "gateway", "api-path", "tenant",
	"cloud", "authority-host", "arm-endpoint", "azure-credential", "azure-client-id", "azure-client-secret-file",
	"ca-file", "timeout", "deadline", "config",
}

// longNames are the flags' long names.
func longNames(flags []cli.Flag) []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		out = append(out, f.Names()[0])
	}
	return out
}

// runFlagsNamed are run's flags of these names, defined once for both commands.
func runFlagsNamed(names ...string) []cli.Flag {
	var out []cli.Flag
	for _, f := range runFlags() {
		if slices.Contains(names, f.Names()[0]) {
			out = append(out, f)
		}
	}
	return out
}

// policyLintAzure lints the live instance: the flags are read here, the
// instance is read and linted by checks, and the result rendered as files' are.
func (a *app) policyLintAzure(c *cli.Context, out string) error {
	if c.NArg() > 0 {
		return usageError("policy lint: --from-azure reads the instance; no files or folders with it")
	}
	for _, f := range []string{"format", "scope", "named-values"} {
		if c.IsSet(f) {
			return usageError("policy lint: --%s: not with --from-azure (ARM gives each document's format, scope and the named values)", f)
		}
	}
	tenant := strings.TrimSpace(c.String("tenant"))
	az, err := a.azureFlags(c, tenant)
	if err != nil {
		return err
	}
	gateway := strings.TrimSpace(c.String("gateway"))
	if gateway != "" {
		if gateway, _, err = parseGateway(gateway); err != nil {
			return usageError("--gateway: %v", err)
		}
	}
	res, err := checks.LintAzure(c.Context, checks.AzurePolicySource{
		Endpoints: az.cloud, Credential: a.credential(az, tenant),
		Subscription: az.subscription, ResourceGroup: strings.TrimSpace(c.String("resource-group")), APIMName: strings.TrimSpace(c.String("apim-name")),
		Gateway: gateway, APIPath: strings.Trim(c.String("api-path"), "/"), CAFile: c.String("ca-file"),
		Timeout: c.Duration("timeout"), Deadline: c.Duration("deadline"),
	})
	// An error never carries the service principal's secret.
	red := wire.NewRedactor()
	red.Secret(az.azClientSecret)
	if res == nil {
		return &exitError{code: report.ExitUsage, msg: red.String("policy lint --from-azure: " + readError(err))}
	}
	rerr := a.renderLint(c, out, res)
	if err != nil {
		// Some documents could not be read: what was read is judged
		// above, and the input counts as unreadable.
		return &exitError{code: report.ExitUsage, msg: red.String("policy lint --from-azure: " + readError(err))}
	}
	return rerr
}

func readError(err error) string {
	if errors.Is(err, checks.ErrNoCredential) {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), "azure: ", "")
}
