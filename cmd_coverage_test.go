package main

import (
	"bytes"
	"context"
	"time"

	"github.com/c7doctor/c7doctor/checks"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/lab/labtest"
)

// The lab's printed command, run where no terminal is: device code cannot
// run, so the run proves the discovery surface only. It stays healthy (a
// skip for lack of input is no failure) but says what it did not test and
// how to get the rest, in every format; --require makes it "could not
// test"; the token command the lab prints as well tests everything.
func TestCoverageOfARunWithoutATerminal(t *testing.T) {
	w := labtest.Start(t, lab.Options{})
	files, err := w.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, cliOpts{}, "run", "--config", files.Config, "-o", "json")
	rep := decodeReport(t, res.stdout)
	if res.code != 0 || rep.Coverage == nil || rep.Coverage.Complete {
		t.Fatalf("exit %d, coverage %+v", res.code, rep.Coverage)
	}
	var untested []string
	for _, u := range rep.Coverage.Untested {
		untested = append(untested, u.Check)
	}
	for _, id := range []string{"gateway-token", "obo", "mcp-tools", "upstream"} {
		if !slices.Contains(untested, id) {
			t.Errorf("untested %v lacks %s", untested, id)
		}
	}
	if !slices.Contains(rep.Coverage.Tested, "challenge") || slices.Contains(rep.Coverage.Tested, "gateway-token") {
		t.Errorf("tested %v", rep.Coverage.Tested)
	}
	if next := strings.Join(rep.Coverage.Next, " "); !strings.Contains(next, "--token-file") || !strings.Contains(next, "terminal") {
		t.Errorf("next %q does not say how to test the rest", next)
	}
	for _, format := range []string{"text", "markdown", "junit"} {
		out := runCLI(t, cliOpts{}, "run", "--config", files.Config, "-o", format).stdout
		if !strings.Contains(out, "not tested for lack of input: ") || !strings.Contains(out, "gateway-token") {
			t.Errorf("%s says nothing of what was not tested:\n%s", format, out)
		}
	}
	if res := runCLI(t, cliOpts{}, "run", "--config", files.Config, "--strict", "--require", "gateway-token", "-o", "json"); res.code != 3 {
		t.Errorf("--strict --require gateway-token: exit %d, want 3", res.code)
	}

	// The banner's command for runs without a terminal, on the real clock
	// the lab's token was issued by.
	var stdout, stderr bytes.Buffer
	a := &app{
		stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(string) (string, bool) { return "", false }, now: time.Now,
		isTerminal: func(any) bool { return false }, checkList: checks.All,
	}
	res.code = a.execute(context.Background(), append(strings.Fields(files.TokenCommand()), "-o", "json"))
	res.stdout = stdout.String()
	rep = decodeReport(t, res.stdout)
	if res.code != 0 || !rep.Coverage.Complete || rep.Summary.Skip != 0 || rep.Summary.Pass != len(rep.Checks) {
		t.Errorf("token command: exit %d, summary %+v, coverage %+v\n%s", res.code, rep.Summary, rep.Coverage, res.stdout)
	}
	if info, err := os.Stat(files.Token); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v %v", info, err)
	}
}
