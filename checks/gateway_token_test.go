package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/auth"
	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/lab/labtest"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

func check(t *testing.T, rep *report.Report, id string) report.Check {
	t.Helper()
	c, ok := rep.Find(id)
	if !ok {
		t.Fatalf("no check %s in the report", id)
	}
	return *c
}

func evidence(c report.Check, key string) string {
	v, _ := c.Evidence.Get(key)
	return v
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestGatewayTokenDeviceCodeThenCache(t *testing.T) {
	w := labtest.Start(t, lab.Options{})
	cache := filepath.Join(t.TempDir(), "c7doctor", "msal-cache.json")
	useCache := func(c *Config) { c.CacheFile = cache }
	only := Selection{Only: []string{"gateway-claims"}}

	var talk bytes.Buffer
	first := runOnWorld(t, testCtx(t), w, only, useCache, &talk)
	tok := check(t, first.Report, "gateway-token")
	if tok.Status != report.Pass || evidence(tok, "source") != "device code sign-in" {
		t.Fatalf("first run: %s %q %+v", tok.Status, tok.Summary, tok.Findings)
	}
	if !strings.Contains(talk.String(), "/devicelogin and enter the code ") {
		t.Errorf("no device code prompt on stderr: %q", talk.String())
	}
	if evidence(tok, "user") != lab.DefaultUser.Email || !strings.HasPrefix(evidence(tok, "token"), "Entra v2 access token, sha256:") {
		t.Errorf("evidence %v", tok.Evidence)
	}
	if c := check(t, first.Report, "gateway-claims"); c.Status == report.Fail {
		t.Errorf("claims of a good token: %+v", c.Findings)
	}
	st, err := os.Stat(cache)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode %04o, want 0600", st.Mode().Perm())
	}

	// The second run may not sign in: without the cache it would have to skip.
	talk.Reset()
	second := runOnWorld(t, testCtx(t), w, only, func(c *Config) { useCache(c); c.DeviceCode = false }, &talk)
	tok2 := check(t, second.Report, "gateway-token")
	if tok2.Status != report.Pass || evidence(tok2, "source") != "MSAL cache "+cache {
		t.Fatalf("second run: %s %q source %q %+v", tok2.Status, tok2.Summary, evidence(tok2, "source"), tok2.Findings)
	}
	if strings.Contains(talk.String(), "enter the code") {
		t.Error("the second run asked for a device code")
	}
}

// The faults of the token's area each make their owning check the first to fail.
func TestTokenFaultsFailTheirCheckFirst(t *testing.T) {
	cases := []struct {
		fault, check, finding string
	}{
		{"gateway-v1-token", "gateway-claims", "token-v1-issuer"},
		{"wrong-audience", "gateway-claims", "token-wrong-audience"},
		{"missing-scope", "gateway-claims", "token-missing-scope"},
		{"expired-token", "gateway-claims", "token-expired"},
		{"client-not-authorized", "gateway-token", "wrong-client-id"},
		{"device-code-declined", "gateway-token", "token-device-code-declined"},
	}
	for _, c := range cases {
		t.Run(c.fault, func(t *testing.T) {
			run := runLab(t, Selection{}, nil, c.fault)
			if got := firstFailure(run.Report); got != c.check {
				t.Fatalf("first failure %q, want %q\n%s", got, c.check, summarize(run.Report))
			}
			ids := findingIDs(run.Report, c.check)
			if !slices.Contains(ids, c.finding) {
				t.Fatalf("%s findings %v, want %s", c.check, ids, c.finding)
			}
			f := findingOf(run.Report, c.check, c.finding)
			if f.Guide == nil || f.Guide.Section != Catalog()[c.finding].Section {
				t.Errorf("guide %+v", f.Guide)
			}
			if c.check == "gateway-token" && (len(f.AADSTS) == 0 && c.finding != "token-device-code-declined" || f.TraceID == "" || f.CorrelationID == "") {
				t.Errorf("Entra ids missing: %+v", f)
			}
		})
	}
}

func findingOf(rep *report.Report, check, id string) report.Finding {
	c, _ := rep.Find(check)
	for _, f := range c.Findings {
		if f.ID == id {
			return f
		}
	}
	return report.Finding{}
}

