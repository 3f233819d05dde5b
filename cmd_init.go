package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/checks"
)

// initSetting is one key of the c7doctor.yaml that init writes. Keys are the
// long names of the run flags, so that `run` reads the file as it is.
type initSetting struct {
	key     string
	prompt  string // "" = never asked, only taken from a flag or the gateway
	comment string
	example string // shown commented out when the value is unknown
	check   func(string) error
}

var initSettings = []initSetting{
	{key: "gateway", prompt: "Gateway (the APIM host, or the MCP URL)",
		comment: "The APIM gateway (Part 1), or the full MCP URL from which host and API path are taken.",
		example: "https://<apim-name>.azure-api.net", check: checkGatewayValue},
	{key: "api-path", prompt: "API path of the MCP API in APIM",
		comment: "The MCP API's path in APIM (Part 3 Step 2): the MCP endpoint is <gateway>/<api-path>/mcp.",
		example: "context7", check: checkAPIPath},
	{key: "tenant", prompt: "Entra tenant (GUID or domain)",
		comment: "The Entra tenant, as a GUID or a domain (contoso.onmicrosoft.com).",
		example: "<tenant-id>", check: checkTenantValue},
	{key: "gateway-app-id", prompt: "APIM Gateway app's client id",
		comment: "Client id of the APIM Gateway app (Part 2 Step 2): the audience of the gateway's tokens.",
		example: "<gateway-app-id>", check: checkGUIDValue},
	{key: "mcp-api-app-id", prompt: "Context7 MCP API app's client id (for the OBO check)",
		comment: "Client id of the Context7 MCP API app (Part 2 Step 1): the audience of the OBO token.",
		example: "<mcp-api-app-id>", check: checkGUIDValue},
	{key: "gateway-secret-file", prompt: "File holding the Gateway app's client secret (optional; the secret itself is never written)",
		comment: "A file holding the Gateway app's client secret, for the OBO check. The secret itself never goes\n" +
			"in this file: keep it in its own file, out of version control, or set $C7DOCTOR_GATEWAY_SECRET.",
		example: "./gateway-secret"},
	{key: "subscription", prompt: "Azure subscription id (optional, completes the az fix commands)",
		comment: "Azure subscription, resource group and APIM instance: they complete the az commands of the fixes.",
		example: "<subscription-id>", check: checkGUIDValue},
	{key: "resource-group", prompt: "Resource group of the APIM instance (optional)", example: "<resource-group>"},
	{key: "apim-name", prompt: "Name of the APIM instance (optional)", example: "<apim-name>"},
	{key: "client-id",
		comment: "Public client for the device-code sign-in; default the Azure CLI, which Part 6 Step 1 pre-authorizes.",
		example: checks.AzureCLIClientID, check: checkGUIDValue},
	{key: "authority-host",
		comment: "Entra authority host; another one only for a national cloud.",
		example: "https://login.microsoftonline.com", check: checkHTTPS},
	{key: "token-file",
		comment: "A gateway token instead of signing in: a raw JWT, 'Bearer …', or the JSON of\n" +
			"az account get-access-token --resource api://<gateway-app-id> (or set $C7DOCTOR_TOKEN).",
		example: "./token.json"},
	{key: "ca-file", comment: "Extra trusted CA certificates (PEM), e.g. for a TLS-inspecting proxy.", example: "./corporate-ca.pem"},
	{key: "require",
		comment: "Checks that must run: a skip (no token, no secret) makes the run incomplete, exit 3. For CI.",
		example: "[gateway-token, gateway-claims, obo, mcp-initialize, mcp-tools]"},
}

