package checks

import (
	"context"
	"fmt"
	"slices"

	"github.com/c7doctor/c7doctor/report"
)

// Result is what one check writes as it works. Everything written passes the
// run's redactor.
type Result struct {
	env      *Env
	summary  string
	evidence report.Evidence
	findings []report.Finding
	skipped  bool
	// stopped is closed when Ctrl-C or the deadline ends the run: what a
	// check finds after that (a cancelled request read as "unreachable")
	// is a consequence of the stop, not a fact about the gateway.
	stopped <-chan struct{}
	// ctx is the check's own context (its timeout under the run's), for
	// helpers that wait on something the run reads alongside the check.
	ctx context.Context
}

// context is the check's context; the run's outside a check.
func (r *Result) context() context.Context {
	if r.ctx != nil {
		return r.ctx
	}
	return r.env.runContext()
}

func (r *Result) afterStop() bool {
	if r.stopped == nil {
		return false
	}
	select {
	case <-r.stopped:
		return true
	default:
		return false
	}
}

// Summary sets the check's one-line summary.
func (r *Result) Summary(format string, args ...any) {
	if r.afterStop() {
		return
	}
	r.summary = r.env.redact(fmt.Sprintf(format, args...))
}

// Evidence records a fact, replacing an earlier value under the same key.
func (r *Result) Evidence(key, value string) {
	value = r.env.redact(value)
	for i := range r.evidence {
		if r.evidence[i].Key == key {
			r.evidence[i].Value = value
			return
		}
	}
	r.evidence = append(r.evidence, report.Field{Key: key, Value: value})
}

// FindingOption adjusts a finding built from the catalog.
type FindingOption func(*report.Finding)

// WithSeverity overrides the catalog's severity.
func WithSeverity(s report.Severity) FindingOption {
	return func(f *report.Finding) { f.Severity = s }
}

// WithEntra attaches Entra's error codes and ids.
func WithEntra(codes []int, traceID, correlationID string) FindingOption {
	return func(f *report.Finding) {
		f.AADSTS = append([]int(nil), codes...)
		f.TraceID = traceID
		f.CorrelationID = correlationID
	}
}

// WithFix adds fix steps before the catalog's own.
func WithFix(steps ...string) FindingOption {
	return func(f *report.Finding) { f.Fix = append(append([]string(nil), steps...), f.Fix...) }
}

// WithCommands adds commands after the catalog's own, each once: a cause
// the configuration shows often names a command the catalog already gives.
func WithCommands(cmds ...string) FindingOption {
	return func(f *report.Finding) {
		for _, c := range cmds {
			if !slices.Contains(f.Commands, c) {
				f.Commands = append(f.Commands, c)
			}
		}
	}
}

// Find adds the catalog finding id with a detail that says what was seen.
func (r *Result) Find(id, detail string, opts ...FindingOption) {
	if r.afterStop() {
		return
	}
	r.add(id, detail, opts...)
}

// add records a finding even after the run stopped: the runner's own.
func (r *Result) add(id, detail string, opts ...FindingOption) {
	d := NewCommandData(r.env.Config)
	graphCommandData(r.env, &d)
	f := d.Finding(id, detail)
	for _, o := range opts {
		o(&f)
	}
	r.findings = append(r.findings, r.env.redactFinding(f))
}

// Findf is Find with a formatted detail.
func (r *Result) Findf(id, format string, args ...any) {
	r.Find(id, fmt.Sprintf(format, args...))
}

// Skip marks the check as not run, with the reason as its summary.
func (r *Result) Skip(reason string) {
	r.skipped = true
	r.summary = r.env.redact(reason)
}

// Has reports whether a finding with the id was added.
func (r *Result) Has(id string) bool {
	for _, f := range r.findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// Failed reports whether an error finding was added.
func (r *Result) Failed() bool { return report.StatusOf(r.findings) == report.Fail }

// withoutCommands drops the catalog's commands: they would target an app
// the tenant cannot change.
func withoutCommands() FindingOption {
	return func(f *report.Finding) { f.Commands = []string{} }
}
