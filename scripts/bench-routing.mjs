#!/usr/bin/env node
/**
 * `npm run bench:routing`: what hedging does to the tail, and what the retry budget does to a 5xx storm (issue 4).
 *
 * Starts, all on 127.0.0.1 and with no network: the mock vendors (scripts/mock-vendors.mjs, in this process) and
 * Detour's real worker — bundled as `wrangler deploy --dry-run` does, on workerd through Miniflare's API, with
 * wrangler.toml's local bindings (Durable Objects, KV; in memory) — one premium gateway key, providers `alpha`
 * (openai kind) and `beta` (anthropic kind) on the mock. Each configuration under test is its own Miniflare instance,
 * so breaker/health state, hedge budgets and retry budgets never leak from one configuration to the other, and the
 * two instances of a pair are driven in interleaved rounds (alternating which goes first) so machine drift hits both.
 *
 * 1. Heavy tail. Mock fault on the openai vendor: `latency`, rate 0.05, +1500 ms (5 % of alpha's calls are slow).
 *    Route `auto: [alpha, beta]`. Hedging ON (`routing.tiers.premium.hedge: true`, `maxHedgeShare: 0.2`,
 *    `minDelayMs: 20`) vs OFF (`hedge: false`). Both are warmed up before the fault, so the breaker object holds a
 *    latency p95 for alpha (`resilience.reportFlushMs: 0`); sequential requests, client-side latency p50/p95/p99, the
 *    share of answers with `x-detour-hedged: 1`, who served them, and the vendor calls beyond one per request (mock
 *    stats).
 * 2. 5xx storm. Mock fault on the openai vendor: `status` 500, rate 1. Route `storm: [alpha]` with
 *    `retry: {maxRetries: 3, baseDelayMs: 0}`, breakers that never trip, adaptive throttling and the degradation
 *    ladder out of the way (so nothing but the retry budget decides). Retry budget at its default (10 % of requests,
 *    ≥ 10 per minute) vs effectively unlimited (`{ratio: 1, minRetriesPerWindow: 100000}`; the schema caps `ratio`
 *    at 1, and the floor alone is never reached). Amplification = vendor calls (mock stats) ÷ requests.
 *
 * Prints Markdown, writes reports/bench-routing.json. Bounded (watchdog), stops by itself, cleans up. Exits non-zero
 * only when it could not run (2 on the watchdog, 1 otherwise), never because a figure looks bad.
 *
 * Knobs (env): BENCH_ROUTING_SCALE (multiplies request counts, default 1).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { prepareDetour, readPkgVersion, ROOT, startBundledDetour } from "./lib/worker.mjs";
import { lifecycle } from "./lib/lifecycle.mjs";
import { f1, f2, summary } from "./lib/stats.mjs";

const HARD_LIMIT_MS = 115_000;
const REQUEST_TIMEOUT_MS = 15_000;
const GATEWAY_KEY = `bench-routing-${randomBytes(12).toString("hex")}`;
const SCALE = Math.max(0.05, Number(process.env.BENCH_ROUTING_SCALE ?? 1) || 1);
const n = (x) => Math.max(1, Math.round(x * SCALE));

const PLAN = {
  tail: {
    fault: { vendor: "openai", kind: "latency", rate: 0.05, ms: 1500 },
    warmup: n(100),
    rounds: 4,
    requests: n(150),
  },
  storm: {
    fault: { vendor: "openai", kind: "status", status: 500, rate: 1 },
    rounds: 3,
    requests: n(100),
    maxRetries: 3,
  },
};

const BODY = JSON.stringify({
  model: "auto",
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "Say hello in one short sentence." },
  ],
});
const STORM_BODY = JSON.stringify({ ...JSON.parse(BODY), model: "storm" });

const log = (...a) => console.error("[bench:routing]", ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

// ---------------------------------------------------------------------------------------------------------------
// Cleanup and watchdog
// ---------------------------------------------------------------------------------------------------------------

const { cleanups, runMain } = lifecycle({ hardLimitMs: HARD_LIMIT_MS, log });

// ---------------------------------------------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------------------------------------------

/** Both phases: alpha (openai kind) and beta (anthropic kind) on the mock, cache off (every request reaches a vendor). */
function baseConfig(mock) {
  return {
    providers: [
      { id: "alpha", kind: "openai", baseUrl: mock.baseUrls.openai, apiKeySecret: "ALPHA_API_KEY", models: [{ id: "gpt-mock" }] },
      { id: "beta", kind: "anthropic", baseUrl: mock.baseUrls.anthropic, apiKeySecret: "BETA_API_KEY", models: [{ id: "claude-mock" }] },
    ],
    routes: {
      auto: { targets: ["alpha/gpt-mock", "beta/claude-mock"], taskClass: "chat" },
    },
    cache: { enabled: false },
    resilience: { reportFlushMs: 0 },
  };
}

