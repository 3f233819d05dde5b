package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

var fakeNow = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

type cliResult struct {
	stdout, stderr string
	code           int
}

type cliOpts struct {
	env      map[string]string
	terminal bool
	checks   []checks.Check
	ctx      context.Context
	stdin    string
}

// runCLI drives the whole CLI in-process.
func runCLI(t *testing.T, o cliOpts, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := &app{
		stdin: strings.NewReader(o.stdin), stdout: &stdout, stderr: &stderr,
		getenv:     func(k string) (string, bool) { v, ok := o.env[k]; return v, ok },
		now:        func() time.Time { return fakeNow },
		isTerminal: func(any) bool { return o.terminal },
		checkList:  o.checks,
	}
	if a.checkList == nil {
		a.checkList = checks.All
	}
	ctx := o.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	code := a.execute(ctx, append([]string{"c7doctor"}, args...))
	return cliResult{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// echoConfig is a check that reports the config it was given, for precedence tests.
var echoConfig = checks.Check{ID: "echo", Title: "echo config", Run: func(_ context.Context, env *checks.Env, r *checks.Result) {
	c := env.Config
	r.Evidence("tenant", c.Tenant)
	r.Evidence("api_path", c.APIPath)
	r.Evidence("gateway_app_id", c.GatewayAppID)
	r.Evidence("timeout", c.Timeout.String())
	r.Evidence("gateway", c.Gateway)
	r.Evidence("secret_set", map[bool]string{true: "yes", false: "no"}[c.GatewaySecret != ""])
}}

func decodeReport(t *testing.T, out string) *report.Report {
	t.Helper()
	reporttest.Validate(t, []byte(out))
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	return &rep
}

func evidence(t *testing.T, rep *report.Report, check, key string) string {
	t.Helper()
	c, ok := rep.Find(check)
	if !ok {
		t.Fatalf("no check %s", check)
	}
	v, _ := c.Evidence.Get(key)
	return v
}

func TestSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "c7doctor.yaml")
	os.WriteFile(cfgFile, []byte("gateway: https://file.azure-api.net\ntenant: file.onmicrosoft.com\napi-path: fromfile\ntimeout: 7s\ngateway-app-id: 11111111-1111-1111-1111-111111111111\n"), 0o600)
	o := cliOpts{checks: []checks.Check{echoConfig}, env: map[string]string{
		"C7DOCTOR_TENANT":  "env.onmicrosoft.com",
		"C7DOCTOR_TIMEOUT": "5s",
	}}
	res := runCLI(t, o, "run", "--config", cfgFile, "--timeout", "3s", "-o", "json")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	rep := decodeReport(t, res.stdout)
	for key, want := range map[string]string{
		"timeout":        "3s",                                   // flag beats env and file
		"tenant":         "env.onmicrosoft.com",                  // env beats file
		"api_path":       "fromfile",                             // file beats default
		"gateway":        "https://file.azure-api.net",           // file
		"gateway_app_id": "11111111-1111-1111-1111-111111111111", // file
		"secret_set":     "no",
	} {
		if got := evidence(t, rep, "echo", key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}

func TestGatewayURLGivesAPIPathAndSecretComesFromEnv(t *testing.T) {
	o := cliOpts{checks: []checks.Check{echoConfig}, env: map[string]string{"C7DOCTOR_GATEWAY_SECRET": "s3cr3t-value"}}
	res := runCLI(t, o, "run", "--gateway", "https://apim-x.azure-api.net/tools/mcp", "-o", "json")
	rep := decodeReport(t, res.stdout)
	if got := evidence(t, rep, "echo", "api_path"); got != "tools" {
		t.Errorf("api path %q", got)
	}
	if got := evidence(t, rep, "echo", "secret_set"); got != "yes" {
		t.Errorf("secret not read from env")
	}
	if strings.Contains(res.stdout+res.stderr, "s3cr3t-value") {
		t.Error("secret leaked")
	}
}

func TestUsageErrorsExit2WithOneLine(t *testing.T) {
	cases := map[string][]string{
		"--gateway":                  {"run"},
		"--output":                   {"run", "--gateway", "h.example", "-o", "yaml"},
		"--gateway-app-id":           {"run", "--gateway", "h.example", "--gateway-app-id", "not-a-guid"},
		"--tenant":                   {"run", "--gateway", "h.example", "--tenant", "bad tenant!"},
		"plain http":                 {"run", "--gateway", "http://apim.example.net"},
		"--header":                   {"run", "--gateway", "h.example", "--header", "novalue"},
		"--only":                     {"run", "--gateway", "h.example", "--only", "nope"},
		"timeout":                    {"run", "--gateway", "h.example", "--timeout", "soon"},
		"--fault":                    {"run", "--gateway", "h.example", "--fault", "sse-truncated"},
		"--cloud":                    {"run", "--gateway", "h.example", "--cloud", "mars"},
		"--arm-endpoint":             {"run", "--gateway", "h.example", "--arm-endpoint", "http://management.example"},
		"--azure-credential":         {"run", "--gateway", "h.example", "--azure-credential", "Kerberos"},
		"--subscription":             {"run", "--gateway", "h.example", "--subscription", "my-sub"},
		"--azure-client-secret-file": {"run", "--gateway", "h.example", "--tenant", "contoso.onmicrosoft.com", "--azure-client-id", "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"},
	}
	for want, args := range cases {
		res := runCLI(t, cliOpts{checks: []checks.Check{echoConfig}}, args...)
		if res.code != 2 {
			t.Errorf("%v: exit %d, want 2", args, res.code)
		}
		lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
		if len(lines) != 1 || !strings.Contains(res.stderr, want) {
			t.Errorf("%v: stderr %q should be one line naming %s", args, res.stderr, want)
		}
		if res.stdout != "" {
			t.Errorf("%v: stdout %q", args, res.stdout)
		}
	}
}

// AZURE_TOKEN_CREDENTIALS takes azidentity's names; a wrong one is a usage
// error naming the valid ones, and --cloud presets every host.
func TestAzureSettings(t *testing.T) {
	res := runCLI(t, cliOpts{checks: []checks.Check{echoConfig}, env: map[string]string{"AZURE_TOKEN_CREDENTIALS": "nope"}}, "run", "--gateway", "h.example")
	if res.code != 2 || !strings.Contains(res.stderr, "AzureCLICredential") {
		t.Errorf("exit %d %q", res.code, res.stderr)
	}
	var got struct {
		Cloud checks.Endpoints
		Cred  string
	}
	a := &app{getenv: func(k string) (string, bool) {
		v, ok := map[string]string{"AZURE_TOKEN_CREDENTIALS": "azureclicredential", "AZURE_SUBSCRIPTION_ID": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"}[k]
		return v, ok
	}, isTerminal: func(any) bool { return false }, checkList: checks.All, stdout: io.Discard, stderr: io.Discard}
	cmd := a.runCommand()
	app := &cli.App{Commands: []*cli.Command{cmd}, Writer: io.Discard, ErrWriter: io.Discard}
	cmd.Action = func(c *cli.Context) error {
		s, err := a.setup(c)
		if err != nil {
			return err
		}
		got.Cloud, got.Cred = s.cloud, s.azCred
		if s.cfg.AuthorityHost != "https://login.chinacloudapi.cn" || s.cfg.Subscription == "" || !s.subFromEnv {
			t.Errorf("config %+v", s.cfg)
		}
		return nil
	}
	if err := app.Run([]string{"c7doctor", "run", "--gateway", "apim-x.azure-api.cn", "--cloud", "china", "--graph-endpoint", "https://graph.example.cn/"}); err != nil {
		t.Fatal(err)
	}
	if got.Cloud.ARMEndpoint != "https://management.chinacloudapi.cn" || got.Cloud.GraphEndpoint != "https://graph.example.cn" || got.Cred != "AzureCLICredential" {
		t.Errorf("%+v", got)
	}
}

func TestUnknownConfigKeyIsAUsageError(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfgFile, []byte("gatway: https://typo.example\n"), 0o600)
	res := runCLI(t, cliOpts{checks: []checks.Check{echoConfig}}, "run", "--config", cfgFile)
	if res.code != 2 || !strings.Contains(res.stderr, `unknown key "gatway"`) {
		t.Fatalf("exit %d stderr %q", res.code, res.stderr)
	}
}

func fakeChecks(cancel context.CancelCauseFunc) []checks.Check {
	return []checks.Check{
		{ID: "challenge", Title: "401 challenge from the MCP endpoint", Run: func(_ context.Context, _ *checks.Env, r *checks.Result) {
			r.Summary("401 with resource_metadata on the gateway")
			r.Evidence("status", "401")
		}},
		{ID: "gateway-token", Title: "Token for the gateway", Run: func(_ context.Context, _ *checks.Env, r *checks.Result) {
			r.Summary("token from $C7DOCTOR_TOKEN")
		}},
		{ID: "gateway-claims", Title: "Gateway token claims", Needs: []string{"gateway-token"}, Run: func(_ context.Context, _ *checks.Env, r *checks.Result) {
			r.Summary("issuer is v1")
			r.Find("token-v1-issuer", "iss is https://sts.windows.net/7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70/ (ver 1.0).")
			if cancel != nil {
				cancel(checks.ErrInterrupted)
			}
		}},
		{ID: "obo", Title: "On-Behalf-Of exchange", Needs: []string{"gateway-claims"}, Run: func(_ context.Context, _ *checks.Env, r *checks.Result) {}},
		{ID: "mcp-initialize", Title: "MCP initialize through the gateway", Run: func(_ context.Context, _ *checks.Env, r *checks.Result) {
			r.Summary("200, SSE, serverInfo Context7 v4.1.1")
			r.Find("sse-truncated", "A warning for the golden file.", checks.WithSeverity(report.Warning))
		}},
		{ID: "upstream", Title: "OBO token straight to Context7", Ready: func(*checks.Env) string { return "not requested: --upstream-probe" }, Run: func(context.Context, *checks.Env, *checks.Result) {}},
	}
}

var goldenArgs = []string{"run", "--gateway", "https://apim-contoso.azure-api.net", "--tenant", "7a1c5e2f-4b3d-4e8a-9c6f-2d1b0a9e8f70",
	"--gateway-app-id", "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"}

var (
	jsonDurations = regexp.MustCompile(`"duration_ms": \d+`)
	textDurations = regexp.MustCompile(` +\d+(ms|\.\ds)\b`)
)

// normalise zeroes durations, keeping the text's column widths.
func normalise(s string) string {
	s = jsonDurations.ReplaceAllString(s, `"duration_ms": 0`)
	return textDurations.ReplaceAllStringFunc(s, func(m string) string {
		return strings.Repeat(" ", max(1, len(m)-3)) + "0ms"
	})
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -run %s -update to accept):\n--- got\n%s\n--- want\n%s", name, t.Name(), got, want)
	}
}

