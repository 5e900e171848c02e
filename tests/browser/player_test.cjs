// Opens quadnetsink's player page in headless Chromium against a live
// quadcapturesrc ! x264enc ! quadnetsink pipeline, waits for decoded frames
// and reads the page's latency figures.
//   node player_test.cjs [--frames N] [--json]
// Exit 77 (skipped) when chromium or playwright-core is missing.
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");

const args = process.argv.slice(2);
const wantFrames = Number(args[args.indexOf("--frames") + 1]) || 60;
const json = args.includes("--json");
const chromium = process.env.QUAD_CHROMIUM || "/usr/bin/chromium";
const modules = process.env.QUAD_NODE_MODULES || path.join(__dirname, "..", "..", "build-node", "node_modules");

function skip(why) {
  console.log("SKIP: " + why);
  process.exit(77);
}

let playwright;
try {
  playwright = require(path.join(modules, "playwright-core"));
} catch (e) {
  skip("playwright-core not installed in " + modules + " (./quad setup installs it)");
}
if (!fs.existsSync(chromium)) skip(chromium + " missing (Debian package chromium)");

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = srv.address().port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitForServer(port, deadline) {
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => { s.destroy(); resolve(true); });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("quadnetsink did not start listening");
}

async function main() {
  const port = await freePort();
  const pipeline = spawn("gst-launch-1.0", ["-q",
    "quadcapturesrc", "!", "video/x-raw,width=640,height=360,framerate=30/1", "!",
    "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=30", "bitrate=2000", "!",
    "quadnetsink", `port=${port}`], { stdio: ["ignore", "inherit", "inherit"] });
  let pipelineExit = null;
  pipeline.on("exit", (code) => { pipelineExit = code; });
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), "quadnet-chromium-"));
  let browser;
  try {
    await waitForServer(port, Date.now() + 15000);
    // A fresh profile directory for every run.
    browser = await playwright.chromium.launchPersistentContext(userData, {
      executablePath: chromium,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    const page = browser.pages()[0] || await browser.newPage();
    page.on("pageerror", (e) => console.error("page error: " + e.message));
    const notFound = [];
    page.on("response", (r) => { if (r.status() === 404) notFound.push(r.url()); });
    await page.goto(`http://127.0.0.1:${port}/`);
    const deadline = Date.now() + 60000;
    let stats;
    for (;;) {
      stats = await page.evaluate(() => {
        const s = window.quadStats;
        return { supported: s.supported, error: s.error, codec: s.codec, decoded: s.decoded,
                 dropped: s.dropped, latencies: s.latencies.slice(), fps: s.fps, state: s.state,
                 history: s.history.length };
      });
      if (stats.error) throw new Error("player: " + stats.error);
      if (stats.decoded >= wantFrames) break;
      if (pipelineExit !== null) throw new Error("pipeline exited with " + pipelineExit);
      if (Date.now() > deadline) throw new Error(`only ${stats.decoded} frames decoded in 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const text = await page.textContent("#latency");
    const sorted = stats.latencies.slice().sort((a, b) => a - b);
    const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    const result = { codec: stats.codec, decoded: stats.decoded, dropped: stats.dropped,
                     samples: sorted.length, p50_ms: pct(0.5), p99_ms: pct(0.99), shown: text };
    if (json) console.log(JSON.stringify(result));
    else console.log(`decoded ${result.decoded} frames (${result.codec}), dropped ${result.dropped}, ` +
                     `capture-to-decode latency p50 ${result.p50_ms.toFixed(1)} ms, p99 ${result.p99_ms.toFixed(1)} ms ` +
                     `(page shows ${text} ms)`);
    if (stats.supported !== true) throw new Error("isConfigSupported said no for " + stats.codec);
    if (sorted.length < wantFrames / 2) throw new Error("too few latency samples: " + sorted.length);
    // A latency the page computes must be a real figure: positive and not absurd.
    if (!(result.p50_ms > 0 && result.p99_ms < 5000)) throw new Error("implausible latency");
    if (!(Number(text) > 0)) throw new Error("page shows no latency: " + text);
    // The information bar: connection, size, codec; the graph has drawn.
    if (stats.state !== "open") throw new Error("connection shown as " + stats.state);
    const resolution = await page.textContent("#resolution");
    if (resolution !== "640x360") throw new Error("resolution shown as " + resolution);
    if ((await page.textContent("#codec")) !== stats.codec) throw new Error("codec not shown");
    const inked = await page.evaluate(() => {
      const g = document.getElementById("graph");
      const d = g.getContext("2d").getImageData(0, 0, g.width, g.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) n += d[i] > 0;
      return n;
    });
    if (!(stats.history > 4 && inked > 20)) throw new Error(`graph empty (${inked} pixels)`);
    // The page names its own icon, so the browser asks no /favicon.ico (a 404).
    const icon = await page.getAttribute("link[rel=icon]", "href");
    if (!icon || !icon.startsWith("data:image/svg+xml")) throw new Error("no favicon");
    if (notFound.length) throw new Error("404 for " + notFound.join(", "));
    // The viewer count: a second viewer is shown and its leaving too, while
    // the first page's decoder carries on through the new descriptions.
    const viewersShown = async (want) => {
      const until = Date.now() + 15000;
      while (Date.now() < until) {
        if ((await page.textContent("#viewers")) === want) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`viewers shown as ${await page.textContent("#viewers")}, not ${want}`);
    };
    const configures = () => page.evaluate(() => window.quadStats.configures);
    const before = await configures();
    await viewersShown("1");
    const second = await browser.newPage();
    await second.goto(`http://127.0.0.1:${port}/`);
    await viewersShown("2");
    await second.close();
    await viewersShown("1");
    if ((await configures()) !== before) throw new Error("the decoder was set up again as viewers came and went");
  } finally {
    if (browser) await browser.close();
    pipeline.kill("SIGINT");
    fs.rmSync(userData, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => { console.error("FAIL: " + e.message); process.exit(1); });