func (a *app) initCommand() *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Value: defaultConfigFile, Usage: "where to write the config (- for stdout)"},
		&cli.BoolFlag{Name: "force", Usage: "overwrite an existing file"},
		&cli.BoolFlag{Name: "no-input", Usage: "never ask, even on a terminal: take flags and what the gateway reveals"},
		&cli.BoolFlag{Name: "no-discover", Usage: "do not read the gateway's discovery documents"},
		&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "per-request timeout while reading the gateway"},
	}
	for _, s := range initSettings {
		if s.key == "require" {
			flags = append(flags, &cli.StringSliceFlag{Name: s.key, Usage: "checks that must run (comma-separated ids)"})
			continue
		}
		flags = append(flags, &cli.StringFlag{Name: s.key, Usage: firstLine(s.comment, s.prompt)})
	}
	return &cli.Command{
		Name:  "init",
		Usage: "write a commented c7doctor.yaml, inferring what the gateway reveals",
		UsageText: "c7doctor init [--gateway https://<apim-host>] [--mcp-api-app-id ID] [flags]\n" +
			"   On a terminal init asks for what it could not infer; elsewhere it takes flags only.",
		Flags:  flags,
		Action: a.initAction,
	}
}

func firstLine(texts ...string) string {
	for _, t := range texts {
		if t != "" {
			line, _, _ := strings.Cut(t, "\n")
			return line
		}
	}
	return ""
}

// initState is what init knows about each key and where it came from.
type initState struct {
	values map[string]string
	source map[string]string // "flag", "asked", or where the gateway revealed it
	list   map[string][]string
}

func (st *initState) set(key, value, source string) {
	st.values[key] = value
	st.source[key] = source
}

func (a *app) initAction(c *cli.Context) error {
	path := c.String("file")
	toStdout := path == "-"
	if !toStdout && !c.Bool("force") {
		if _, err := os.Stat(path); err == nil {
			return usageError("init: %s exists; --force overwrites it", path)
		}
	}
	st := &initState{values: map[string]string{}, source: map[string]string{}, list: map[string][]string{}}
	for _, s := range initSettings {
		if !c.IsSet(s.key) {
			continue
		}
		if s.key == "require" {
			ids := splitIDs(c.StringSlice(s.key))
			if err := (checks.Selection{Require: ids}).Validate(checks.All); err != nil {
				return usageError("--require: %v", err)
			}
			st.list[s.key] = ids
			continue
		}
		v := strings.TrimSpace(c.String(s.key))
		if s.check != nil && v != "" {
			if err := s.check(v); err != nil {
				return usageError("--%s: %v", s.key, err)
			}
		}
		st.set(s.key, v, "flag")
	}
	interactive := !c.Bool("no-input") && a.isTerminal(a.stdin) && a.isTerminal(a.stderr)
	ask := newAsker(a.stdin, a.stderr)
	if st.values["gateway"] == "" {
		if !interactive {
			return usageError("init: --gateway: expected the APIM host, e.g. --gateway https://<name>.azure-api.net (on a terminal, init asks)")
		}
		fmt.Fprintln(a.stderr, "c7doctor init writes "+displayPath(path)+" for `c7doctor run`. Enter keeps the value in [brackets]; - clears it.")
		v, ok := ask.ask(initSettings[0], "")
		if !ok || v == "" {
			return usageError("init: a gateway is needed")
		}
		st.set("gateway", v, "asked")
	}
	origin, urlPath, err := parseGateway(st.values["gateway"])
	if err != nil {
		return usageError("--gateway: %v", err)
	}
	st.values["gateway"] = origin
	if urlPath != "" && st.values["api-path"] == "" {
		st.set("api-path", urlPath, "the gateway URL")
	}
	if !c.Bool("no-discover") {
		if err := a.initDiscover(c.Context, c, st); err != nil {
			return err
		}
	}
	if interactive {
		for _, s := range initSettings[1:] {
			if s.prompt == "" || st.source[s.key] == "flag" {
				continue
			}
			def := st.values[s.key]
			if def == "" && s.key == "api-path" {
				def = "context7"
			}
			v, ok := ask.ask(s, def)
			if !ok {
				break // end of input: keep what is known
			}
			if v != def {
				st.set(s.key, v, "asked")
			} else if v != "" && st.source[s.key] == "" {
				st.set(s.key, v, "default")
			}
		}
	}
	if f := st.values["gateway-secret-file"]; f != "" {
		if _, err := os.Stat(f); err != nil {
			fmt.Fprintf(a.stderr, "note: gateway-secret-file %s does not exist yet; put the secret in it before `c7doctor run`\n", f)
		}
	}
	doc := renderInitConfig(st, a.now())
	if toStdout {
		_, err := io.WriteString(a.stdout, doc)
		return err
	}
	if err := writeFileAtomic(path, []byte(doc), 0o644); err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("init: %v", err)}
	}
	run := "c7doctor run"
	if filepath.Clean(path) != defaultConfigFile {
		run += " --config " + path
	}
	fmt.Fprintf(a.stderr, "wrote %s; next: %s\n", displayPath(path), run)
	if st.values["token-file"] == "" {
		// Device code signs in only at a terminal: without one the run
		// would test the discovery surface alone and still pass.
		app := st.values["gateway-app-id"]
		if app == "" {
			app = "<gateway-app-id>"
		}
		fmt.Fprintf(a.stderr, "device code needs a terminal; where there is none (CI, a script), give a token:\n")
		fmt.Fprintf(a.stderr, "  az account get-access-token --resource api://%s -o json > token.json\n", app)
		fmt.Fprintf(a.stderr, "  %s --token-file token.json\n", run)
	}
	return nil
}

