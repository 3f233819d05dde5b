#!/usr/bin/env bash
# What reading the configuration adds to a run: the whole journey against one
# lab whose management plane (ARM) waits 150 ms before every answer, with the
# configuration checks on (the lab's reader credential: ARM and Graph read)
# and off (no credential: those checks skip), alternated within each round.
# The target is at most 1.2 s added. Loopback only.
#
#   bench/config.sh               # COUNT=5 rounds of BENCHTIME=6x pairs
#   COUNT=10 BENCHTIME=10x bench/config.sh
# Results: bench/out/<UTC time>/config.md (+ the raw go test output).
set -euo pipefail

COUNT="${COUNT:-5}"
BENCHTIME="${BENCHTIME:-6x}"
bench_dir="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
out="$bench_dir/out/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"

(cd "$repo" && go test -run '^$' -bench '^BenchmarkConfigChecksAddedWall$' \
  -benchtime "$BENCHTIME" -count "$COUNT" ./checks/) | tee "$out/config.txt" >&2

# One line per round: ... <on> on-ms/run <off> off-ms/run <added> added-ms/run
awk -v benchtime="$BENCHTIME" '
  BEGIN { n = 0 }
  /^BenchmarkConfigChecksAddedWall/ {
    for (i = 2; i < NF; i++) {
      if ($(i+1) == "on-ms/run") on[n] = $i
      if ($(i+1) == "off-ms/run") off[n] = $i
      if ($(i+1) == "added-ms/run") add[n] = $i
    }
    n++
  }
  function median(a, k,   i, j, t, s) {
    for (i = 0; i < k; i++) s[i] = a[i]
    for (i = 1; i < k; i++) for (j = i; j > 0 && s[j-1] > s[j]; j--) { t = s[j]; s[j] = s[j-1]; s[j-1] = t }
    return k % 2 ? s[int(k/2)] : (s[k/2-1] + s[k/2]) / 2
  }
  function lo(a, k,   i, m) { m = a[0]; for (i = 1; i < k; i++) if (a[i] < m) m = a[i]; return m }
  function hi(a, k,   i, m) { m = a[0]; for (i = 1; i < k; i++) if (a[i] > m) m = a[i]; return m }
  END {
    if (n == 0) { print "no benchmark result" > "/dev/stderr"; exit 1 }
    printf "# Configuration checks: added wall time (ARM answers delayed 150 ms)\n\n"
    printf "%d rounds of %s alternated pairs of whole runs against one lab.\n\n", n, benchtime
    printf "| | median ms per run | range |\n|---|---:|---:|\n"
    printf "| configuration checks on | %.0f | %.0f–%.0f |\n", median(on, n), lo(on, n), hi(on, n)
    printf "| off (no credential) | %.0f | %.0f–%.0f |\n", median(off, n), lo(off, n), hi(off, n)
    printf "| **added** (target ≤ 1200) | **%.0f** | %.0f–%.0f |\n", median(add, n), lo(add, n), hi(add, n)
  }' "$out/config.txt" | tee "$out/config.md"
echo "results: $out/config.md" >&2
