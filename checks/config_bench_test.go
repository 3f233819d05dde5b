package checks

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/c7doctor/c7doctor/lab"
	"github.com/c7doctor/c7doctor/lab/labtest"
	"github.com/c7doctor/c7doctor/report"
)

// slowARM is the delay of every management-plane answer in the benchmark:
// a slow but ordinary ARM.
const slowARM = 150 * time.Millisecond

// BenchmarkConfigChecksAddedWall runs the whole journey against one lab
// whose ARM waits 150 ms before every answer, with the configuration
// checks on (the lab's reader credential) and off (no credential: ARM and
// Graph are not read and those checks skip), alternating which goes first.
// added-ms/run is what reading the configuration adds to a run's wall time;
// the target is at most 1200.
func BenchmarkConfigChecksAddedWall(b *testing.B) {
	w := labtest.Start(b, lab.Options{ARMDelay: slowARM})
	cfg := labConfig(b, labtest.Settings(b, w))
	cfg.Timeout = 5 * time.Second
	run := func(config bool) time.Duration {
		c := *cfg
		env := labEnv(b, w, &c, io.Discard)
		defer env.HTTP.Close()
		if !config {
			env.ARM, env.Graph = nil, nil
		}
		start := time.Now()
		rep := Run(context.Background(), env, All, Selection{})
		d := time.Since(start)
		for _, ch := range rep.Checks {
			configCheck := strings.HasPrefix(ch.ID, "apim-") || strings.HasPrefix(ch.ID, "entra-")
			want := report.Pass
			if configCheck && !config {
				want = report.Skip
			}
			if ch.Status != want {
				b.Fatalf("config %v: %s is %s (%s), want %s", config, ch.ID, ch.Status, ch.Summary, want)
			}
		}
		return d
	}
	run(true) // the first sign-in fills the token cache both then use
	var on, off time.Duration
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			on += run(true)
			off += run(false)
		} else {
			off += run(false)
			on += run(true)
		}
		i++
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(i) }
	b.ReportMetric(ms(on), "on-ms/run")
	b.ReportMetric(ms(off), "off-ms/run")
	b.ReportMetric(ms(on-off), "added-ms/run")
}
