#!/usr/bin/env bash
# The steps of the c7doctor GitHub Action (action.yml at the repository root).
# action.yml only maps its inputs to environment variables and calls one
# subcommand a step; everything it does is here, so that .ci/run can run the
# very same steps against the lab without GitHub (.github/action/selftest.sh).
#
#   c7doctor-action.sh install     IN_BINARY | IN_VERSION     → output path
#   c7doctor-action.sh run         IN_BIN, C7DOCTOR_*, IN_*  → outputs, reports, summary
#   c7doctor-action.sh save-cache  CACHE_FILE, CACHE_BEFORE, GH_TOKEN
#   c7doctor-action.sh notify      IN_WEBHOOK_URL, the run's outputs
#   c7doctor-action.sh verdict     EXIT_CODE, STATUS, BROKEN_CHECK
#   c7doctor-action.sh facts FILE  the outputs' facts of a JSON report, as JSON
#
# Outside GitHub, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP may
# point anywhere; they default to files in a temporary folder.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${RUNNER_TEMP:=${TMPDIR:-/tmp}}"
: "${GITHUB_OUTPUT:=$RUNNER_TEMP/c7doctor-action-output}"
: "${GITHUB_STEP_SUMMARY:=$RUNNER_TEMP/c7doctor-action-summary.md}"

# output NAME VALUE: a step output (one line; values here never hold a newline).
output() {
	printf '%s=%s\n' "$1" "${2//$'\n'/ }" >>"$GITHUB_OUTPUT"
}

error() { echo "::error::c7doctor action: $*" >&2; }
warning() { echo "::warning::c7doctor action: $*" >&2; }

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

truthy() { case "${1:-}" in true | True | TRUE | 1 | yes) return 0 ;; esac; return 1; }

# platform prints the release's os_arch for this runner.
platform() {
	local os arch
	case "${RUNNER_OS:-$(uname -s)}" in
	Linux) os=linux ;;
	macOS | Darwin) os=darwin ;;
	Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
	*) error "unsupported runner OS ${RUNNER_OS:-$(uname -s)}"; return 1 ;;
	esac
	case "${RUNNER_ARCH:-$(uname -m)}" in
	X64 | x86_64 | amd64) arch=amd64 ;;
	ARM64 | aarch64 | arm64) arch=arm64 ;;
	*) error "unsupported runner architecture ${RUNNER_ARCH:-$(uname -m)}"; return 1 ;;
	esac
	echo "${os}_${arch}"
}

# install puts a c7doctor binary in place and prints its version: the given
# IN_BINARY as it is, or the pinned release archive for this runner, verified
# against the checksum pinned in this action (checksums.txt beside this
# script). A checksum fetched from the release itself would prove nothing.
cmd_install() {
	if [ -n "${IN_BINARY:-}" ]; then
		if [ ! -x "$IN_BINARY" ]; then
			error "binary: $IN_BINARY is not an executable file"
			return 1
		fi
		local bin
		bin=$(cd "$(dirname "$IN_BINARY")" && pwd)/$(basename "$IN_BINARY")
		"$bin" --version
		output path "$bin"
		return 0
	fi
	local pins=${C7DOCTOR_ACTION_CHECKSUMS:-$here/checksums.txt}
	local version=${IN_VERSION:-}
	if [ -z "$version" ]; then
		version=$(sed -n 's/^# version: *//p' "$pins" | head -n 1)
	fi
	version=${version#v}
	if [ -z "$version" ]; then
		error "this action pins no c7doctor release yet: give the input binary, or use a tagged version of the action"
		return 1
	fi
	local plat ext=tar.gz
	plat=$(platform)
	case "$plat" in windows_*) ext=zip ;; esac
	local archive="c7doctor_${version}_${plat}.${ext}"
	local want
	want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1; exit }' "$pins")
	if [ -z "$want" ]; then
		error "no checksum pinned for $archive in this action's checksums.txt (it pins $(sed -n 's/^# version: *//p' "$pins" | head -n 1)): use that version, or give the input binary"
		return 1
	fi
	local base=${C7DOCTOR_RELEASE_URL:-https://github.com/c7doctor/c7doctor/releases/download}
	local dir="$RUNNER_TEMP/c7doctor-$version"
	mkdir -p "$dir"
	curl -fsSL --retry 3 --max-time 120 -o "$dir/$archive" "$base/v$version/$archive"
	local got
	got=$(sha256 "$dir/$archive")
	if [ "$got" != "$want" ]; then
		rm -f "$dir/$archive"
		error "$archive: sha256 $got, but this action pins $want: refusing to run it"
		return 1
	fi
	case "$ext" in
	zip) (cd "$dir" && unzip -o -q "$archive") ;;
	*) tar -xzf "$dir/$archive" -C "$dir" ;;
	esac
	local bin="$dir/c7doctor"
	[ "$ext" = zip ] && bin="$dir/c7doctor.exe"
	"$bin" --version
	output path "$bin"
}

