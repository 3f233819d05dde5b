#!/usr/bin/env bash
# bench/build.sh DIR: builds, stripped as released, what the start-up
# figures compare: DIR/c7doctor, DIR/empty-go (the floor any Go program
# starts from on this machine), DIR/reference (bench/reference.sh: the floor
# of a program that links what c7doctor links and does nothing), and
# DIR/measure, which times them.
set -euo pipefail
work="$1"
bench_dir="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
(cd "$repo" && go build -trimpath -ldflags="-s -w" -o "$work/c7doctor" .)
(cd "$repo" && go build -o "$work/measure" ./bench/measure)
mkdir -p "$work/empty"
printf 'package main\n\nfunc main() {}\n' >"$work/empty/main.go"
(cd "$work/empty" && GOFLAGS='' go build -trimpath -ldflags="-s -w" -o "$work/empty-go" main.go)
bash "$bench_dir/reference.sh" "$work/reference"
