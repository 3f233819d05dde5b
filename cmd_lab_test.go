package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/lab"
)

func TestLabListFaults(t *testing.T) {
	res := runCLI(t, cliOpts{}, "lab", "--list-faults")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != len(lab.Faults())+1 || !strings.HasPrefix(lines[0], "FAULT") {
		t.Fatalf("table:\n%s", res.stdout)
	}
	for i, f := range lab.Faults() {
		row := lines[i+1]
		if !strings.HasPrefix(row, f.Name+" ") || !strings.Contains(row, " "+f.Area+" ") || !strings.Contains(row, f.Behaviour) || !strings.HasSuffix(row, f.Guide) {
			t.Errorf("row for %s: %q", f.Name, row)
		}
	}
}

func TestLabRefusesUnknownFault(t *testing.T) {
	res := runCLI(t, cliOpts{}, "lab", "--fault", "prm-placeholder,nope")
	if res.code != 2 || !strings.Contains(res.stderr, `unknown fault "nope"`) || res.stdout != "" {
		t.Errorf("exit %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
}

func TestLabRefusesNegativeARMDelay(t *testing.T) {
	res := runCLI(t, cliOpts{}, "lab", "--arm-delay", "-1s")
	if res.code != 2 || !strings.Contains(res.stderr, "--arm-delay must not be negative") || res.stdout != "" {
		t.Errorf("exit %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
}

// `c7doctor lab` serves until its context ends, and the command it prints
// runs against it.
func TestLabServesAndItsCommandRuns(t *testing.T) {
	dir := t.TempDir()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	a := &app{
		stdin: strings.NewReader(""), stdout: pw, stderr: &stderr,
		getenv:     func(string) (string, bool) { return "", false },
		now:        time.Now,
		isTerminal: func(any) bool { return false },
		checkList:  checks.All,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- a.execute(ctx, []string{"c7doctor", "lab", "--dir", dir, "--fault", "prm-placeholder"})
		pw.Close()
	}()

	var command string
	sc := bufio.NewScanner(pr)
	var printed strings.Builder
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "c7doctor run --config ") {
			command = line
			break
		}
	}
	go io.Copy(io.Discard, pr)
	config := filepath.Join(dir, "c7doctor.yaml")
	if command != "c7doctor run --config "+config {
		t.Fatalf("printed command %q, want the run of %s; output:\n%s", command, config, printed.String())
	}
	for _, want := range []string{lab.DefaultUser.Email, lab.DefaultUser.OID, "/context7/mcp", "prm-placeholder: "} {
		if !strings.Contains(printed.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, printed.String())
		}
	}
	raw, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	var settings map[string]any
	yaml.Unmarshal(raw, &settings)

	res := runCLI(t, cliOpts{}, "run", "--config", config, "-o", "json")
	rep := decodeReport(t, res.stdout)
	if rep.Target.Gateway != settings["gateway"] || rep.Target.Tenant != lab.TenantID {
		t.Errorf("the run did not take the lab's settings: %+v", rep.Target)
	}
	if secret, _ := os.ReadFile(filepath.Join(dir, "gateway-secret")); len(secret) == 0 || strings.Contains(res.stdout+res.stderr, string(secret)) {
		t.Errorf("secret file empty or its secret leaked into the run's output")
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("lab exit %d: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("lab did not stop when its context ended")
	}
}