// initDiscover reads the gateway's discovery surface and keeps what it
// reveals for every key not given as a flag. A gateway that cannot be read is
// no error: init is often run before the gateway is finished.
func (a *app) initDiscover(ctx context.Context, c *cli.Context, st *initState) error {
	client, err := checks.NewClient(checks.ClientSettings{Timeout: c.Duration("timeout"), CAFile: st.values["ca-file"]})
	if err != nil {
		return usageError("--ca-file: %v", err)
	}
	apiPath := st.values["api-path"]
	if apiPath == "" {
		apiPath = "context7"
	}
	fmt.Fprintf(a.stderr, "reading the discovery documents of %s …\n", st.values["gateway"])
	d := checks.DiscoverGateway(ctx, client, st.values["gateway"], apiPath)
	for _, n := range d.Notes {
		fmt.Fprintln(a.stderr, "  "+n)
	}
	keep := func(key, value, from string) {
		if value == "" {
			return
		}
		if st.source[key] == "flag" {
			if !strings.EqualFold(st.values[key], value) {
				fmt.Fprintf(a.stderr, "  note: --%s is %s but %s says %s\n", key, st.values[key], from, value)
			}
			return
		}
		if st.values[key] == "" {
			st.set(key, value, from)
			fmt.Fprintf(a.stderr, "  %s %s (from %s)\n", key, value, from)
		}
	}
	keep("api-path", d.APIPath, "the PRM's resource")
	keep("tenant", d.Tenant, d.TenantFrom)
	keep("gateway-app-id", d.GatewayAppID, d.AppIDFrom)
	if d.AuthorityHost != "" && !strings.EqualFold(d.AuthorityHost, "https://login.microsoftonline.com") {
		keep("authority-host", d.AuthorityHost, d.TenantFrom)
	}
	keep("apim-name", apimNameOf(st.values["gateway"]), "the gateway's host name")
	return nil
}

// asker asks on a terminal, one line per question.
type asker struct {
	in  *bufio.Reader
	out io.Writer
	eof bool
}

func newAsker(in io.Reader, out io.Writer) *asker {
	return &asker{in: bufio.NewReader(in), out: out}
}

