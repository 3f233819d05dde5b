package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/checks"
	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/report"
)

// Every lab fault through every output format, -v and --trace: none of the
// secrets the lab handed out (client secret, every token signature, refresh
// tokens, device and authorization codes) may appear, whole or in part.

var worlds struct {
	once sync.Once
	mu   sync.Mutex
	by   map[string]*lab.World // by gateway URL
}

// hookWorlds makes `run --lab` tell the tests which world it built.
func hookWorlds() {
	worlds.once.Do(func() {
		worlds.by = map[string]*lab.World{}
		labStarted = func(w *lab.World) {
			worlds.mu.Lock()
			defer worlds.mu.Unlock()
			worlds.by[w.GatewayURL] = w
		}
	})
}

func worldOf(t *testing.T, gateway string) *lab.World {
	t.Helper()
	worlds.mu.Lock()
	defer worlds.mu.Unlock()
	w, ok := worlds.by[gateway]
	if !ok {
		t.Fatalf("no lab world for gateway %q", gateway)
	}
	return w
}

// labOutputs runs `run --lab` with every format written (stdout text, the
// rest through --out), -v and --trace, and returns every output by name and
// the world's gateway.
func labOutputs(t *testing.T, extra ...string) (map[string][]byte, string, int) {
	t.Helper()
	hookWorlds()
	dir := t.TempDir()
	trace := filepath.Join(dir, "trace.har")
	// Roomy: two cores under -race, shared with other suites, must not time out a healthy hop.
	args := []string{"run", "--lab", "-o", "text", "-v", "--trace", trace, "--timeout", "2s", "--deadline", "60s"}
	files := map[string]string{"trace": trace}
	for _, f := range report.Formats() {
		if f == "text" {
			continue
		}
		files[f] = filepath.Join(dir, "report."+f)
		args = append(args, "--out", f+"="+files[f])
	}
	res := runLabCLI(t, append(args, extra...)...)
	out := map[string][]byte{"stdout": []byte(res.stdout), "stderr (-v)": []byte(res.stderr)}
	for name, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (exit %d, stderr %s)", name, err, res.code, tail(res.stderr))
		}
		out[name] = data
	}
	var rep report.Report
	if err := json.Unmarshal(out["json"], &rep); err != nil {
		t.Fatalf("json report: %v", err)
	}
	return out, rep.Target.Gateway, res.code
}

// runLabCLI is runCLI on the real clock: the lab's tokens are minted on
// real time (MSAL has no injectable clock), so the checks must judge them on it.
func runLabCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := &app{
		stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv:     func(string) (string, bool) { return "", false },
		now:        time.Now,
		isTerminal: func(any) bool { return false },
		checkList:  checks.All,
	}
	code := a.execute(context.Background(), append([]string{"c7doctor"}, args...))
	return cliResult{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// window is how long a piece of a secret must be to count as a leak.
const window = 12

// leaks finds any window-long piece of any secret (or of its URL-escaped
// form) in data.
func leaks(secrets []string, data []byte) []string {
	pieces := map[string]string{}
	for _, s := range secrets {
		for _, form := range []string{s, url.QueryEscape(s)} {
			for i := 0; i+window <= len(form); i++ {
				pieces[form[i:i+window]] = s
			}
		}
	}
	var found []string
	seen := map[string]bool{}
	for i := 0; i+window <= len(data); i++ {
		if s, ok := pieces[string(data[i:i+window])]; ok && !seen[s] {
			seen[s] = true
			found = append(found, string(data[max(0, i-20):min(len(data), i+window+20)]))
		}
	}
	return found
}

func TestNoSecretInAnyOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the lab once per fault")
	}
	// "browser": the sign-in route, whose codes, verifier and refresh
	// tokens pass through the gateway.
	faults := []string{"", "browser"}
	for _, f := range lab.Faults() {
		faults = append(faults, f.Name)
	}
	for _, fault := range faults {
		name := fault
		if name == "" {
			name = "healthy"
		}
		// Not parallel: urfave/cli keeps flag state in globals.
		t.Run(name, func(t *testing.T) {
			var extra []string
			switch fault {
			case "":
			case "browser":
				extra = []string{"--flow", "browser"}
			default:
				extra = []string{"--fault", fault}
			}
			if fault == "gateway-slow" {
				// Every gateway answer waits 3×timeout: a short one keeps it quick.
				extra = append(extra, "--timeout", "150ms")
			}
			outputs, gateway, code := labOutputs(t, extra...)
			if code == report.ExitUsage {
				t.Fatalf("exit %d: %s", code, outputs["stderr (-v)"])
			}
			w := worldOf(t, gateway)
			secrets := w.Secrets()
			if len(secrets) == 0 || secrets[0] != w.GatewaySecret {
				t.Fatalf("the lab lists no secrets: %v", secrets)
			}
			for name, data := range outputs {
				if found := leaks(secrets, data); len(found) > 0 {
					t.Errorf("%s holds secrets (%d): %q", name, len(found), found)
				}
			}
			// The search means something: a run that got a token shows its claims.
			if (fault == "" || fault == "browser") && !strings.Contains(string(outputs["trace"]), `access_token\":\"eyJ`) {
				t.Error("the trace shows no token claims: is it recording at all?")
			}
		})
	}
}

func TestRedactPIIHidesTheLabUser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the lab")
	}
	outputs, _, code := labOutputs(t, "--redact-pii")
	if code != report.ExitHealthy {
		t.Fatalf("exit %d: %s", code, outputs["stdout"])
	}
	u := lab.DefaultUser
	for name, data := range outputs {
		for _, personal := range []string{u.Name, u.Email, u.OID, url.QueryEscape(u.Email)} {
			if strings.Contains(strings.ToLower(string(data)), strings.ToLower(personal)) {
				t.Errorf("%s holds %q", name, personal)
			}
		}
	}
	// The reader's object id may be seen first (ARM is read from the start): any oid pseudonym will do.
	if !regexp.MustCompile(`\[oid-\d+\]`).Match(outputs["json"]) {
		t.Error("the report does not show the pseudonym of the user's oid")
	}
}

func TestTraceIsHARWithMode0600(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the lab")
	}
	dir := t.TempDir()
	trace := filepath.Join(dir, "t.har")
	// An existing, world-readable file is narrowed, not kept.
	if err := os.WriteFile(trace, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runLabCLI(t, "run", "--lab", "--only", "prm", "--trace", trace)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	fi, err := os.Stat(trace)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(trace)
	var har struct {
		Log struct {
			Version string
			Entries []struct {
				Request struct{ Method, URL string }
			}
		}
	}
	if err := json.Unmarshal(data, &har); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if har.Log.Version != "1.2" || len(har.Log.Entries) < 2 {
		t.Fatalf("HAR %s with %d entries", har.Log.Version, len(har.Log.Entries))
	}
	if res.stderr != "" {
		t.Errorf("without -v stderr stays quiet: %q", res.stderr)
	}

	res = runLabCLI(t, "run", "--lab", "--only", "prm", "--trace", dir)
	if res.code != report.ExitUsage || !strings.Contains(res.stderr, "--trace") {
		t.Fatalf("a directory as trace: exit %d %q", res.code, res.stderr)
	}
}
