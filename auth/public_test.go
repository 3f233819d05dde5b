package auth

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/lab/labtest"
)

// These tests run the real MSAL against the lab's tenant.

type secretLog struct {
	mu  sync.Mutex
	all []string
}

func (s *secretLog) add(v ...string) {
	s.mu.Lock()
	s.all = append(s.all, v...)
	s.mu.Unlock()
}

func (s *secretLog) has(v string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.all {
		if x == v {
			return true
		}
	}
	return false
}

func newClient(t *testing.T, w *lab.World, clientID, cacheFile string, secrets *secretLog) (*PublicClient, *FileCache) {
	t.Helper()
	var fc *FileCache
	if cacheFile != "" {
		fc = &FileCache{Path: cacheFile, OnSecret: secrets.add}
	}
	c, err := NewPublicClient(PublicOptions{
		AuthorityHost: w.AuthorityHost, Tenant: w.TenantID, ClientID: clientID,
		HTTPClient: w.Client, Cache: fc, OnSecret: secrets.add,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, fc
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func gatewayScopes(w *lab.World) []string {
	return []string{"api://" + w.GatewayAppID + "/Mcp.Gateway.Access"}
}

func TestDeviceCodeThenCacheThenRefresh(t *testing.T) {
	w := labtest.Start(t, lab.Options{})
	file := filepath.Join(t.TempDir(), "sub", "cache.json")
	secrets := &secretLog{}

	c, fc := newClient(t, w, AzureCLIClientID, file, secrets)
	if _, err := c.Silent(ctxFor(t), gatewayScopes(w)); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("empty cache: want ErrNoAccount, got %v", err)
	}
	var prompt DeviceCodePrompt
	res, err := c.DeviceCode(ctxFor(t), gatewayScopes(w), func(p DeviceCodePrompt) { prompt = p })
	if err != nil {
		t.Fatal(err)
	}
	if prompt.VerificationURL != w.AuthorityHost+"/devicelogin" || prompt.UserCode == "" || !prompt.ExpiresOn.After(time.Now()) {
		t.Errorf("prompt = %+v", prompt)
	}
	if res.FromCache || res.Account != lab.DefaultUser.Email {
		t.Errorf("result: from cache %v account %q", res.FromCache, res.Account)
	}
	tok, err := Decode(res.AccessToken)
	if err != nil || tok.Claims.Aud[0] != w.GatewayAppID || !tok.Claims.HasScope("Mcp.Gateway.Access") {
		t.Fatalf("token: %v %+v", err, tok)
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("cache mode %04o, want 0600", st.Mode().Perm())
	}
	if len(fc.Problems()) != 0 || fc.Writes() == 0 {
		t.Errorf("problems %v writes %d", fc.Problems(), fc.Writes())
	}
	// Every secret the lab handed out (device code, refresh token, tokens) was registered.
	for _, s := range w.Secrets()[1:] {
		if s == w.ReaderSecret {
			continue // the management plane's reader: not this client's
		}
		if !secrets.has(s) && !secrets.hasSignatureOf(s) {
			t.Errorf("secret %.8s… was not registered", s)
		}
	}

	// A new client over the same file asks for no code.
	c2, _ := newClient(t, w, AzureCLIClientID, file, secrets)
	res2, err := c2.Silent(ctxFor(t), gatewayScopes(w))
	if err != nil {
		t.Fatal(err)
	}
	if !res2.FromCache || res2.AccessToken != res.AccessToken {
		t.Errorf("second run: from cache %v, same token %v", res2.FromCache, res2.AccessToken == res.AccessToken)
	}

	// An expired access token is refreshed and the refreshed cache written back.
	expireAccessTokens(t, file)
	c3, fc3 := newClient(t, w, AzureCLIClientID, file, secrets)
	res3, err := c3.Silent(ctxFor(t), gatewayScopes(w))
	if err != nil {
		t.Fatal(err)
	}
	if res3.FromCache || res3.AccessToken == res.AccessToken || fc3.Writes() == 0 {
		t.Errorf("refresh: from cache %v, new token %v, writes %d", res3.FromCache, res3.AccessToken != res.AccessToken, fc3.Writes())
	}
	c4, _ := newClient(t, w, AzureCLIClientID, file, secrets)
	res4, err := c4.Silent(ctxFor(t), gatewayScopes(w))
	if err != nil || res4.AccessToken != res3.AccessToken || !res4.FromCache {
		t.Errorf("after refresh the cache holds the new token: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("cache directory holds %d files, want only the cache (no temp files left)", len(entries))
	}
}

func (s *secretLog) hasSignatureOf(v string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.all {
		if strings.HasSuffix(x, "."+v) {
			return true
		}
	}
	return false
}

// expireAccessTokens moves every cached access token's expiry into the past.
func expireAccessTokens(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour).Unix()
	n := 0
	for _, e := range doc["AccessToken"] {
		for _, k := range []string{"expires_on", "extended_expires_on", "refresh_on"} {
			if _, ok := e[k]; ok {
				e[k] = json.Number(strings.TrimSpace(jsonInt(past)))
			}
		}
		n++
	}
	if n == 0 {
		t.Fatal("no access token in the cache")
	}
	out, _ := json.Marshal(doc)
	if err := WriteFileAtomic(file, out); err != nil {
		t.Fatal(err)
	}
}

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestDeviceCodeEntraErrors(t *testing.T) {
	cases := []struct {
		name     string
		faults   []string
		clientID func(w *lab.World) string
		err      string
		code     int
	}{
		{"client not authorized", []string{"client-not-authorized"}, func(*lab.World) string { return AzureCLIClientID }, "invalid_client", 65005},
		{"declined", []string{"device-code-declined"}, func(*lab.World) string { return AzureCLIClientID }, "authorization_declined", 70000},
		{"unknown client", nil, func(*lab.World) string { return "11111111-2222-3333-4444-555555555555" }, "unauthorized_client", 700016},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := labtest.Start(t, lab.Options{Faults: c.faults})
			cl, _ := newClient(t, w, c.clientID(w), "", &secretLog{})
			_, err := cl.DeviceCode(ctxFor(t), gatewayScopes(w), nil)
			if err == nil {
				t.Fatal("want an error")
			}
			e, ok := EntraErrorFrom(err)
			if !ok {
				t.Fatalf("no Entra error in %v", err)
			}
			if e.Error != c.err || e.Code() != c.code || e.TraceID == "" || e.CorrelationID == "" || e.HTTPStatus == 0 {
				t.Errorf("got %+v", e)
			}
		})
	}
}