func TestGoldenText(t *testing.T) {
	res := runCLI(t, cliOpts{checks: fakeChecks(nil)}, append(goldenArgs, "--subscription", "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9")...)
	if res.code != 1 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if strings.Contains(res.stdout, "\x1b[") {
		t.Error("ANSI escapes in output to a non-terminal")
	}
	golden(t, "run-text.golden", normalise(res.stdout))
}

func TestGoldenJSON(t *testing.T) {
	res := runCLI(t, cliOpts{checks: fakeChecks(nil)}, append(goldenArgs, "-o", "json")...)
	if res.code != 1 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	rep := decodeReport(t, res.stdout)
	if rep.ExitCode != 1 || rep.Status != report.Fail {
		t.Errorf("exit_code %d status %s", rep.ExitCode, rep.Status)
	}
	if res.stderr != "" {
		t.Errorf("stderr not empty on a non-terminal: %q", res.stderr)
	}
	golden(t, "run-json.golden", normalise(res.stdout))
}

func TestColourOnlyOnATerminalWithoutNO_COLOR(t *testing.T) {
	res := runCLI(t, cliOpts{checks: fakeChecks(nil), terminal: true}, goldenArgs...)
	if !strings.Contains(res.stdout, "\x1b[") {
		t.Error("no colour on a terminal")
	}
	res = runCLI(t, cliOpts{checks: fakeChecks(nil), terminal: true, env: map[string]string{"NO_COLOR": "1"}}, goldenArgs...)
	if strings.Contains(res.stdout, "\x1b[") {
		t.Error("colour despite NO_COLOR")
	}
	res = runCLI(t, cliOpts{checks: fakeChecks(nil), terminal: true}, append(goldenArgs, "--no-color")...)
	if strings.Contains(res.stdout, "\x1b[") {
		t.Error("colour despite --no-color")
	}
}