func summarize(rep *report.Report) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		b.WriteString(c.ID + " " + string(c.Status) + ": " + c.Summary)
		for _, f := range c.Findings {
			b.WriteString("\n    " + f.ID + ": " + f.Detail)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestGatewayTokenWithoutTerminalSkipsForCI(t *testing.T) {
	run := runLab(t, Selection{Only: []string{"gateway-token"}, Require: []string{"gateway-token"}}, func(c *Config) {
		c.DeviceCode = false
	})
	tok := check(t, run.Report, "gateway-token")
	if tok.Status != report.Skip || !slices.Contains(findingIDs(run.Report, "gateway-token"), "token-none") {
		t.Fatalf("%s %+v", tok.Status, tok.Findings)
	}
	f := findingOf(run.Report, "gateway-token", "token-none")
	if !strings.Contains(strings.Join(f.Commands, "\n"), "C7DOCTOR_TOKEN") || !strings.Contains(strings.Join(f.Commands, "\n"), "api://"+run.World.GatewayAppID) {
		t.Errorf("commands %q", f.Commands)
	}
	if run.Report.ExitCode != report.ExitIncomplete {
		t.Errorf("exit code %d, want %d with --require gateway-token", run.Report.ExitCode, report.ExitIncomplete)
	}
}

func TestGatewayTokenGivenForms(t *testing.T) {
	w := labtest.Start(t, lab.Options{})
	good := w.MintToken(w.UserTokenClaims(lab.DefaultUser))
	dir := t.TempDir()
	azJSON, _ := json.Marshal(map[string]string{"accessToken": good, "expiresOn": "2026-01-01 10:00:00.000000", "tokenType": "Bearer"})
	cases := []struct {
		name   string
		tweak  func(c *Config)
		status report.Status
		source string
	}{
		{"az json file", func(c *Config) { c.TokenFile = write(t, dir, "az.json", string(azJSON)) }, report.Pass, "(az account get-access-token JSON)"},
		{"bearer file", func(c *Config) { c.TokenFile = write(t, dir, "bearer.txt", "Bearer "+good+"\n") }, report.Pass, "(Authorization header value"},
		{"env", func(c *Config) { c.Token = good }, report.Pass, "$C7DOCTOR_TOKEN (raw token)"},
		{"file wins over env", func(c *Config) { c.TokenFile = write(t, dir, "raw.txt", good); c.Token = "garbage" }, report.Pass, "token file "},
		{"env not a jwt", func(c *Config) { c.Token = "ctx7sk-not-a-jwt-at-all" }, report.Fail, "$C7DOCTOR_TOKEN"},
		{"file missing", func(c *Config) { c.TokenFile = filepath.Join(dir, "nope") }, report.Fail, "token file "},
		{"jwe", func(c *Config) { c.Token = "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d" }, report.Fail, "$C7DOCTOR_TOKEN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := runOnWorld(t, testCtx(t), w, Selection{Only: []string{"gateway-claims"}}, func(cfg *Config) {
				cfg.DeviceCode = false
				cfg.NoCache = true
				c.tweak(cfg)
			}, nil)
			tok := check(t, run.Report, "gateway-token")
			if tok.Status != c.status || !strings.Contains(evidence(tok, "source"), c.source) {
				t.Fatalf("%s source %q %+v", tok.Status, evidence(tok, "source"), tok.Findings)
			}
			if c.status == report.Fail && !slices.Contains(findingIDs(run.Report, "gateway-token"), "token-invalid") {
				t.Errorf("findings %v", findingIDs(run.Report, "gateway-token"))
			}
			if c.status == report.Pass && run.Env.State.GatewayToken != good {
				t.Error("state does not hold the token")
			}
		})
	}
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// cancelOnPrompt cancels the run when the device-code prompt appears: a
// person pressing Ctrl-C while the code is shown.
type cancelOnPrompt struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelCauseFunc
}

func (c *cancelOnPrompt) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if strings.Contains(c.buf.String(), "enter the code") {
		c.cancel(ErrInterrupted)
	}
	return len(p), nil
}

