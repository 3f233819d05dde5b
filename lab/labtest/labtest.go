// Package labtest starts the lab for any package's tests.
package labtest

import (
	"context"
	"testing"

	"github.com/c7doctor/c7doctor/lab"
)

// Start serves a lab world for the rest of the test and stops it at cleanup.
func Start(t testing.TB, opts lab.Options) *lab.World {
	t.Helper()
	w, err := lab.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// Settings writes the world's files into a temporary directory of the test
// and returns the settings of a run against it.
func Settings(t testing.TB, w *lab.World) lab.Settings {
	t.Helper()
	files, err := w.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	return w.Settings(files)
}
