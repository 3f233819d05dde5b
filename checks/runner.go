package checks

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/c7doctor/c7doctor/report"
	"github.com/c7doctor/c7doctor/wire"
)

// Check is one step of the journey a run makes.
type Check struct {
	ID    string
	Title string
	// Needs are checks that must have passed (pass or warn) first.
	Needs []string
	// NeedsText describes needs beyond other checks, for `c7doctor checks`.
	NeedsText string
	// Ready returns why the check cannot run with this configuration, or "".
	// It is asked just before the check runs, after earlier checks inferred values.
	Ready func(env *Env) string
	Run   func(ctx context.Context, env *Env, r *Result)
	// PersonTime checks may wait for a person; they get no per-check timeout.
	PersonTime bool
	// Prefetch, when set, starts the check's reads before the first check
	// runs, so that slow reads (ARM) overlap the journey.
	Prefetch func(ctx context.Context, env *Env)
}

// Selection narrows a run: Only runs those and what they need; Skip skips
// those and what needs them; Require names checks whose skip makes the run
// incomplete (exit 3).
type Selection struct {
	Only, Skip, Require []string
	Strict              bool
}

// ErrInterrupted is the cause given to the run's context on Ctrl-C.
var ErrInterrupted = errors.New("interrupted")

var errDeadline = errors.New("deadline")

// Validate checks that every id names a check.
func (s Selection) Validate(all []Check) error {
	for flag, ids := range map[string][]string{"--only": s.Only, "--skip": s.Skip, "--require": s.Require} {
		for _, id := range ids {
			if _, ok := find(all, id); !ok {
				return fmt.Errorf("%s: unknown check %q (c7doctor checks lists them)", flag, id)
			}
		}
	}
	return nil
}