func TestGatewayTokenCtrlCWhileWaiting(t *testing.T) {
	w := labtest.Start(t, lab.Options{Interactive: true})
	ctx, cancel := context.WithCancelCause(testCtx(t))
	defer cancel(nil)
	run := runOnWorld(t, ctx, w, Selection{Only: []string{"gateway-claims"}}, func(c *Config) { c.NoCache = true }, &cancelOnPrompt{cancel: cancel})
	tok := check(t, run.Report, "gateway-token")
	if tok.Status != report.Fail || !slices.Contains(findingIDs(run.Report, "gateway-token"), "interrupted") {
		t.Fatalf("%s %+v", tok.Status, tok.Findings)
	}
	if c := check(t, run.Report, "gateway-claims"); c.Status != report.Skip {
		t.Errorf("gateway-claims %s", c.Status)
	}
	if !run.Report.Interrupted || run.Report.ExitCode != report.ExitInterrupted {
		t.Errorf("interrupted %v exit %d", run.Report.Interrupted, run.Report.ExitCode)
	}
}

// No output format carries a token signature, a refresh token, a device
// code or the gateway secret.
func TestTokenSecretsNeverInOutput(t *testing.T) {
	w := labtest.Start(t, lab.Options{})
	cache := filepath.Join(t.TempDir(), "cache.json")
	var talk bytes.Buffer
	first := runOnWorld(t, testCtx(t), w, Selection{}, func(c *Config) { c.CacheFile = cache }, &talk)
	// The second run refreshes from the cache: the refresh token travels.
	rewriteCache(t, cache, false)
	second := runOnWorld(t, testCtx(t), w, Selection{}, func(c *Config) { c.CacheFile = cache; c.DeviceCode = false }, &talk)
	if src := evidence(check(t, second.Report, "gateway-token"), "source"); !strings.HasSuffix(src, "(refreshed)") {
		t.Fatalf("the second run did not refresh: %q", src)
	}
	runs := []*labRun{first, second}
	secrets := w.Secrets()
	if len(secrets) < 4 {
		t.Fatalf("the lab handed out only %d secrets", len(secrets))
	}
	for i, run := range runs {
		for _, format := range report.Formats() {
			var out bytes.Buffer
			if err := report.Render(format, run.Env.Redactor().Writer(&out), run.Report, report.Options{}); err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				if strings.Contains(out.String(), s) {
					t.Errorf("run %d, %s output holds a secret (%.6s…)", i+1, format, s)
				}
			}
		}
		for _, e := range run.Env.HTTP.Recorder().Exchanges() {
			b, _ := json.Marshal(e)
			for _, s := range secrets {
				if strings.Contains(string(b), s) {
					t.Errorf("run %d: recorded exchange %s %s holds a secret (%.6s…)", i+1, e.Method, e.URL, s)
				}
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(talk.String(), s) {
			t.Errorf("stderr holds a secret (%.6s…)", s)
		}
	}
	st, err := os.Stat(cache)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("cache mode %04o", st.Mode().Perm())
	}
}

