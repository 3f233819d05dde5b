#!/usr/bin/env bash
# Time to a verdict with default flags (--timeout 10s): a healthy lab beside
# the lab's gateway-slow fault, whose gateway accepts connections and answers
# nothing for 3x --timeout. The dead gateway is diagnosed once, at challenge;
# the target is a whole run within 1x --timeout + 2 s. Loopback only.
#
#   bench/verdict.sh              # RUNS=3 alternated runs of each
# Results: bench/out/<UTC time>/verdict.md (+ JSON).
set -euo pipefail

RUNS="${RUNS:-3}"
bench_dir="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
out="$bench_dir/out/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/c7doctor-verdict.XXXXXX")"
trap 'rm -rf "$work"' EXIT

(cd "$repo" && go build -trimpath -o "$work/c7doctor" . && go build -o "$work/measure" ./bench/measure)
# measure times only runs that exit 0; gateway-slow's verdict is exit 1.
cat >"$work/slow.sh" <<SH
#!/bin/sh
"$work/c7doctor" run --lab --fault gateway-slow -o json >"$work/slow.json"
[ \$? -eq 1 ] && grep -q '"gateway-timeout"' "$work/slow.json"
SH
chmod +x "$work/slow.sh"

"$work/measure" -runs "$RUNS" -warmup 0 -timeout 120s -json "$out/verdict.json" \
  -title "Time to a verdict, default flags (--timeout 10s)" \
  ::gateway-slow "$work/slow.sh" \
  ::healthy "$work/c7doctor" run --lab -o json | tee "$out/verdict.md"
echo "results: $out/verdict.md" >&2
