#!/usr/bin/env bash
# c7doctor's benchmark: time to a diagnosis against the lab, side by side with
# the guide's manual curl procedure and MCP Inspector's CLI, plus start-up time,
# binary size and the Go micro-benchmarks. Loopback only; everything it starts
# is stopped on exit.
#
#   bench/run.sh                  # RUNS=10 alternated runs of each tool
#   RUNS=30 VERSION_RUNS=500 BENCHTIME=2s bench/run.sh
#
# Needs Go, Node.js >= 20 with npm (Inspector 2.12.0 is installed under
# bench/node_modules from bench/package-lock.json), curl and jq.
# Results: bench/out/<UTC time>/results.md (+ JSON); bench/out/latest -> it.
set -euo pipefail

RUNS="${RUNS:-10}"
VERSION_RUNS="${VERSION_RUNS:-200}"
BENCHTIME="${BENCHTIME:-1s}"
RUN_TIMEOUT="${RUN_TIMEOUT:-60s}"
# NICE=-10 (as root) runs the lab and every measured command at that priority, so
# that other work on a shared machine disturbs the figures less; recorded in results.
NICE="${NICE:-}"
PROFILE="${PROFILE:-0}" # 1: also profile 20 full runs with perf (an unstripped build) into profile.txt

bench_dir="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$bench_dir/out/$stamp"
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/c7doctor-bench.XXXXXX")" # 0700: holds the token
lab_pid=""

