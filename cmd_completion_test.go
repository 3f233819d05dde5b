package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/report"
)

func words(cands []string) []string {
	var out []string
	for _, c := range cands {
		w, _, _ := strings.Cut(c, "\t")
		out = append(out, w)
	}
	return out
}

func TestCompleteWords(t *testing.T) {
	app := (&app{}).cli()
	for _, tc := range []struct {
		line string // the words; a trailing space means the current word is empty
		want string // the candidates, space-separated
		has  string // or: candidates that must be among them
	}{
		{line: "ru", want: "run"},
		{line: "", has: "run init completion explain checks version"},
		{line: "run --outp", want: "--output"},
		{line: "run --o", want: "--only --out --output"},
		{line: "run -o ", want: "json junit markdown text"},
		{line: "run --output ", want: "json junit markdown text"},
		{line: "run --output=j", want: "--output=json --output=junit"},
		{line: "run --only gateway-token,obo", want: "gateway-token,obo gateway-token,obo-claims"},
		{line: "run --require challenge,", has: "challenge,prm challenge,mcp-tools"},
		{line: "run --skip ", has: "challenge prm upstream"},
		{line: "run --out ", want: "json= junit= markdown= text="},
		{line: "run --out junit=reports/c7", want: filesDirective},
		{line: "run --out=junit=r", want: filesDirective},
		{line: "run --config ", want: filesDirective},
		{line: "run --token-file ./t", want: filesDirective},
		{line: "init --file ", want: filesDirective},
		{line: "run --fault gateway-v1", want: "gateway-v1-token"},
		{line: "run --flow ", want: "browser device-code"},
		{line: "run --fault guide", want: "guide-as-written"},
		{line: "run --lab ", want: ""},                                       // a bool flag takes no value; run takes no argument
		{line: "run --gateway ", want: ""},                                   // nothing to guess
		{line: "run --gateway https://x --o", want: "--only --out --output"}, // the value was consumed
		{line: "completion ", want: "bash fish powershell zsh"},
		{line: "explain obo-c", want: "obo-consent"},
		{line: "policy lint -o ", want: "json sarif text"},
		{line: "checks -o ", want: "json text"},
		{line: "explain --output ", want: "json text"},
		{line: "token decode -o ", want: "json text"},
		{line: "policy lint --format r", want: "rawxml"},
		{line: "policy lint --scope ", want: "api fragment global operation product"},
		{line: "policy lint --named-values ", want: filesDirective},
		{line: "policy lint apim/ap", want: filesDirective},
		{line: "bogus ", want: ""},
		{line: "run -- --o", want: ""},
	} {
		w := strings.Split(tc.line, " ")
		got := words(completeWords(app, w))
		if tc.has != "" {
			for _, h := range strings.Fields(tc.has) {
				if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+h+" ") {
					t.Errorf("%q: %v lacks %s", tc.line, got, h)
				}
			}
			continue
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%q: got %q, want %q", tc.line, strings.Join(got, " "), tc.want)
		}
	}
	if got := words(completeWords(app, []string{""})); strings.Contains(strings.Join(got, " "), "__complete") {
		t.Errorf("the hidden command is offered: %v", got)
	}
	// Descriptions come after a tab, without the $C7DOCTOR_ suffix of --help.
	for _, c := range completeWords(app, []string{"run", "--strict"}) {
		if !strings.Contains(c, "\t") || strings.Contains(c, "$C7DOCTOR") {
			t.Errorf("candidate %q: want a tab and a description without the env var", c)
		}
	}
}

func TestCompleteCommandAndScripts(t *testing.T) {
	r := runCLI(t, cliOpts{}, "__complete", "run", "--output", " ")
	if r.code != 0 || r.stdout != "json\njunit\nmarkdown\ntext\n" {
		t.Errorf("__complete: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		r := runCLI(t, cliOpts{}, "completion", sh)
		if r.code != 0 || !strings.Contains(r.stdout, "__complete") || !strings.Contains(r.stdout, "c7doctor") {
			t.Errorf("completion %s: exit %d\n%s%s", sh, r.code, r.stdout, r.stderr)
		}
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if r := runCLI(t, cliOpts{}, args...); r.code != report.ExitUsage || !strings.Contains(r.stderr, "bash, zsh, fish or powershell") {
			t.Errorf("%v: exit %d stderr %q", args, r.code, r.stderr)
		}
	}
}

// TestHelperCLI is not a test: the completion-script tests run the test
// binary as c7doctor through it.
func TestHelperCLI(t *testing.T) {
	if os.Getenv("C7DOCTOR_HELPER_CLI") != "1" {
		t.Skip("helper process for the shell completion tests")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(run(context.Background(), append([]string{"c7doctor"}, args...), os.Stdin, os.Stdout, os.Stderr,
		func(string) (string, bool) { return "", false }, time.Now, func(any) bool { return false }))
}

// shellWithC7doctor returns an environment whose PATH starts with a
// c7doctor that is this test binary running the CLI.
func shellWithC7doctor(t *testing.T) []string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the POSIX shells' scripts are tested on Linux and macOS")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wrapper := "#!/bin/sh\nexec \"" + self + "\" -test.run='^TestHelperCLI$' -- \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "c7doctor"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "C7DOCTOR_HELPER_CLI=1", "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// The script tests start the (race-built) test binary once per Tab: few
// cases. Not parallel: urfave/cli shares its help flag between apps.
func TestBashCompletionScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	env := shellWithC7doctor(t)
	script := runCLI(t, cliOpts{}, "completion", "bash").stdout
	// t LINE completes LINE as if Tab were pressed at its end.
	prog := script + `
t() { COMP_LINE="$1"; COMP_POINT=${#1}; COMPREPLY=(); _c7doctor; printf '%s|' "${COMPREPLY[@]}"; echo; }
t "c7doctor ru"
t "c7doctor run --output=ma"
t "c7doctor run --only gateway-token,obo-"
t "c7doctor run --out junit="
`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	want := strings.Join([]string{
		"run|",
		"markdown|", // bash replaces only what follows "="
		"gateway-token,obo-claims|",
		"|", // file names: bash's own completion
	}, "\n") + "\n"
	if string(out) != want {
		t.Errorf("bash completion:\n%s\nwant:\n%s", out, want)
	}
}

func TestFishCompletionScript(t *testing.T) {
	fish, err := exec.LookPath("fish")
	if err != nil {
		t.Skip("no fish")
	}
	env := shellWithC7doctor(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "c7doctor.fish")
	if err := os.WriteFile(script, []byte(runCLI(t, cliOpts{}, "completion", "fish").stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report-a.xml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{
		"c7doctor run --only gateway-token,obo-":    "gateway-token,obo-claims\tOBO token claims\n",
		"c7doctor run --out junit=" + dir + "/repo": "junit=" + dir + "/report-a.xml\n",
	} {
		cmd := exec.Command(fish, "--no-config", "-c", "source "+script+"; complete -C '"+line+"'")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fish: %v\n%s", err, out)
		}
		if string(out) != want {
			t.Errorf("fish %q:\n%q\nwant\n%q", line, out, want)
		}
	}
}
