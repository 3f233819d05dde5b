#!/usr/bin/env bash
# pin-release.sh VERSION CHECKSUMS: pin a published release in the action.
# CHECKSUMS is goreleaser's checksums.txt of that release (dist/checksums.txt
# of the tagged build); only the archives are kept.
set -euo pipefail
version=${1:?usage: pin-release.sh VERSION CHECKSUMS}
sums=${2:?usage: pin-release.sh VERSION CHECKSUMS}
version=${version#v}
out=${PIN_OUT:-"$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/checksums.txt"}
pinned=$(grep -E "^[0-9a-f]{64} [ *]?c7doctor_${version//./\\.}_[a-z0-9]+_[a-z0-9]+\.(tar\.gz|zip)$" "$sums" || true)
if [ -z "$pinned" ]; then
	echo "pin-release: $sums lists no c7doctor_${version}_* archive" >&2
	exit 1
fi
cat >"$out.new" <<HEADER
# The c7doctor release the action at this commit downloads, and the SHA-256 of
# each of its archives, in goreleaser's checksums.txt format. The action
# refuses an archive whose checksum is not listed here: a checksum fetched
# from the release itself would prove nothing.
#
# The release process rewrites this file once the archives are published:
#   .github/action/pin-release.sh v1.2.3 dist/checksums.txt
# and commits it; workflows then pin the action by that commit's SHA.
# version: $version
$pinned
HEADER
mv "$out.new" "$out"
echo "pinned c7doctor $version: $(grep -c . <<<"$pinned") archives"
