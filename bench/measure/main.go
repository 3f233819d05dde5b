// Command measure runs commands side by side, alternating, and reports for
// each the wall time, the CPU time (user+system of the process and every
// descendant it waited for) and the peak resident set size, from the kernel's
// rusage of the child: median and spread over N runs.
//
//	measure [-runs N] [-warmup W] [-timeout D] [-json FILE] [-title T] \
//	    ::name [VAR=value...] command args... ::name2 command args...
//
// The first command is the subject: the others get a ratio subject/other.
// Every run must exit 0, or the measurement stops: timing a failure says
// nothing. bench/run.sh drives it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// tool is one command to measure.
type tool struct {
	Name string   `json:"name"`
	Env  []string `json:"-"`
	Argv []string `json:"-"`
}

// sample is one run.
type sample struct {
	Wall   time.Duration
	CPU    time.Duration
	MaxRSS int64 // bytes
}

func main() {
	os.Exit(mainErr(os.Args[1:], os.Stdout, os.Stderr))
}

func mainErr(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 10, "measured runs of each command")
	warmup := fs.Int("warmup", 1, "unrecorded runs of each command first")
	timeout := fs.Duration("timeout", time.Minute, "limit of one run; the process group is killed after it")
	jsonOut := fs.String("json", "", "also write the results as JSON to this file")
	title := fs.String("title", "", "heading of the table")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	tools, err := parseTools(fs.Args())
	if err == nil && (*runs < 1 || *runs > 10000 || *warmup < 0 || *warmup > 100) {
		err = errors.New("-runs must be 1..10000 and -warmup 0..100")
	}
	if err != nil {
		fmt.Fprintln(stderr, "measure:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	samples := make([][]sample, len(tools))
	total := *warmup + *runs
	for round := 0; round < total; round++ {
		// Alternate, and rotate who goes first, so that no command always runs
		// right after the same neighbour.
		for k := range tools {
			i := (round + k) % len(tools)
			s, err := runOnce(ctx, tools[i], *timeout)
			if err != nil {
				fmt.Fprintf(stderr, "measure: %s, round %d: %v\n", tools[i].Name, round+1, err)
				return 1
			}
			if round >= *warmup {
				samples[i] = append(samples[i], s)
			}
		}
	}
	res := summarize(tools, samples)
	floor := selfMaxRSS()
	writeTable(stdout, *title, res, floor)
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*jsonOut, append(data, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "measure:", err)
			return 1
		}
	}
	return 0
}

// parseTools reads "::name [VAR=value...] argv..." groups.
func parseTools(args []string) ([]tool, error) {
	var tools []tool
	for _, a := range args {
		if name, ok := strings.CutPrefix(a, "::"); ok {
			if name == "" {
				return nil, errors.New(`expected a name after "::"`)
			}
			tools = append(tools, tool{Name: name})
			continue
		}
		if len(tools) == 0 {
			return nil, fmt.Errorf("expected ::name before %q", a)
		}
		t := &tools[len(tools)-1]
		if len(t.Argv) == 0 && isAssignment(a) {
			t.Env = append(t.Env, a)
			continue
		}
		t.Argv = append(t.Argv, a)
	}
	if len(tools) == 0 {
		return nil, errors.New("expected at least one ::name command")
	}
	for _, t := range tools {
		if len(t.Argv) == 0 {
			return nil, fmt.Errorf("%s: expected a command", t.Name)
		}
	}
	return tools, nil
}

func isAssignment(a string) bool {
	k, _, ok := strings.Cut(a, "=")
	if !ok || k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// runOnce runs a command in its own process group and reads its rusage.
func runOnce(ctx context.Context, t tool, timeout time.Duration) (sample, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.Command(t.Argv[0], t.Argv[1:]...)
	cmd.Env = append(os.Environ(), t.Env...)
	out := &tail{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return sample{}, fmt.Errorf("killed: %w\n%s", context.Cause(ctx), out)
	}
	wall := time.Since(start)
	// Whatever the command left behind in its group goes too.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if err != nil {
		return sample{}, fmt.Errorf("%w\n%s", err, out)
	}
	st := cmd.ProcessState
	s := sample{Wall: wall, CPU: st.UserTime() + st.SystemTime()}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		s.MaxRSS = ru.Maxrss * 1024 // Linux reports KiB
	}
	return s, nil
}

// selfMaxRSS is this process's own peak RSS in MiB. A child starts as a vfork
// of it and the kernel keeps the larger of the two peaks across exec, so no
// child can be measured below it.
func selfMaxRSS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

// tail keeps the last max bytes written, to explain a failing run.
type tail struct {
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.buf) }
