#!/usr/bin/env node
/**
 * `npm run bench`: what Detour costs over the floor.
 *
 * Four targets, all on 127.0.0.1, driven from this process over real loopback sockets with keep-alive agents:
 *   direct  — the mock vendors' OpenAI endpoint (scripts/mock-vendors.mjs, in its own Node process, no faults set);
 *   floor   — a bare pass-through Worker on workerd (Miniflare), forwarding the body to the mock: what the runtime
 *             itself costs;
 *   minimal — a minimal router on workerd (scripts/lib/bench-fixture.mjs MINIMAL_ROUTER_SCRIPT): key check, model
 *             rewrite, a timeout, re-serialised answer, one log line; a reference for what any router costs;
 *   detour  — Detour's bundled worker (`wrangler deploy --dry-run`) on workerd (Miniflare), one openai provider
 *             pointing at the mock.
 * Runs interleave the targets in rounds (rotating the order) so machine drift hits all alike. Measures sequential
 * latency, throughput at fixed concurrency, streaming time to first byte, and the bundle size. Prints Markdown and
 * writes reports/bench.json. Exits non-zero only when it could not run (not when a target is missed).
 *
 * Knobs (env): BENCH_SCALE (multiplies request counts, default 1), BENCH_CONCURRENCY (default 32), BENCH_VIA
 * (`direct`, the default: each worker on its own workerd socket; `entry`: through Miniflare's entry worker, mf.ready),
 * BENCH_LOCAL_BINDINGS=0 (run Detour without wrangler.toml's Durable Object/KV/R2/D1 bindings, e.g. breakers off).
 * Not wrangler dev: its dev proxy would dominate what is measured (README "Benchmark").
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import {
  bundleDetour,
  readPkgVersion,
  ROOT,
  startBundledDetour,
  startMiniflare as startWorker,
  workerSettings as readWorkerSettings,
} from "./lib/worker.mjs";
import { BENCH_KEY, CHAT_BODY, detourBindings, FLOOR_SCRIPT, keyTable, MINIMAL_ROUTER_SCRIPT, MOCK_KEY, MOCK_REPLY } from "./lib/bench-fixture.mjs";
import { lifecycle } from "./lib/lifecycle.mjs";
import { f2, median, summary } from "./lib/stats.mjs";
import { benchValidation } from "./lib/validation-bench.mjs";
import { benchAuthScaling, STAGES } from "./lib/stage-bench.mjs";
import { bundleBreakdown } from "./lib/bundle-size.mjs";
import { benchShadow } from "./lib/shadow-bench.mjs";

const HARD_LIMIT_MS = 300_000;
const REQUEST_TIMEOUT_MS = 10_000;

const SCALE = Math.max(0.05, Number(process.env.BENCH_SCALE ?? 1) || 1);
const n = (x) => Math.max(1, Math.round(x * SCALE));
const PLAN = {
  warmupSequential: n(200),
  warmupConcurrent: n(600),
  sequential: { rounds: 5, requests: n(400) },
  concurrent: { rounds: 5, requests: n(2000), concurrency: Math.max(1, Number(process.env.BENCH_CONCURRENCY ?? 32) | 0) },
  streaming: { rounds: 5, requests: n(200) },
};
const VIA = process.env.BENCH_VIA === "entry" ? "entry" : "direct";
const TARGETS_TO_BEAT = { p50OverheadMs: 0.5, throughputPct: 80 };

const JSON_BODY = CHAT_BODY;
const STREAM_BODY = JSON.stringify({ ...JSON.parse(JSON_BODY), stream: true, stream_options: { include_usage: true } });

const log = (...a) => console.error("[bench]", ...a);
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "—");

// ---------------------------------------------------------------------------------------------------------------
// Cleanup and watchdog
// ---------------------------------------------------------------------------------------------------------------

const { cleanups, runMain } = lifecycle({ hardLimitMs: HARD_LIMIT_MS, log });

// ---------------------------------------------------------------------------------------------------------------
// Setup: mock, bundle, workers
// ---------------------------------------------------------------------------------------------------------------

/** The mock in its own process, so it does not share an event loop with the load generator. */
async function startMockProcess() {
  const args = ["--port", "0", "--reply-openai", MOCK_REPLY, "--exit-on-stdin-close"];
  const child = spawn(process.execPath, [path.join(ROOT, "scripts/mock-vendors.mjs"), ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  cleanups.push(
    () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const t = setTimeout(() => {
          child.kill("SIGKILL");
          resolve();
        }, 3000);
        child.once("exit", () => {
          clearTimeout(t);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  );
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error("mock did not start within 10s")), 10_000);
    child.once("exit", (code) => reject(new Error(`mock exited early (${code})`)));
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
  });
  // The OpenAI endpoint's base: targets append /v1/chat/completions.
  return `${url}/openai`;
}

