package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseTools(t *testing.T) {
	tools, err := parseTools([]string{"::a", "X=1", "bin", "Y=2", "::b", "sh", "-c", "true"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tools) != 2 || tools[0].Name != "a" || strings.Join(tools[0].Env, ",") != "X=1" ||
		strings.Join(tools[0].Argv, " ") != "bin Y=2" || strings.Join(tools[1].Argv, " ") != "sh -c true" {
		t.Fatalf("got %+v", tools)
	}
	for _, bad := range [][]string{{}, {"bin"}, {"::"}, {"::a"}, {"::a", "X=1"}} {
		if _, err := parseTools(bad); err == nil {
			t.Errorf("parseTools(%q): expected an error", bad)
		}
	}
}

func TestQuantile(t *testing.T) {
	s := spreadOf([]float64{5, 1, 4, 2, 3})
	if s.Median != 3 || s.Min != 1 || s.Max != 5 || s.P25 != 2 || s.P75 != 4 {
		t.Fatalf("got %+v", s)
	}
	if m := spreadOf([]float64{4, 1, 3, 2}).Median; m != 2.5 {
		t.Fatalf("median of 1..4: got %v", m)
	}
	if m := spreadOf([]float64{7}).Median; m != 7 {
		t.Fatalf("median of one: got %v", m)
	}
}

func TestRedactArgv(t *testing.T) {
	got := redactArgv([]string{"--header", "Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2ln", "x"})
	if got[1] != "Authorization: Bearer $TOKEN" || got[2] != "x" {
		t.Fatalf("got %q", got)
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"node", "--header", "Authorization: Bearer $TOKEN", "it's", "plain/path-1.2"})
	want := `node --header 'Authorization: Bearer $TOKEN' 'it'\''s' plain/path-1.2`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestRunsAlternateAndReport(t *testing.T) {
	var out, errb bytes.Buffer
	code := mainErr([]string{"-runs", "3", "-warmup", "0", "::t", "true", "::f", "sh", "-c", "exit 0"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"| t | 3 |", "| f | 3 |", "`sh -c 'exit 0'`"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestFailingRunStops(t *testing.T) {
	var out, errb bytes.Buffer
	code := mainErr([]string{"-runs", "2", "-warmup", "0", "::bad", "sh", "-c", "echo why >&2; exit 3"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "why") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