// ask returns the answer (def on Enter, "" on "-"); ok is false once the
// input has ended.
func (q *asker) ask(s initSetting, def string) (string, bool) {
	for !q.eof {
		if def != "" {
			fmt.Fprintf(q.out, "%s [%s]: ", s.prompt, def)
		} else {
			fmt.Fprintf(q.out, "%s: ", s.prompt)
		}
		line, err := q.in.ReadString('\n')
		if err != nil {
			q.eof = true
			if line == "" {
				fmt.Fprintln(q.out)
				return def, false
			}
		}
		v := strings.TrimSpace(line)
		switch v {
		case "":
			return def, true
		case "-":
			return "", true
		}
		if s.check != nil {
			if err := s.check(v); err != nil {
				fmt.Fprintf(q.out, "  %v\n", err)
				continue
			}
		}
		return v, true
	}
	return def, false
}

// renderInitConfig writes the YAML: every key with a comment saying what it
// is and, for a value init found rather than was given, where it found it.
// Unknown keys stay as commented-out examples.
func renderInitConfig(st *initState, now time.Time) string {
	var b strings.Builder
	b.WriteString("# c7doctor configuration. `c7doctor run` reads ./c7doctor.yaml when it exists, or the file\n")
	b.WriteString("# named by --config or $C7DOCTOR_CONFIG. Keys are the long names of the run flags\n")
	b.WriteString("# (c7doctor run --help); a flag or a C7DOCTOR_<KEY> environment variable overrides a value here.\n")
	fmt.Fprintf(&b, "# Written by c7doctor init on %s.\n", now.UTC().Format("2006-01-02"))
	b.WriteString("# No secret belongs in this file: the Gateway app's secret is read from gateway-secret-file or\n")
	b.WriteString("# $C7DOCTOR_GATEWAY_SECRET, a token from token-file, $C7DOCTOR_TOKEN or the sign-in cache.\n")
	for _, s := range initSettings {
		// A key without a comment belongs to the group above it.
		if s.comment != "" {
			b.WriteByte('\n')
			for _, line := range strings.Split(s.comment, "\n") {
				b.WriteString("# " + line + "\n")
			}
		}
		if s.key == "require" {
			if ids := st.list[s.key]; len(ids) > 0 {
				fmt.Fprintf(&b, "%s: [%s]\n", s.key, strings.Join(ids, ", "))
			} else {
				fmt.Fprintf(&b, "# %s: %s\n", s.key, s.example)
			}
			continue
		}
		v := st.values[s.key]
		if v == "" {
			fmt.Fprintf(&b, "# %s: %s\n", s.key, s.example)
			continue
		}
		line := s.key + ": " + yamlScalar(v)
		switch src := st.source[s.key]; src {
		case "flag", "asked", "default", "":
		default:
			line += "  # found in " + src
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// yamlScalar quotes v as YAML needs it, so that a value like "no" or
// "3f2b…" reads back as the same string.
func yamlScalar(v string) string {
	out, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", v)
	}
	return strings.TrimSuffix(string(out), "\n")
}

func checkGatewayValue(v string) error {
	_, _, err := parseGateway(v)
	return err
}

func checkAPIPath(v string) error {
	if strings.ContainsAny(v, "?#: ") {
		return fmt.Errorf("expected a URL path like context7, got %q", v)
	}
	return nil
}

func checkTenantValue(v string) error {
	if !auth.IsTenant(v) {
		return fmt.Errorf("expected a tenant GUID or domain (contoso.onmicrosoft.com), got %q", v)
	}
	return nil
}

func checkGUIDValue(v string) error {
	if !auth.IsGUID(v) {
		return fmt.Errorf("expected a GUID like 3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83, got %q", v)
	}
	return nil
}

// apimNameOf is the APIM instance name in a default gateway host
// (<name>.azure-api.net); "" for a custom domain.
func apimNameOf(origin string) string {
	host := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
	name, ok := strings.CutSuffix(strings.ToLower(host), ".azure-api.net")
	if !ok || strings.Contains(name, ".") {
		return ""
	}
	return name
}

func displayPath(p string) string {
	if p == "-" {
		return "the config"
	}
	return p
}

// writeFileAtomic writes data to path through a temporary file in the same
// folder, so that an interrupted write leaves the old file or none.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
