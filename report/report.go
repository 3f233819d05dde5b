// Package report is the result model of a c7doctor run. Renderers only turn
// it into bytes; the exit code is derived from the model.
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// SchemaVersion is the version of the JSON contract (testdata/report.schema.json).
const SchemaVersion = 1

// Status of a check or of a whole run.
type Status string

const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Severity of a finding.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Exit codes of `c7doctor run`.
const (
	ExitHealthy     = 0
	ExitFailed      = 1
	ExitUsage       = 2
	ExitIncomplete  = 3
	ExitInterrupted = 130
)

// Guide points at the section of the setup guide that fixes a finding.
type Guide struct {
	Section string `json:"section"`
	Anchor  string `json:"anchor"`
}

// URL is the section's address in the published guide.
func (g Guide) URL() string {
	return GuideURL + "#" + g.Anchor
}

// GuideURL is where the setup guide is published.
const GuideURL = "https://context7.com/docs/enterprise/azure-apim"

// Finding is one thing a check found.
type Finding struct {
	ID            string   `json:"id"`
	Severity      Severity `json:"severity"`
	Title         string   `json:"title"`
	Detail        string   `json:"detail"`
	Fix           []string `json:"fix"`
	Commands      []string `json:"commands"`
	Guide         *Guide   `json:"guide"`
	AADSTS        []int    `json:"aadsts,omitempty"`
	CorrelationID string   `json:"correlation_id,omitempty"`
	TraceID       string   `json:"trace_id,omitempty"`
}

// Field is one piece of evidence. Evidence keeps insertion order so that
// reports read in the order a check worked.
type Field struct {
	Key   string
	Value string
}

// Evidence is an ordered set of key/value facts; it renders as a JSON object.
type Evidence []Field

// Get returns the value stored under key.
func (e Evidence) Get(key string) (string, bool) {
	for _, f := range e {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}

// MarshalJSON writes the evidence as an object, keys in insertion order.
func (e Evidence) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range e {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of strings; key order follows the document.
func (e *Evidence) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return err
	}
	*e = (*e)[:0]
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*e = append(*e, Field{Key: kt.(string), Value: v})
	}
	return nil
}

