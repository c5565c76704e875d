#!/usr/bin/env node
/**
 * `npm run bench:health`: how many outcome batches one ProviderHealth object takes before it saturates.
 *
 * Detour's bundled worker (`wrangler deploy --dry-run`) runs on workerd (Miniflare) beside a driver worker bound to
 * its ProviderHealth class. The driver plays many isolates at once: `concurrency` loops, each sending one batch of
 * outcome samples to the same object (`record`, the RPC every isolate calls) and sending the next as soon as it is
 * answered — the load of that many isolates each always flushing. Every level runs for a fixed time; the report gives
 * batches/s and samples/s sustained and the latency of `record` (p50/p99, timed in the driver across the await),
 * and the level at which throughput stops growing (saturation). docs/scale.md turns these figures into the global
 * design.
 *
 * Then the two tiers of `resilience.aggregation: "location"`: (1) HEALTH_LOCATIONS location objects (default 8), the
 * same simulated isolates spread over them, each object forwarding its merged window to one global object every
 * `forwardMs` by its alarm — what the isolates sustain, and how many of their samples the global object holds after
 * one more forward period; (2) the global object alone, driven by simulated locations each sending a forwarded window
 * (`absorb`, HEALTH_GROUPS groups of like samples, default 30) as soon as the last was answered — the forwards/s it
 * sustains, hence how many locations it holds at one forward per second each.
 *
 * Knobs (env): HEALTH_SECONDS (per level, default 3), HEALTH_BATCH (samples per batch, default 10),
 * HEALTH_LEVELS (comma-separated concurrencies, default 1,4,16,64,256), HEALTH_LOCATIONS, HEALTH_GROUPS.
 * Prints Markdown, writes reports/bench-health.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadEntry } from "./lib/bundle-src.mjs";
import { lifecycle } from "./lib/lifecycle.mjs";
import { f2, summary } from "./lib/stats.mjs";
import { detourWorker, HOST, prepareDetour, ROOT } from "./lib/worker.mjs";
import { Miniflare } from "miniflare";

const SECONDS = Math.max(0.5, Number(process.env.HEALTH_SECONDS ?? 3) || 3);
const BATCH = Math.max(1, Number(process.env.HEALTH_BATCH ?? 10) | 0);
const LEVELS = (process.env.HEALTH_LEVELS ?? "1,4,16,64,256").split(",").map((x) => Math.max(1, Number(x) | 0));
const LOCATIONS = Math.max(1, Number(process.env.HEALTH_LOCATIONS ?? 8) | 0);
const GROUPS = Math.max(1, Number(process.env.HEALTH_GROUPS ?? 30) | 0);
const FORWARD_MS = 1000;
const log = (...a) => console.error("[bench:health]", ...a);
const { cleanups, runMain } = lifecycle({ hardLimitMs: 60_000 + (LEVELS.length + 6) * SECONDS * 2000 + 60_000, log });

// The driver: `concurrency` simulated isolates hammering one object for `ms`; answers the latencies it saw.
const DRIVER = `
export default {
  async fetch(request, env) {
    const q = await request.json();
    const stub = env.PH.get(env.PH.idFromName(q.key));
    if (q.mode === "read") {
      const snap = await stub.snapshot(q.key, q.settings, Date.now());
      return Response.json({ samples: Object.values(snap.counters.requests).reduce((a, b) => a + b, 0), state: snap.state });
    }
    // Location mode: isolate i reports to location object i % locations, which forwards to q.key (the global object).
    const located = { ...q.settings, aggregate: { parent: q.key, forwardMs: q.forwardMs } };
    const stubs = q.mode === "location" ? Array.from({ length: q.locations }, (_, l) => env.PH.get(env.PH.idFromName(q.key + "@L" + l))) : [];
    // A forwarded window: q.groups groups of like samples, 1,000 samples in all (a busy location's second).
    const groups = Array.from({ length: q.groups }, (_, g) => ({ n: Math.ceil(1000 / q.groups),
      s: { at: 0, model: q.model, durationMs: 100 + 10 * g, latencyMs: 100 + 10 * g, probe: false, tenant: "t" + (g % 7), ...(g % 25 === 24 ? { errorClass: "server_error" } : {}) } }));
    const lat = [];
    let batches = 0, samples = 0, errors = 0;
    const until = Date.now() + q.ms;
    const isolate = async (i) => {
      while (Date.now() < until) {
        const now = Date.now();
        const batch = [];
        for (let k = 0; k < q.batch; k++) {
          const fail = (batches + k + i) % 50 === 0; // 2 % failures: a healthy provider's usual noise
          batch.push({ at: now, model: q.model, durationMs: 200, latencyMs: 200, ttftMs: 80, outputTokens: 40, probe: false,
            tenant: "t" + (i % 97), ...(fail ? { errorClass: "server_error" } : {}) });
        }
        const t0 = Date.now();
        try {
          if (q.mode === "absorb") {
            for (const g of groups) g.s.at = now;
            await stub.absorb(q.key, "loc" + i, groups, q.settings, now);
            samples += groups.reduce((a, g) => a + g.n, 0);
          } else if (q.mode === "location") {
            await stubs[i % q.locations].record(q.key + "@L" + (i % q.locations), batch, located, now);
            samples += batch.length;
          } else {
            await stub.record(q.key, batch, q.settings, now);
            samples += batch.length;
          }
          batches++;
        } catch {
          errors++;
        }
        lat.push(Date.now() - t0);
      }
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: q.concurrency }, (_, i) => isolate(i)));
    return Response.json({ elapsedMs: Date.now() - t0, batches, samples, errors, lat });
  },
};
`;

/** The HealthSettings a request would send for `provider/model` under `config` (src/breakers/request.ts). */
async function healthSettings(config) {
  const { settingsFor, DetourConfig } = await loadEntry(
    `export { settingsFor } from "./src/breakers/request.ts"; export { DetourConfig } from "./src/config/schema.ts";`,
  );
  const parsed = DetourConfig.parse(config);
  const provider = parsed.providers[0];
  return settingsFor(parsed, { provider, model: provider.models[0] });
}

