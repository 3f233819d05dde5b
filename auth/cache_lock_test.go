package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// rawCache is MSAL's side of the cache contract: the bytes it would write.
type rawCache []byte

func (r rawCache) Marshal() ([]byte, error) { return r, nil }

func oneAccount(name string) rawCache {
	return rawCache(fmt.Sprintf(`{"Account":{%q:{"username":%q}},"RefreshToken":{%q:{"secret":"rt-%s"}}}`, name, name, name+"-rt", name))
}

func cacheKeys(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("cache file is not a cache: %v\n%s", err, data)
	}
	var keys []string
	for section, entries := range doc {
		for k := range entries {
			keys = append(keys, section+"/"+k)
		}
	}
	return keys
}

func TestExportKeepsAnotherRunsEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.json")
	first, second := &FileCache{Path: path}, &FileCache{Path: path}
	// Both runs loaded the empty cache; each then signs in a different user.
	if err := first.Export(context.Background(), oneAccount("ada"), cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	if err := second.Export(context.Background(), oneAccount("bob"), cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	keys := strings.Join(cacheKeys(t, path), " ")
	for _, want := range []string{"Account/ada", "Account/bob", "RefreshToken/ada-rt", "RefreshToken/bob-rt"} {
		if !strings.Contains(keys, want) {
			t.Errorf("after two runs' writes the cache lacks %s: %s", want, keys)
		}
	}
}

func TestExportNewerEntryWins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.json")
	old := rawCache(`{"RefreshToken":{"ada-rt":{"secret":"old"}}}`)
	rotated := rawCache(`{"RefreshToken":{"ada-rt":{"secret":"rotated"}}}`)
	for _, c := range []rawCache{old, rotated} {
		if err := (&FileCache{Path: path}).Export(context.Background(), c, cache.ExportHints{}); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "rotated") || strings.Contains(string(data), "old") {
		t.Errorf("the rotated refresh token must replace the old one: %s", data)
	}
}

func TestConcurrentExportsLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.json")
	const runs = 8
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fc := &FileCache{Path: path}
			if err := fc.Export(context.Background(), oneAccount(fmt.Sprintf("user%d", i)), cache.ExportHints{}); err != nil {
				t.Error(err)
			}
			if p := fc.Problems(); len(p) > 0 {
				t.Errorf("run %d: %v", i, p)
			}
		}()
	}
	wg.Wait()
	keys := strings.Join(cacheKeys(t, path), " ")
	for i := range runs {
		if want := fmt.Sprintf("Account/user%d", i); !strings.Contains(keys, want) {
			t.Errorf("lost %s: %s", want, keys)
		}
	}
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Errorf("the lock file stays behind: %v", err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode: %v %v", st.Mode(), err)
	}
}

func TestHeldLockBoundsTheWait(t *testing.T) {
	wait := cacheLockWait
	cacheLockWait = 50 * time.Millisecond
	t.Cleanup(func() { cacheLockWait = wait })
	path := filepath.Join(t.TempDir(), "cache.json")
	if err := os.WriteFile(path+".lock", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fc := &FileCache{Path: path}
	if err := fc.Export(context.Background(), oneAccount("ada"), cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	if fc.Writes() != 1 {
		t.Errorf("a held lock must not cost the write: %d writes", fc.Writes())
	}
	if p := strings.Join(fc.Problems(), "\n"); !strings.Contains(p, "written without the lock") {
		t.Errorf("the held lock is not said: %q", p)
	}
	if _, err := os.Stat(path + ".lock"); err != nil {
		t.Errorf("another run's lock must not be removed: %v", err)
	}
}

func TestStaleLockIsTakenOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.json")
	lock := path + ".lock"
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-time.Hour)
	if err := os.Chtimes(lock, long, long); err != nil {
		t.Fatal(err)
	}
	fc := &FileCache{Path: path}
	if err := fc.Export(context.Background(), oneAccount("ada"), cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	if p := fc.Problems(); len(p) > 0 {
		t.Errorf("a stale lock is taken over silently: %v", p)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("the stale lock stays: %v", err)
	}
}

func TestMergeLeavesForeignShapesAlone(t *testing.T) {
	ours := []byte(`{"Account":{"a":{}}}`)
	for _, theirs := range []string{"", "not json", `{"Account":"x"}`, `[1]`} {
		if got := mergeCache(ours, []byte(theirs)); string(got) != string(ours) {
			t.Errorf("theirs %q: got %s", theirs, got)
		}
	}
}
