package auth

import (
	"fmt"
	"time"
)

// Relative says when t is from now: "in 59m12s", "3d4h ago", "now".
func Relative(t, now time.Time) string {
	d := t.Sub(now).Round(time.Second)
	switch {
	case d == 0:
		return "now"
	case d > 0:
		return "in " + span(d)
	}
	return span(-d) + " ago"
}

// span writes a duration in at most two units: 3d4h, 2h5m, 4m9s, 12s.
func span(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d >= day:
		return fmt.Sprintf("%dd%dh", d/day, (d%day)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%dm", d/time.Hour, (d%time.Hour)/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%ds", d/time.Minute, (d%time.Minute)/time.Second)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// HumanTime is t in RFC 3339 (UTC) with its distance from now.
func HumanTime(t, now time.Time) string {
	return t.UTC().Format(time.RFC3339) + " (" + Relative(t, now) + ")"
}
