#!/usr/bin/env bash
# release-snapshot.sh: `goreleaser check`, then a snapshot release for this
# machine's OS and architecture only, and proof that its archive carries the
# binary, LICENSE, README.md, the man page and the four shells' completions.
# goreleaser v2.15's `release` has no --single-target (only `build` has, and
# it makes no archive), so the snapshot runs on a copy of the config narrowed
# to one target: on two cores, six cross builds would be most of the job.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
goreleaser=${GORELEASER:-goreleaser}
"$goreleaser" check
os=$(go env GOOS) arch=$(go env GOARCH)
single=$(mktemp --suffix=.yaml)
trap 'rm -f "$single"' EXIT
sed -e "s/^    goos: \[.*\]$/    goos: [$os]/" -e "s/^    goarch: \[.*\]$/    goarch: [$arch]/" .goreleaser.yaml >"$single"
if ! grep -q "^    goos: \[$os\]$" "$single" || ! grep -q "^    goarch: \[$arch\]$" "$single"; then
	echo "release-snapshot: could not narrow .goreleaser.yaml's goos/goarch" >&2
	exit 1
fi
"$goreleaser" release --snapshot --clean --config "$single"
archive=$(ls dist/c7doctor_*_"${os}_${arch}".tar.gz)
contents=$(tar -tzf "$archive" | sort)
echo "$archive:"
while read -r f; do echo "  $f"; done <<<"$contents"
for f in c7doctor LICENSE README.md manpages/c7doctor.1.gz \
	completions/c7doctor.bash completions/c7doctor.zsh completions/c7doctor.fish completions/c7doctor.ps1; do
	grep -qx "$f" <<<"$contents" || { echo "release-snapshot: $archive lacks $f" >&2; exit 1; }
done
unpacked=$(mktemp -d)
tar -xzf "$archive" -C "$unpacked"
gzip -dc "$unpacked/manpages/c7doctor.1.gz" | grep -q '^\.TH c7doctor 1' || { echo "release-snapshot: the man page is not roff" >&2; exit 1; }
grep -q "__complete" "$unpacked/completions/c7doctor.bash" || { echo "release-snapshot: the bash completion is not c7doctor's" >&2; exit 1; }
"$unpacked/c7doctor" --version
rm -rf "$unpacked"
