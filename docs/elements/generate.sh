#!/usr/bin/env bash
# Writes the element reference: one NAME.md per element of the build's
# plugins (factory details, hierarchy, pad templates with caps, properties
# with range and default, signals, as the registry has them) and README.md,
# the index.
#
#   docs/elements/generate.sh BUILD_DIR OUT_DIR BUILD_CONFIG
#
# BUILD_CONFIG names the options that change what the registry holds (e.g.
# "cuda=true gpl=true hip=false"); README.md records it, so a check against a
# differently configured build knows it cannot compare.
set -euo pipefail
build=$1 out=$2 config=$3
mkdir -p "$out"
registry=$(mktemp -d)
trap 'rm -rf "$registry"' EXIT
export GST_PLUGIN_PATH_1_0=$build/gst GST_PLUGIN_SYSTEM_PATH_1_0= GST_REGISTRY_1_0=$registry/registry.bin

inspect() { gst-inspect-1.0 --no-colors "$@"; }

{
  echo "# Element reference"
  echo
  echo "Generated from the registry by \`docs/elements/generate.sh\`; do not edit."
  echo "\`meson test -C build docs/elements\` fails when a page is stale."
  echo
  echo "Build: $config"
  echo
  echo "| Element | Plugin | Description |"
  echo "| --- | --- | --- |"
} >"$out/README.md"

for lib in $(find "$build/gst" -maxdepth 2 -name 'libgst*.so' | sort); do
  plugin=$(basename "$lib" .so); plugin=${plugin#libgst}
  for element in $(inspect "$lib" | sed -n 's/^  \([a-z0-9]*\): .*/\1/p' | sort); do
    details=$(inspect "$element")
    description=$(sed -n 's/^  Description  *//p' <<<"$details" | head -1)
    echo "| [$element]($element.md) | $plugin | $description |" >>"$out/README.md"
    {
      echo "# $element"
      echo
      echo "$description"
      echo
      echo "Plugin: \`$plugin\`. Generated from the registry by \`docs/elements/generate.sh\`."
      echo
      echo '```'
      # The plugin's file path and version say where it was built, not what
      # the element is.
      sed '/^Plugin Details:/,/^$/d' <<<"$details"
      echo '```'
    } >"$out/$element.md"
  done
done