# token_setup prepares the test user's token the way the inputs say. It
# prints nothing secret; on bad inputs it returns 2, the code of a bad
# invocation, so the run reports it like c7doctor would.
token_setup() {
	if [ -n "${IN_MSAL_CACHE:-}" ]; then
		local cache="$RUNNER_TEMP/c7doctor-msal-cache.json"
		if ! (umask 077 && printf '%s' "$IN_MSAL_CACHE" | base64 -d >"$cache" 2>/dev/null) || [ ! -s "$cache" ]; then
			rm -f "$cache"
			error "msal-cache: not a base64 token cache (store it with: base64 -w0 cache.json)"
			return 2
		fi
		chmod 600 "$cache"
		export C7DOCTOR_CACHE_FILE="$cache"
		output cache-file "$cache"
		output cache-before "$(sha256 "$cache")"
	fi
	if truthy "${IN_AZ_TOKEN:-}"; then
		# Without the app id this would ask Entra for "api://": a token for
		# nothing, and an error that names no cause.
		if [ -z "${C7DOCTOR_GATEWAY_APP_ID:-}" ]; then
			error "az-token needs gateway-app-id: the token is requested for api://<gateway-app-id>"
			return 2
		fi
		local token="$RUNNER_TEMP/c7doctor-token.json"
		if ! (umask 077 && az account get-access-token --resource "api://$C7DOCTOR_GATEWAY_APP_ID" -o json >"$token"); then
			rm -f "$token"
			error "az account get-access-token --resource api://$C7DOCTOR_GATEWAY_APP_ID failed: is the test user signed in to the Azure CLI on this runner?"
			return 3
		fi
		export C7DOCTOR_TOKEN_FILE="$token"
	fi
}

# The jq program that turns the JSON report into the action's outputs. The
# secret's expiry is read defensively: any check's evidence whose key speaks
# of a secret's expiry, as a number of days or a date; the soonest wins.
# shellcheck disable=SC2016
jq_outputs='
def days:
  if type == "number" then floor
  elif type == "string" then
    . as $v
    | (try ($v | tonumber | floor) catch
        (try (($v | sub("\\.[0-9]+"; "") | sub("\\+00:00$"; "Z") | fromdateiso8601) - now | . / 86400 | floor) catch null))
  else null end;