/**
 * Compatibility settings and wrangler.toml's local bindings (scripts/lib/worker.mjs); BENCH_LOCAL_BINDINGS=0 leaves
 * the bindings out (Detour without its Durable Object, i.e. breakers off).
 */
function workerSettings() {
  return readWorkerSettings({ localBindings: process.env.BENCH_LOCAL_BINDINGS !== "0", log });
}

/**
 * A worker on its own workerd. VIA "direct" (default) serves it on its own socket (Miniflare's unsafeDirectSockets),
 * as in production; "entry" goes through Miniflare's entry worker (mf.ready), an extra in-process hop that costs the
 * floor about a third of its throughput here and so flatters any worker measured against it.
 */
async function startMiniflare(name, opts) {
  return served(name, await startWorker(opts, { via: VIA }));
}

function served(name, { mf, url }) {
  cleanups.push(() => mf.dispose());
  log(`${name} on ${url}/ (${VIA})`);
  return url;
}

// ---------------------------------------------------------------------------------------------------------------
// Load generation
// ---------------------------------------------------------------------------------------------------------------

function newAgent(maxSockets) {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, keepAliveMsecs: 30_000, noDelay: true });
}

/**
 * One POST; resolves with client-side timings in ns (first `data:` line for streams) once the body has ended.
 * `keep` keeps the body text (verification only, to keep the measured loop lean). A kept-alive socket the server
 * closed just as it was reused (the usual keep-alive race) is retried once on a fresh one, timed from the retry, and
 * counted in `target.staleSockets`; any other error fails the run.
 */
async function request(target, agent, body, opts = {}) {
  try {
    return await requestOnce(target, agent, body, opts);
  } catch (err) {
    const code = err?.cause?.code;
    if (!(err?.reusedSocket && (code === "ECONNRESET" || code === "EPIPE" || /socket hang up/.test(err?.cause?.message ?? "")))) throw err;
    target.staleSockets = (target.staleSockets ?? 0) + 1;
    return requestOnce(target, agent, body, opts);
  }
}

function requestOnce(target, agent, body, { stream = false, keep = false } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let ttfb = 0n;
    let sawData = false;
    let tail = "";
    let text = keep ? "" : undefined;
    const req = http.request(
      target.url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...target.headers },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          if (keep) text += chunk;
          if (stream && !sawData) {
            const s = tail + chunk;
            if (s.startsWith("data:") || s.includes("\ndata:")) {
              sawData = true;
              ttfb = process.hrtime.bigint();
            } else tail = s.slice(-6);
          }
        });
        res.on("end", () => {
          const t1 = process.hrtime.bigint();
          if (res.statusCode !== 200) {
            reject(new Error(`${target.name}: HTTP ${res.statusCode}${keep ? `: ${text.slice(0, 400)}` : ""}`));
            return;
          }
          if (stream && !sawData) {
            reject(new Error(`${target.name}: stream had no data: line`));
            return;
          }
          resolve({ total: t1 - t0, ttfb: stream ? ttfb - t0 : 0n, text, headers: res.headers });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${target.name}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", (err) =>
      reject(Object.assign(new Error(`${target.name}: ${err.message} (reused socket: ${req.reusedSocket})`, { cause: err }), { reusedSocket: req.reusedSocket })),
    );
    req.end(body);
  });
}

const nsToMs = (ns) => Number(ns) / 1e6;

async function sequential(target, count, { stream = false } = {}) {
  const lat = [];
  const ttfb = [];
  const body = stream ? STREAM_BODY : JSON_BODY;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const r = await request(target, target.seqAgent, body, { stream });
    lat.push(nsToMs(r.total));
    if (stream) ttfb.push(nsToMs(r.ttfb));
  }
  return { lat, ttfb, elapsedMs: nsToMs(process.hrtime.bigint() - t0) };
}

