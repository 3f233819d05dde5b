package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// labStarted, when set (by tests), is told the world a `run --lab` built:
// the secrets test reads the secrets the lab handed out from it.
var labStarted func(*lab.World)

// traceFile is the --trace FILE of a run: opened before the run, so that a
// path that cannot be written is a usage error and not a lost trace, and
// written when the run ends, however it ends.
type traceFile struct {
	path string
	f    *os.File
}

// openTrace creates the trace file with mode 0600: it holds redacted
// exchanges, but still tenant ids, URLs and token claims.
func openTrace(path string) (*traceFile, error) {
	if path == "" {
		return nil, nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, usageError("--trace: %s is a directory", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, usageError("--trace: %v", err)
	}
	// An existing file keeps its mode through O_TRUNC: narrow it.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, usageError("--trace: %v", err)
	}
	return &traceFile{path: path, f: f}, nil
}

// write writes the HAR document; a failure is said on stderr (the report
// itself is already out).
func (t *traceFile) write(a *app, client *wire.Client) {
	if t == nil {
		return
	}
	v, _ := report.BuildInfo()
	err := wire.WriteHAR(t.f, client.Recorder().Exchanges(), client.Redactor(), v)
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "c7doctor: --trace %s: %v\n", filepath.Base(t.path), err)
	}
}

// abandon removes a trace file the run never got to fill.
func (t *traceFile) abandon() {
	if t == nil {
		return
	}
	t.f.Close()
	os.Remove(t.path)
}
