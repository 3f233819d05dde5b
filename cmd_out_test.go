package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

func TestOutFlagRejectsBadValuesBeforeTheRun(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", "junit"}, "expected FORMAT=FILE"},
		{[]string{"--out", "junit="}, "expected FORMAT=FILE"},
		{[]string{"--out", "xml=r.xml"}, `unknown format "xml"`},
		{[]string{"--out", "junit=" + dir}, "is a directory"},
		{[]string{"--out", "junit=r.xml", "--out", "markdown=./r.xml"}, "already the file of --out junit=r.xml"},
	} {
		// No gateway on loopback: had the run started, it would fail
		// differently. A bad --out is a usage error before any request.
		args := append([]string{"run", "--gateway", "https://127.0.0.1:1", "--timeout", "50ms"}, tc.args...)
		r := runCLI(t, cliOpts{}, args...)
		if r.code != report.ExitUsage || !strings.Contains(r.stderr, "--out") || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming --out and %q", tc.args, r.code, r.stderr, tc.want)
		}
		if r.stdout != "" {
			t.Errorf("%v: a usage error printed a report: %q", tc.args, r.stdout)
		}
	}
}

func TestOutFlagWritesEachFormatFromOneRun(t *testing.T) {
	dir := t.TempDir()
	junitPath := filepath.Join(dir, "reports", "nested", "c7doctor.xml")
	mdPath := filepath.Join(dir, "summary.md")
	jsonPath := filepath.Join(dir, "c7doctor.json")
	if err := os.WriteFile(mdPath, []byte("stale report from an earlier run"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, cliOpts{}, "run", "--lab", "--only", "challenge",
		"--out", "junit="+junitPath, "--out", "markdown="+mdPath, "--out", "json="+jsonPath)
	if r.code != 0 && r.code != report.ExitFailed {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "c7doctor https://127.0.0.1:") {
		t.Errorf("stdout is not the text report:\n%s", r.stdout)
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	data, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(data, &doc); err != nil || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) == 0 || doc.Suites[0].Cases[0].Name != "challenge" {
		t.Errorf("junit file: %v\n%s", err, data)
	}
	md, err := os.ReadFile(mdPath)
	if err != nil || !bytes.HasPrefix(md, []byte("## ")) || !bytes.Contains(md, []byte("`challenge`")) {
		t.Errorf("markdown file: %v\n%s", err, md)
	}
	js, err := os.ReadFile(jsonPath)
	if err != nil || !bytes.Contains(js, []byte(`"schema_version": 1`)) {
		t.Errorf("json file: %v\n%s", err, js)
	}
	// Nothing but the reports: no temporary files left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

func TestOutFilesPassTheRedactor(t *testing.T) {
	const secret = "Zq8~bT3.secret-value-from-the-gateway-app"
	// A JWT whose signature has the characters Markdown escapes.
	const token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9nYXRld2F5In0.c2lnbmF0dXJl_with_under_scores-and-dashes"
	red := wire.NewRedactor()
	red.Secret(secret)
	rep := &report.Report{Checks: []report.Check{{
		ID: "obo", Title: "On-Behalf-Of exchange", Status: report.Fail, Summary: "refused",
		Evidence: report.Evidence{{Key: "request", Value: "client_secret=" + secret}},
		Findings: []report.Finding{{ID: "obo-consent", Severity: report.Error, Title: "refused", Detail: "sent " + secret + " and " + token}},
	}}}
	rep.Finalize(nil, false)
	dir := t.TempDir()
	var outs []extraOutput
	for _, f := range report.Formats() {
		outs = append(outs, extraOutput{format: f, path: filepath.Join(dir, "r."+f)})
	}
	rep.RewriteStrings(red.String)
	if err := writeOutputs(outs, rep, red.Writer); err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		data, err := os.ReadFile(o.path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte("secret-value")) || bytes.Contains(data, []byte("c2lnbmF0dXJl")) {
			t.Errorf("%s carries the secret:\n%s", o.format, data)
		}
	}
}

func TestOutWriteFailureKeepsTheVerdict(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	outs := []extraOutput{{format: "junit", path: filepath.Join(blocker, "r.xml")}}
	pass := func(w io.Writer) io.Writer { return w }
	for _, tc := range []struct{ exit, want int }{
		{report.ExitHealthy, report.ExitIncomplete},
		{report.ExitFailed, report.ExitFailed},
		{report.ExitIncomplete, report.ExitIncomplete},
	} {
		rep := &report.Report{ExitCode: tc.exit}
		err := writeOutputs(outs, rep, pass)
		if err == nil {
			t.Fatal("writing under a regular file succeeded")
		}
		ee, ok := outputFailure(rep, err).(*exitError)
		if !ok || ee.code != tc.want || !strings.Contains(ee.msg, "--out junit=") {
			t.Errorf("run exit %d: got %+v, want exit %d naming --out", tc.exit, ee, tc.want)
		}
	}
}
