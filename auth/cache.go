package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// maxCacheFile bounds what is read of a token cache file: a cache holding a
// few accounts is a few tens of KiB.
const maxCacheFile = 8 << 20

// CacheFileName is the cache's name in the user cache directory.
const CacheFileName = "msal-cache.json"

// DefaultCacheFile is <user cache dir>/c7doctor/msal-cache.json.
func DefaultCacheFile() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache: no user cache directory: %w", err)
	}
	return filepath.Join(dir, "c7doctor", CacheFileName), nil
}

// FileCache keeps MSAL's token cache in one file, readable by its owner only
// (0600, in a 0700 directory), replaced atomically on every write so that a
// crash or a concurrent reader never sees half a cache.
type FileCache struct {
	Path string
	// OnSecret, when set, is given every token and refresh token the cache
	// holds, so they can be redacted wherever they might appear.
	OnSecret func(values ...string)

	mu       sync.Mutex
	problems []string
	writes   int
}

// Problems are what went wrong reading or writing the file: an unreadable or
// corrupt cache is treated as empty, and a failed write loses only the cache.
func (c *FileCache) Problems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.problems...)
}

// Writes counts the successful writes of the file.
func (c *FileCache) Writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

func (c *FileCache) problem(format string, args ...any) {
	c.mu.Lock()
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

// Replace loads the file into MSAL's cache. A missing file is an empty cache.
func (c *FileCache) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := c.read()
	if err != nil {
		c.problem("%v", err)
		return nil
	}
	if data == nil {
		return nil
	}
	c.registerSecrets(data)
	if err := u.Unmarshal(data); err != nil {
		c.problem("cache: %s is not a token cache (ignored; it is replaced on the next sign-in): %v", c.Path, err)
	}
	return nil
}

func (c *FileCache) read() ([]byte, error) {
	f, err := os.Open(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("cache: %s is not a regular file", c.Path)
		}
		if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
			c.problem("cache: %s is readable by others (mode %04o): it holds refresh tokens; it is rewritten 0600 on the next sign-in, or run c7doctor logout", c.Path, st.Mode().Perm())
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxCacheFile+1))
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if len(data) > maxCacheFile {
		return nil, fmt.Errorf("cache: %s is larger than %d MiB: ignored", c.Path, maxCacheFile>>20)
	}
	return data, nil
}

// Export writes MSAL's cache to the file: under a lock, merged with what
// another run wrote meanwhile, to a temporary file beside it, 0600, synced,
// then renamed over it.
func (c *FileCache) Export(ctx context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := m.Marshal()
	if err != nil {
		c.problem("cache: %v", err)
		return nil
	}
	c.registerSecrets(data)
	if err := c.writeMerged(data); err != nil {
		// The token in hand is still good: losing the cache costs only a sign-in.
		c.problem("%v", err)
		return nil
	}
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return nil
}

// WriteFileAtomic replaces path with data, mode 0600, creating its directory 0700.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("cache: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("cache: writing %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	ok = true
	return nil
}

// registerSecrets hands every "secret" member of MSAL's cache JSON (access,
// refresh and ID tokens) to OnSecret. The format is MSAL's and opaque; a
// change in it costs only this belt to the redactor's braces.
func (c *FileCache) registerSecrets(data []byte) {
	if c.OnSecret == nil {
		return
	}
	var doc map[string]map[string]map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return
	}
	var secrets []string
	for _, kind := range doc {
		for _, entry := range kind {
			if s, ok := entry["secret"].(string); ok && s != "" {
				secrets = append(secrets, s)
			}
		}
	}
	if len(secrets) > 0 {
		c.OnSecret(secrets...)
	}
}

// RemoveCache deletes the cache file; removed is false when there was none.
func RemoveCache(path string) (removed bool, err error) {
	err = os.Remove(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("cache: %w", err)
}
