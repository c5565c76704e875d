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
 * design. Knobs (env): HEALTH_SECONDS (per level, default 3), HEALTH_BATCH (samples per batch, default 10),
 * HEALTH_LEVELS (comma-separated concurrencies, default 1,4,16,64,256). Prints Markdown, writes reports/bench-health.json.
 */
import { build } from "esbuild";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { lifecycle } from "./lib/lifecycle.mjs";
import { f2, summary } from "./lib/stats.mjs";
import { HOST, prepareDetour, ROOT } from "./lib/worker.mjs";
import { Miniflare } from "miniflare";

const SECONDS = Math.max(0.5, Number(process.env.HEALTH_SECONDS ?? 3) || 3);
const BATCH = Math.max(1, Number(process.env.HEALTH_BATCH ?? 10) | 0);
const LEVELS = (process.env.HEALTH_LEVELS ?? "1,4,16,64,256").split(",").map((x) => Math.max(1, Number(x) | 0));
const log = (...a) => console.error("[bench:health]", ...a);
const { cleanups, runMain } = lifecycle({ hardLimitMs: 60_000 + LEVELS.length * SECONDS * 2000 + 60_000, log });

// The driver: `concurrency` simulated isolates hammering one object for `ms`; answers the latencies it saw.
const DRIVER = `
export default {
  async fetch(request, env) {
    const q = await request.json();
    const stub = env.PH.get(env.PH.idFromName(q.key));
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
          await stub.record(q.key, batch, q.settings, now);
          batches++;
          samples += batch.length;
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
  const tmp = mkdtempSync(path.join(os.tmpdir(), "detour-health-"));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const out = path.join(tmp, "settings.mjs");
  await build({
    stdin: {
      contents: `export { settingsFor } from "./src/breakers/request.ts"; export { DetourConfig } from "./src/config/schema.ts";`,
      resolveDir: ROOT,
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: out,
    logLevel: "silent",
    plugins: [
      {
        name: "cloudflare-workers-stub",
        setup(b) {
          b.onResolve({ filter: /^cloudflare:workers$/ }, () => ({ path: "cf", namespace: "cf-stub" }));
          b.onLoad({ filter: /.*/, namespace: "cf-stub" }, () => ({ contents: "export class DurableObject {}", loader: "js" }));
        },
      },
    ],
  });
  const { settingsFor, DetourConfig } = await import(pathToFileURL(out).href);
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
      {
        ...settings.compat,
        ...settings.local,
        name: "detour",
        modules: true,
        scriptPath: bundle.main,
        modulesRoot: path.dirname(bundle.main),
        bindings: { DETOUR_CONFIG: JSON.stringify(config), MOCK_KEY: "sk-bench" },
      },
    ],
  });
  cleanups.push(() => mf.dispose());
  await mf.ready;

  const drive = async (concurrency, ms, key) => {
    const res = await mf.dispatchFetch("http://driver/", {
      method: "POST",
      body: JSON.stringify({ key, model: "m", settings: hs, concurrency, ms, batch: BATCH }),
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
  ];
  console.log(lines.join("\n"));
  mkdirSync(path.join(ROOT, "reports"), { recursive: true });
  writeFileSync(
    path.join(ROOT, "reports/bench-health.json"),
    JSON.stringify({ at: new Date().toISOString(), machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model?.trim() }, batch: BATCH, seconds: SECONDS, rows, peak, saturatedAt: sat.concurrency }, null, 2) + "\n",
  );
}

await runMain(main);
