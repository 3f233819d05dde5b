#!/usr/bin/env bash
# selftest.sh [IN_BINARY]: run the action's steps (c7doctor-action.sh,
# in action.yml's order, with its inputs' defaults) against `c7doctor lab`,
# without GitHub: a healthy lab with a test user's token cache that must be
# refreshed and saved back, a lab with a fault that must fail at the right
# check and tell a webhook, the pinned-checksum download, and the api://
# guard. .ci/run calls it; needs bash, jq, curl, node and util-linux script.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
action="$root/.github/action/c7doctor-action.sh"
work=$(mktemp -d)
lab_pid="" hook_pid=""
cleanup() {
	local pid
	for pid in $lab_pid $hook_pid; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "action selftest: $*" >&2
	exit 1
}

bin=${1:-}
if [ -z "$bin" ]; then
	bin="$work/c7doctor"
	(cd "$root" && go build -o "$bin" .)
fi

# The defaults of action.yml's inputs, read from it so they cannot drift.
default_of() {
	sed -n "/^  $1:\$/,/^  [a-z]/p" "$root/action.yml" | sed -n 's/^    default: *//p' | tr -d '"'
}

# step NAME [ENV=VALUE...]: one step of the action, with a fresh output file.
# Its outputs are then in $work/NAME.out; its exit code in $step_code.
step() {
	local name=$1
	shift
	: >"$work/$name.out"
	step_code=0
	env RUNNER_TEMP="$work/runner" GITHUB_OUTPUT="$work/$name.out" GITHUB_STEP_SUMMARY="$work/summary.md" \
		"$@" bash "$action" "$name" >"$work/$name.log" 2>&1 || step_code=$?
}

# out STEP NAME: an output the step set.
out() { sed -n "s/^$2=//p" "$work/$1.out" | tail -n 1; }

