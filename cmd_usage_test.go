package main

import (
	"strings"
	"testing"
)

// A bad invocation is exit 2 with one line on stderr that names what was
// typed, before anything is sent anywhere.
func TestBadInvocationsAreUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--gateway", "not-a-url"}, `--gateway: expected a host or URL like https://<name>.azure-api.net, got "not-a-url"`},
		{[]string{"run", "--gateway", "apim"}, `--gateway: expected a host or URL`},
		{[]string{"run", "--lab", "--fault", "nosuch"}, `--fault: unknown fault "nosuch"`},
		{[]string{"lab", "--fault", "nosuch"}, `--fault: unknown fault "nosuch"`},
		{[]string{"run", "--lab", "--fault", "obo-no-consent,nosuch"}, `--fault: unknown fault "nosuch"`},
		{[]string{"run", "--bogus-flag"}, `run: unknown flag --bogus-flag`},
		{[]string{"run", "-bogus-flag=1"}, `run: unknown flag -bogus-flag`},
		{[]string{"--bogus"}, `unknown flag --bogus`},
		{[]string{"token", "decode", "--nope"}, `decode: unknown flag --nope`},
		{[]string{"frobnicate"}, `unknown command "frobnicate" (c7doctor --help lists the commands)`},
		{[]string{"token", "frob"}, `unknown command "frob" (c7doctor token --help lists the commands)`},
	} {
		res := runCLI(t, cliOpts{}, tc.args...)
		if res.code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tc.args, res.code, res.stderr)
		}
		lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%v: stderr %q, want one line with %q", tc.args, res.stderr, tc.want)
		}
		if res.stdout != "" {
			t.Errorf("%v: stdout %q", tc.args, res.stdout)
		}
	}
	// A host with a dot and no scheme is still a host.
	if res := runCLI(t, cliOpts{checks: nil}, "run", "--gateway", "h.example", "--only", "nosuch"); !strings.Contains(res.stderr, "unknown check") {
		t.Errorf("h.example refused as a gateway: %q", res.stderr)
	}
}
