package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/lab/labtest"
	"github.com/c7doctor/c7doctor/policy"
	"gopkg.in/yaml.v3"
)

// --from-azure and files do not mix; run's Azure flags come only with it;
// without an instance or a credential it stops with a clear line, exit 2.
func TestPolicyLintFromAzureUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--apim-name", "apim-contoso", "testdata/policy/guide"}, "--apim-name: only with --from-azure"},
		{[]string{"--from-azure", "testdata/policy/guide"}, "no files or folders with it"},
		{[]string{"--from-azure", "--scope", "api"}, "--scope: not with --from-azure"},
		{[]string{"--from-azure"}, "no APIM instance: set --apim-name"},
		{[]string{"--from-azure", "--apim-name", "apim-contoso"}, "no Azure credential"},
		{[]string{"--from-azure", "--gateway", "https://apim-contoso.azure-api.net"}, "no Azure credential"},
		{[]string{"--from-azure", "--apim-name", "apim-contoso", "--subscription", "nope"}, "--subscription: expected a subscription id"},
		{[]string{"--from-azure", "--apim-name", "apim-contoso", "--azure-client-id", "3f2b9c41-8d6e-4a7b-b5c2-9e1f0d4a6c83"}, "needs --azure-client-secret-file"},
	} {
		res := runCLI(t, cliOpts{}, append([]string{"policy", "lint"}, tc.args...)...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) || res.stdout != "" {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
	// run's environment settings apply with --from-azure only.
	env := map[string]string{"C7DOCTOR_APIM_NAME": "apim-contoso"}
	if res := runCLI(t, cliOpts{env: env}, "policy", "lint", "testdata/policy/recommended"); res.code != 0 {
		t.Errorf("files with $C7DOCTOR_APIM_NAME set: exit %d %s", res.code, res.stderr)
	}
	if res := runCLI(t, cliOpts{env: env}, "policy", "lint", "--from-azure"); !strings.Contains(res.stderr, "no Azure credential") {
		t.Errorf("--from-azure did not take $C7DOCTOR_APIM_NAME: %s", res.stderr)
	}
}

// policyLintLab lints a lab world's instance the way a user would, with
// the lab's settings as flags.
func policyLintLab(t *testing.T, faults ...string) policy.JSONReport {
	t.Helper()
	w := labtest.Start(t, lab.Options{Faults: faults})
	s := labtest.Settings(t, w)
	res := runCLI(t, cliOpts{}, "policy", "lint", "--from-azure", "-o", "json",
		"--apim-name", s.APIMName, "--subscription", s.Subscription, "--resource-group", s.ResourceGroup,
		"--arm-endpoint", s.ARMEndpoint, "--authority-host", s.AuthorityHost, "--tenant", s.Tenant,
		"--azure-client-id", s.AzureClientID, "--azure-client-secret-file", s.AzureClientSecretFile,
		"--ca-file", s.CAFile, "--api-path", s.APIPath)
	var rep policy.JSONReport
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s%s", res.code, err, res.stdout, res.stderr)
	}
	if rep.ExitCode != res.code {
		t.Errorf("exit_code %d, process exit %d (%s)", rep.ExitCode, res.code, res.stderr)
	}
	return rep
}

// The healthy lab's instance lints clean; a policy fault shows as its rule
// in the document ARM holds, with exit 1.
func TestPolicyLintFromAzureOnTheLab(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the lab")
	}
	healthy := policyLintLab(t)
	if len(healthy.Findings) != 0 || healthy.ExitCode != 0 || len(healthy.Files) < 4 {
		t.Errorf("healthy lab: %d files, findings %v, exit %d", len(healthy.Files), rules(healthy), healthy.ExitCode)
	}
	broken := policyLintLab(t, "rewrite-missing")
	i := slices.IndexFunc(broken.Findings, func(f policy.JSONFinding) bool { return f.Rule == "rewrite-uri-missing" })
	if broken.ExitCode != 1 || i < 0 {
		t.Fatalf("rewrite-missing: exit %d, findings %v", broken.ExitCode, rules(broken))
	}
	if f := broken.Findings[i]; !strings.HasPrefix(f.Path, "apis/") || !strings.HasSuffix(f.Path, "/policy.xml") || f.Pos.Line < 1 {
		t.Errorf("finding at %s:%d", f.Path, f.Pos.Line)
	}
}

// With --from-azure the lab's c7doctor.yaml (run's settings file) is read:
// its keys of run's other flags are passed over, a key no command knows is refused.
func TestPolicyLintFromAzureReadsRunsConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the lab")
	}
	w := labtest.Start(t, lab.Options{Faults: []string{"rewrite-missing"}})
	s := labtest.Settings(t, w)
	data, err := yaml.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "c7doctor.yaml")
	if err := os.WriteFile(config, data, 0o600); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, cliOpts{}, "policy", "lint", "--from-azure", "--config", config, "-o", "json")
	var rep policy.JSONReport
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s", res.code, err, res.stderr)
	}
	if res.code != 1 || !slices.ContainsFunc(rep.Findings, func(f policy.JSONFinding) bool { return f.Rule == "rewrite-uri-missing" }) {
		t.Errorf("exit %d, findings %v", res.code, rules(rep))
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, append(data, []byte("apim-nmae: typo\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := runCLI(t, cliOpts{}, "policy", "lint", "--from-azure", "--config", bad); res.code != 2 || !strings.Contains(res.stderr, `unknown key "apim-nmae"`) {
		t.Errorf("a mistyped key: exit %d, stderr %q", res.code, res.stderr)
	}
	if res := runCLI(t, cliOpts{}, "policy", "lint", "--config", config, "testdata/policy/recommended"); res.code != 2 || !strings.Contains(res.stderr, "--config: only with --from-azure") {
		t.Errorf("--config with files: exit %d, stderr %q", res.code, res.stderr)
	}
}
