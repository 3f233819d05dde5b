package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// spread is the median of a series with its extremes and quartiles.
type spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	P25    float64 `json:"p25"`
	P75    float64 `json:"p75"`
	Max    float64 `json:"max"`
}

// result is one command's figures: times in milliseconds, RSS in MiB.
type result struct {
	Name   string   `json:"name"`
	Argv   []string `json:"argv"`
	Runs   int      `json:"runs"`
	WallMS spread   `json:"wall_ms"`
	CPUMS  spread   `json:"cpu_ms"`
	RSSMiB spread   `json:"peak_rss_mib"`
	// Ratios of the subject's (first command's) medians to this command's.
	WallRatio float64 `json:"wall_ratio,omitempty"`
	CPURatio  float64 `json:"cpu_ratio,omitempty"`
	RSSRatio  float64 `json:"rss_ratio,omitempty"`
}

func spreadOf(xs []float64) spread {
	s := slices.Clone(xs)
	slices.Sort(s)
	return spread{Median: quantile(s, 0.5), Min: s[0], P25: quantile(s, 0.25), P75: quantile(s, 0.75), Max: s[len(s)-1]}
}

// quantile interpolates linearly between the closest ranks of a sorted series.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	pos := q * float64(len(sorted)-1)
	lo := int(pos)
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func summarize(tools []tool, samples [][]sample) []result {
	out := make([]result, len(tools))
	for i, t := range tools {
		var wall, cpu, rss []float64
		for _, s := range samples[i] {
			wall = append(wall, ms(s.Wall))
			cpu = append(cpu, ms(s.CPU))
			rss = append(rss, float64(s.MaxRSS)/(1<<20))
		}
		out[i] = result{Name: t.Name, Argv: redactArgv(t.Argv), Runs: len(samples[i]),
			WallMS: spreadOf(wall), CPUMS: spreadOf(cpu), RSSMiB: spreadOf(rss)}
	}
	for i := 1; i < len(out); i++ {
		out[i].WallRatio = ratio(out[0].WallMS.Median, out[i].WallMS.Median)
		out[i].CPURatio = ratio(out[0].CPUMS.Median, out[i].CPUMS.Median)
		out[i].RSSRatio = ratio(out[0].RSSMiB.Median, out[i].RSSMiB.Median)
	}
	return out
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// writeTable prints a Markdown table: median, then [min–max] as the spread.
func writeTable(w io.Writer, title string, res []result, rssFloor float64) {
	if title != "" {
		fmt.Fprintf(w, "%s\n\n", title)
	}
	subject := res[0].Name
	fmt.Fprintln(w, "| command | runs | wall ms, median [min–max] | CPU ms, median [min–max] | peak RSS MiB, median [max] | "+subject+" / this (wall, CPU, RSS) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for i, r := range res {
		rat := "—"
		if i > 0 {
			rat = fmt.Sprintf("%.2f× / %.2f× / %.2f×", r.WallRatio, r.CPURatio, r.RSSRatio)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %.1f [%.1f] | %s |\n", r.Name, r.Runs,
			span(r.WallMS), span(r.CPUMS), r.RSSMiB.Median, r.RSSMiB.Max, rat)
	}
	fmt.Fprintln(w)
	for _, r := range res {
		fmt.Fprintf(w, "- %s: `%s`\n", r.Name, shellJoin(r.Argv))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Wall time from start to exit; CPU time is user+system of the process and every descendant it waited for; "+
		"peak RSS is the kernel's ru_maxrss over the same processes (the largest one, not a sum), "+
		"and cannot read below %.1f MiB, the measuring process's own peak, which a child inherits until it execs.\n", rssFloor)
}

func span(s spread) string {
	return fmt.Sprintf("%s [%s–%s]", num(s.Median), num(s.Min), num(s.Max))
}

// num keeps three significant figures for small values, none wasted on big ones.
func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// redactArgv hides bearer tokens given on a command line (Inspector takes its
// Authorization header there), so that tables and JSON can be published.
func redactArgv(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if k := strings.Index(strings.ToLower(a), "bearer "); k >= 0 {
			a = a[:k+len("bearer ")] + "$TOKEN"
		}
		out[i] = a
	}
	return out
}

// shellJoin quotes the words that need it, so a printed command can be pasted.
func shellJoin(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
