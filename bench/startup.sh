#!/usr/bin/env bash
# bench/startup.sh: c7doctor's start-up alone, without the lab or the other
# tools: `c7doctor version` beside the reference (bench/reference.sh: the same
# packages, does nothing) and an empty Go program, alternated in one run, and
# the time the project's own packages spend in init (GODEBUG=inittrace=1),
# median over INIT_RUNS runs. bench/run.sh measures the same pairing among
# its other figures.
#
#   bench/startup.sh                      # VERSION_RUNS=200, INIT_RUNS=21
#   NICE=-10 bench/startup.sh             # as root, on a shared machine
set -euo pipefail

VERSION_RUNS="${VERSION_RUNS:-200}"
INIT_RUNS="${INIT_RUNS:-21}"
NICE="${NICE:-}"

bench_dir="$(cd "$(dirname "$0")" && pwd)"
module="$(cd "$bench_dir/.." && go list -m)"
work="$(mktemp -d "${TMPDIR:-/tmp}/c7doctor-startup.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prio=()
if [[ -n "$NICE" ]]; then
  prio=(nice -n "$NICE")
fi

bin="$work/c7doctor"
bash "$bench_dir/build.sh" "$work"

echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; $(go version | cut -d' ' -f3)"
echo
"${prio[@]}" "$work/measure" -runs "$VERSION_RUNS" -warmup 5 \
  -title "### Start-up: \`c7doctor version\` ($VERSION_RUNS alternated runs each)" \
  ::version "$bin" version ::reference "$work/reference" ::empty-go-program "$work/empty-go"
echo

# inittrace: "init <package> @<t> ms, <clock> ms clock, <bytes> bytes, <allocs> allocs".
for _ in $(seq "$INIT_RUNS"); do
  GODEBUG=inittrace=1 "${prio[@]}" "$bin" version 2>&1 >/dev/null |
    awk -v m="$module" '$1 == "init" && ($2 == "main" || $2 == m || index($2, m "/") == 1) {
      sub("^" m "/?", "", $2); if ($2 == "") $2 = "main"; t += $5; print "pkg", $2, $5, $10 }
      END { print "total", "-", t + 0, "-" }'
done >"$work/init.txt"
echo "### The project's own packages in init ($INIT_RUNS runs of \`GODEBUG=inittrace=1 c7doctor version\`, median)"
echo
echo "| package | ms, median | allocations |"
echo "|---|---:|---:|"
awk '
  { key = ($1 == "total") ? "all together" : $2; v[key] = v[key] " " $3; a[key] = $4; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
  END {
    for (i = 1; i <= n; i++) {
      k = order[i]; c = split(substr(v[k], 2), xs, " ")
      for (x = 1; x <= c; x++) for (y = x + 1; y <= c; y++) if (xs[y] + 0 < xs[x] + 0) { t = xs[x]; xs[x] = xs[y]; xs[y] = t }
      printf "| %s | %.3f | %s |\n", k, xs[int((c + 1) / 2)], a[k]
    }
  }' "$work/init.txt"
