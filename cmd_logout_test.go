package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogoutRemovesTheCache(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "msal-cache.json")
	if err := os.WriteFile(cache, []byte(`{"RefreshToken":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, cliOpts{}, "logout", "--cache-file", cache)
	if res.code != 0 || !strings.Contains(res.stdout, "Removed the token cache "+cache) {
		t.Fatalf("exit %d %q %q", res.code, res.stdout, res.stderr)
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Errorf("the cache is still there: %v", err)
	}
	res = runCLI(t, cliOpts{env: map[string]string{"C7DOCTOR_CACHE_FILE": cache}}, "logout")
	if res.code != 0 || !strings.Contains(res.stdout, "No token cache at "+cache) {
		t.Errorf("second logout: exit %d %q", res.code, res.stdout)
	}
	// A directory where the file should be cannot be removed as a file.
	sub := filepath.Join(dir, "sub")
	os.MkdirAll(filepath.Join(sub, "x"), 0o700)
	if res := runCLI(t, cliOpts{}, "logout", "--cache-file", sub); res.code != 1 || !strings.HasPrefix(res.stderr, "c7doctor: logout: ") {
		t.Errorf("undeletable: exit %d %q", res.code, res.stderr)
	}
}
