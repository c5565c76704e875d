/**
 * A V8 CPU profile of Detour *inside workerd* (docs/scale.md "CPU per request"): the bundled worker on Miniflare with
 * the bench's config (one openai provider at an in-process mock vendor, premium key, wrangler.toml's bindings), its
 * inspector on a random 127.0.0.1 port, bundled as `wrangler deploy --dry-run` does but not minified (so the profile names
 * functions; minifying changes names, not the code V8 runs), `N` uncached JSON requests at `C` connections while the profiler samples.
 * Prints the heaviest functions (self time, and inclusive time for Detour's own) and writes the `.cpuprofile`
 * (open it in Chrome DevTools). Developer tool, not part of `npm run bench`.
 *
 *   node scripts/lib/workerd-profile.mjs            N=4000 C=8 OUT=/tmp/detour-workerd.cpuprofile
 */
import http from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { BENCH_KEY as KEY, CHAT_BODY as BODY, detourBindings, vendorCompletion } from "./bench-fixture.mjs";
import { detourWorker, HOST, run, startMiniflare, workerSettings } from "./worker.mjs";

const N = Number(process.env.N ?? 4000);
const C = Number(process.env.C ?? 8);
const OUT = process.env.OUT ?? path.join(os.tmpdir(), "detour-workerd.cpuprofile");
const VENDOR = vendorCompletion();

const vendor = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(VENDOR));
});
await new Promise((r) => vendor.listen(0, HOST, r));
const tmp = mkdtempSync(path.join(os.tmpdir(), "detour-prof-"));
const inspectorPort = 20000 + Math.floor(Math.random() * 20000);
let mf;
const stdio = { chunks: 0, bytes: 0 };
try {
  // As bundleDetour (./worker.mjs) does, but not minified, so the profile names Detour's functions.
  const outdir = path.join(tmp, "dist");
  await run("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir, "--no-minify"], { WRANGLER_SEND_METRICS: "false", CI: "1" });
  const bundle = { main: path.join(outdir, "index.js") };
  const settings = await workerSettings();
  const bindings = detourBindings(`http://${HOST}:${vendor.address().port}/v1`);
  const started = await startMiniflare(
    detourWorker({ bundle, settings }, bindings, {
      inspectorPort,
      // Count what workerd writes to stdout (the request log lines) and what reading it costs this process.
      handleRuntimeStdio: (stdout, stderr) => {
        stdout.on("data", (d) => ((stdio.chunks += 1), (stdio.bytes += d.length)));
        stderr.resume();
      },
    }),
  );
  mf = started.mf;
  const url = `${started.url}/v1/chat/completions`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: C });
  const one = () =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` } }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on("error", reject);
      req.end(BODY);
    });
  const drive = async (n) => {
    let next = 0;
    await Promise.all(Array.from({ length: C }, async () => {
      while (next++ < n) await one();
    }));
  };
  await drive(Math.min(1000, N));

  const targets = await (await fetch(`http://${HOST}:${inspectorPort}/json`)).json();
  const target = targets.find((t) => /detour/.test(t.title ?? t.id ?? "")) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  let id = 0;
  const pending = new Map();
  ws.on("message", (m) => {
    const msg = JSON.parse(m);
    if (msg.id && pending.has(msg.id)) pending.get(msg.id)(msg);
  });
  const call = (method, params = {}) => new Promise((r) => (pending.set(++id, r), ws.send(JSON.stringify({ id, method, params }))));
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 100 });
  await call("Profiler.start");
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const io0 = { ...stdio };
  await drive(N);
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const { result } = await call("Profiler.stop");
  ws.close();
  writeFileSync(OUT, JSON.stringify(result.profile));
  console.log(`${N} requests at ${C} connections in ${secs.toFixed(1)} s (${(N / secs).toFixed(0)} req/s); profile: ${OUT}`);
  console.log(
    `workerd stdout: ${stdio.chunks - io0.chunks} chunks, ${(((stdio.bytes - io0.bytes) / N) | 0)} bytes per request; ` +
      `this process (load generator + mock vendor + stdout reader): ${((cpu.user + cpu.system) / N).toFixed(0)} µs CPU per request`,
  );
  report(result.profile, readFileSync(bundle.main, "utf8"));
} finally {
  await mf?.dispose().catch(() => {});
  vendor.close();
  rmSync(tmp, { recursive: true, force: true });
}

/**
 * Self time by function, inclusive time of the heaviest frames, and self time by source module (esbuild's
 * `// src/…` markers in the unminified bundle; a native frame counts for the bundle function that called it), as
 * shares of the busy (non-idle) samples.
 */
function report(p, source) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ticks = new Map();
  p.samples.forEach((s, i) => ticks.set(s, (ticks.get(s) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const name = (n) => `${n.callFrame.functionName || "(anonymous)"} ${path.basename(n.callFrame.url || "")}:${n.callFrame.lineNumber + 1}`;
  const marks = [];
  source.split("\n").forEach((l, i) => {
    const m = /^\/\/ ((?:src|durable-objects|node_modules)\/\S+)/.exec(l);
    if (m) marks.push([i, m[1].replace(/^node_modules\/(?:\.pnpm\/)?((?:@[^/]+\/)?[^/]+)\/.*$/, "$1")]);
  });
  const moduleAt = (line) => {
    let found = "(bundle)";
    for (const [i, m] of marks) if (i <= line) found = m;
    return found;
  };
  let busy = 0;
  const self = new Map();
  const incl = new Map();
  const mods = new Map();
  for (const [sid, t] of ticks) {
    const n = byId.get(sid);
    if (n.callFrame.functionName === "(idle)") continue;
    busy += t;
    self.set(name(n), (self.get(name(n)) ?? 0) + t);
    const seen = new Set();
    let mod;
    for (let cur = sid; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur).callFrame;
      const k = name(byId.get(cur));
      if (!seen.has(k)) incl.set(k, (incl.get(k) ?? 0) + t), seen.add(k);
      if (mod === undefined && f.url.endsWith("index.js")) mod = moduleAt(f.lineNumber);
    }
    mod ??= n.callFrame.functionName || "(native)";
    mods.set(mod, (mods.get(mod) ?? 0) + t);
  }
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([f, t]) => `${((100 * t) / busy).toFixed(1).padStart(5)} %  ${f}`);
  const k = Number(process.env.TOP ?? 40);
  console.log("\nself time (share of busy samples):\n" + top(self, k).join("\n"));
  console.log("\ninclusive:\n" + top(incl, k).join("\n"));
  console.log("\nby module (self, natives counted for their caller):\n" + top(mods, k).join("\n"));
}
