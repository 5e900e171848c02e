#!/usr/bin/env bash
# quad-demo as a user runs it: --overlay and --port on the default chain, the
# encoder line and the summary; a bad --port refused with usage, a pipeline
# naming a missing element refused with its name.
set -euo pipefail
demo=$1
port=$((20000 + $$ % 20000))
out=$("$demo" --seconds 2 --overlay --port "$port")
echo "$out"
fail() { echo "demo_test: $*" >&2; exit 1; }
grep -q "quadmotionoverlay" <<<"$out" || fail "--overlay left quadmotionoverlay out"
if grep -q "quadnetsink" <<<"$out"; then
  grep -q "watch it at http://127.0.0.1:$port/" <<<"$out" || fail "--port $port not used"
fi
if grep -q "quadenc" <<<"$out"; then
  grep -q "^encoder: quadenc picked " <<<"$out" || fail "no line naming quadenc's encoder"
fi
grep -qE "^summary: [1-9][0-9]* frames, [0-9]+ dropped, latency p50 [0-9.]+ ms p99 [0-9.]+ ms" \
  <<<"$out" || fail "no summary"
rc=0
"$demo" --port 70000 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "--port 70000 gave exit status $rc, not 2"
# A missing element is refused at once, not run as the partial pipeline
# gst_parse_launch() returns beside its error.
rc=0
err=$(timeout 20 "$demo" --seconds 2 --pipeline "quadcapturesrc ! nosuchelement ! fakesink" 2>&1 >/dev/null) || rc=$?
[ "$rc" -eq 1 ] || fail "a missing element gave exit status $rc, not 1"
grep -q 'no element "nosuchelement"' <<<"$err" || fail "no message naming the missing element: $err"
