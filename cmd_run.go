package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

const defaultConfigFile = "c7doctor.yaml"

func runFlags() []cli.Flag {
	return withEnvNames([]cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "YAML file of run settings (keys are these flags' long names); default ./c7doctor.yaml when it exists [$C7DOCTOR_CONFIG]"},
		&cli.StringFlag{Name: "gateway", Usage: "the APIM host (https://<name>.azure-api.net), or the full MCP URL from which host and API path are taken"},
		&cli.StringFlag{Name: "api-path", Value: "context7", Usage: "the MCP API's path in APIM (Part 3 Step 2)"},
		&cli.StringFlag{Name: "tenant", Usage: "Entra tenant: GUID or domain (inferred from the gateway when not given)"},
		&cli.StringFlag{Name: "gateway-app-id", Usage: "APIM Gateway app's client id (inferred from the PRM when not given)"},
		&cli.StringFlag{Name: "mcp-api-app-id", Usage: "Context7 MCP API app's client id"},
		&cli.StringFlag{Name: "client-id", Value: checks.AzureCLIClientID, Usage: "public client for device code (default: the Azure CLI, pre-authorized in Part 6 Step 1); with --flow browser another id signs in instead of the Gateway app, e.g. VS Code's aebc6443-996d-45c2-90f0-388ff96faa56"},
		&cli.StringFlag{Name: "flow", Value: checks.FlowDeviceCode, Usage: "how gateway-token signs you in on a terminal: device-code, or browser (authorization code with PKCE through the gateway's /authorize and /token, as MCP clients do)"},
		&cli.StringSliceFlag{Name: "mcp-client", Usage: "another client MCP users sign in with, for client-authorize: CLIENT_ID or CLIENT_ID=REDIRECT_URI[;REDIRECT_URI…] (repeatable; the Gateway app and VS Code are always asked about)"},
		&cli.StringFlag{Name: "cloud", Value: "public", Usage: "Azure cloud whose hosts preset --authority-host, --arm-endpoint and --graph-endpoint: " + strings.Join(checks.CloudNames(), ", ")},
		&cli.StringFlag{Name: "authority-host", Usage: "Entra authority host (default: the --cloud's, https://login.microsoftonline.com)"},
		&cli.StringFlag{Name: "arm-endpoint", Usage: "Azure Resource Manager endpoint (default: the --cloud's, https://management.azure.com)"},
		&cli.StringFlag{Name: "graph-endpoint", Usage: "Microsoft Graph endpoint (default: the --cloud's, https://graph.microsoft.com)"},
		&cli.StringFlag{Name: "azure-credential", Usage: "read the configuration with this azidentity credential only (" + strings.Join(checks.CredentialNames(), ", ") + "); default $AZURE_TOKEN_CREDENTIALS, else the whole default chain"},
		&cli.BoolFlag{Name: "read-secrets", Usage: "read secret named values (needs the listValue permission) to compare them in memory; they are never shown"},
		&cli.StringFlag{Name: "azure-client-id", Usage: "read the configuration as this service principal (with --azure-client-secret-file and --tenant) instead of azidentity's chain"},
		&cli.StringFlag{Name: "azure-client-secret-file", Usage: "file holding --azure-client-id's client secret (never a flag value)"},
		&cli.StringFlag{Name: "token-file", Usage: "file holding a gateway token: a raw JWT, 'Bearer …', or az account get-access-token JSON"},
		&cli.StringFlag{Name: "gateway-secret-file", Usage: "file holding the Gateway app's client secret (or set $C7DOCTOR_GATEWAY_SECRET; never a flag value)"},
		&cli.StringFlag{Name: "upstream", Value: "https://mcp.context7.com/mcp/oauth", Usage: "Context7's OAuth MCP endpoint, for --upstream-probe"},
		&cli.StringSliceFlag{Name: "header", Usage: "NAME:VALUE sent to the gateway only, e.g. an APIM subscription key (repeatable)"},
		&cli.StringFlag{Name: "subscription", Usage: "Azure subscription of the APIM instance (default $AZURE_SUBSCRIPTION_ID, else the credential's only one)"},
		&cli.StringFlag{Name: "resource-group", Usage: "resource group of the APIM instance (inferred by listing the subscription's instances)"},
		&cli.StringFlag{Name: "apim-name", Usage: "name of the APIM instance (inferred from a <name>.azure-api.net gateway)"},
		&cli.StringFlag{Name: "secret-expiry-warn", Value: "30d", Usage: "warn when the Gateway app's client secret ends within this time: days (30d) or a duration (720h)"},
		&cli.StringFlag{Name: "ca-file", Usage: "PEM file of extra trusted CA certificates"},
		&cli.StringSliceFlag{Name: "only", Usage: "run only these checks and what they need (comma-separated ids)"},
		&cli.StringSliceFlag{Name: "skip", Usage: "skip these checks and what needs them"},
		&cli.StringSliceFlag{Name: "require", Usage: "checks that must run: a skip makes the run incomplete (exit 3)"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output format: " + strings.Join(report.Formats(), ", ")},
		&cli.StringSliceFlag{Name: "out", Usage: "also write the report as FORMAT to FILE, e.g. --out junit=reports/c7doctor.xml (repeatable)"},
		&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "per-request timeout"},
		&cli.DurationFlag{Name: "deadline", Value: 2 * time.Minute, Usage: "deadline of the whole run (device-code waiting does not count)"},
		&cli.BoolFlag{Name: "strict", Usage: "a warning fails the run (exit 1)"},
		&cli.BoolFlag{Name: "no-color", Usage: "no colours (a non-empty NO_COLOR too; CLICOLOR_FORCE forces them in text output)"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print each exchange, redacted, to stderr"},
		&cli.StringFlag{Name: "trace", Usage: "write every exchange, redacted, to FILE as HAR 1.2 (opens in browser developer tools; mode 0600)"},
		&cli.BoolFlag{Name: "redact-pii", Usage: "also replace names, emails and object ids with pseudonyms, for reports shared outside the tenant"},
		&cli.BoolFlag{Name: "lab", Usage: "run against the embedded lab (fake Entra, APIM and Context7 on loopback)"},
		&cli.StringSliceFlag{Name: "fault", Usage: "with --lab: break the lab this way (repeatable; c7doctor lab --list-faults)"},
		&cli.StringFlag{Name: "protocol-version", Value: checks.DefaultProtocolVersion, Usage: "MCP protocol version to pin"},
		&cli.BoolFlag{Name: "call", Usage: "call resolve-library-id through the gateway (a real tool call)"},
		&cli.BoolFlag{Name: "upstream-probe", Usage: "send the OBO token straight to --upstream to tell an APIM fault from a Context7 fault"},
		&cli.StringFlag{Name: "cache-file", Usage: "MSAL token cache file (default: in the user cache directory)"},
		&cli.BoolFlag{Name: "no-cache", Usage: "use no token cache"},
	})
}

