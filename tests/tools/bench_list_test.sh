#!/usr/bin/env bash
# bench/run --list and --help answer from the sources alone: no build
# directory, no clips, well under a second.
set -euo pipefail
run=$1
fail() { echo "bench_list_test: $*" >&2; exit 1; }
list=$(cd / && timeout 5 "$run" --list) || fail "--list failed"
echo "$list"
for name in motion net hevc; do
  grep -qE "^$name +[A-Za-z]" <<<"$list" || fail "--list does not name $name with a description"
done
timeout 5 "$run" --help | grep -q -- "--list" || fail "--help does not explain --list"
