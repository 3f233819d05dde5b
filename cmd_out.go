package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/c7doctor/c7doctor/report"
)

// extraOutput is one --out FORMAT=FILE: a report written to a file from the
// same run that writes stdout, so that one run feeds a person and CI at once.
type extraOutput struct {
	format string
	path   string
}

// parseOutputs checks every --out before the run starts: a typo must not
// cost a whole run to find out.
func parseOutputs(values []string) ([]extraOutput, error) {
	var outs []extraOutput
	seen := map[string]string{}
	for _, v := range values {
		format, path, ok := strings.Cut(v, "=")
		format = strings.TrimSpace(format)
		if !ok || path == "" {
			return nil, usageError("--out: expected FORMAT=FILE (FORMAT one of %s), got %q", strings.Join(report.Formats(), ", "), v)
		}
		if !slices.Contains(report.Formats(), format) {
			return nil, usageError("--out %s: unknown format %q (expected one of %s)", v, format, strings.Join(report.Formats(), ", "))
		}
		clean := filepath.Clean(path)
		if prev, dup := seen[clean]; dup {
			return nil, usageError("--out %s: %s is already the file of --out %s", v, path, prev)
		}
		seen[clean] = v
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			return nil, usageError("--out %s: %s is a directory", v, path)
		}
		outs = append(outs, extraOutput{format: format, path: path})
	}
	return outs, nil
}

// writeOutputs renders the report into each file through wrap, the
// redactor's writer. Each file is written whole or not at all: a report cut
// off by a full disk must not pass for a short run.
func writeOutputs(outs []extraOutput, rep *report.Report, wrap func(io.Writer) io.Writer) error {
	var errs []error
	for _, o := range outs {
		if err := writeOutput(o, rep, wrap); err != nil {
			errs = append(errs, fmt.Errorf("--out %s=%s: %w", o.format, o.path, err))
		}
	}
	return errors.Join(errs...)
}

func writeOutput(o extraOutput, rep *report.Report, wrap func(io.Writer) io.Writer) error {
	var buf bytes.Buffer
	if err := report.Render(o.format, wrap(&buf), rep, report.Options{}); err != nil {
		return err
	}
	// CI jobs write reports into folders that do not exist yet:
	// writeFileAtomic creates them.
	return writeFileAtomic(o.path, buf.Bytes(), 0o644)
}

// outputFailure keeps the run's own verdict when it has one: a broken
// gateway stays exit 1 even if its JUnit file could not be written. A
// healthy run whose report is missing is incomplete for CI.
func outputFailure(rep *report.Report, err error) error {
	code := rep.ExitCode
	if code == report.ExitHealthy {
		code = report.ExitIncomplete
	}
	return &exitError{code: code, msg: err.Error()}
}