func (a *app) runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "check the gateway hop by hop",
		UsageText: "c7doctor run --gateway https://<apim-host> [--tenant T] [--gateway-app-id ID] [--mcp-api-app-id ID] [flags]\n   c7doctor run --lab [--fault F]...",
		Flags:     runFlags(),
		Before:    func(c *cli.Context) error { return a.applySettings(c, defaultConfigFile) },
		Action:    a.runAction,
	}
}

// runSetup is a validated run: config, selection and output choices.
type runSetup struct {
	cfg checks.Config
	azureAccess
	sel     checks.Selection
	output  string
	headers http.Header
	caFile  string
	verbose bool
	color   bool
}

var (
	headerName = wire.NewLazyRegexp("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

func splitIDs(values []string) []string {
	var out []string
	for _, v := range values {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

// setup validates every flag; a bad value is a usage error naming the flag.
func (a *app) setup(c *cli.Context) (*runSetup, error) {
	s := &runSetup{output: c.String("output"), caFile: c.String("ca-file"), verbose: c.Bool("verbose")}
	if !slices.Contains(report.Formats(), s.output) {
		return nil, usageError("--output: expected one of %s, got %q", strings.Join(report.Formats(), ", "), s.output)
	}
	cfg := checks.Config{
		APIPath:      strings.Trim(c.String("api-path"), "/"),
		Tenant:       strings.TrimSpace(c.String("tenant")),
		GatewayAppID: strings.TrimSpace(c.String("gateway-app-id")),
		MCPAPIAppID:  strings.TrimSpace(c.String("mcp-api-app-id")),
		ClientID:     strings.TrimSpace(c.String("client-id")),

		TokenFile:         c.String("token-file"),
		GatewaySecretFile: c.String("gateway-secret-file"),
		Upstream:          c.String("upstream"),
		ProtocolVersion:   c.String("protocol-version"),
		Call:              c.Bool("call"),
		UpstreamProbe:     c.Bool("upstream-probe"),
		Subscription:      strings.TrimSpace(c.String("subscription")),
		ResourceGroup:     strings.TrimSpace(c.String("resource-group")),
		APIMName:          strings.TrimSpace(c.String("apim-name")),
		ReadSecrets:       c.Bool("read-secrets"),
		CacheFile:         c.String("cache-file"),
		NoCache:           c.Bool("no-cache"),
		Timeout:           c.Duration("timeout"),
		Deadline:          c.Duration("deadline"),
	}
	if cfg.Timeout <= 0 {
		return nil, usageError("--timeout: expected a positive duration like 10s, got %s", cfg.Timeout)
	}
	warn, err := parseDays(c.String("secret-expiry-warn"))
	if err != nil {
		return nil, usageError("--secret-expiry-warn: %v", err)
	}
	cfg.SecretExpiryWarn = warn
	if cfg.Deadline <= 0 {
		return nil, usageError("--deadline: expected a positive duration like 2m, got %s", cfg.Deadline)
	}
	// With --lab, startLab has set the gateway from the lab's settings.
	{
		gw := strings.TrimSpace(c.String("gateway"))
		if gw == "" {
			return nil, usageError("--gateway: expected the APIM host, e.g. --gateway https://<name>.azure-api.net (or try --lab)")
		}
		origin, path, err := parseGateway(gw)
		if err != nil {
			return nil, usageError("--gateway: %v", err)
		}
		cfg.Gateway = origin
		if path != "" && !c.IsSet("api-path") {
			cfg.APIPath = path
		}
	}
	if len(c.StringSlice("fault")) > 0 && !c.Bool("lab") {
		return nil, usageError("--fault: only with --lab")
	}
	if err := knownFaults(splitIDs(c.StringSlice("fault"))); err != nil {
		return nil, err
	}
	for _, v := range c.StringSlice("mcp-client") {
		mc, err := parseMCPClient(v)
		if err != nil {
			return nil, usageError("--mcp-client: %v", err)
		}
		cfg.MCPClients = append(cfg.MCPClients, mc)
	}
	for flag, v := range map[string]string{"--gateway-app-id": cfg.GatewayAppID, "--mcp-api-app-id": cfg.MCPAPIAppID, "--client-id": cfg.ClientID} {
		if v != "" && !auth.IsGUID(v) {
			return nil, usageError("%s: expected an application (client) id, a GUID like 3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83, got %q", flag, v)
		}
	}
	if cfg.Tenant != "" && !auth.IsTenant(cfg.Tenant) {
		return nil, usageError("--tenant: expected a tenant GUID or domain (contoso.onmicrosoft.com), got %q", cfg.Tenant)
	}
	az, err := a.azureFlags(c, cfg.Tenant)
	if err != nil {
		return nil, err
	}
	s.azureAccess = az
	cfg.AuthorityHost, cfg.Subscription = az.cloud.AuthorityHost, az.subscription
	if err := checkHTTPS(cfg.Upstream); err != nil {
		return nil, usageError("--upstream: %v", err)
	}
	headers := http.Header{}
	for _, h := range c.StringSlice("header") {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || !headerName.MatchString(name) {
			return nil, usageError("--header: expected NAME:VALUE, with a colon between them (the value is not shown: it may be a key)")
		}
		if strings.EqualFold(name, "Authorization") {
			return nil, usageError("--header: Authorization is c7doctor's to set; give the token with --token-file or $C7DOCTOR_TOKEN")
		}
		headers.Add(name, strings.TrimSpace(value))
	}
	s.headers = headers
	if s.caFile != "" {
		if _, err := os.Stat(s.caFile); err != nil {
			return nil, usageError("--ca-file: %v", err)
		}
	}
	if cfg.TokenFile != "" {
		if _, err := os.Stat(cfg.TokenFile); err != nil {
			return nil, usageError("--token-file: %v", err)
		}
	}
	if v, ok := a.getenv("C7DOCTOR_TOKEN"); ok {
		cfg.Token = strings.TrimSpace(v)
	}
	if cfg.GatewaySecretFile != "" {
		data, err := os.ReadFile(cfg.GatewaySecretFile)
		if err != nil {
			return nil, usageError("--gateway-secret-file: %v", err)
		}
		cfg.GatewaySecret = strings.TrimSpace(string(data))
		if cfg.GatewaySecret == "" {
			return nil, usageError("--gateway-secret-file: %s is empty", cfg.GatewaySecretFile)
		}
	} else if v, ok := a.getenv("C7DOCTOR_GATEWAY_SECRET"); ok {
		cfg.GatewaySecret = strings.TrimSpace(v)
	}
	s.sel = checks.Selection{
		Only: splitIDs(c.StringSlice("only")), Skip: splitIDs(c.StringSlice("skip")),
		Require: splitIDs(c.StringSlice("require")), Strict: c.Bool("strict"),
	}
	if err := s.sel.Validate(a.checkList); err != nil {
		return nil, usageError("%v", err)
	}
	s.color = a.colorWanted(s.output, c.Bool("no-color"))
	cfg.DeviceCode = a.isTerminal(a.stdin) && a.isTerminal(a.stderr)
	switch cfg.Flow = c.String("flow"); cfg.Flow {
	case checks.FlowDeviceCode, checks.FlowBrowser:
	default:
		return nil, usageError("--flow: expected %s or %s, got %q", checks.FlowDeviceCode, checks.FlowBrowser, cfg.Flow)
	}
	cfg.BrowserWait = 5 * time.Minute
	s.cfg = cfg
	return s, nil
}

// parseMCPClient reads CLIENT_ID[=REDIRECT_URI;REDIRECT_URI…].
func parseMCPClient(v string) (checks.MCPClient, error) {
	id, uris, _ := strings.Cut(strings.TrimSpace(v), "=")
	id = strings.TrimSpace(id)
	if !auth.IsGUID(id) {
		return checks.MCPClient{}, fmt.Errorf("expected a client id (a GUID), optionally =REDIRECT_URI;REDIRECT_URI, got %q", v)
	}
	mc := checks.MCPClient{ID: id}
	for _, u := range strings.Split(uris, ";") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || !p.IsAbs() || p.Host == "" || p.Fragment != "" {
			return checks.MCPClient{}, fmt.Errorf("expected absolute redirect URIs without a fragment, got %q", u)
		}
		mc.RedirectURIs = append(mc.RedirectURIs, u)
	}
	return mc, nil
}

// parseGateway accepts a host, an origin, or the full MCP URL.
func parseGateway(raw string) (origin, apiPath string, err error) {
	if !strings.Contains(raw, "://") {
		// A bare word is a typo or a missing value, not a host on the Internet.
		if host, _, _ := strings.Cut(raw, "/"); !strings.Contains(host, ".") {
			return "", "", fmt.Errorf("expected a host or URL like https://<name>.azure-api.net, got %q", raw)
		}
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("expected a host or URL like https://<name>.azure-api.net, got %q", raw)
	}
	if err := checkHTTPS(raw); err != nil {
		return "", "", err
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("expected no query or fragment, got %q", raw)
	}
	p := strings.Trim(u.Path, "/")
	p = strings.TrimSuffix(strings.TrimSuffix(p, "mcp"), "/")
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host), p, nil
}

// checkHTTPS refuses plain http except on loopback.
func checkHTTPS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("expected an absolute https URL, got %q", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if wire.IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("plain http is refused except on loopback: %q", raw)
	}
	return fmt.Errorf("expected an https URL, got %q", raw)
}

func (a *app) runAction(c *cli.Context) error {
	ctx := c.Context
	var world *lab.World
	if c.Bool("lab") {
		w, cleanup, err := a.startLab(ctx, c)
		if err != nil {
			return err
		}
		defer cleanup()
		world = w
	}
	s, err := a.setup(c)
	if err != nil {
		return err
	}
	outs, err := parseOutputs(c.StringSlice("out"))
	if err != nil {
		return err
	}
	red := wire.NewRedactor()
	if c.Bool("redact-pii") {
		red.RedactPII()
	}
	trace, err := openTrace(c.String("trace"))
	if err != nil {
		return err
	}
	settings := checks.ClientSettings{Timeout: s.cfg.Timeout, CAFile: s.caFile, Redactor: red}
	if world != nil {
		settings.Roots = world.CertPool
		red.Secret(world.GatewaySecret, world.ReaderSecret)
		// The lab approves device-code sign-ins by itself, and its browser
		// accepts the sign-in page at once (or shows an error page and stops).
		s.cfg.DeviceCode = true
		s.cfg.BrowserWait = 20 * time.Second
	}
	red.Secret(s.cfg.GatewaySecret, s.azClientSecret)
	red.Secret(s.cfg.Token)
	settings.Gateway, settings.GatewayHeaders = s.cfg.Gateway, s.headers
	// Tokens go to the upstream probe and to the management endpoints; the
	// azure package narrows each token to its own audience's origin.
	settings.AuthOrigins = []string{s.cfg.Upstream, s.cloud.ARMEndpoint, s.cloud.GraphEndpoint}
	client, err := checks.NewClient(settings)
	if err != nil {
		trace.abandon()
		return usageError("--ca-file: %v", err)
	}
	defer trace.write(a, client)
	defer client.Close()
	arm, graph, err := a.azureReaders(s, client)
	if err != nil {
		return usageError("--azure-credential: %v", strings.TrimPrefix(err.Error(), "azure: "))
	}
	stderrTerm := a.isTerminal(a.stderr)
	talk := io.Discard
	if stderrTerm {
		talk = a.stderr
	}
	if s.verbose {
		p := wire.NewPrinter(a.stderr, red)
		p.ClearLine = stderrTerm
		client.Recorder().OnExchange(p.Print)
	}
	opener := a.openBrowser
	if world != nil {
		opener = world.Browser // the lab's person at a browser
	}
	env := &checks.Env{
		Config: &s.cfg, HTTP: client, State: &checks.State{}, Now: a.now,
		Target: &report.Target{
			Gateway: s.cfg.Gateway, MCPEndpoint: s.cfg.MCPEndpoint(), Tenant: s.cfg.Tenant,
			GatewayAppID: s.cfg.GatewayAppID, MCPAPIAppID: s.cfg.MCPAPIAppID,
			Subscription: s.cfg.Subscription, ResourceGroup: s.cfg.ResourceGroup, APIMName: s.cfg.APIMName,
		},
		Stderr: red.Writer(talk), Interactive: stderrTerm,
		OpenBrowser: opener, ARM: arm, Graph: graph,
	}
	if s.subFromEnv {
		env.Infer("subscription", s.cfg.Subscription)
	}
	if stderrTerm {
		env.Progress = func(id, title string) {
			fmt.Fprintf(a.stderr, "\r\033[K… %s", title)
		}
		defer fmt.Fprint(a.stderr, "\r\033[K")
	}
	rep := checks.Run(ctx, env, a.checkList, s.sel)
	if stderrTerm {
		fmt.Fprint(a.stderr, "\r\033[K")
	}
	rep.RewriteStrings(red.String)
	out := red.Writer(a.stdout)
	if err := report.Render(s.output, out, rep, report.Options{Color: s.color, Verbose: s.verbose}); err != nil {
		return &exitError{code: report.ExitIncomplete, msg: fmt.Sprintf("writing the report: %v", err)}
	}
	if err := writeOutputs(outs, rep, red.Writer); err != nil {
		return outputFailure(rep, err)
	}
	if rep.ExitCode != 0 {
		return &exitError{code: rep.ExitCode}
	}
	return nil
}

// startLab serves the lab in-process and points the run at it: the lab's
// settings are applied as a config file would be, over every other source.
func (a *app) startLab(ctx context.Context, c *cli.Context) (*lab.World, func(), error) {
	faults := splitIDs(c.StringSlice("fault"))
	if len(faults) == 0 && c.IsSet("gateway") {
		return nil, nil, usageError("--gateway: not used with --lab (the lab is the gateway)")
	}
	if err := knownFaults(faults); err != nil {
		return nil, nil, err
	}
	timeout := c.Duration("timeout")
	w, err := lab.Start(ctx, lab.Options{Faults: faults, SlowDelay: 3 * timeout})
	if err != nil {
		return nil, nil, &exitError{code: report.ExitIncomplete, msg: "--fault: " + err.Error()}
	}
	dir, err := os.MkdirTemp("", "c7doctor-lab-")
	if err != nil {
		w.Close()
		return nil, nil, &exitError{code: report.ExitIncomplete, msg: "lab: " + err.Error()}
	}
	cleanup := func() {
		w.Close()
		os.RemoveAll(dir)
	}
	files, err := w.WriteFiles(dir)
	if err == nil {
		err = setValues(c, w.Settings(files))
	}
	if err != nil {
		cleanup()
		return nil, nil, &exitError{code: report.ExitIncomplete, msg: err.Error()}
	}
	if labStarted != nil {
		labStarted(w)
	}
	return w, cleanup, nil
}

// azureReaders are the run's readers of the configuration, ARM and
// Microsoft Graph, on the one credential: a service principal's secret when
// --azure-client-id is set (the lab's reader, or a caller's own), else
// azidentity's default chain (or the credentials --azure-credential names)
// when the app allows it.
func (a *app) azureReaders(s *runSetup, client *wire.Client) (checks.APIMReader, checks.GraphReader, error) {
	return checks.NewAzureReaders(s.cloud, a.credential(s.azureAccess, s.cfg.Tenant), client, s.cfg.Timeout)
}

// parseDays reads a span given in days ("30d", "30") or as a Go duration ("720h").
func parseDays(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	days, err := strconv.Atoi(strings.TrimSuffix(v, "d"))
	if err == nil {
		if days < 0 {
			return 0, fmt.Errorf("expected a number of days like 30d, got %q", v)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, derr := time.ParseDuration(v)
	if derr != nil || d < 0 {
		return 0, fmt.Errorf("expected days like 30d or a duration like 720h, got %q", v)
	}
	return d, nil
}
