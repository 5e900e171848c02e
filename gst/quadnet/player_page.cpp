#include "player_page.h"

namespace quad::net {

// window.quadStats exposes the figures to scripts (the browser test reads it).
static constexpr std::string_view kPage = R"PAGE(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>quadnetsink</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%23222'/%3E%3Crect x='2' y='2' width='5' height='5' fill='%234c4'/%3E%3Crect x='9' y='2' width='5' height='5' fill='%2348f'/%3E%3Crect x='2' y='9' width='5' height='5' fill='%23fc4'/%3E%3Crect x='9' y='9' width='5' height='5' fill='%23f55'/%3E%3C/svg%3E">
<style>
body { margin: 0; background: #111; color: #ddd; font: 14px sans-serif; }
#bar { padding: 6px 10px; display: flex; gap: 18px; flex-wrap: wrap; }
#bar b { color: #fff; font-variant-numeric: tabular-nums; }
#message { padding: 6px 10px; color: #f88; }
#state.open { color: #8f8; }
#graph { margin: 0 10px; background: #000; max-width: none; }
canvas { display: block; max-width: 100vw; max-height: calc(100vh - 40px); margin: auto; }
</style>
</head>
<body>
<div id="bar">
  <span>connection <b id="state">connecting</b></span>
  <span>codec <b id="codec">-</b></span>
  <span>resolution <b id="resolution">-</b></span>
  <span>viewers <b id="viewers">-</b></span>
  <span>latency <b id="latency">-</b> ms (p50 <b id="p50">-</b>, p99 <b id="p99">-</b>)</span>
  <span>fps <b id="fps">-</b></span>
  <span>bitrate <b id="kbps">-</b> kbit/s</span>
  <span>dropped <b id="dropped">0</b></span>
  <span>decoded <b id="decoded">0</b></span>
</div>
<canvas id="graph" width="240" height="48" title="bitrate (green) and latency (yellow), last 30 s"></canvas>
<div id="message"></div>
<canvas id="video" width="640" height="360"></canvas>
<script>
"use strict";
const HEADER_SIZE = 28, VERSION = 1;
const KEY = 1, DISCONT = 4, CAPTURE = 8;
const stats = window.quadStats = {
  supported: null, error: null, codec: null, decoded: 0, dropped: 0,
  latencyMs: null, latencyP50: null, latencyP99: null, latencies: [], fps: 0, kbps: 0,
  state: "connecting", width: null, height: null, viewers: null, history: [], configures: 0,
};
const HISTORY = 120; // graph samples, one per 250 ms tick
const canvas = document.getElementById("video");
const ctx = canvas.getContext("2d");
const $ = (id) => document.getElementById(id);
// Rates use the monotonic clock. Latency compares with the sender's capture
// time, stamped from the system wall clock: Date.now() reads that clock,
// whereas timeOrigin + performance.now() drifts from it (and misses its
// steps) by milliseconds, enough to make a local latency negative.
const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;
const wallUs = () => Date.now() * 1000;
let decoder = null, waitKey = true, lastSequence = null, lastMedia = null;
const captureOf = new Map();
let frameTimes = [], byteLog = [];

function setState(state) {
  stats.state = state;
  $("state").textContent = state;
  $("state").className = state === "open" ? "open" : "";
}

// Bitrate and latency of the last HISTORY ticks, each scaled to its own peak.
function drawGraph() {
  const g = $("graph").getContext("2d"), w = g.canvas.width, h = g.canvas.height;
  g.clearRect(0, 0, w, h);
  const series = [["kbps", "#4c4"], ["latency", "#fc4"]];
  for (const [key, colour] of series) {
    const values = stats.history.map((x) => x[key]);
    const peak = Math.max(1, ...values.filter((v) => v !== null));
    g.strokeStyle = colour;
    g.beginPath();
    values.forEach((v, i) => {
      const x = w - (values.length - i) * (w / HISTORY), y = h - 2 - (h - 4) * (v || 0) / peak;
      if (i) g.lineTo(x, y); else g.moveTo(x, y);
    });
    g.stroke();
  }
}

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
  const wall = wallUs();
  captureOf.delete(frame.timestamp);
  if (canvas.width !== frame.displayWidth || canvas.height !== frame.displayHeight) {
    canvas.width = frame.displayWidth;
    canvas.height = frame.displayHeight;
  }
  if (stats.width !== frame.displayWidth || stats.height !== frame.displayHeight) {
    stats.width = frame.displayWidth;
    stats.height = frame.displayHeight;
    $("resolution").textContent = stats.width + "x" + stats.height;
  }
  ctx.drawImage(frame, 0, 0);
  frame.close();
  stats.decoded++;
  frameTimes.push(t);
  if (capture !== undefined) {
    stats.latencyMs = (wall - capture) / 1000;
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
  stats.configures++;
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
    // Until the first frame decodes, the description's size.
    if (info.width && info.height && stats.width === null)
      $("resolution").textContent = info.width + "x" + info.height;
    if (info.viewers !== undefined) {
      stats.viewers = Number(info.viewers);
      $("viewers").textContent = info.viewers;
    }
    // The sink describes the stream again when only its viewers changed:
    // the decoder carries on.
    const media = [info.format, info.codec, info.width, info.height].join(" ");
    if (media !== lastMedia || (decoder && decoder.state === "closed")) {
      lastMedia = media;
      pending = pending.then(() => configure(info));
    }
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
  setState("connecting");
  ws.onopen = () => { setState("open"); if (!stats.error) $("message").textContent = ""; };
  ws.onmessage = (e) => onMessage(e.data);
  ws.onclose = (e) => {
    setState("closed (" + e.code + "), reconnecting");
    if (!stats.error) $("message").textContent = "disconnected (" + e.code + "), reconnecting";
    waitKey = true;
    lastMedia = null;
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
  stats.history.push({ kbps: stats.kbps, latency: stats.latencyMs });
  if (stats.history.length > HISTORY) stats.history.shift();
  drawGraph();
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