// Check is the outcome of one check.
type Check struct {
	ID         string        `json:"id"`
	Title      string        `json:"title"`
	Status     Status        `json:"status"`
	Duration   time.Duration `json:"-"`
	DurationMS int64         `json:"duration_ms"`
	Summary    string        `json:"summary"`
	Evidence   Evidence      `json:"evidence"`
	Findings   []Finding     `json:"findings"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Target is what was checked.
type Target struct {
	Gateway      string `json:"gateway"`
	MCPEndpoint  string `json:"mcp_endpoint"`
	Tenant       string `json:"tenant"`
	GatewayAppID string `json:"gateway_app_id"`
	MCPAPIAppID  string `json:"mcp_api_app_id"`
	// The APIM instance in Azure Resource Manager, when known.
	Subscription  string   `json:"subscription,omitempty"`
	ResourceGroup string   `json:"resource_group,omitempty"`
	APIMName      string   `json:"apim_name,omitempty"`
	Inferred      []string `json:"inferred"`
}

// Summary counts checks by status.
type Summary struct {
	Pass int `json:"pass"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

// Report is a whole run.
type Report struct {
	SchemaVersion int           `json:"schema_version"`
	Tool          Tool          `json:"tool"`
	Target        Target        `json:"target"`
	StartedAt     time.Time     `json:"started_at"`
	Duration      time.Duration `json:"-"`
	DurationMS    int64         `json:"duration_ms"`
	Status        Status        `json:"status"`
	ExitCode      int           `json:"exit_code"`
	Summary       Summary       `json:"summary"`
	Checks        []Check       `json:"checks"`
	// Coverage says what the run proved and what it could not test for
	// lack of input; nil only in reports built without the runner.
	Coverage *Coverage `json:"coverage,omitempty"`
	// Cause is set when the first broken hop's finding names more than one
	// possible cause and a later check decided which: the verdict cites it.
	Cause *Cause `json:"cause,omitempty"`
	// Interrupted is set when Ctrl-C ended the run.
	Interrupted bool `json:"-"`
}

// Cause is the decided cause of the first broken hop.
type Cause struct {
	Check     string `json:"check"`     // the check that decided
	Finding   string `json:"finding"`   // its finding id
	Title     string `json:"title"`     // its finding title
	Ambiguous string `json:"ambiguous"` // the first broken hop's finding it resolves
}

// StatusOf is the status a check's findings give it: the worst severity wins.
func StatusOf(findings []Finding) Status {
	s := Pass
	for _, f := range findings {
		switch f.Severity {
		case Error:
			return Fail
		case Warning:
			s = Warn
		}
	}
	return s
}

// Finalize fills the summary, overall status and exit code from the checks.
// required names the checks that must not be skipped; strict makes a warning fail the run.
func (r *Report) Finalize(required []string, strict bool) {
	r.SchemaVersion = SchemaVersion
	r.Summary = Summary{}
	r.Status = Pass
	skippedRequired := false
	for i := range r.Checks {
		c := &r.Checks[i]
		c.DurationMS = c.Duration.Milliseconds()
		if c.Evidence == nil {
			c.Evidence = Evidence{}
		}
		if c.Findings == nil {
			c.Findings = []Finding{}
		}
		for j := range c.Findings {
			if c.Findings[j].Fix == nil {
				c.Findings[j].Fix = []string{}
			}
			if c.Findings[j].Commands == nil {
				c.Findings[j].Commands = []string{}
			}
		}
		switch c.Status {
		case Pass:
			r.Summary.Pass++
		case Warn:
			r.Summary.Warn++
			if r.Status == Pass {
				r.Status = Warn
			}
		case Fail:
			r.Summary.Fail++
			r.Status = Fail
		case Skip:
			r.Summary.Skip++
			for _, id := range required {
				if id == c.ID {
					skippedRequired = true
				}
			}
		}
	}
	if r.Target.Inferred == nil {
		r.Target.Inferred = []string{}
	}
	r.DurationMS = r.Duration.Milliseconds()
	switch {
	case r.Interrupted:
		r.ExitCode = ExitInterrupted
	case r.Status == Fail, strict && r.Status == Warn:
		r.ExitCode = ExitFailed
	case skippedRequired:
		r.ExitCode = ExitIncomplete
	default:
		r.ExitCode = ExitHealthy
	}
}

// Find returns the check with the given id.
func (r *Report) Find(id string) (*Check, bool) {
	for i := range r.Checks {
		if r.Checks[i].ID == id {
			return &r.Checks[i], true
		}
	}
	return nil, false
}

// Coverage is what a run tested. A check skipped for lack of input (no
// token, no secret, not requested) stays a skip and changes the exit code
// only through --require; coverage says so in every format.
type Coverage struct {
	Complete bool       `json:"complete"`
	Tested   []string   `json:"tested"`
	Untested []Untested `json:"untested"`
	// Next says what to give the run to test the rest, one line per missing input.
	Next []string `json:"next"`
}

// Untested is a check not run for lack of input.
type Untested struct {
	Check string `json:"check"`
	Why   string `json:"why"`
}

// CoverageLine is the coverage in one sentence, "" when the run was complete.
func (r *Report) CoverageLine() string {
	c := r.Coverage
	if c == nil || c.Complete {
		return ""
	}
	ids := make([]string, len(c.Untested))
	for i, u := range c.Untested {
		ids[i] = u.Check
	}
	line := fmt.Sprintf("coverage: %d of %d checks ran; not tested for lack of input: %s", len(c.Tested), len(r.Checks), strings.Join(ids, ", "))
	if len(c.Next) > 0 {
		line += ". To test them: " + strings.Join(c.Next, "; ")
	}
	return line
}