expect() { # expect WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

start_lab() { # start_lab DIR [lab flags]
	local dir=$1
	shift
	"$bin" lab --dir "$dir" "$@" >"$dir.out" 2>"$dir.err" &
	lab_pid=$!
	for _ in $(seq 1 150); do
		[ -s "$dir/c7doctor.yaml" ] && return 0
		kill -0 "$lab_pid" 2>/dev/null || fail "the lab ended: $(cat "$dir.err")"
		sleep 0.2
	done
	fail "the lab wrote no c7doctor.yaml in 30 s"
}

stop_lab() {
	kill "$lab_pid" 2>/dev/null || true
	wait "$lab_pid" 2>/dev/null || true
	lab_pid=""
}

# seed_cache DIR: the one-time sign-in a person does (device code, which the
# lab approves at once) on a terminal, as the README tells; prints the cache
# as the secret holds it, its access tokens dropped so that the run must
# redeem the refresh token and Entra rotates it.
seed_cache() {
	local cache="$1/seed-cache.json"
	script -qec "'$bin' run --config '$1/c7doctor.yaml' --cache-file '$cache' --only gateway-token --no-color" /dev/null >/dev/null
	[ -s "$cache" ] || fail "the device-code sign-in wrote no cache"
	jq -c 'del(.AccessToken)' "$cache" | base64 | tr -d '\n'
}

mkdir -p "$work/runner" "$work/fakebin"
require=$(default_of require)
[ -n "$require" ] || fail "no default for the input require in action.yml"

echo "-- install: the given binary"
step install IN_BINARY="$bin"
expect "install exit" "$step_code" 0
path=$(out install path)
[ -x "$path" ] || fail "install: path '$path' is not executable"

echo "-- healthy lab, token cache refreshed and saved back"
start_lab "$work/healthy"
cache=$(seed_cache "$work/healthy")
step run IN_BIN="$path" C7DOCTOR_CONFIG="$work/healthy/c7doctor.yaml" C7DOCTOR_REQUIRE="$require" \
	C7DOCTOR_CALL="$(default_of call)" IN_MSAL_CACHE="$cache" IN_REPORT_DIR="$work/reports-healthy" \
	IN_REDACT_PII="$(default_of redact-pii)" IN_HAR=true
expect "healthy run step" "$step_code" 0
expect "healthy exit-code" "$(out run exit-code)" 0
expect "healthy status" "$(out run status)" pass
expect "healthy broken-check" "$(out run broken-check)" ""
for f in c7doctor.xml c7doctor.md c7doctor.json c7doctor.har; do
	[ -s "$work/reports-healthy/$f" ] || fail "healthy: no $f"
done
grep -q "c7doctor" "$work/summary.md" || fail "healthy: nothing appended to the step summary"
expect "healthy: every check passed" "$(jq '.summary.pass == (.checks | length) and .summary.pass > 10' "$work/reports-healthy/c7doctor.json")" true
cache_file=$(out run cache-file)
[ "$(stat -c %a "$cache_file")" = 600 ] || fail "the restored cache is not 0600"

# A gh that records what it was asked to do: the save step's only way out.
cat >"$work/fakebin/gh" <<EOF
#!/usr/bin/env bash
echo "\$*" >"$work/gh.args"
cat >"$work/gh.stdin"
EOF
chmod +x "$work/fakebin/gh"
step save-cache PATH="$work/fakebin:$PATH" CACHE_FILE="$cache_file" CACHE_BEFORE="$(out run cache-before)" \
	GH_TOKEN=test-token GITHUB_REPOSITORY=contoso/gateway IN_CACHE_SECRET="$(default_of cache-secret-name)"
expect "save-cache exit" "$step_code" 0
expect "gh arguments" "$(cat "$work/gh.args" 2>/dev/null)" "secret set C7DOCTOR_MSAL_CACHE --repo contoso/gateway"
saved=$(base64 -d <"$work/gh.stdin" | jq -r '[.RefreshToken[].secret] | join(",")')
seeded=$(base64 -d <<<"$cache" | jq -r '[.RefreshToken[].secret] | join(",")')
if [ -z "$saved" ] || [ "$saved" = "$seeded" ]; then
	fail "the saved cache does not hold the rotated refresh token"
fi
[ ! -e "$cache_file" ] || fail "the token cache was left on the runner"
grep -qF "$(base64 -d <<<"$cache" | jq -r '.RefreshToken[].secret' | head -n 1)" "$work/reports-healthy"/* "$work/summary.md" "$work"/*.log &&
	fail "a refresh token reached a report or a log"

step verdict EXIT_CODE=0 STATUS=pass
expect "healthy verdict" "$step_code" 0

echo "-- the next run, from the cache saved back, in a private repository"
step run IN_BIN="$path" C7DOCTOR_CONFIG="$work/healthy/c7doctor.yaml" C7DOCTOR_REQUIRE="$require" \
	IN_MSAL_CACHE="$(cat "$work/gh.stdin")" IN_REPORT_DIR="$work/reports-next" IN_REPO_VISIBILITY=private
expect "next run exit-code" "$(out run exit-code)" 0
grep -q "ada@" "$work/reports-next/c7doctor.json" || fail "redact-pii auto redacted a private repository's report"
stop_lab

echo "-- lab with --fault obo-no-consent: fails at obo, tells the webhook"
start_lab "$work/broken" --fault obo-no-consent
cache=$(seed_cache "$work/broken")
step run IN_BIN="$path" C7DOCTOR_CONFIG="$work/broken/c7doctor.yaml" C7DOCTOR_REQUIRE="$require" \
	IN_MSAL_CACHE="$cache" IN_REPORT_DIR="$work/reports-broken"
expect "broken run step" "$step_code" 0 # the verdict step fails the job, not this one
expect "broken exit-code" "$(out run exit-code)" 1
expect "broken status" "$(out run status)" fail
expect "broken broken-check" "$(out run broken-check)" obo
expect "broken guide-section" "$(out run guide-section)" "OBO exchange returns AADSTS50013 or AADSTS65001"
[ -s "$work/reports-broken/c7doctor.xml" ] || fail "broken: no JUnit report"
# redact-pii auto, and no visibility known: the lab user's name is not in the reports.
if grep -qE "ada@|Ada Lab" "$work/reports-broken"/*; then
	fail "redact-pii auto: the user's name or email reached a report"
fi
[ ! -e "$work/reports-broken/c7doctor.har" ] || fail "broken: a HAR nobody asked for"
stop_lab

# A loopback webhook that keeps what it is sent.
node -e '
const http = require("http"), fs = require("fs");
const s = http.createServer((req, res) => { let b = ""; req.on("data", d => b += d);
  req.on("end", () => { fs.writeFileSync(process.argv[1] + "/hook.body", b); res.end("1"); }); });
s.listen(0, "127.0.0.1", () => fs.writeFileSync(process.argv[1] + "/hook.port", String(s.address().port)));
' "$work" &
hook_pid=$!
for _ in $(seq 1 50); do [ -s "$work/hook.port" ] && break; sleep 0.1; done
[ -s "$work/hook.port" ] || fail "the test webhook did not start"
step notify IN_WEBHOOK_URL="http://127.0.0.1:$(cat "$work/hook.port")/hook" IN_WEBHOOK_KIND="$(default_of webhook-kind)" \
	EXIT_CODE="$(out run exit-code)" BROKEN_CHECK="$(out run broken-check)" FINDING="$(out run finding)" \
	GUIDE_SECTION="$(out run guide-section)" ENDPOINT="$(out run endpoint)" RUN_URL="https://github.com/contoso/gateway/actions/runs/1"
expect "notify exit" "$step_code" 0
text=$(jq -r '.attachments[0].content.body[0].text' "$work/hook.body")
case "$text" in
*"is broken at obo: The OBO exchange is not consented (AADSTS65001)"*"Guide: OBO exchange returns AADSTS50013 or AADSTS65001"*"Run: https://github.com/contoso/gateway/actions/runs/1"*) ;;
*) fail "webhook message: $text" ;;
esac
expect "Teams card action" "$(jq -r '.attachments[0].content.actions[0].url' "$work/hook.body")" "https://github.com/contoso/gateway/actions/runs/1"

step verdict EXIT_CODE=1 STATUS=fail BROKEN_CHECK=obo
expect "broken verdict" "$step_code" 1
grep -q "::error::.*broken at obo" "$work/verdict.log" || fail "verdict: $(cat "$work/verdict.log")"
for code in 2 3 ""; do
	step verdict EXIT_CODE="$code"
	expect "verdict of exit '$code'" "$step_code" 1
done

echo "-- secret-expires-in-days, from whatever evidence names a secret's expiry"
in10=$(date -u -d "+10 days +1 hour" +%Y-%m-%dT%H:%M:%S.123Z)
jq --arg d "$in10" '.checks[0].evidence.secret_expires = $d | .checks[1].evidence.secret_expires_in_days = "42"' \
	"$work/reports-healthy/c7doctor.json" >"$work/expiry.json"
expect "expiry from a date and a day count" "$(bash "$action" facts "$work/expiry.json" | jq -r .expires)" 10
# The healthy lab's entra-secret names its secret's end (539 days ahead);
# without that evidence there is nothing to read.
noexpiry='.checks |= map(.evidence |= (if type == "object" then with_entries(select(.key | test("secret"; "i") | not)) else . end))'
jq "$noexpiry"' | .checks[0].evidence.gateway_secret_expiry = "soon" | .checks[1].evidence = null' "$work/reports-healthy/c7doctor.json" >"$work/expiry.json"
expect "expiry unreadable" "$(bash "$action" facts "$work/expiry.json" | jq -r .expires)" ""
jq "$noexpiry" "$work/reports-healthy/c7doctor.json" >"$work/expiry.json"
expect "no expiry evidence" "$(bash "$action" facts "$work/expiry.json" | jq -r .expires)" ""
expect "the lab's secret expiry" "$(bash "$action" facts "$work/reports-healthy/c7doctor.json" | jq -r .expires)" 539

echo "-- az-token without gateway-app-id is refused before any request"
cat >"$work/fakebin/az" <<EOF
#!/usr/bin/env bash
echo called >"$work/az.called"
EOF
chmod +x "$work/fakebin/az"
step run PATH="$work/fakebin:$PATH" IN_BIN="$path" C7DOCTOR_GATEWAY=https://127.0.0.1:9 IN_AZ_TOKEN=true IN_REPORT_DIR="$work/reports-guard"
expect "guard exit-code" "$(out run exit-code)" 2
expect "guard status" "$(out run status)" error
[ ! -e "$work/az.called" ] || fail "az ran without a gateway app id"
grep -q "az-token needs gateway-app-id" "$work/run.log" || fail "guard: $(cat "$work/run.log")"

echo "-- install: a release archive verified against the pinned checksum"
version=9.9.9
plat=$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')
archive="c7doctor_${version}_linux_${plat}.tar.gz"
mkdir -p "$work/release/v$version" "$work/pack"
cp "$bin" "$work/pack/c7doctor"
tar -czf "$work/release/v$version/$archive" -C "$work/pack" c7doctor
(cd "$work/release/v$version" && sha256sum "$archive") >"$work/dist-checksums.txt"
PIN_OUT="$work/pinned.txt" bash "$root/.github/action/pin-release.sh" "v$version" "$work/dist-checksums.txt" >/dev/null
step install RUNNER_OS=Linux C7DOCTOR_ACTION_CHECKSUMS="$work/pinned.txt" C7DOCTOR_RELEASE_URL="file://$work/release"
expect "download install exit ($(cat "$work/install.log"))" "$step_code" 0
"$(out install path)" --version >/dev/null || fail "the downloaded binary does not run"
echo tampered >>"$work/release/v$version/$archive"
step install RUNNER_OS=Linux C7DOCTOR_ACTION_CHECKSUMS="$work/pinned.txt" C7DOCTOR_RELEASE_URL="file://$work/release"
expect "tampered install exit" "$step_code" 1
grep -q "refusing to run it" "$work/install.log" || fail "tampered: $(cat "$work/install.log")"
step install RUNNER_OS=Linux C7DOCTOR_RELEASE_URL="file://$work/release"
expect "install with no release pinned" "$step_code" 1

echo "action selftest: all steps behave"
