#!/usr/bin/env bash
# The element reference in docs/elements/ against a fresh one from this
# build's registry: fails when a page is stale, missing or left over. Skips
# (77) when the committed pages come from a build with other options.
set -euo pipefail
generate=$1 build=$2 docs=$3 config=$4
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
"$generate" "$build" "$fresh" "$config"
committed_config=$(sed -n 's/^Build: //p' "$docs/README.md")
if [ "$committed_config" != "$config" ]; then
  echo "docs/elements comes from a build with $committed_config; this one has $config"
  exit 77
fi
if ! diff -ru -x generate.sh "$docs" "$fresh"; then
  echo "docs/elements is stale: run docs/elements/generate.sh $build docs/elements \"$config\"" >&2
  exit 1
fi