func TestExitCodes(t *testing.T) {
	pass := []checks.Check{echoConfig}
	if res := runCLI(t, cliOpts{checks: pass}, "run", "--gateway", "h.example"); res.code != 0 {
		t.Errorf("healthy: exit %d", res.code)
	}
	if res := runCLI(t, cliOpts{checks: fakeChecks(nil)}, goldenArgs...); res.code != 1 {
		t.Errorf("failed: exit %d", res.code)
	}
	if res := runCLI(t, cliOpts{checks: fakeChecks(nil)}, "run", "--gateway", "h.example", "--only", "upstream", "--require", "upstream", "-o", "json"); res.code != 3 {
		t.Errorf("incomplete: exit %d", res.code)
	} else if rep := decodeReport(t, res.stdout); rep.ExitCode != 3 {
		t.Errorf("json exit_code %d", rep.ExitCode)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	res := runCLI(t, cliOpts{checks: fakeChecks(cancel), ctx: ctx}, append(goldenArgs, "-o", "json")...)
	if res.code != 130 {
		t.Errorf("interrupted: exit %d", res.code)
	}
	rep := decodeReport(t, res.stdout)
	if c, _ := rep.Find("mcp-initialize"); c.Status != report.Skip || c.Summary != "interrupted" {
		t.Errorf("after interrupt: %+v", c)
	}
}

func TestOnlyPullsInNeeds(t *testing.T) {
	res := runCLI(t, cliOpts{checks: fakeChecks(nil)}, append(goldenArgs, "--only", "obo", "-o", "json")...)
	rep := decodeReport(t, res.stdout)
	want := map[string]report.Status{"challenge": report.Skip, "gateway-token": report.Pass, "gateway-claims": report.Fail, "obo": report.Skip, "mcp-initialize": report.Skip}
	for id, st := range want {
		if c, _ := rep.Find(id); c.Status != st {
			t.Errorf("%s: %s, want %s (%s)", id, c.Status, st, c.Summary)
		}
	}
	if c, _ := rep.Find("obo"); c.Summary != "needs gateway-claims" {
		t.Errorf("obo summary %q", c.Summary)
	}
}

func TestChecksExplainVersion(t *testing.T) {
	res := runCLI(t, cliOpts{}, "checks")
	for _, c := range checks.All {
		if !strings.Contains(res.stdout, c.ID) {
			t.Errorf("checks output lacks %s", c.ID)
		}
	}
	res = runCLI(t, cliOpts{}, "explain", "AADSTS65005")
	if res.code != 0 || !strings.Contains(res.stdout, "Wrong client ID returned to MCP clients") {
		t.Errorf("explain: %d %q", res.code, res.stdout)
	}
	res = runCLI(t, cliOpts{}, "explain", "--list")
	if !strings.Contains(res.stdout, "token-v1-issuer") {
		t.Errorf("explain --list: %q", res.stdout)
	}
	res = runCLI(t, cliOpts{}, "explain", "zzz-nothing")
	if res.code != 1 {
		t.Errorf("explain of nothing: exit %d", res.code)
	}
	res = runCLI(t, cliOpts{}, "version")
	if !strings.HasPrefix(res.stdout, "c7doctor ") {
		t.Errorf("version: %q", res.stdout)
	}
}

func TestErrorLinesAreRedacted(t *testing.T) {
	// A token pasted where a flag value belongs must not come back whole on stderr.
	tok := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw"
	res := runCLI(t, cliOpts{checks: []checks.Check{echoConfig}}, "run", "--gateway", "h.example", "--gateway-app-id", tok)
	if res.code != 2 {
		t.Fatalf("exit %d", res.code)
	}
	if strings.Contains(res.stderr, "c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw") {
		t.Errorf("signature on stderr: %q", res.stderr)
	}
}