func find(all []Check, id string) (Check, bool) {
	for _, c := range all {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

// selected returns, for each check, "" when it runs or why it does not.
func (s Selection) selected(all []Check) map[string]string {
	out := map[string]string{}
	if len(s.Only) > 0 {
		want := map[string]bool{}
		var add func(id string)
		add = func(id string) {
			if want[id] {
				return
			}
			want[id] = true
			c, _ := find(all, id)
			for _, n := range c.Needs {
				add(n)
			}
		}
		for _, id := range s.Only {
			add(id)
		}
		for _, c := range all {
			if !want[c.ID] {
				out[c.ID] = "not selected (--only " + strings.Join(s.Only, ",") + ")"
			}
		}
	}
	skipped := map[string]bool{}
	for _, id := range s.Skip {
		skipped[id] = true
	}
	// Checks are ordered so that needs come first: one pass settles the closure.
	for _, c := range all {
		if skipped[c.ID] {
			if _, already := out[c.ID]; !already {
				out[c.ID] = "skipped by --skip"
			}
			continue
		}
		for _, n := range c.Needs {
			if skipped[n] {
				skipped[c.ID] = true
				if _, already := out[c.ID]; !already {
					out[c.ID] = "needs " + n + ", skipped by --skip"
				}
			}
		}
	}
	return out
}

// Run executes the checks in order and returns the finished report.
func Run(parent context.Context, env *Env, all []Check, sel Selection) *report.Report {
	rep := &report.Report{
		Tool:      report.Tool{Name: "c7doctor", Version: report.Version()},
		StartedAt: env.Now(),
	}
	if env.Target == nil {
		env.Target = &report.Target{}
	}
	if env.State == nil {
		env.State = &State{}
	}
	start := time.Now()
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	env.deadline = newPausableDeadline(env.Config.Deadline, func() { cancel(errDeadline) })
	env.ctx = ctx
	defer env.deadline.stop()

	notRun := sel.selected(all)
	for _, c := range all {
		if c.Prefetch != nil && notRun[c.ID] == "" {
			c.Prefetch(ctx, env)
		}
	}
	status := map[string]report.Status{}
	cov := &report.Coverage{Tested: []string{}, Untested: []report.Untested{}, Next: []string{}}
	noInput := map[string]bool{} // checks skipped for lack of input
	var stopped error            // why the rest of the run is skipped
	for _, c := range all {
		res := &Result{env: env}
		var dur time.Duration
		switch reason := notRun[c.ID]; {
		case stopped != nil:
			res.Skip(causeWord(stopped))
		case reason != "":
			res.Skip(reason)
		default:
			if need := firstUnmet(c.Needs, status); need != "" {
				res.Skip("needs " + need)
				noInput[c.ID] = noInput[need]
				break
			}
			if c.Ready != nil {
				if why := c.Ready(env); why != "" {
					res.Skip(why)
					noInput[c.ID] = true
					if !slices.Contains(cov.Next, res.summary) {
						cov.Next = append(cov.Next, res.summary)
					}
					break
				}
			}
			if env.Progress != nil {
				env.Progress(c.ID, c.Title)
			}
			t0 := time.Now()
			runOne(ctx, env, c, res)
			dur = time.Since(t0)
			if res.skipped && ctx.Err() == nil {
				// A check that skips itself lacks input (no token, no secret).
				noInput[c.ID] = true
				if !slices.Contains(cov.Next, res.summary) {
					cov.Next = append(cov.Next, res.summary)
				}
			}
			if env.HTTP != nil {
				env.noteOrigins(c.ID, res, rep.Checks)
			}
			if ctx.Err() != nil {
				res.skipped = false
				if errors.Is(context.Cause(ctx), errDeadline) {
					stopped = errDeadline
					res.add("deadline", fmt.Sprintf("The run's deadline (%s) passed while %s was running.", env.Config.Deadline, c.ID))
				} else {
					stopped = ErrInterrupted
					res.add("interrupted", fmt.Sprintf("Interrupted while %s was running.", c.ID))
				}
				if res.summary == "" {
					res.summary = causeWord(stopped)
				}
			}
		}
		chk := report.Check{
			ID: c.ID, Title: c.Title, Duration: dur, Summary: res.summary,
			Evidence: res.evidence, Findings: res.findings,
		}
		if res.skipped {
			chk.Status = report.Skip
		} else {
			chk.Status = report.StatusOf(res.findings)
			if chk.Summary == "" {
				chk.Summary = defaultSummary(chk)
			}
		}
		status[c.ID] = chk.Status
		rep.Checks = append(rep.Checks, chk)
		switch {
		case chk.Status != report.Skip:
			cov.Tested = append(cov.Tested, c.ID)
		case noInput[c.ID] && res.skipped:
			cov.Untested = append(cov.Untested, report.Untested{Check: c.ID, Why: chk.Summary})
		}
	}
	rep.Target = *env.Target
	rep.Duration = time.Since(start)
	rep.Interrupted = errors.Is(stopped, ErrInterrupted)
	cov.Complete = len(cov.Untested) == 0
	rep.Coverage = cov
	rep.Cause = decidedCause(rep)
	rep.Finalize(sel.Require, sel.Strict)
	return rep
}

func causeWord(err error) string {
	if errors.Is(err, errDeadline) {
		return "deadline"
	}
	return "interrupted"
}

func defaultSummary(c report.Check) string {
	for _, f := range c.Findings {
		if f.Severity != report.Info {
			return f.Title
		}
	}
	return "ok"
}

func firstUnmet(needs []string, status map[string]report.Status) string {
	for _, n := range needs {
		if s := status[n]; s != report.Pass && s != report.Warn {
			return n
		}
	}
	return ""
}

// grace is how long a check may take to notice its context ended before
// the runner stops waiting for it.
const grace = 2 * time.Second

// runOne runs a check under its timeout, turning a panic into a failure.
func runOne(ctx context.Context, env *Env, c Check, res *Result) {
	cctx := ctx
	var cancel context.CancelFunc = func() {}
	if !c.PersonTime {
		cctx, cancel = context.WithTimeout(ctx, checkTimeout(env.Config))
	}
	defer cancel()
	cctx = wire.WithOwner(cctx, c.ID)
	done := make(chan struct{})
	// The check writes into its own Result; if it overruns, the runner
	// stops reading it and reports what the abandonment means.
	shadow := &Result{env: env, stopped: ctx.Done(), ctx: cctx}
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				shadow.Find("check-panicked", fmt.Sprintf("%s panicked: %v\n%s", c.ID, p, firstFrames(debug.Stack())))
			}
		}()
		c.Run(cctx, env, shadow)
	}()
	select {
	case <-done:
	case <-cctx.Done():
		select {
		case <-done:
		case <-time.After(grace):
			if ctx.Err() != nil {
				return // the runner says why the run stopped
			}
			res.add("check-timeout", fmt.Sprintf("%s did not finish within its time and was abandoned.", c.ID))
			return
		}
	}
	*res = *shadow
	if !res.skipped && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) && len(res.findings) == 0 {
		res.add("check-timeout", fmt.Sprintf("%s ran out of time (%s) without a result.", c.ID, checkTimeout(env.Config)))
	}
}

