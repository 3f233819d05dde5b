package main

import (
	"testing"
	"time"
)

func TestParseDays(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "7": 7 * 24 * time.Hour, "720h": 720 * time.Hour, " 0d ": 0} {
		if got, err := parseDays(in); err != nil || got != want {
			t.Errorf("parseDays(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-3d", "thirty", "30days", "-1h"} {
		if _, err := parseDays(in); err == nil {
			t.Errorf("parseDays(%q) accepted", in)
		}
	}
}
