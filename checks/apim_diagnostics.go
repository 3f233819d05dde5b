package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/c7doctor/c7doctor/azure"
	"github.com/c7doctor/c7doctor/report"
)

// runAPIMDiagnostics judges the diagnostics that apply to the MCP API: per
// diagnostic name, its API-level setting where there is one, else the
// service's. One that logs frontend or backend response body bytes makes
// APIM buffer the answer to log it, which cuts the event stream ("Streaming
// responses get cut off"); the fix is at the level that applies. Request
// body logging is recorded, not judged: the client's POST is whole JSON,
// nothing streams in that direction.
func runAPIMDiagnostics(ctx context.Context, env *Env, r *Result) {
	snap := apimSnapshot(ctx, env, r, false)
	if snap == nil {
		return
	}
	diags := snap.Diagnostics
	api := mcpAPIID(env, snap)
	apiUnread := false
	for _, err := range diags.Errs {
		partial(r, "the diagnostics", err)
		var ae *azure.Error
		apiUnread = apiUnread || (errors.As(err, &ae) && strings.HasSuffix(ae.Op, " of "+api))
	}
	if snap.APIsErr != nil && len(snap.APIs) == 0 {
		// The API-level diagnostics are read per listed API: none were.
		partial(r, "the MCP API's own diagnostics (the APIs could not be listed)", snap.APIsErr)
		apiUnread = true
	}
	if len(diags.Errs) > 0 && len(diags.Settings) == 0 {
		r.Skip("the diagnostics could not be read")
		return
	}
	effective := diags.Effective(api)
	var applied []string
	for _, d := range effective {
		applied = append(applied, diagnosticLevelText(d))
	}
	r.Evidence("mcp_api", api)
	r.Evidence("diagnostics", listOr(applied))
	buffering := 0
	for _, d := range effective {
		if !d.BuffersResponses() {
			continue
		}
		buffering++
		detail := fmt.Sprintf("The diagnostic %s for the MCP API (%s): APIM buffers each answer to log it, so the event stream reaches the client cut short or all at once.", describeDiagnostic(d), api)
		var opts []FindingOption
		if d.Scope == azure.DiagnosticService && apiUnread {
			// The API's own diagnostics were not read: one of them may override this.
			detail += " The MCP API's own diagnostics could not be read; one of the same name would override this one."
			opts = append(opts, WithSeverity(report.Warning))
		}
		opts = append(opts, WithCommands(zeroDiagnosticsAt(env, d)))
		r.Find("apim-diagnostics-body-logging", detail, opts...)
		noteCause(r, diagnosticKey(d))
	}
	for _, s := range overriddenLogging(diags, effective) {
		r.Find("apim-diagnostics-overridden", fmt.Sprintf("The service-level diagnostic %s, but the MCP API's own %s logs no response body and overrides it there; the service's setting still applies to the instance's other APIs.", describeDiagnostic(s), s.Name))
	}
	switch {
	case buffering > 0:
		r.Summary("%d diagnostic(s) log response bodies of the MCP API: the event stream is cut", buffering)
	case len(effective) == 0:
		r.Summary("no diagnostic applies to the MCP API (%s)", api)
	default:
		r.Summary("no diagnostic logs response bodies of the MCP API: %s", strings.Join(applied, ", "))
	}
}

// diagnosticLevelText is "applicationinsights at service (logger x, response
// bodies 0/0 bytes)" for the evidence.
func diagnosticLevelText(d azure.Diagnostic) string {
	s := fmt.Sprintf("%s at %s (logger %s, response bodies %d/%d bytes", d.Name, diagnosticLevel(d), orNone(loggerName(d.LoggerID)), d.FrontendResponseBodyBytes, d.BackendResponseBodyBytes)
	if d.FrontendRequestBodyBytes > 0 || d.BackendRequestBodyBytes > 0 {
		s += fmt.Sprintf(", request bodies %d/%d bytes", d.FrontendRequestBodyBytes, d.BackendRequestBodyBytes)
	}
	return s + ")"
}

// overriddenLogging are service-level diagnostics that log response bodies
// but do not apply to the MCP API: an API-level one of the same name does.
func overriddenLogging(diags azure.Diagnostics, effective []azure.Diagnostic) []azure.Diagnostic {
	var out []azure.Diagnostic
	for _, s := range diags.Settings {
		if s.Scope != azure.DiagnosticService || !s.BuffersResponses() {
			continue
		}
		for _, e := range effective {
			if e.Scope == azure.DiagnosticAPI && strings.EqualFold(e.Name, s.Name) && !e.BuffersResponses() {
				out = append(out, s)
			}
		}
	}
	return out
}