async function main() {
  const { bundle, settings } = await prepareDetour("detour-bench-health-", cleanups, log);
  const config = {
    providers: [{ id: "mock", kind: "openai", baseUrl: "http://127.0.0.1:9/v1", apiKeySecret: "MOCK_KEY", models: [{ id: "m" }] }],
    routes: { auto: { targets: ["mock/m"] } },
  };
  const hs = await healthSettings(config);
  const mf = new Miniflare({
    host: HOST,
    port: 0,
    handleRuntimeStdio: (o, e) => (o.resume(), e.resume()),
    workers: [
      {
        name: "driver",
        modules: true,
        script: DRIVER,
        ...settings.compat,
        durableObjects: { PH: { className: "ProviderHealth", scriptName: "detour" } },
      },
      detourWorker({ bundle, settings }, { DETOUR_CONFIG: JSON.stringify(config), MOCK_KEY: "sk-bench" }),
    ],
  });
  cleanups.push(() => mf.dispose());
  await mf.ready;

  const drive = async (concurrency, ms, key, more = {}) => {
    const res = await mf.dispatchFetch("http://driver/", {
      method: "POST",
      body: JSON.stringify({ key, model: "m", settings: hs, concurrency, ms, batch: BATCH, forwardMs: FORWARD_MS, locations: LOCATIONS, groups: GROUPS, ...more }),
    });
    if (!res.ok) throw new Error(`driver: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return res.json();
  };

  log("warming up…");
  await drive(4, 500, "mock");
  const rows = [];
  for (const c of LEVELS) {
    log(`${c} simulated isolates for ${SECONDS} s…`);
    const r = await drive(c, SECONDS * 1000, "mock");
    const s = summary(r.lat);
    rows.push({ concurrency: c, batchesPerS: r.batches / (r.elapsedMs / 1000), samplesPerS: r.samples / (r.elapsedMs / 1000), p50Ms: s.p50, p99Ms: s.p99, errors: r.errors });
  }
  // Location tier: the same loads spread over LOCATIONS objects that forward to one global object ("loc").
  const locRows = [];
  for (const c of LEVELS.filter((x) => x >= 16)) {
    const key = `loc${c}`;
    log(`location mode: ${c} simulated isolates over ${LOCATIONS} location objects for ${SECONDS} s…`);
    const r = await drive(c, SECONDS * 1000, key, { mode: "location" });
    // One forward period (plus slack) later, every location's last window has reached the global object.
    await new Promise((res) => setTimeout(res, FORWARD_MS * 2 + 500));
    const g = await drive(1, 0, key, { mode: "read" });
    const s = summary(r.lat);
    locRows.push({ concurrency: c, batchesPerS: r.batches / (r.elapsedMs / 1000), samplesPerS: r.samples / (r.elapsedMs / 1000), p50Ms: s.p50, p99Ms: s.p99, errors: r.errors, sent: r.samples, atGlobal: g.samples });
  }
  // The global object alone: simulated locations each forwarding a window as soon as the last was answered.
  const absorbRows = [];
  for (const c of [1, 4, 16, 64]) {
    log(`global object: ${c} simulated locations forwarding for ${SECONDS} s…`);
    const r = await drive(c, SECONDS * 1000, `global${c}`, { mode: "absorb" });
    const s = summary(r.lat);
    absorbRows.push({ locations: c, forwardsPerS: r.batches / (r.elapsedMs / 1000), samplesPerS: r.samples / (r.elapsedMs / 1000), p50Ms: s.p50, p99Ms: s.p99, errors: r.errors });
  }
  const absorbPeak = absorbRows.reduce((a, b) => (b.forwardsPerS > a.forwardsPerS ? b : a));

  const peak = rows.reduce((a, b) => (b.batchesPerS > a.batchesPerS ? b : a));
  // Saturation: the first level that reaches 90 % of the peak throughput; beyond it, more isolates only add latency.
  const sat = rows.find((r) => r.batchesPerS >= 0.9 * peak.batchesPerS) ?? peak;

  const f0 = (x) => Math.round(x).toLocaleString("en-US");
  const lines = [
    `## ProviderHealth under load`,
    "",
    `${os.cpus().length} CPU × ${os.cpus()[0]?.model?.trim() ?? "?"}, Node ${process.version}, ${new Date().toISOString().slice(0, 19)}Z; ` +
      `one object on workerd (Miniflare, SQLite-backed storage, local), ${BATCH} samples per batch, ${SECONDS} s per level.`,
    "",
    `| simulated isolates | batches/s | samples/s | record p50 ms | record p99 ms | errors |`,
    `|---:|---:|---:|---:|---:|---:|`,
    ...rows.map((r) => `| ${r.concurrency} | ${f0(r.batchesPerS)} | ${f0(r.samplesPerS)} | ${f2(r.p50Ms)} | ${f2(r.p99Ms)} | ${r.errors} |`),
    "",
    `**Peak:** ${f0(peak.batchesPerS)} batches/s (${f0(peak.samplesPerS)} samples/s); saturated from ${sat.concurrency} concurrent ` +
      `isolates (p50 ${f2(sat.p50Ms)} ms there, ${f2(rows.at(-1).p50Ms)} ms at ${rows.at(-1).concurrency}). Local workerd on a shared ` +
      `machine: a lower bound on one production object; the design built on it is docs/scale.md.`,
    "",
    `## Location mode (\`resilience.aggregation: "location"\`)`,
    "",
    `${LOCATIONS} location objects, each forwarding to one global object every ${FORWARD_MS} ms (alarm); all objects share this machine's cores.`,
    "",
    `| simulated isolates | batches/s | samples/s | record p50 ms | record p99 ms | errors | samples at the global object |`,
    `|---:|---:|---:|---:|---:|---:|---:|`,
    ...locRows.map((r) => `| ${r.concurrency} | ${f0(r.batchesPerS)} | ${f0(r.samplesPerS)} | ${f2(r.p50Ms)} | ${f2(r.p99Ms)} | ${r.errors} | ${f0(r.atGlobal)} of ${f0(r.sent)} |`),
    "",
    `The global object alone, each forward a window of ${GROUPS} groups (${f0(GROUPS * Math.ceil(1000 / GROUPS))} samples):`,
    "",
    `| simulated locations | forwards/s | samples/s | absorb p50 ms | absorb p99 ms | errors |`,
    `|---:|---:|---:|---:|---:|---:|`,
    ...absorbRows.map((r) => `| ${r.locations} | ${f0(r.forwardsPerS)} | ${f0(r.samplesPerS)} | ${f2(r.p50Ms)} | ${f2(r.p99Ms)} | ${r.errors} |`),
    "",
    `**Global object:** ${f0(absorbPeak.forwardsPerS)} forwards/s at best, i.e. about ${f0(absorbPeak.forwardsPerS * FORWARD_MS / 1000)} locations ` +
      `at one forward per ${FORWARD_MS} ms each.`,
  ];
  console.log(lines.join("\n"));
  mkdirSync(path.join(ROOT, "reports"), { recursive: true });
  writeFileSync(
    path.join(ROOT, "reports/bench-health.json"),
    JSON.stringify({ at: new Date().toISOString(), machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model?.trim() }, batch: BATCH, seconds: SECONDS, rows, peak, saturatedAt: sat.concurrency, location: { locations: LOCATIONS, forwardMs: FORWARD_MS, rows: locRows }, global: { groups: GROUPS, rows: absorbRows, peak: absorbPeak } }, null, 2) + "\n",
  );
}

await runMain(main);
