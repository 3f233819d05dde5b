package main

import (
	"strings"
	"testing"
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