// rewriteCache edits the MSAL cache file: access tokens expired and, with
// badRefresh, refresh tokens replaced by one the tenant never issued.
func rewriteCache(t *testing.T, file string, badRefresh bool) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	past := json.Number(strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10))
	for _, e := range doc["AccessToken"] {
		e["expires_on"], e["extended_expires_on"] = past, past
	}
	if badRefresh {
		for _, e := range doc["RefreshToken"] {
			e["secret"] = "1.AXEA-revoked-refresh-token-never-issued"
		}
	}
	out, _ := json.Marshal(doc)
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestGatewayTokenRefresh(t *testing.T) {
	w := labtest.Start(t, lab.Options{})
	cache := filepath.Join(t.TempDir(), "cache.json")
	only := Selection{Only: []string{"gateway-claims"}}
	useCache := func(deviceCode bool) func(*Config) {
		return func(c *Config) { c.CacheFile = cache; c.DeviceCode = deviceCode }
	}
	if r := runOnWorld(t, testCtx(t), w, only, useCache(true), nil); check(t, r.Report, "gateway-token").Status != report.Pass {
		t.Fatal("first sign-in failed")
	}

	// An expired access token is refreshed silently, even without a terminal.
	rewriteCache(t, cache, false)
	r := runOnWorld(t, testCtx(t), w, only, useCache(false), nil)
	tok := check(t, r.Report, "gateway-token")
	if tok.Status != report.Pass || evidence(tok, "source") != "MSAL cache "+cache+" (refreshed)" {
		t.Fatalf("refresh: %s source %q %+v", tok.Status, evidence(tok, "source"), tok.Findings)
	}

	// A refused refresh without a terminal fails with Entra's error and ids.
	rewriteCache(t, cache, true)
	r = runOnWorld(t, testCtx(t), w, only, useCache(false), nil)
	tok = check(t, r.Report, "gateway-token")
	if tok.Status != report.Fail || len(tok.Findings) != 1 {
		t.Fatalf("refused refresh: %s %+v", tok.Status, tok.Findings)
	}
	if f := tok.Findings[0]; len(f.AADSTS) == 0 || f.TraceID == "" || f.CorrelationID == "" || !strings.HasPrefix(f.Detail, "Refreshing the cached sign-in was refused by Entra: invalid_grant") {
		t.Errorf("finding %+v", f)
	}

	// With a terminal, a new sign-in replaces the refused one.
	r = runOnWorld(t, testCtx(t), w, only, useCache(true), nil)
	tok = check(t, r.Report, "gateway-token")
	if tok.Status != report.Pass || evidence(tok, "source") != "device code sign-in" || len(tok.Findings) != 1 || tok.Findings[0].Severity != report.Info {
		t.Fatalf("sign-in after a refused refresh: %s %q %+v", tok.Status, evidence(tok, "source"), tok.Findings)
	}

	// A sign-in that expired says nothing of the gateway: without a terminal
	// the check is skipped (exit 3 under --require), with the refusal as a
	// warning, not a failure.
	rewriteCache(t, cache, false)
	w.ExpireRefreshTokens()
	required := Selection{Only: []string{"gateway-claims"}, Require: []string{"gateway-token"}}
	r = runOnWorld(t, testCtx(t), w, required, useCache(false), nil)
	tok = check(t, r.Report, "gateway-token")
	if tok.Status != report.Skip || len(tok.Findings) != 1 || tok.Findings[0].ID != "token-refresh-expired" || tok.Findings[0].Severity != report.Warning {
		t.Fatalf("expired sign-in: %s %+v", tok.Status, tok.Findings)
	}
	if r.Report.ExitCode != report.ExitIncomplete {
		t.Errorf("expired sign-in under --require gateway-token: exit %d, want %d", r.Report.ExitCode, report.ExitIncomplete)
	}
	r = runOnWorld(t, testCtx(t), w, only, useCache(true), nil)
	tok = check(t, r.Report, "gateway-token")
	if tok.Status != report.Pass || evidence(tok, "source") != "device code sign-in" || len(tok.Findings) != 1 || tok.Findings[0].Severity != report.Info {
		t.Fatalf("sign-in after a refused refresh: %s %q %+v", tok.Status, evidence(tok, "source"), tok.Findings)
	}
}

func TestDeviceCodeExpiredFinding(t *testing.T) {
	client, _ := wire.New(wire.Options{})
	env := &Env{Config: &Config{}, HTTP: client}
	r := &Result{env: env}
	deviceCodeFailed(t.Context(), env, r, auth.ErrDeviceCodeExpired)
	if ids(r)[0] != "token-device-code-expired" || r.findings[0].Guide.Section != SecPart6 {
		t.Errorf("%+v", r.findings)
	}
}

func TestDeviceCodePromptSpinner(t *testing.T) {
	var out syncBuffer
	env := &Env{Stderr: &out, Interactive: true, Now: func() time.Time { return time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC) }}
	stop := promptDeviceCode(env, auth.DeviceCodePrompt{
		VerificationURL: "https://microsoft.com/devicelogin", UserCode: "ABCDEFGHJ",
		ExpiresOn: time.Date(2026, 1, 1, 10, 14, 59, 0, time.UTC),
	})
	stop()
	s := out.String()
	if !strings.Contains(s, "To sign in, open https://microsoft.com/devicelogin and enter the code ABCDEFGHJ\n") ||
		!strings.Contains(s, "waiting for the sign-in… 14:59 left (Ctrl-C to cancel)") || !strings.HasSuffix(s, "\r\033[K") {
		t.Errorf("%q", s)
	}
	// Without a terminal: the two lines only, no spinner.
	plain := &syncBuffer{}
	env.Stderr, env.Interactive = plain, false
	promptDeviceCode(env, auth.DeviceCodePrompt{VerificationURL: "u", UserCode: "c"})()
	if strings.Contains(plain.String(), "waiting") || !strings.Contains(plain.String(), "enter the code c") {
		t.Errorf("without a terminal: %q", plain.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
