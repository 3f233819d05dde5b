package checks

import (
	"fmt"
	"strings"

	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// noteOrigins applies the run's one-root-cause rule after a check: a check
// that failed only because an origin found dead by an earlier check refused
// its requests is skipped with one line pointing at that check, which owns
// the finding. Retried requests go into the evidence.
func (e *Env) noteOrigins(id string, res *Result, earlier []report.Check) {
	for _, r := range e.HTTP.Retries(id) {
		key := "retried"
		if _, taken := res.evidence.Get(key); taken {
			key = fmt.Sprintf("retried_%d", len(res.evidence))
		}
		res.Evidence(key, r.String())
	}
	hits := e.HTTP.DeadHits(id)
	if len(hits) == 0 || res.skipped || !res.Failed() {
		return
	}
	d := hits[0]
	line := fmt.Sprintf("%s did not answer earlier in this run (%s)", e.originName(d.Origin), d.Kind)
	if d.Owner != "" {
		line += ": see " + d.Owner
		for _, c := range earlier {
			if c.ID == d.Owner {
				if f := firstErrorID(c.Findings); f != "" {
					line += " (" + f + ")"
				}
			}
		}
	}
	res.findings = nil
	res.Skip(line)
}

func firstErrorID(fs []report.Finding) string {
	for _, f := range fs {
		if f.Severity == report.Error {
			return f.ID
		}
	}
	return ""
}

// originName says which part of the setup an origin is.
func (e *Env) originName(origin string) string {
	c := e.Config
	switch strings.ToLower(origin) {
	case strings.ToLower(wire.Origin(c.Gateway)):
		return "the gateway " + origin
	case strings.ToLower(wire.Origin(c.AuthorityHost)):
		return "Entra " + origin
	case strings.ToLower(wire.Origin(c.Upstream)):
		return "Context7 " + origin
	}
	return origin
}