cleanup() {
  local rc=$?
  if [[ -n "$lab_pid" ]] && kill -0 "$lab_pid" 2>/dev/null; then
    kill -TERM "$lab_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$lab_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$lab_pid" 2>/dev/null || true
    wait "$lab_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

prio=()
if [[ -n "$NICE" ]]; then
  prio=(nice -n "$NICE")
fi

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

for tool in go node npm curl jq; do
  command -v "$tool" >/dev/null || die "$tool is needed"
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
(( node_major >= 20 )) || die "Node.js >= 20 is needed for MCP Inspector's CLI, found $(node --version)"

# --- MCP Inspector, pinned -------------------------------------------------
inspector="$bench_dir/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
if [[ ! -f "$inspector" || "$bench_dir/package-lock.json" -nt "$bench_dir/node_modules/.package-lock.json" ]]; then
  say "installing MCP Inspector from bench/package-lock.json"
  # Its engines field says Node 22; its CLI runs on 20 (the check run below proves it).
  (cd "$bench_dir" && npm ci --no-audit --no-fund --loglevel=error --engine-strict=false)
fi
inspector_version="$(node "$inspector" --cli --version 2>/dev/null | tail -1)"

# --- build: stripped, as released -------------------------------------------
say "building c7doctor (-trimpath -ldflags=\"-s -w\")"
bin="$work/c7doctor"
# With the floors of the start-up figure: an empty Go program and the reference.
bash "$bench_dir/build.sh" "$work"
binary_bytes="$(stat -c %s "$bin")"
version_line="$("$bin" version)"
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -z "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]] || commit+=" with local changes"

# --- the lab, once ------------------------------------------------------------
say "starting c7doctor lab"
config="$work/lab/c7doctor.yaml"
"${prio[@]}" "$bin" lab --dir "$work/lab" >"$work/lab.out" 2>"$work/lab.err" &
lab_pid=$!
for _ in $(seq 200); do # up to 20 s
  kill -0 "$lab_pid" 2>/dev/null || die "the lab exited: $(cat "$work/lab.err")"
  grep -q -- '--config' "$work/lab.out" 2>/dev/null && break # printed once its files are written
  sleep 0.1
done
[[ -s "$config" ]] || die "the lab wrote no $config: $(cat "$work/lab.out" "$work/lab.err")"

# The config's keys are run's flag names, one "key: value" a line.
cfg() { awk -v k="$1:" '$1 == k { sub(/^[^:]*:[[:space:]]*/, ""); sub(/[[:space:]]+$/, ""); gsub(/^["'\'']|["'\'']$/, ""); print; exit }' "$config"; }
gateway="$(cfg gateway)"
api_path="$(cfg api-path)"; api_path="${api_path:-context7}"
tenant="$(cfg tenant)"
gateway_app_id="$(cfg gateway-app-id)"
authority="$(cfg authority-host)"
ca_file="$(cfg ca-file)"
cfg_dir="$(dirname "$config")"
[[ -z "$ca_file" || "$ca_file" == /* ]] || ca_file="$cfg_dir/$ca_file"
for v in gateway tenant gateway_app_id authority ca_file; do
  [[ -n "${!v}" ]] || die "the lab's config $config has no ${v//_/-}"
done
mcp_endpoint="$gateway/$api_path/mcp"

# --- one gateway token for all three ------------------------------------------
# As `az login` + `az account get-access-token` would: the device-code grant of
# the Azure CLI's public client, which the lab's tenant approves by itself. The
# same token then goes to every tool; none of them signs in during a measured run.
say "getting a gateway token (device code, approved by the lab)"
azure_cli=04b07795-8ddb-461a-bbee-02f9e1bf7b46
c=(curl --silent --show-error --max-time 10 --cacert "$ca_file")
dc="$("${c[@]}" "$authority/$tenant/oauth2/v2.0/devicecode" \
  --data-urlencode "client_id=$azure_cli" \
  --data-urlencode "scope=api://$gateway_app_id/Mcp.Gateway.Access openid profile offline_access")"
device_code="$(jq -r '.device_code // empty' <<<"$dc")"
[[ -n "$device_code" ]] || die "device code: $(jq -c 'del(.device_code)' <<<"$dc" 2>/dev/null || echo "$dc")"
token=""
for _ in $(seq 100); do # bounded: 100 polls
  tr="$("${c[@]}" "$authority/$tenant/oauth2/v2.0/token" \
    --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:device_code" \
    --data-urlencode "client_id=$azure_cli" --data-urlencode "device_code=$device_code")"
  token="$(jq -r '.access_token // empty' <<<"$tr")"
  [[ -n "$token" ]] && break
  err="$(jq -r '.error // empty' <<<"$tr")"
  [[ "$err" == authorization_pending || "$err" == slow_down ]] || die "device code polling: $(jq -c '{error, error_description}' <<<"$tr")"
  sleep 0.1
done
[[ -n "$token" ]] || die "device code: no token after 100 polls"
token_file="$work/token"
(umask 077 && printf '%s' "$token" >"$token_file")
unset tr

# --- the three tools, each checked once ---------------------------------------
c7doctor_cmd=("$bin" run --config "$config" --token-file "$token_file" --no-cache --call --upstream-probe -o json)
curl_env=(GATEWAY="$gateway" API_PATH="$api_path" GATEWAY_APP_ID="$gateway_app_id" TOKEN_FILE="$token_file" CA_FILE="$ca_file")
curl_cmd=(bash "$bench_dir/curl-procedure.sh")
mkdir -p "$work/inspector-home" # Inspector keeps state under $HOME: keep it out of the user's
inspector_env=(NODE_EXTRA_CA_CERTS="$ca_file" HOME="$work/inspector-home" NO_UPDATE_NOTIFIER=1)
# Two runs of Inspector's CLI. Its default (the "legacy" protocol era) sends
# initialize and notifications/initialized, then opens the GET event stream;
# the guide's API defines only POST /mcp, so APIM (and the lab) answer 404, the
# SDK counts the connection as failed, and unless tools/list went out first the
# CLI prints {"tools": []} with exit 0. "--protocol-era auto" negotiates the
# 2026-07-28 protocol (server/discover, then tools/list, POST only), which
# Context7 4.x speaks: that one lists the tools, and is the one the targets use.
inspector_cmd=(node "$inspector" --cli "$mcp_endpoint" --transport http --method tools/list
  --protocol-era auto --header "Authorization: Bearer $token")
inspector_legacy_cmd=(node "$inspector" --cli "$mcp_endpoint" --transport http --method tools/list
  --header "Authorization: Bearer $token")

say "checking each tool once"
report="$("${c7doctor_cmd[@]}")" || die "c7doctor run failed against the lab: $(jq -c '[.checks[] | select(.status != "pass") | {id, status, summary}]' <<<"$report" 2>/dev/null || echo "$report")"
ran="$(jq '[.checks[] | select(.status == "pass" or .status == "warn")] | length' <<<"$report")"
total="$(jq '.checks | length' <<<"$report")"
(( ran == total )) || die "c7doctor: $ran of $total checks ran clean: $(jq -c '[.checks[] | select(.status != "pass") | {id, status, summary}]' <<<"$report")"
requests="$("${c7doctor_cmd[@]}" -v 2>&1 >/dev/null | grep -c '^→' || true)"
warned="$(jq -r '[.checks[] | select(.status == "warn") | .id + " (" + ([.findings[].id] | join(", ")) + ")"] | join("; ")' <<<"$report")"
env "${curl_env[@]}" "${curl_cmd[@]}" >"$work/curl.txt" || die "the curl procedure failed: $(tail -5 "$work/curl.txt")"
tools_json="$(env "${inspector_env[@]}" "${inspector_cmd[@]}" 2>"$work/inspector.err")" || die "Inspector failed: $(tail -5 "$work/inspector.err")"
jq -e '.tools | map(.name) | index("resolve-library-id")' <<<"$tools_json" >/dev/null || die "Inspector listed no resolve-library-id: $tools_json"
# The legacy era races: whether tools/list goes out before the GET's 404 fails
# the connection depends on timing, so count what five runs list.
legacy_counts=()
for _ in 1 2 3 4 5; do
  legacy_json="$(env "${inspector_env[@]}" "${inspector_legacy_cmd[@]}" 2>"$work/inspector-legacy.err")" || die "Inspector (legacy era) failed: $(tail -5 "$work/inspector-legacy.err")"
  legacy_counts+=("$(jq '.tools | length' <<<"$legacy_json")")
done

# --- side by side ------------------------------------------------------------------
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
say "measuring: $RUNS alternated runs of each"
"${prio[@]}" "$work/measure" -runs "$RUNS" -warmup 1 -timeout "$RUN_TIMEOUT" -json "$out/tools.json" \
  -title "### Time to a diagnosis ($RUNS alternated runs each, after one warm-up)" \
  ::c7doctor "${c7doctor_cmd[@]}" \
  ::curl-procedure "${curl_env[@]}" "${curl_cmd[@]}" \
  ::inspector "${inspector_env[@]}" "${inspector_cmd[@]}" \
  ::inspector-legacy "${inspector_env[@]}" "${inspector_legacy_cmd[@]}" >"$out/tools.md"

say "measuring: c7doctor version, $VERSION_RUNS runs"
"${prio[@]}" "$work/measure" -runs "$VERSION_RUNS" -warmup 5 -json "$out/version.json" \
  -title "### Start-up: \`c7doctor version\` ($VERSION_RUNS runs)" \
  ::version "$bin" version ::reference "$work/reference" ::empty-go-program "$work/empty-go" >"$out/version.md"

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- where a run's CPU goes (optional) ---------------------------------------------
if [[ "$PROFILE" == 1 ]]; then
  command -v perf >/dev/null || die "PROFILE=1 needs perf (Debian: linux-perf)"
  say "profiling 20 full runs with perf"
  (cd "$repo" && go build -trimpath -o "$work/c7doctor-prof" .)
  profiled=("$work/c7doctor-prof" "${c7doctor_cmd[@]:1}")
  # shellcheck disable=SC2016 # $@ is the inner shell's
  perf record -q -e cpu-clock -F 4999 -g -o "$work/perf.data" -- \
    bash -c 'for _ in $(seq 20); do "$@" >/dev/null || exit 1; done' _ "${profiled[@]}" 2>/dev/null
  {
    echo "# cumulative share of all samples (kernel included), 20 runs of: ${profiled[*]}"
    perf report -i "$work/perf.data" --comm c7doctor-prof --children --sort symbol -g none --stdio 2>/dev/null |
      grep '%' | sed 's/ *$//; s/ - -$//' | awk '{ s = $4; for (i = 5; i <= NF; i++) s = s " " $i; sub(/ - -$/, "", s); if (NR <= 80) print $1 "  " s }'
    echo
    echo "# by object"
    perf report -i "$work/perf.data" --no-children --sort comm,dso -g none --stdio 2>/dev/null | grep '%'
  } >"$out/profile.txt"
fi

# --- Go micro-benchmarks ---------------------------------------------------------
mapfile -t bench_pkgs < <(cd "$repo" && find . -name '*_bench_test.go' -not -path './bench/node_modules/*' -printf '%h\n' | sort -u)
if ((${#bench_pkgs[@]})); then
  say "go benchmarks: ${bench_pkgs[*]}"
  (cd "$repo" && "${prio[@]}" go test -run '^$' -bench . -benchmem -benchtime "$BENCHTIME" "${bench_pkgs[@]}") >"$out/go-bench.txt"
fi

# --- the record ----------------------------------------------------------------------
wall() { jq -r ".[] | select(.name == \"$1\") | .wall_ms.median" "$out/tools.json"; }
rss() { jq -r ".[] | select(.name == \"$1\") | .peak_rss_mib.median" "$out/tools.json"; }
c7_wall="$(wall c7doctor)"; curl_wall="$(wall curl-procedure)"; insp_wall="$(wall inspector)"
c7_rss="$(rss c7doctor)"; ver_ms="$(jq -r '.[0].wall_ms.median' "$out/version.json")"
ref_cpu="$(jq -r '.[1].cpu_ms.median' "$out/version.json")"; ver_cpu="$(jq -r '.[0].cpu_ms.median' "$out/version.json")"
empty_ms="$(jq -r '.[2].wall_ms.median' "$out/version.json")"
mib="$(awk -v b="$binary_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')"
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "met" : "**missed**" }'; }
{
  echo "## c7doctor benchmark, $stamp"
  echo
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/ { print $2 " GiB" }'); $(uname -sr)"
  echo "- $(go version | cut -d' ' -f3-), Node.js $(node --version), $(curl --version | sed -n '1s/^\(curl [^ ]*\).*/\1/p'), MCP Inspector $inspector_version"
  echo "- load average (1, 5, 15 min) before the runs: $load_before; after: $load_after (the runs themselves add about 1)${NICE:+; lab and measured commands at nice $NICE}"
  echo "- c7doctor: $version_line, built from $commit; stripped binary $binary_bytes bytes ($mib MiB)"
  echo
  cat "$out/tools.md"
  echo
  echo "c7doctor ran all $total checks (--call --upstream-probe) in $requests HTTPS requests, none failed${warned:+, warnings: $warned}. inspector (--protocol-era auto) listed $(jq '.tools | length' <<<"$tools_json") tools; inspector-legacy (the CLI's default era), run 5 times, listed $(IFS=,; echo "${legacy_counts[*]}") tools: once the gateway answers its GET event stream with 404, the CLI takes the connection as failed and, if tools/list has not gone out yet, prints an empty list with exit 0."
  echo
  cat "$out/version.md"
  echo
  echo "### Targets"
  echo
  echo "| target | measured | |"
  echo "|---|---:|---|"
  echo "| full run ≤ 1.0× the curl procedure's wall time | $(awk -v a="$c7_wall" -v b="$curl_wall" 'BEGIN { printf "%.2f×", a / b }') | $(verdict "$(awk -v a="$c7_wall" -v b="$curl_wall" 'BEGIN { print a / b }')" 1.0) |"
  echo "| full run ≤ 0.15× Inspector's wall time | $(awk -v a="$c7_wall" -v b="$insp_wall" 'BEGIN { printf "%.2f×", a / b }') | $(verdict "$(awk -v a="$c7_wall" -v b="$insp_wall" 'BEGIN { print a / b }')" 0.15) |"
  echo "| peak RSS ≤ 40 MB | $(awk -v m="$c7_rss" 'BEGIN { printf "%.1f MiB (%.1f MB)", m, m * 1.048576 }') | $(verdict "$c7_rss" "$(awk 'BEGIN { print 40e6 / 1048576 }')") |"
  echo "| stripped binary ≤ 25 MB | $mib MiB ($(awk -v b="$binary_bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB) | $(verdict "$binary_bytes" 25000000) |"
  echo "| \`c7doctor version\` ≤ 20 ms | $(printf '%.2f' "$ver_ms") ms (an empty Go program: $(printf '%.2f' "$empty_ms") ms) | $(verdict "$ver_ms" 20) |"
  echo "| \`c7doctor version\` ≤ 1.3× the reference (same dependencies, does nothing), CPU | $(awk -v a="$ver_cpu" -v b="$ref_cpu" 'BEGIN { printf "%.2f×", a / b }') | $(verdict "$(awk -v a="$ver_cpu" -v b="$ref_cpu" 'BEGIN { print a / b }')" 1.3) |"
  if [[ -f "$out/profile.txt" ]]; then
    echo
    echo "### Where a full run's CPU goes (perf, cumulative, top 25)"
    echo
    echo '```'
    sed -n 2,26p "$out/profile.txt"
    echo '```'
  fi
  if [[ -f "$out/go-bench.txt" ]]; then
    echo
    echo "### Go benchmarks (-benchtime $BENCHTIME)"
    echo
    echo '```'
    grep -E '^(Benchmark|pkg:|cpu:)' "$out/go-bench.txt"
    echo '```'
  fi
} >"$out/results.md"
ln -sfn "$stamp" "$bench_dir/out/latest"
cat "$out/results.md"
