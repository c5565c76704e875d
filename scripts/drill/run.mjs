// Runs one scenario end to end: a fresh Detour, its setup and warm-up, the load, the analysis (a failure becomes `error`).
import { randomBytes } from "node:crypto";
import { startBundledDetour } from "../lib/worker.mjs";
import { analyse } from "./analysis.mjs";
import { call, chat } from "./client.mjs";
import { CLASSES, log, sleep } from "./common.mjs";
import { baseConfig, deepMerge, PROVIDERS, tenantKeys } from "./detour-config.mjs";
import { runLoad } from "./load.mjs";
import { makeRequest, mulberry32 } from "./requests.mjs";

const ADMIN_TOKEN = `drill-admin-${randomBytes(12).toString("hex")}`;
const KEY_SUFFIX = randomBytes(12).toString("hex");
/**
 * One scenario's result: what analyse() says plus `requests`, or `error` when it could not run. `shared`: { bundle,
 * settings, mockUrl, cleanups } from the CLI; the scenario's Detour is disposed of before this returns.
 */
export async function runScenario(shared, scenario, { keepTraces = false } = {}) {
  log(`── ${scenario.name}: ${scenario.description ?? ""}`);
  const keys = tenantKeys(scenario, KEY_SUFFIX);
  const detour = await startDetour(shared, scenario, keys.apiKeys);
  const dispose = () => detour.mf.dispose();
  shared.cleanups.push(dispose);
  const ctx = { mockUrl: shared.mockUrl, detourUrl: detour.url, adminHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` } };
  const chatUrl = `${detour.url}/v1/chat/completions`;
  const auth = keys.auth;
  const result = { name: scenario.name, description: scenario.description, file: scenario.file, quick: !!scenario.quick, rate: scenario.rate, config: detour.config };
  try {
    await prepare(ctx, scenario);
    await warmUp(ctx, chatUrl, auth);
    const load = await runLoad({ ctx, scenario, chatUrl, auth, keepTraces });
    Object.assign(result, analyse(scenario, detour.config, load.phases, load.records, load.breakerSamples, load.endMs, load.dropped));
    result.requests = load.records;
  } catch (err) {
    result.error = String(err?.message ?? err);
    log(`   could not run: ${result.error}`);
  } finally {
    await call("DELETE", `${shared.mockUrl}/__control/faults`).catch(() => {});
    shared.cleanups.splice(shared.cleanups.indexOf(dispose), 1);
    await dispose().catch((err) => log(`   could not stop Detour: ${err?.message ?? err}`));
  }
  return result;
}

/** A fresh Detour (empty cache, closed breakers) with the drill's config and the scenario's merged in. */
async function startDetour(shared, scenario, apiKeys) {
  const merged = deepMerge(baseConfig(shared.mockUrl, { production: !!scenario.productionDefaults }), scenario.config ?? {});
  // Per-provider settings (arrays replace in deepMerge, so `config.providers` cannot carry them): merged by id.
  merged.providers = merged.providers.map((p) => deepMerge(p, scenario.providerConfig?.[p.id] ?? {}));
  const config = JSON.parse(JSON.stringify(merged));
  const { mf, url } = await startBundledDetour(shared, {
    DETOUR_CONFIG: JSON.stringify(config),
    DETOUR_ADMIN_TOKEN: ADMIN_TOKEN,
    // One key per tenant; premium by default (no rate limits), so the drill measures resilience, not the tenant's quota.
    DETOUR_API_KEYS: JSON.stringify(apiKeys),
    ...Object.fromEntries(PROVIDERS.map((p) => [p.secret, `sk-drill-${p.id}`])),
  });
  return { mf, url, config };
}

/** Detour answers, its fault API works when the scenario needs it, the scenario's templates are in, no fault is left. */
async function prepare(ctx, scenario) {
  const health = await call("GET", `${ctx.detourUrl}/healthz`);
  if (health.status !== 200) throw new Error(`Detour /healthz answered ${health.status}`);
  const needsDetourFaults = scenario.phases.some((p) => (p.faults ?? []).some((f) => f.where === "detour"));
  if (needsDetourFaults) {
    const probe = await call("GET", `${ctx.detourUrl}/admin/faults`, undefined, ctx.adminHeaders);
    if (probe.status !== 200) {
      throw new Error(`this scenario sets faults inside Detour, but GET /admin/faults answered ${probe.status}: ${probe.text.slice(0, 200)}`);
    }
    await call("DELETE", `${ctx.detourUrl}/admin/faults`, undefined, ctx.adminHeaders);
  }
  for (const t of scenario.setup?.templates ?? []) {
    const { route = "auto", key, ...tpl } = t;
    const r = await call("PUT", `${ctx.detourUrl}/admin/templates/${encodeURIComponent(route)}/${encodeURIComponent(key)}`, tpl, ctx.adminHeaders);
    if (r.status >= 300) throw new Error(`template ${route}/${key} refused: ${r.status} ${r.text.slice(0, 300)}`);
  }
  await call("DELETE", `${ctx.mockUrl}/__control/faults`);
}

/** Warms the isolate (first requests compile code paths) without touching the cache, then forgets the warm-up. */
async function warmUp(ctx, chatUrl, auth) {
  for (let i = 0; i < 6; i++) {
    const w = makeRequest(CLASSES[i % CLASSES.length], mulberry32(i), 900 + i, i === 2);
    const r = await chat(chatUrl, w, { ...auth(), "cache-control": "no-store", "x-request-id": `drill-warmup-${i}` });
    if (r.status !== 200) throw new Error(`warm-up request answered ${r.status} ${r.errorCode ?? r.clientError ?? ""}: is the config valid?`);
  }
  await sleep(400); // let the warm-up's batched outcomes flush
  await call("POST", `${ctx.mockUrl}/__control/stats/reset`);
}