function tailConfig(mock, hedge) {
  const c = baseConfig(mock);
  return {
    ...c,
    routing: {
      tiers: { premium: { hedge } },
      hedging: { maxHedgeShare: 0.2, minDelayMs: 20 },
    },
  };
}

function stormConfig(mock, budget) {
  const c = baseConfig(mock);
  return {
    ...c,
    routes: {
      ...c.routes,
      storm: { targets: ["alpha/gpt-mock"], taskClass: "chat", retry: { maxRetries: PLAN.storm.maxRetries, baseDelayMs: 0 } },
    },
    // Nothing but the retry budget may hold retries back: breakers never trip, throttling never starts, the health
    // bar never skips alpha, and the degradation ladder answers the error at once (its "reduced" rung would call
    // the vendor again).
    routing: { tiers: { premium: { minHealth: 0 } } },
    resilience: { reportFlushMs: 0, breaker: { consecutiveFailures: 100_000, minimumCalls: 100_000 } },
    throttle: { minRequests: 1_000_000 },
    degrade: { ladder: ["error"] },
    ...(budget === "default" ? {} : { retryBudget: { ratio: 1, minRetriesPerWindow: 100_000 } }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Setup
// ---------------------------------------------------------------------------------------------------------------

async function startDetour(shared, name, config) {
  const { mf, url } = await startBundledDetour(shared, {
    DETOUR_CONFIG: JSON.stringify(config),
    DETOUR_API_KEYS: JSON.stringify({ [GATEWAY_KEY]: { tenant: "bench", tier: "premium" } }),
    ALPHA_API_KEY: "sk-bench-alpha",
    BETA_API_KEY: "sk-bench-beta",
  });
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    agent.destroy();
    await mf.dispose();
  };
  cleanups.push(dispose);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, keepAliveMsecs: 30_000, noDelay: true });
  log(`${name} on ${url}/`);
  return { name, url, config, agent, dispose };
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------------------------

/** One request; resolves with status, headers, body text and client-side latency (ms). Never rejects on a status. */
function send(url, { method = "GET", body, headers = {}, agent } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: { ...(body !== undefined ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {}), ...headers },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** A chat request through Detour; a kept-alive socket the server closed just as it was reused is retried once. */
async function chat(detour, body, extraHeaders = {}) {
  const opts = { method: "POST", body, agent: detour.agent, headers: { authorization: `Bearer ${GATEWAY_KEY}`, ...extraHeaders } };
  try {
    return await send(`${detour.url}/v1/chat/completions`, opts);
  } catch (err) {
    if (!/ECONNRESET|EPIPE|socket hang up/.test(`${err?.code} ${err?.message}`)) throw err;
    detour.staleSockets = (detour.staleSockets ?? 0) + 1;
    return send(`${detour.url}/v1/chat/completions`, opts);
  }
}

async function control(mock, method, p, body) {
  const r = await send(`${mock.url}${p}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`mock ${method} ${p}: ${r.status} ${r.text.slice(0, 300)}`);
  return r.text ? JSON.parse(r.text) : {};
}
const resetStats = (mock) => control(mock, "POST", "/__control/stats/reset");
async function vendorCalls(mock) {
  const s = await control(mock, "GET", "/__control/stats");
  return { openai: s.vendors?.openai?.requests ?? 0, anthropic: s.vendors?.anthropic?.requests ?? 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// Stats
// ---------------------------------------------------------------------------------------------------------------

const pctStr = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : "—");

// ---------------------------------------------------------------------------------------------------------------
// Phase 1: heavy tail, hedging on vs off
// ---------------------------------------------------------------------------------------------------------------

/** The routing trace's hedge decision for one request (`x-detour-trace: 1`). */
async function hedgeDecision(detour) {
  const r = await chat(detour, BODY, { "x-detour-trace": "1" });
  if (r.status !== 200) throw new Error(`${detour.name}: traced request answered ${r.status}: ${r.text.slice(0, 300)}`);
  const j = JSON.parse(r.text);
  return { reason: String(j?.detour?.routing?.hedge ?? "?"), provider: r.headers["x-detour-provider"] };
}

async function warmTail(detour, hedgeExpected) {
  // The first answer must come from alpha through the mock, or nothing below measures what it claims to.
  const first = await chat(detour, BODY);
  if (first.status !== 200 || first.headers["x-detour-provider"] !== "alpha") {
    throw new Error(`${detour.name}: expected a 200 from alpha, got ${first.status} via ${first.headers["x-detour-provider"]}: ${first.text.slice(0, 300)}`);
  }
  for (let i = 0; i < PLAN.tail.warmup; i++) await chat(detour, BODY);
  // Outcomes reach the breaker object at once (reportFlushMs 0); the isolate's snapshot of it refreshes in the
  // background once older than snapshotTtlMs (1 s): wait, nudge, and check the plan now hedges on alpha's p95.
  let decision;
  for (let i = 0; i < 12; i++) {
    await sleep(i === 0 ? 1100 : 300);
    decision = await hedgeDecision(detour);
    if (!hedgeExpected || /^after p95/.test(decision.reason)) break;
  }
  if (hedgeExpected && !/^after p95/.test(decision.reason)) log(`${detour.name}: hedging not armed after warm-up: ${decision.reason}`);
  log(`${detour.name}: hedge decision after warm-up: ${decision.reason}`);
  return decision.reason;
}

async function tailSegment(mock, detour, count, acc) {
  await resetStats(mock);
  for (let i = 0; i < count; i++) {
    const r = await chat(detour, BODY);
    acc.requests++;
    if (r.status !== 200) {
      acc.errors++;
      acc.statuses[r.status] = (acc.statuses[r.status] ?? 0) + 1;
      continue;
    }
    acc.lat.push(r.ms);
    if (r.headers["x-detour-hedged"] === "1") acc.hedged++;
    const p = r.headers["x-detour-provider"] ?? "?";
    acc.servedBy[p] = (acc.servedBy[p] ?? 0) + 1;
  }
  const calls = await vendorCalls(mock);
  acc.vendorCalls.openai += calls.openai;
  acc.vendorCalls.anthropic += calls.anthropic;
  acc.roundP99.push(summary(acc.lat.slice(-count)).p99);
}

async function runTail(shared) {
  const { mock } = shared;
  log("phase 1 (heavy tail): starting hedge ON and OFF…");
  const on = await startDetour(shared, "hedge-on", tailConfig(mock, true));
  const off = await startDetour(shared, "hedge-off", tailConfig(mock, false));
  const pair = [on, off];
  const armed = {};
  // Warm up without the fault: alpha's observed p95 is its normal latency, as before an incident starts.
  for (const d of pair) armed[d.name] = await warmTail(d, d === on);

  const fault = await control(mock, "POST", "/__control/faults", { ...PLAN.tail.fault, ttlMs: 10 * 60_000 });
  const acc = Object.fromEntries(
    pair.map((d) => [d.name, { requests: 0, errors: 0, statuses: {}, lat: [], hedged: 0, servedBy: {}, vendorCalls: { openai: 0, anthropic: 0 }, roundP99: [] }]),
  );
  for (let r = 0; r < PLAN.tail.rounds; r++) {
    const order = r % 2 === 0 ? pair : [...pair].reverse();
    for (const d of order) await tailSegment(mock, d, PLAN.tail.requests, acc[d.name]);
    log(`  round ${r + 1}/${PLAN.tail.rounds}: p99 on ${f1(acc[on.name].roundP99.at(-1))} ms, off ${f1(acc[off.name].roundP99.at(-1))} ms`);
  }
  const faultStats = (await control(mock, "GET", "/__control/faults")).faults?.find((f) => f.id === fault.id);
  await control(mock, "DELETE", `/__control/faults/${fault.id}`);
  const afterTrace = {};
  for (const d of pair) afterTrace[d.name] = (await hedgeDecision(d)).reason;
  for (const d of pair) await d.dispose();

  const result = {};
  for (const d of pair) {
    const a = acc[d.name];
    const calls = a.vendorCalls.openai + a.vendorCalls.anthropic;
    result[d.name] = {
      config: d.config.routing,
      latencyMs: summary(a.lat),
      answersOver1s: a.lat.filter((x) => x > 1000).length,
      roundP99Ms: a.roundP99,
      requests: a.requests,
      errors: a.errors,
      errorStatuses: a.statuses,
      hedged: a.hedged,
      hedgeRate: a.hedged / Math.max(1, a.requests - a.errors),
      servedBy: a.servedBy,
      vendorCalls: a.vendorCalls,
      extraVendorCalls: calls - a.requests,
      extraVendorCallShare: (calls - a.requests) / Math.max(1, a.requests),
      hedgeDecisionAfterWarmup: armed[d.name],
      hedgeDecisionAtEnd: afterTrace[d.name],
      staleSocketRetries: d.staleSockets ?? 0,
    };
  }
  result.slowCallsInjected = faultStats?.hits ?? null;
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Phase 2: 5xx storm, retry budget default vs unlimited
// ---------------------------------------------------------------------------------------------------------------

async function stormSegment(mock, detour, count, acc) {
  await resetStats(mock);
  let attempts = 0;
  for (let i = 0; i < count; i++) {
    const r = await chat(detour, STORM_BODY);
    acc.requests++;
    acc.statuses[r.status] = (acc.statuses[r.status] ?? 0) + 1;
    attempts += Number(r.headers["x-detour-attempts"] ?? NaN);
  }
  const calls = await vendorCalls(mock);
  acc.vendorCalls.openai += calls.openai;
  acc.vendorCalls.anthropic += calls.anthropic;
  acc.reportedAttempts += attempts;
  acc.roundAmplification.push((calls.openai + calls.anthropic) / count);
}

async function runStorm(shared) {
  const { mock } = shared;
  log("phase 2 (5xx storm): starting retry budget DEFAULT and UNLIMITED…");
  const budget = await startDetour(shared, "budget-default", stormConfig(mock, "default"));
  const unlimited = await startDetour(shared, "budget-unlimited", stormConfig(mock, "unlimited"));
  const pair = [budget, unlimited];
  for (const d of pair) {
    // Warm the isolate without touching any vendor (a chat request would also count toward the budget).
    const h = await send(`${d.url}/healthz`, { agent: d.agent });
    if (h.status !== 200) throw new Error(`${d.name}: /healthz answered ${h.status}: ${h.text.slice(0, 300)}`);
  }
  const fault = await control(mock, "POST", "/__control/faults", { ...PLAN.storm.fault, ttlMs: 5 * 60_000 });
  const acc = Object.fromEntries(
    pair.map((d) => [d.name, { requests: 0, statuses: {}, vendorCalls: { openai: 0, anthropic: 0 }, reportedAttempts: 0, roundAmplification: [] }]),
  );
  const t0 = Date.now();
  for (let r = 0; r < PLAN.storm.rounds; r++) {
    const order = r % 2 === 0 ? pair : [...pair].reverse();
    for (const d of order) await stormSegment(mock, d, PLAN.storm.requests, acc[d.name]);
    log(`  round ${r + 1}/${PLAN.storm.rounds}: amplification default ${f2(acc[budget.name].roundAmplification.at(-1))}×, unlimited ${f2(acc[unlimited.name].roundAmplification.at(-1))}×`);
  }
  const stormMs = Date.now() - t0;
  await control(mock, "DELETE", `/__control/faults/${fault.id}`);
  for (const d of pair) await d.dispose();

  const result = { stormMs };
  for (const d of pair) {
    const a = acc[d.name];
    const calls = a.vendorCalls.openai + a.vendorCalls.anthropic;
    result[d.name] = {
      retryBudget: d.config.retryBudget ?? "default (ratio 0.1, windowMs 60000, minRetriesPerWindow 10)",
      requests: a.requests,
      clientStatuses: a.statuses,
      vendorCalls: a.vendorCalls,
      amplification: calls / Math.max(1, a.requests),
      retries: calls - a.requests,
      retriesPerRequest: (calls - a.requests) / Math.max(1, a.requests),
      roundAmplification: a.roundAmplification,
      detourReportedAttempts: a.reportedAttempts,
      staleSocketRetries: d.staleSockets ?? 0,
    };
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------------------------

function markdown(meta, tail, storm) {
  const L = [];
  const on = tail["hedge-on"];
  const off = tail["hedge-off"];
  L.push(`## Detour routing benchmark`);
  L.push("");
  L.push(
    `${meta.machine.cpus} CPU × ${meta.machine.cpu}, Node ${meta.machine.node}, miniflare ${meta.miniflare}, ${meta.at.slice(0, 19)}Z. ` +
      `Detour bundled by wrangler, on workerd via Miniflare with wrangler.toml's local bindings; premium key; alpha (openai kind) ` +
      `and beta (anthropic kind) on scripts/mock-vendors.mjs; every configuration its own instance, pairs interleaved per round.`,
  );
  L.push("");
  L.push(
    `### Heavy tail: 5 % of alpha's calls +1500 ms (${PLAN.tail.rounds} rounds × ${PLAN.tail.requests} sequential requests per configuration)`,
  );
  L.push("");
  L.push(`| hedging | p50 ms | p95 ms | p99 ms | max ms | answers > 1 s | hedged | served by beta | extra vendor calls | errors |`);
  L.push(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
  for (const [label, r] of [["off (`hedge: false`)", off], ["on (`hedge: true`, maxHedgeShare 0.2, minDelayMs 20)", on]]) {
    L.push(
      `| ${label} | ${f2(r.latencyMs.p50)} | ${f1(r.latencyMs.p95)} | ${f1(r.latencyMs.p99)} | ${f1(r.latencyMs.max)} | ${r.answersOver1s} | ` +
        `${pctStr(r.hedgeRate)} (${r.hedged}) | ${pctStr((r.servedBy.beta ?? 0) / Math.max(1, r.requests - r.errors))} | ` +
        `+${r.extraVendorCalls} (${pctStr(r.extraVendorCallShare)}) | ${r.errors} |`,
    );
  }
  L.push("");
  L.push(
    `Per-round p99 (ms): off ${off.roundP99Ms.map(f1).join(", ")}; on ${on.roundP99Ms.map(f1).join(", ")}. ` +
      `Slow calls the mock injected, both configurations: ${tail.slowCallsInjected ?? "?"} (a rate roll per call, so ` +
      `about 5 %: p95 sits on the edge of the tail and swings with it). Hedge decision after warm-up: on — "${on.hedgeDecisionAfterWarmup}"; ` +
      `off — "${off.hedgeDecisionAfterWarmup}". Extra vendor calls = mock vendor requests − client requests (a hedge's ` +
      `cancelled loser still reached the vendor).`,
  );
  L.push("");
  const b = storm["budget-default"];
  const u = storm["budget-unlimited"];
  L.push(
    `### 5xx storm: alpha answers 500 to every call (${PLAN.storm.rounds} rounds × ${PLAN.storm.requests} sequential requests per configuration, route \`storm: [alpha]\`, maxRetries ${PLAN.storm.maxRetries}, baseDelayMs 0)`,
  );
  L.push("");
  L.push(`| retry budget | requests | vendor calls | retries | amplification | per round | client statuses |`);
  L.push(`|---|---:|---:|---:|---:|---|---|`);
  for (const [label, r] of [["unlimited (`ratio: 1, minRetriesPerWindow: 100000`)", u], ["default (`ratio: 0.1`, 60 s window, ≥ 10/window)", b]]) {
    const calls = r.vendorCalls.openai + r.vendorCalls.anthropic;
    L.push(
      `| ${label} | ${r.requests} | ${calls} | ${r.retries} | **${f2(r.amplification)}×** | ${r.roundAmplification.map(f2).join(", ")} | ` +
        `${Object.entries(r.clientStatuses).map(([s, c]) => `${s}: ${c}`).join(", ")} |`,
    );
  }
  L.push("");
  L.push(
    `Amplification = vendor calls (mock stats) ÷ requests; without any budget the ceiling is 1 + maxRetries = ${1 + PLAN.storm.maxRetries}×, ` +
      `the SRE budget aims at ≈ 1 + ratio. Breakers, adaptive throttling and the degradation ladder were configured out ` +
      `so only the budget decides. Detour's own x-detour-attempts sum: default ${b.detourReportedAttempts}, unlimited ${u.detourReportedAttempts}.`,
  );
  L.push("");
  L.push(
    `**Headline:** hedging took p99 from **${f1(off.latencyMs.p99)} ms to ${f1(on.latencyMs.p99)} ms** (p50 ${f2(off.latencyMs.p50)} → ` +
      `${f2(on.latencyMs.p50)} ms) for ${pctStr(on.extraVendorCallShare)} extra vendor calls; the retry budget held a 5xx storm ` +
      `to **${f2(b.amplification)}×** vendor calls per request instead of **${f2(u.amplification)}×**.`,
  );
  return L.join("\n");
}

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const { bundle, settings } = await prepareDetour("detour-bench-routing-", cleanups, log);

  const { startMockVendors } = await import(pathToFileURL(path.join(ROOT, "scripts/mock-vendors.mjs")).href);
  const started_ = await startMockVendors({ port: 0 });
  cleanups.push(() => started_.close());
  const mock = { url: started_.url.replace(/\/$/, ""), baseUrls: started_.baseUrls };
  if (!new URL(mock.url).hostname.startsWith("127.")) throw new Error(`mock vendors must listen on loopback, not ${mock.url}`);
  log(`mock vendors on ${mock.url}`);
  cleanups.push(() => control(mock, "DELETE", "/__control/faults").catch(() => {}));

  const shared = { bundle, settings, mock };
  const tail = await runTail(shared);
  const storm = await runStorm(shared);

  const meta = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model?.trim() ?? "?", node: process.version, platform: `${os.platform()} ${os.release()}` },
    miniflare: readPkgVersion("miniflare"),
    wrangler: readPkgVersion("wrangler"),
  };
  const md = markdown(meta, tail, storm);
  console.log(md);

  mkdirSync(path.join(ROOT, "reports"), { recursive: true });
  const report = {
    ...meta,
    plan: PLAN,
    workers: { ...settings.compat, detourLocalBindings: Object.fromEntries(Object.entries(settings.local).map(([k, v]) => [k, Object.keys(v)])) },
    unit: "ms",
    heavyTail: tail,
    storm,
    headline: {
      p99OffMs: tail["hedge-off"].latencyMs.p99,
      p99OnMs: tail["hedge-on"].latencyMs.p99,
      p50OffMs: tail["hedge-off"].latencyMs.p50,
      p50OnMs: tail["hedge-on"].latencyMs.p50,
      hedgeRate: tail["hedge-on"].hedgeRate,
      extraVendorCallShare: tail["hedge-on"].extraVendorCallShare,
      amplificationDefaultBudget: storm["budget-default"].amplification,
      amplificationUnlimited: storm["budget-unlimited"].amplification,
    },
    durationS: (Date.now() - started) / 1000,
  };
  writeFileSync(path.join(ROOT, "reports/bench-routing.json"), JSON.stringify(report, null, 2) + "\n");
  log(`wrote reports/bench-routing.json (${report.durationS.toFixed(1)} s)`);
}

await runMain(main);