func TestDeviceCodeCanceled(t *testing.T) {
	w := labtest.Start(t, lab.Options{Interactive: true})
	cl, _ := newClient(t, w, AzureCLIClientID, "", &secretLog{})
	ctx, cancel := context.WithCancel(ctxFor(t))
	_, err := cl.DeviceCode(ctx, gatewayScopes(w), func(DeviceCodePrompt) { cancel() })
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrDeviceCodeExpired) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestNewPublicClientRefuses(t *testing.T) {
	for _, o := range []PublicOptions{
		{AuthorityHost: "http://login.example", Tenant: "t", ClientID: "c"},
		{AuthorityHost: "https://login.example", Tenant: "", ClientID: "c"},
		{AuthorityHost: "https://tokens.example", Tenant: "t", ClientID: "c"},
	} {
		if _, err := NewPublicClient(o); err == nil {
			t.Errorf("%+v: want an error", o)
		}
	}
	if !KnownAuthorityHost("LOGIN.microsoftonline.com") || KnownAuthorityHost("127.0.0.1") {
		t.Error("KnownAuthorityHost")
	}
}

func TestFileCacheProblems(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte("not json"), 0o600)
	fc := &FileCache{Path: corrupt}
	if err := fc.Replace(context.Background(), failingUnmarshaler{}, cacheReplaceHints()); err != nil {
		t.Fatal(err)
	}
	if len(fc.Problems()) != 1 || !strings.Contains(fc.Problems()[0], "not a token cache") {
		t.Errorf("problems %v", fc.Problems())
	}
	if runtime.GOOS != "windows" {
		open := filepath.Join(dir, "open.json")
		os.WriteFile(open, []byte("{}"), 0o644)
		fc := &FileCache{Path: open}
		fc.Replace(context.Background(), okUnmarshaler{}, cacheReplaceHints())
		if len(fc.Problems()) != 1 || !strings.Contains(fc.Problems()[0], "readable by others") {
			t.Errorf("problems %v", fc.Problems())
		}
	}
	removed, err := RemoveCache(corrupt)
	if !removed || err != nil {
		t.Errorf("RemoveCache: %v %v", removed, err)
	}
	if removed, err := RemoveCache(corrupt); removed || err != nil {
		t.Errorf("RemoveCache again: %v %v", removed, err)
	}
}

type failingUnmarshaler struct{}

func (failingUnmarshaler) Unmarshal([]byte) error { return errors.New("bad cache") }

type okUnmarshaler struct{}

func (okUnmarshaler) Unmarshal([]byte) error { return nil }

func cacheReplaceHints() cache.ReplaceHints { return cache.ReplaceHints{} }
