#include "player_page.h"

namespace quad::net {

// window.quadStats exposes the figures to scripts (the browser test reads it).
static constexpr std::string_view kPage = R"PAGE(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>quadnetsink</title>
<style>
body { margin: 0; background: #111; color: #ddd; font: 14px sans-serif; }
#bar { padding: 6px 10px; display: flex; gap: 18px; flex-wrap: wrap; }
#bar b { color: #fff; font-variant-numeric: tabular-nums; }
#message { padding: 6px 10px; color: #f88; }
canvas { display: block; max-width: 100vw; max-height: calc(100vh - 40px); margin: auto; }
</style>
</head>
<body>
<div id="bar">
  <span>codec <b id="codec">-</b></span>
  <span>latency <b id="latency">-</b> ms (p50 <b id="p50">-</b>, p99 <b id="p99">-</b>)</span>
  <span>fps <b id="fps">-</b></span>
  <span>bitrate <b id="kbps">-</b> kbit/s</span>
  <span>dropped <b id="dropped">0</b></span>
  <span>decoded <b id="decoded">0</b></span>
</div>
<div id="message"></div>
<canvas id="video" width="640" height="360"></canvas>
<script>
"use strict";
const HEADER_SIZE = 28, VERSION = 1;
const KEY = 1, DISCONT = 4, CAPTURE = 8;
const stats = window.quadStats = {
  supported: null, error: null, codec: null, decoded: 0, dropped: 0,
  latencyMs: null, latencyP50: null, latencyP99: null, latencies: [], fps: 0, kbps: 0,
};
const canvas = document.getElementById("video");
const ctx = canvas.getContext("2d");
const $ = (id) => document.getElementById(id);
const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;
let decoder = null, waitKey = true, lastSequence = null;
const captureOf = new Map();
let frameTimes = [], byteLog = [];

function fail(text) {
  stats.error = text;
  $("message").textContent = text;
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : null;
}

function onFrame(frame) {
  const t = nowUs();
  const capture = captureOf.get(frame.timestamp);
  captureOf.delete(frame.timestamp);
  if (canvas.width !== frame.displayWidth || canvas.height !== frame.displayHeight) {
    canvas.width = frame.displayWidth;
    canvas.height = frame.displayHeight;
  }
  ctx.drawImage(frame, 0, 0);
  frame.close();
  stats.decoded++;
  frameTimes.push(t);
  if (capture !== undefined) {
    stats.latencyMs = (t - capture) / 1000;
    stats.latencies.push(stats.latencyMs);
    if (stats.latencies.length > 600) stats.latencies.shift();
  }
}

async function configure(info) {
  stats.codec = info.codec;
  $("codec").textContent = info.codec;
  const config = { codec: info.codec, optimizeForLatency: true };
  if (typeof VideoDecoder === "undefined") {
    stats.supported = false;
    fail("This browser has no WebCodecs VideoDecoder (it needs a secure context: https or localhost).");
    return;
  }
  let support;
  try { support = await VideoDecoder.isConfigSupported(config); } catch (e) { support = { supported: false }; }
  stats.supported = !!support.supported;
  if (!support.supported) {
    fail("This browser cannot decode " + info.format.toUpperCase() + " (" + info.codec + ").");
    return;
  }
  if (decoder && decoder.state !== "closed") decoder.close();
  decoder = new VideoDecoder({ output: onFrame, error: (e) => fail("decoder error: " + e.message) });
  decoder.configure(config);
  waitKey = true;
}

function parseInfo(bytes) {
  const info = {};
  for (const line of new TextDecoder().decode(bytes).split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) info[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return info;
}

let pending = Promise.resolve();
function onMessage(data) {
  const view = new DataView(data);
  if (data.byteLength < 2 || view.getUint8(0) !== VERSION) {
    fail("unsupported stream (protocol version " + (data.byteLength ? view.getUint8(0) : "?") + ")");
    return;
  }
  const headerSize = view.getUint8(1);
  if (headerSize < HEADER_SIZE || data.byteLength < headerSize) { fail("truncated message"); return; }
  const kind = view.getUint8(2), flags = view.getUint8(3);
  const payload = new Uint8Array(data, headerSize);
  byteLog.push([nowUs(), data.byteLength]);
  if (kind === 1) {
    const info = parseInfo(payload);
    pending = pending.then(() => configure(info));
    return;
  }
  if (kind !== 0) return;
  const sequence = view.getUint32(4);
  const pts = Number(view.getBigUint64(8));
  const capture = Number(view.getBigUint64(16));
  const skipped = view.getUint32(24);
  pending = pending.then(() => {
    if (!decoder || decoder.state !== "configured") return;
    if (flags & DISCONT) stats.dropped += skipped;
    else if (lastSequence !== null && sequence !== ((lastSequence + 1) >>> 0) && !waitKey)
      stats.dropped += (sequence - lastSequence - 1) >>> 0;
    lastSequence = sequence;
    const key = (flags & KEY) !== 0;
    if (waitKey && !key) return;
    waitKey = false;
    // A decoder far behind drops to the next key frame, as the server does.
    if (decoder.decodeQueueSize > 30 && !key) { stats.dropped++; waitKey = true; return; }
    if (flags & CAPTURE) captureOf.set(pts, capture);
    decoder.decode(new EncodedVideoChunk({ type: key ? "key" : "delta", timestamp: pts, data: payload }));
  });
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(scheme + "//" + location.host + "/stream" + location.search);
  ws.binaryType = "arraybuffer";
  ws.onmessage = (e) => onMessage(e.data);
  ws.onclose = (e) => {
    if (!stats.error) $("message").textContent = "disconnected (" + e.code + "), reconnecting";
    waitKey = true;
    setTimeout(connect, 1000);
  };
}

setInterval(() => {
  const t = nowUs();
  frameTimes = frameTimes.filter((x) => t - x < 1e6);
  byteLog = byteLog.filter((x) => t - x[0] < 1e6);
  stats.fps = frameTimes.length;
  stats.kbps = Math.round(byteLog.reduce((a, x) => a + x[1], 0) * 8 / 1000);
  const sorted = stats.latencies.slice().sort((a, b) => a - b);
  stats.latencyP50 = percentile(sorted, 0.5);
  stats.latencyP99 = percentile(sorted, 0.99);
  $("latency").textContent = stats.latencyMs === null ? "-" : stats.latencyMs.toFixed(1);
  $("p50").textContent = stats.latencyP50 === null ? "-" : stats.latencyP50.toFixed(1);
  $("p99").textContent = stats.latencyP99 === null ? "-" : stats.latencyP99.toFixed(1);
  $("fps").textContent = stats.fps;
  $("kbps").textContent = stats.kbps;
  $("dropped").textContent = stats.dropped;
  $("decoded").textContent = stats.decoded;
}, 250);

connect();
</script>
</body>
</html>
)PAGE";

std::string_view player_page() {
  return kPage;
}

} // namespace quad::net
