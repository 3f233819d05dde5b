package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Two runs sharing one cache file (a laptop's shell and its editor, two CI
// steps) each load the file, sign in or refresh, and write their whole cache
// back: the later write would drop what the earlier one added. Export
// therefore takes a lock file, re-reads the file and keeps every entry the
// other run wrote that this one does not hold.

// cacheLockWait bounds how long Export waits for another run's lock; a lock
// older than cacheLockStale was left by a run that died and is taken over.
var (
	cacheLockWait  = 5 * time.Second
	cacheLockStale = 30 * time.Second
	cacheLockPoll  = 20 * time.Millisecond
)

// lockFile takes path+".lock" and returns its release. An error says why the
// lock could not be had; the caller writes anyway (a lost cache costs a
// sign-in, a hung run costs more) and says so.
func lockFile(path string) (release func(), err error) {
	lock := path + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return func() {}, err
	}
	deadline := time.Now().Add(cacheLockWait)
	for {
		f, err := os.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(lock) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return func() {}, err
		}
		if st, err := os.Stat(lock); err == nil && time.Since(st.ModTime()) > cacheLockStale {
			os.Remove(lock)
			continue
		}
		if time.Now().After(deadline) {
			return func() {}, fmt.Errorf("%s held by another run for over %s", lock, cacheLockWait)
		}
		time.Sleep(cacheLockPoll)
	}
}

// mergeCache returns ours with every entry of theirs that ours lacks. MSAL's
// cache JSON is sections (AccessToken, RefreshToken, Account …) of entries
// keyed by a cache key; ours wins where both hold a key, being the newer.
// Anything that is not of that shape leaves ours as it is.
func mergeCache(ours, theirs []byte) []byte {
	if len(theirs) == 0 {
		return ours
	}
	var o, t map[string]map[string]json.RawMessage
	if json.Unmarshal(ours, &o) != nil || json.Unmarshal(theirs, &t) != nil || o == nil {
		return ours
	}
	added := false
	for section, entries := range t {
		if o[section] == nil {
			o[section] = map[string]json.RawMessage{}
		}
		for key, entry := range entries {
			if _, held := o[section][key]; !held {
				o[section][key] = entry
				added = true
			}
		}
	}
	if !added {
		return ours
	}
	merged, err := json.Marshal(o)
	if err != nil {
		return ours
	}
	return merged
}

// writeMerged writes data to the cache file under the lock, merged with what
// another run wrote since this one read it.
func (c *FileCache) writeMerged(data []byte) error {
	release, err := lockFile(c.Path)
	defer release()
	if err != nil {
		c.problem("cache: %v: written without the lock", err)
	}
	theirs, err := c.read()
	if err != nil {
		theirs = nil // unreadable: ours replaces it
	}
	return WriteFileAtomic(c.Path, mergeCache(data, theirs))
}