// checkTimeout bounds one check: several requests at the per-request timeout.
func checkTimeout(c *Config) time.Duration {
	t := 4 * c.Timeout
	if t < 5*time.Second {
		t = 5 * time.Second
	}
	return t
}

func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	// Skip the runtime's own frames: keep the frames around the panic site.
	for i, l := range lines {
		if strings.Contains(l, "panic(") && i+4 < len(lines) {
			return strings.Join(lines[i+2:min(len(lines), i+6)], "\n")
		}
	}
	return ""
}

// pausableDeadline cancels the run when its active time passes d; time a
// person spends (device code) does not count.
type pausableDeadline struct {
	mu        sync.Mutex
	remaining time.Duration
	since     time.Time
	timer     *time.Timer
	fire      func()
	paused    int
}

func newPausableDeadline(d time.Duration, fire func()) *pausableDeadline {
	p := &pausableDeadline{remaining: d, fire: fire}
	if d > 0 {
		p.since = time.Now()
		p.timer = time.AfterFunc(d, fire)
	}
	return p
}

func (p *pausableDeadline) pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused++
	if p.paused > 1 || p.timer == nil {
		return
	}
	if p.timer.Stop() {
		p.remaining -= time.Since(p.since)
	}
}

func (p *pausableDeadline) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused == 0 {
		return
	}
	p.paused--
	if p.paused > 0 || p.timer == nil {
		return
	}
	p.since = time.Now()
	p.timer = time.AfterFunc(max(p.remaining, 0), p.fire)
}

func (p *pausableDeadline) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer != nil {
		p.timer.Stop()
	}
}

// Sorted reports whether the checks are ordered with needs first (a test asserts it).
func Sorted(all []Check) bool {
	seen := map[string]bool{}
	for _, c := range all {
		for _, n := range c.Needs {
			if !seen[n] {
				return false
			}
		}
		seen[c.ID] = true
	}
	return !slices.ContainsFunc(all, func(c Check) bool { return c.ID == "" })
}

// decidedCause finds, when the first broken hop's first error names more
// than one cause, the later finding that decides between them.
func decidedCause(rep *report.Report) *report.Cause {
	for i, c := range rep.Checks {
		if c.Status != report.Fail {
			continue
		}
		first := firstErrorID(c.Findings)
		if e, ok := Catalog()[first]; !ok || !e.Ambiguous {
			return nil
		}
		for _, later := range rep.Checks[i+1:] {
			for _, f := range later.Findings {
				if f.Severity == report.Error && slices.Contains(Catalog()[f.ID].Decides, first) {
					return &report.Cause{Check: later.ID, Finding: f.ID, Title: f.Title, Ambiguous: first}
				}
			}
		}
		return nil
	}
	return nil
}