async function concurrent(target, count, concurrency) {
  const lat = [];
  let next = 0;
  const t0 = process.hrtime.bigint();
  const lane = async () => {
    while (next < count) {
      next++;
      const r = await request(target, target.poolAgent, JSON_BODY);
      lat.push(nsToMs(r.total));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { lat, elapsedMs: nsToMs(process.hrtime.bigint() - t0) };
}

/** Sanity: each target answers the mock's reply, JSON and SSE, before anything is measured. */
async function verify(target, expected) {
  const j = await request(target, target.seqAgent, JSON_BODY, { keep: true });
  const content = JSON.parse(j.text)?.choices?.[0]?.message?.content;
  if (content !== expected) throw new Error(`${target.name}: unexpected JSON answer: ${j.text.slice(0, 300)}`);
  const s = await request(target, target.seqAgent, STREAM_BODY, { stream: true, keep: true });
  let streamed = "";
  for (const line of s.text.split("\n")) {
    if (!line.startsWith("data:") || line.includes("[DONE]")) continue;
    streamed += JSON.parse(line.slice(5)).choices?.[0]?.delta?.content ?? "";
  }
  if (streamed !== expected || !s.text.includes("data: [DONE]")) {
    throw new Error(`${target.name}: unexpected stream: ${s.text.slice(0, 300)}`);
  }
  return { headers: j.headers };
}

// ---------------------------------------------------------------------------------------------------------------
// Stats and report
// ---------------------------------------------------------------------------------------------------------------

const f0 = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "—");
const signed = (x, digits = 2) => (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(digits);

// ---------------------------------------------------------------------------------------------------------------
// Scale: authentication with many keys, cold start
// ---------------------------------------------------------------------------------------------------------------

/** Detour with 10 and with 10,000 gateway keys, each on its own workerd: sequential p50 in interleaved rounds. */
async function authInWorkerd({ bundle, settings, bindings }) {
  const start = async (count) => {
    const { mf, url } = await startBundledDetour({ bundle, settings }, { ...bindings, DETOUR_API_KEYS: JSON.stringify(keyTable(count)) }, { via: VIA });
    cleanups.push(() => mf.dispose());
    return { name: `detour-${count}-keys`, url: `${url}/v1/chat/completions`, headers: { authorization: `Bearer ${BENCH_KEY}` }, seqAgent: newAgent(1) };
  };
  const small = await start(10);
  const large = await start(10_000);
  const rounds = 3;
  const requests = n(200);
  const p50s = { small: [], large: [] };
  for (const t of [small, large]) await sequential(t, n(50));
  for (let r = 0; r < rounds; r++) {
    for (const [k, t] of r % 2 ? [["large", large], ["small", small]] : [["small", small], ["large", large]]) p50s[k].push(summary((await sequential(t, requests)).lat).p50);
  }
  small.seqAgent.destroy();
  large.seqAgent.destroy();
  return { small: median(p50s.small), large: median(p50s.large), rounds, requests };
}

/** Start a fresh workerd for Detour and for the floor, and time startup and the first response; `runs` times. */
async function coldStarts({ bundle, settings, mockUrl, bindings }, runs = 3) {
  const once = async (start, headers) => {
    const t0 = process.hrtime.bigint();
    const { mf, url } = await start();
    const t1 = process.hrtime.bigint();
    const agent = newAgent(1);
    try {
      const r = await request({ name: "cold", url: `${url}/v1/chat/completions`, headers }, agent, JSON_BODY);
      return { startMs: nsToMs(t1 - t0), firstMs: nsToMs(r.total) };
    } finally {
      agent.destroy();
      await mf.dispose();
    }
  };
  const detour = [];
  const floor = [];
  for (let i = 0; i < runs; i++) {
    detour.push(await once(() => startBundledDetour({ bundle, settings }, bindings, { via: VIA }), { authorization: `Bearer ${BENCH_KEY}` }));
    floor.push(
      await once(() =>
        startWorker(
          { ...settings.compat, name: "floor", modules: true, script: FLOOR_SCRIPT, bindings: { UPSTREAM_URL: `${mockUrl}/v1/chat/completions`, MOCK_KEY } },
          { via: VIA },
        ),
      ),
    );
  }
  const med = (xs, k) => median(xs.map((x) => x[k]));
  return { runs, detour: { startMs: med(detour, "startMs"), firstMs: med(detour, "firstMs") }, floor: { startMs: med(floor, "startMs"), firstMs: med(floor, "firstMs") } };
}

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "detour-bench-"));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));

  log("bundling Detour (wrangler deploy --dry-run)…");
  const bundle = await bundleDetour(path.join(tmp, "dist"));
  log(`bundle: ${bundle.files.join(", ")} — ${(bundle.raw / 1024).toFixed(1)} KiB raw, ${(bundle.gzip / 1024).toFixed(1)} KiB gzip`);

  const mockUrl = await startMockProcess();
  log(`mock on ${mockUrl}`);

  const settings = await workerSettings();
  log(
    `workers: compatibility ${settings.compat.compatibilityDate} [${settings.compat.compatibilityFlags.join(", ")}]; ` +
      `detour bindings from wrangler.toml: ${Object.entries(settings.local).map(([k, v]) => `${k} ${Object.keys(v).join(",")}`).join("; ") || "none"}`,
  );

  const floorUrl = await startMiniflare("floor", {
    ...settings.compat,
    name: "floor",
    modules: true,
    script: FLOOR_SCRIPT,
    bindings: { UPSTREAM_URL: `${mockUrl}/v1/chat/completions`, MOCK_KEY },
  });

  const minimalUrl = await startMiniflare("minimal", {
    ...settings.compat,
    name: "minimal",
    modules: true,
    script: MINIMAL_ROUTER_SCRIPT,
    bindings: { UPSTREAM_URL: `${mockUrl}/v1/chat/completions`, MOCK_KEY, GATEWAY_KEY: BENCH_KEY },
  });

  // A premium gateway key (scripts/lib/bench-fixture.mjs): the routing path, not the TenantLimiter's per-request
  // Durable Object call (standard tenants pay that, see docs/routing.md).
  const bindings = detourBindings(`${mockUrl}/v1`);
  const detourUrl = served("detour", await startBundledDetour({ bundle, settings }, bindings, { via: VIA }));

  const concurrency = PLAN.concurrent.concurrency;
  const mk = (name, base, headers = {}) => ({
    name,
    url: `${base}/v1/chat/completions`,
    headers,
    seqAgent: newAgent(1),
    poolAgent: newAgent(concurrency),
  });
  const targets = [
    mk("direct", mockUrl, { authorization: `Bearer ${MOCK_KEY}` }),
    mk("floor", floorUrl),
    mk("detour", detourUrl, { authorization: `Bearer ${BENCH_KEY}` }),
    mk("minimal", minimalUrl, { authorization: `Bearer ${BENCH_KEY}` }),
  ];
  cleanups.push(() => targets.forEach((t) => (t.seqAgent.destroy(), t.poolAgent.destroy())));

  log("verifying answers…");
  const detourCheck = await Promise.all(targets.map((t) => verify(t, MOCK_REPLY))).then((r) => r[2]);
  if (detourCheck.headers["x-detour-provider"] !== "mock") {
    throw new Error(`detour did not answer through the mock provider (x-detour-provider: ${detourCheck.headers["x-detour-provider"]})`);
  }
  // What Detour says about how it served (e.g. "breakers off: …" when a binding is missing): shown, never fatal.
  const detourTarget = targets[2];
  const traced = await request({ ...detourTarget, headers: { ...detourTarget.headers, "x-detour-trace": "1" } }, detourTarget.seqAgent, JSON_BODY, {
    keep: true,
  });
  const traceNotes = JSON.parse(traced.text)?.detour?.notes ?? [];
  log(`detour trace notes: ${traceNotes.length ? traceNotes.join(" | ") : "none"}`);

  log("warming up…");
  for (const t of targets) {
    await sequential(t, PLAN.warmupSequential);
    await sequential(t, Math.ceil(PLAN.warmupSequential / 4), { stream: true });
    await concurrent(t, PLAN.warmupConcurrent, concurrency);
  }

  const res = Object.fromEntries(
    targets.map((t) => [t.name, { seq: [], seqP50: [], conc: [], concRps: [], ttfb: [], ttfbP50: [], streamTotal: [] }]),
  );
  const order = (round) => targets.map((_, i) => targets[(i + round) % targets.length]);

  log(`sequential JSON: ${PLAN.sequential.rounds} rounds × ${PLAN.sequential.requests} per target…`);
  for (let r = 0; r < PLAN.sequential.rounds; r++) {
    for (const t of order(r)) {
      const out = await sequential(t, PLAN.sequential.requests);
      res[t.name].seq.push(...out.lat);
      res[t.name].seqP50.push(summary(out.lat).p50);
    }
  }

  log(`concurrency ${concurrency}: ${PLAN.concurrent.rounds} rounds × ${PLAN.concurrent.requests} per target…`);
  for (let r = 0; r < PLAN.concurrent.rounds; r++) {
    for (const t of order(r)) {
      const out = await concurrent(t, PLAN.concurrent.requests, concurrency);
      res[t.name].conc.push(...out.lat);
      res[t.name].concRps.push(out.lat.length / (out.elapsedMs / 1000));
    }
  }

  log(`sequential streaming: ${PLAN.streaming.rounds} rounds × ${PLAN.streaming.requests} per target…`);
  for (let r = 0; r < PLAN.streaming.rounds; r++) {
    for (const t of order(r)) {
      const out = await sequential(t, PLAN.streaming.requests, { stream: true });
      res[t.name].ttfb.push(...out.ttfb);
      res[t.name].ttfbP50.push(summary(out.ttfb).p50);
      res[t.name].streamTotal.push(...out.lat);
    }
  }

  // ---- report ----
  const rows = {};
  for (const t of targets) {
    const x = res[t.name];
    rows[t.name] = {
      sequential: { ...summary(x.seq), p50Rounds: x.seqP50 },
      concurrent: { ...summary(x.conc), rps: median(x.concRps), rpsRounds: x.concRps },
      streamTtfb: { ...summary(x.ttfb), p50Rounds: x.ttfbP50 },
      streamTotal: summary(x.streamTotal),
      staleSocketRetries: t.staleSockets ?? 0,
    };
  }
  const d = rows.detour;
  const fl = rows.floor;
  const mi = rows.minimal;
  // Overheads and ratios are medians of per-round differences: within a round the targets run back to back, so
  // drift (and the other tenants of a small machine) cancels out of each difference.
  const roundDiff = (a, b) => median(a.map((x, i) => x - b[i]));
  const headline = {
    p50OverheadMs: roundDiff(d.sequential.p50Rounds, fl.sequential.p50Rounds),
    p99OverheadMs: d.sequential.p99 - fl.sequential.p99,
    ttfbP50OverheadMs: roundDiff(d.streamTtfb.p50Rounds, fl.streamTtfb.p50Rounds),
    throughputPct: median(d.concurrent.rpsRounds.map((x, i) => (x / fl.concurrent.rpsRounds[i]) * 100)),
  };
  // The reference: what the minimal router costs over the same floor in the same rounds.
  const reference = {
    p50OverheadMs: roundDiff(mi.sequential.p50Rounds, fl.sequential.p50Rounds),
    throughputPct: median(mi.concurrent.rpsRounds.map((x, i) => (x / fl.concurrent.rpsRounds[i]) * 100)),
  };
  const meets = {
    p50Overhead: headline.p50OverheadMs <= TARGETS_TO_BEAT.p50OverheadMs,
    throughput: headline.throughputPct >= TARGETS_TO_BEAT.throughputPct,
  };

  const lines = [];
  lines.push(`## Detour benchmark`);
  lines.push("");
  lines.push(
    `${os.cpus().length} CPU × ${os.cpus()[0]?.model?.trim() ?? "?"}, Node ${process.version}, ` +
      `miniflare ${readPkgVersion("miniflare")}, ${new Date().toISOString().slice(0, 19)}Z. ` +
      `Workers served ${VIA === "direct" ? "on their own workerd sockets" : "through Miniflare's entry worker"}. ` +
      `Latency in ms, client-side over loopback keep-alive sockets.`,
  );
  lines.push("");
  lines.push(
    `| target | seq p50 | seq p95 | seq p99 | c=${concurrency} req/s | c=${concurrency} p50 | c=${concurrency} p99 | stream TTFB p50 | stream TTFB p99 | stream total p50 |`,
  );
  lines.push(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
  for (const t of targets) {
    const r = rows[t.name];
    lines.push(
      `| ${t.name} | ${f2(r.sequential.p50)} | ${f2(r.sequential.p95)} | ${f2(r.sequential.p99)} | ${f0(r.concurrent.rps)} | ` +
        `${f2(r.concurrent.p50)} | ${f2(r.concurrent.p99)} | ${f2(r.streamTtfb.p50)} | ${f2(r.streamTtfb.p99)} | ${f2(r.streamTotal.p50)} |`,
    );
  }
  lines.push(
    `| **detour − floor** | **${signed(headline.p50OverheadMs)}** | ${signed(d.sequential.p95 - fl.sequential.p95)} | ` +
      `${signed(headline.p99OverheadMs)} | **${headline.throughputPct.toFixed(1)} %** | ${signed(d.concurrent.p50 - fl.concurrent.p50)} | ` +
      `${signed(d.concurrent.p99 - fl.concurrent.p99)} | ${signed(headline.ttfbP50OverheadMs)} | ${signed(d.streamTtfb.p99 - fl.streamTtfb.p99)} | ` +
      `${signed(d.streamTotal.p50 - fl.streamTotal.p50)} |`,
  );
  lines.push("");
  lines.push(
    `Requests per target: sequential ${PLAN.sequential.rounds}×${PLAN.sequential.requests}, ` +
      `c=${concurrency} ${PLAN.concurrent.rounds}×${PLAN.concurrent.requests} (req/s: median of rounds), ` +
      `streaming ${PLAN.streaming.rounds}×${PLAN.streaming.requests}; targets interleaved per round after a warm-up. ` +
      `The bold figures and the TTFB p50 difference are medians of per-round detour − floor differences (or ` +
      `detour / floor ratios); the other differences compare percentiles pooled over all rounds.`,
  );
  lines.push(
    `Worker bundle (wrangler deploy --dry-run): ${(bundle.raw / 1024).toFixed(1)} KiB raw, ${(bundle.gzip / 1024).toFixed(1)} KiB gzip -9.`,
  );
  const stale = targets.filter((t) => t.staleSockets).map((t) => `${t.name} ${t.staleSockets}`);
  if (stale.length) lines.push(`Kept-alive sockets closed under a request and retried once: ${stale.join(", ")}.`);
  if (traceNotes.length) lines.push(`Detour's trace notes: ${traceNotes.join("; ")}.`);
  lines.push("");
  lines.push(
    `**Headline:** Detour adds **${headline.p50OverheadMs.toFixed(2)} ms** p50 over the floor ` +
      `(target ≤ ${TARGETS_TO_BEAT.p50OverheadMs} ms: ${meets.p50Overhead ? "met" : "MISSED"}) and keeps ` +
      `**${headline.throughputPct.toFixed(1)} %** of the floor's throughput at ${concurrency} connections ` +
      `(target ≥ ${TARGETS_TO_BEAT.throughputPct} %: ${meets.throughput ? "met" : "MISSED"}). ` +
      `The minimal router (key check, model rewrite, timeout, re-serialised answer, one log line) adds ` +
      `${reference.p50OverheadMs.toFixed(2)} ms and keeps ${reference.throughputPct.toFixed(1)} % in the same rounds.`,
  );
  log("timing the built-in output checks…");
  const validation = await benchValidation(ROOT);
  lines.push("");
  lines.push(
    `**Validation** (built-in output checks, src/validate/, per answer, checks prepared per request; Node): ` +
      `typical strict json_schema **${f2(validation.jsonSchema.p50)} µs** p50 (${f2(validation.jsonSchema.p99)} µs p99), ` +
      `tool call ${f2(validation.toolCall.p50)} µs p50 (${f2(validation.toolCall.p99)} µs p99).`,
  );
  // ---- scale (issue 15): CPU per stage, auth with many keys, cold start, what the bundle is made of ----
  log("timing CPU per stage (Node, scripts/lib/stage-bench.mjs)…");
  const cpu = await benchAuthScaling({ body: JSON_BODY, reply: MOCK_REPLY, requests: n(1500), warmup: n(300) });
  lines.push("");
  lines.push(`**CPU per request by stage** (µs, uncached JSON request, closed breaker; Node's V8 on the same source, in-memory bindings, ${cpu.small.requests} sequential requests — workerd freezes its clocks while code runs, so stages are timed outside it; Node's Request/Response/AbortSignal cost more than workerd's; "after" ends one event-loop turn after the body is read, and the once-a-second health flush shows in its mean, not its p50):`);
  lines.push("");
  lines.push(`| stage | ${STAGES.join(" | ")} | total |`);
  lines.push(`|---|${STAGES.map(() => "---:").join("|")}|---:|`);
  lines.push(`| p50 | ${STAGES.map((st) => f1(cpu.small.stages[st].p50)).join(" | ")} | ${f1(cpu.small.total.p50)} |`);
  lines.push(`| mean | ${STAGES.map((st) => f1(cpu.small.stages[st].mean)).join(" | ")} | ${f1(cpu.small.total.mean)} |`);
  lines.push("");
  log("authentication with 10 and 10,000 gateway keys (workerd)…");
  const keyed = await authInWorkerd({ bundle, settings, bindings });
  lines.push(
    `**Authentication with many tenants:** setup stage (middleware incl. auth) p50 ${f1(cpu.small.stages.setup.p50)} µs with 10 keys, ` +
      `${f1(cpu.large.stages.setup.p50)} µs with 10,000 (Node); in workerd, sequential p50 ${f2(keyed.small)} ms with 10 keys and ` +
      `${f2(keyed.large)} ms with 10,000 (median of ${keyed.rounds} interleaved rounds of ${keyed.requests}).`,
  );
  log("cold start: first response of a fresh workerd, 3 times…");
  const cold = await coldStarts({ bundle, settings, mockUrl, bindings });
  const parts = bundleBreakdown(bundle.metafile);
  const partsTotal = parts.reduce((a, p) => a + p.bytes, 0);
  lines.push(
    `**Bundle and cold start:** ${(bundle.gzip / 1024).toFixed(1)} KiB gzip -9 (${(bundle.raw / 1024).toFixed(1)} KiB raw; target ≤ 150 KiB gzip: ` +
      `${bundle.gzip <= 150 * 1024 ? "met" : "MISSED"}). Raw bytes by package: ` +
      parts.slice(0, 6).map((p) => `${p.name} ${(p.bytes / 1024).toFixed(0)} KiB (${((p.bytes / partsTotal) * 100).toFixed(0)} %)`).join(", ") +
      `. Cold start (median of ${cold.runs}): workerd up in ${f0(cold.detour.startMs)} ms (floor ${f0(cold.floor.startMs)} ms), ` +
      `first response ${f2(cold.detour.firstMs)} ms (floor ${f2(cold.floor.firstMs)} ms). Plan: docs/scale.md.`,
  );
  const shadow = await benchShadow();
  lines.push("");
  lines.push(
    `**Shadow traffic** (caller-path part per mirrored request, sampleRate 1, two targets; Node): ` +
      `**${f2(shadow.p50)} µs** p50 (${f2(shadow.p99)} µs p99; target < 200 µs: ${shadow.p50 < 200 ? "met" : "MISSED"}).`,
  );
  const md = lines.join("\n");
  console.log(md);

  mkdirSync(path.join(ROOT, "reports"), { recursive: true });
  const report = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model?.trim(), node: process.version, platform: `${os.platform()} ${os.release()}` },
    miniflare: readPkgVersion("miniflare"),
    wrangler: readPkgVersion("wrangler"),
    plan: PLAN,
    via: VIA,
    detourTraceNotes: traceNotes,
    workers: { ...settings.compat, detourLocalBindings: Object.fromEntries(Object.entries(settings.local).map(([k, v]) => [k, Object.keys(v)])) },
    bundle: { files: bundle.files, rawBytes: bundle.raw, gzipBytes: bundle.gzip, gzipLevel: 9 },
    unit: "ms",
    results: rows,
    headline,
    minimalRouter: reference,
    validationUs: validation,
    cpuUsPerStage: { keys10: cpu.small, keys10000: cpu.large },
    authWorkerdSeqP50Ms: keyed,
    coldStart: cold,
    bundleByPackage: parts,
    shadowUs: shadow,
    targetsToBeat: TARGETS_TO_BEAT,
    meets,
    durationS: (Date.now() - started) / 1000,
  };
  writeFileSync(path.join(ROOT, "reports/bench.json"), JSON.stringify(report, null, 2) + "\n");
  log(`wrote reports/bench.json (${report.durationS.toFixed(1)} s)`);
}

await runMain(main);