def first_of(f): [f][0];
{
  status: (.status // "error"),
  broken: (first_of(.checks[]? | select(.status == "fail") | .id) //
           (if .exit_code == 3 then first_of(.checks[]? | select(.status == "skip") | .id) else null end) // ""),
  finding: (first_of(.checks[]? | select(.status == "fail") | .findings[]? | select(.severity == "error")) // null),
  skipped: (first_of(.checks[]? | select(.status == "skip") | .summary) // ""),
  expires: ([.checks[]? | (.evidence // {}) | objects | to_entries[]
             | select(.key | ascii_downcase | test("secret.*expir|expir.*secret")) | .value | days
             | select(. != null)] | min // ""),
  endpoint: (.target.mcp_endpoint // .target.gateway // "")
}'

# cmd_facts prints what the outputs are made of, read from a JSON report.
cmd_facts() {
	jq -c "$jq_outputs" "${1:?usage: c7doctor-action.sh facts REPORT.json}"
}

# cmd_run runs c7doctor once with every report written, appends the Markdown
# to the job summary and sets the outputs. It never fails the step: the
# artifacts and the cache must be kept whatever the verdict; the verdict
# step fails the job.
cmd_run() {
	local bin=${IN_BIN:?IN_BIN: the install step\'s path}
	local dir=${IN_REPORT_DIR:-c7doctor-reports}
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	output report-dir "$dir"
	local code=0
	token_setup || code=$?
	local args=(run --out "junit=$dir/c7doctor.xml" --out "markdown=$dir/c7doctor.md" --out "json=$dir/c7doctor.json")
	local pii=${IN_REDACT_PII:-auto}
	if [ "$pii" = auto ]; then
		# Artifacts and summaries of a public repository are public; where
		# the event does not say (a schedule may not), redact.
		case "${IN_REPO_VISIBILITY:-}" in
		private | internal) pii=false ;;
		*) pii=true ;;
		esac
	fi
	if truthy "${IN_HAR:-}"; then
		args+=(--trace "$dir/c7doctor.har")
		pii=true
	fi
	truthy "$pii" && args+=(--redact-pii)
	if [ "$code" -eq 0 ]; then
		# shellcheck disable=SC2086 # IN_ARGS is a list of extra flags, split on spaces
		"$bin" "${args[@]}" ${IN_ARGS:-} || code=$?
	fi
	output exit-code "$code"

	local report="$dir/c7doctor.json" facts=""
	if [ -s "$report" ] && facts=$(cmd_facts "$report" 2>/dev/null); then
		output status "$(jq -r .status <<<"$facts")"
		output broken-check "$(jq -r .broken <<<"$facts")"
		output secret-expires-in-days "$(jq -r .expires <<<"$facts")"
		output guide-section "$(jq -r '.finding.guide.section // ""' <<<"$facts")"
		output finding "$(jq -r '.finding.title // ""' <<<"$facts")"
		output skipped "$(jq -r .skipped <<<"$facts")"
		output endpoint "$(jq -r .endpoint <<<"$facts")"
	else
		output status error
		output broken-check ""
		output secret-expires-in-days ""
	fi
	if [ -s "$dir/c7doctor.md" ]; then
		cat "$dir/c7doctor.md" >>"$GITHUB_STEP_SUMMARY"
	else
		echo "c7doctor wrote no report (exit $code): see the log of the step *Run c7doctor*." >>"$GITHUB_STEP_SUMMARY"
	fi
}

# cmd_save_cache saves a rotated token cache back into the repository secret
# it came from. Entra rotates refresh tokens: the cache the run refreshed
# holds the one to use next time.
cmd_save_cache() {
	local cache=${CACHE_FILE:-}
	if [ -z "$cache" ]; then
		return 0
	fi
	if [ ! -s "$cache" ] || [ "$(sha256 "$cache")" = "${CACHE_BEFORE:-}" ]; then
		echo "token cache unchanged"
	elif [ -z "${GH_TOKEN:-}" ]; then
		warning "the token cache changed but no secrets-token was given: the rotated refresh token was not saved, and the next run may find the cached one refused"
	else
		base64 <"$cache" | tr -d '\n' | gh secret set "${IN_CACHE_SECRET:-C7DOCTOR_MSAL_CACHE}" --repo "$GITHUB_REPOSITORY"
		echo "token cache saved back to ${IN_CACHE_SECRET:-C7DOCTOR_MSAL_CACHE}"
	fi
	rm -f "$cache"
}

# message is the one line an alert carries: what broke, where the fix is,
# and the run.
message() {
	local what endpoint=${ENDPOINT:-the gateway}
	case "${EXIT_CODE:-}" in
	1) what="$endpoint is broken at ${BROKEN_CHECK:-?}${FINDING:+: $FINDING}" ;;
	3) what="could not test $endpoint${BROKEN_CHECK:+: $BROKEN_CHECK skipped}${SKIPPED:+ ($SKIPPED)}" ;;
	2) what="bad configuration of the health check (exit 2): see the run's log" ;;
	"") what="c7doctor did not run: see the run's log" ;;
	*) what="c7doctor ended with exit $EXIT_CODE" ;;
	esac
	printf 'c7doctor: %s' "$what"
	[ -n "${GUIDE_SECTION:-}" ] && printf '. Guide: %s' "$GUIDE_SECTION"
	[ -n "${RUN_URL:-}" ] && printf '. Run: %s' "$RUN_URL"
	printf '\n'
}

# cmd_notify posts the message to a Slack or Teams incoming webhook. Teams'
# workflow webhooks take an Adaptive Card; Slack takes text.
cmd_notify() {
	local url=${IN_WEBHOOK_URL:-}
	[ -n "$url" ] || return 0
	local text kind=${IN_WEBHOOK_KIND:-auto} payload
	text=$(message)
	if [ "$kind" = auto ]; then
		case "$url" in https://hooks.slack.com/*) kind=slack ;; *) kind=teams ;; esac
	fi
	case "$kind" in
	slack) payload=$(jq -n --arg t "$text" '{text: $t}') ;;
	teams) payload=$(jq -n --arg t "$text" --arg u "${RUN_URL:-}" '{type: "message", attachments: [{
		contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null,
		content: {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", type: "AdaptiveCard", version: "1.4",
			body: [{type: "TextBlock", text: $t, wrap: true}],
			actions: (if $u == "" then [] else [{type: "Action.OpenUrl", title: "Open the run", url: $u}] end)}}]}') ;;
	*) error "webhook-kind: expected auto, slack or teams, got $kind"; return 1 ;;
	esac
	# The URL is a secret: curl's errors must not print it.
	if ! curl -fsS --max-time 30 -H 'Content-Type: application/json' --data-binary "$payload" "$url" >/dev/null 2>"$RUNNER_TEMP/c7doctor-notify.err"; then
		warning "the webhook refused the message ($(sed "s|$url|<webhook-url>|g" "$RUNNER_TEMP/c7doctor-notify.err" | head -n 1))"
	fi
	rm -f "$RUNNER_TEMP/c7doctor-notify.err"
	echo "$text"
}

# cmd_verdict fails the step on anything but exit 0, with one annotation
# that says what to do.
cmd_verdict() {
	case "${EXIT_CODE:-}" in
	0) echo "gateway healthy (${STATUS:-pass})" ;;
	1) error "the gateway is broken at ${BROKEN_CHECK:-?} (exit 1): the job summary names the finding and its fix"; return 1 ;;
	2) error "bad configuration (exit 2): see the log of the step Run c7doctor"; return 1 ;;
	3) error "could not test a required check${BROKEN_CHECK:+ ($BROKEN_CHECK)} (exit 3): an expired token cache or a missing secret? see the job summary"; return 1 ;;
	"") error "c7doctor did not run: see the log of the install step"; return 1 ;;
	*) error "c7doctor ended with exit $EXIT_CODE"; return 1 ;;
	esac
}

case "${1:-}" in
install) cmd_install ;;
run) cmd_run ;;
save-cache) cmd_save_cache ;;
notify) cmd_notify ;;
verdict) cmd_verdict ;;
message) message ;;
facts) cmd_facts "${2:-}" ;;
*)
	echo "usage: $0 install|run|save-cache|notify|verdict" >&2
	exit 2
	;;
esac
