package checks

import (
	"context"
	"io"
	"time"

	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// Env is what a check works with.
type Env struct {
	Config *Config
	HTTP   *wire.Client
	// Graph reads the app registrations from Microsoft Graph (nil: the
	// entra checks skip). The credential behind it is built by the caller, once.
	Graph  GraphReader
	State  *State
	Target *report.Target
	Now    func() time.Time
	// Stderr is where a check may talk to a person (device-code prompt);
	// the caller passes io.Discard when stderr is not a terminal.
	Stderr io.Writer
	// Interactive is true when stderr is a terminal (spinners, prompts).
	Interactive bool

	// ARM reads the APIM instance (nil: the configuration checks skip). The
	// credential behind it is built by the caller, once.
	ARM APIMReader

	// OpenBrowser shows a URL to the person in a browser (the system's, or
	// the lab's); it may return before the person is done.
	OpenBrowser func(ctx context.Context, url string) error

	// Progress, when set, is told which check starts (spinner on a terminal).
	Progress func(id, title string)

	deadline *pausableDeadline
	// ctx is the run's context (Ctrl-C, the deadline), for the few places
	// that read on demand without a context of their own.
	ctx context.Context
}

// runContext is the run's context; Background outside a run.
func (e *Env) runContext() context.Context {
	if e.ctx == nil {
		return context.Background()
	}
	return e.ctx
}

// PersonTime stops the run's deadline while a person acts (device code);
// call the returned function when they are done.
func (e *Env) PersonTime() (resume func()) {
	if e.deadline == nil {
		return func() {}
	}
	e.deadline.pause()
	return e.deadline.resume
}

// Infer records a value the gateway revealed that the user did not give.
// field is the JSON name of the target field.
func (e *Env) Infer(field, value string) {
	if value == "" {
		return
	}
	// Each field the run may learn, in the config and in the report's target.
	slots := map[string][2]*string{
		"tenant":         {&e.Config.Tenant, &e.Target.Tenant},
		"gateway_app_id": {&e.Config.GatewayAppID, &e.Target.GatewayAppID},
		"mcp_api_app_id": {&e.Config.MCPAPIAppID, &e.Target.MCPAPIAppID},
		"subscription":   {&e.Config.Subscription, &e.Target.Subscription},
		"resource_group": {&e.Config.ResourceGroup, &e.Target.ResourceGroup},
		"apim_name":      {&e.Config.APIMName, &e.Target.APIMName},
	}
	slot, ok := slots[field]
	if !ok {
		return
	}
	*slot[0], *slot[1] = value, value
	for _, f := range e.Target.Inferred {
		if f == field {
			return
		}
	}
	e.Target.Inferred = append(e.Target.Inferred, field)
}

// Redactor is the run's one redaction point.
func (e *Env) Redactor() *wire.Redactor {
	if e.HTTP == nil {
		return nil
	}
	return e.HTTP.Redactor()
}

func (e *Env) redact(s string) string { return e.Redactor().String(s) }

func (e *Env) redactFinding(f report.Finding) report.Finding {
	f.Title = e.redact(f.Title)
	f.Detail = e.redact(f.Detail)
	for i := range f.Fix {
		f.Fix[i] = e.redact(f.Fix[i])
	}
	for i := range f.Commands {
		f.Commands[i] = e.redact(f.Commands[i])
	}
	return f
}
