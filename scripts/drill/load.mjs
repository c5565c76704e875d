// The open-loop load: each phase's faults set, requests sent at a fixed rate whatever Detour answers, breakers polled.
import { call, chat } from "./client.mjs";
import { log, MAX_IN_FLIGHT, sleep, STATUS_POLL_MS } from "./common.mjs";
import { faultedProviders } from "./detour-config.mjs";
import { applyFault, clearFaults, mockStats } from "./faults.mjs";
import { describeFault } from "./format.mjs";
import { recordOf } from "./record.mjs";
import { planner } from "./requests.mjs";

/**
 * Runs the scenario's phases back to back under load and waits for every answer. `ctx`: { mockUrl, detourUrl,
 * adminHeaders }; `chatUrl`: where to send; `auth(tenant?)`: the headers a request of that tenant sends. Times are ms since the load started. Returns
 * { phases, records (by send order), breakerSamples, endMs, dropped }.
 */
export async function runLoad({ ctx, scenario, chatUrl, auth, keepTraces }) {
  const t0 = performance.now();
  const clock = () => performance.now() - t0;
  const poller = pollBreakers(ctx, clock);
  const load = { ctx, scenario, chatUrl, auth, keepTraces, clock, plan: planner(scenario), records: [], inFlight: new Set(), dropped: 0, seq: 0 };
  const phases = [];
  for (const [pi, ph] of scenario.phases.entries()) phases.push(await runPhase(load, pi, ph));
  log(`   waiting for ${load.inFlight.size} requests in flight…`);
  await Promise.all([...load.inFlight]);
  const endMs = clock();
  const breakerSamples = await poller.stop();
  load.records.sort((a, b) => a.i - b.i);
  return { phases, records: load.records, breakerSamples, endMs, dropped: load.dropped };
}

/** One phase: its faults set, its load sent, its faults cleared; returns what the analysis needs of it. */
async function runPhase(load, pi, ph) {
  const { ctx, scenario, clock } = load;
  const start = clock();
  const statsBefore = await mockStats(ctx);
  const applied = [];
  for (const f of ph.faults ?? []) applied.push(await applyFault(ctx, f, ph, scenario));
  const appliedAt = clock();
  if (applied.length) log(`   ${ph.name}: ${applied.map((a) => describeFault(a.spec, a.where)).join("; ")}`);
  else log(`   ${ph.name}`);
  await sendPhase(load, pi, ph, start);
  const clearStart = clock();
  if (applied.length) await clearFaults(ctx, applied);
  const clearedAt = clock();
  const statsAfter = await mockStats(ctx);
  return {
    name: ph.name,
    index: pi,
    startMs: start,
    endMs: clearStart,
    appliedAtMs: appliedAt,
    clearedAtMs: applied.length ? clearedAt : undefined,
    faults: applied.map((a) => ({ where: a.where, id: a.id, ...a.spec })),
    faultedProviders: faultedProviders(ph.faults),
    vendorRequests: Object.fromEntries(Object.keys(statsAfter).map((v) => [v, statsAfter[v] - (statsBefore[v] ?? 0)])),
    thresholds: ph.thresholds,
  };
}

/** Fixed-rate, open loop: the schedule does not wait for answers (a slow Detour must not slow the load down). */
async function sendPhase(load, pi, ph, start) {
  const interval = 1000 / load.scenario.rate;
  for (let k = 0; ; k++) {
    const due = start + k * interval;
    if (due >= start + ph.durationMs) break;
    const now = load.clock();
    if (due > now) await sleep(due - now);
    send(load, pi, ph);
  }
}

/** Sends the plan's next request without waiting; past MAX_IN_FLIGHT it is dropped (and counted) instead. */
function send(load, pi, ph) {
  const i = load.seq++;
  const req = load.plan(i);
  if (load.inFlight.size >= MAX_IN_FLIGHT) {
    load.dropped++;
    return;
  }
  const sentAt = load.clock();
  const p = chat(load.chatUrl, req, { ...load.auth(req.tenant), "x-request-id": `drill-${load.scenario.name}-${i}` }).then((r) => {
    load.records.push(recordOf(i, pi, ph.name, req, sentAt, r, load.keepTraces));
    load.inFlight.delete(p);
  });
  load.inFlight.add(p);
}

/** Breaker states over time, from /status every STATUS_POLL_MS; `stop()` ends the polling and resolves with them. */
function pollBreakers(ctx, clock) {
  const samples = [];
  let polling = true;
  const loop = (async () => {
    while (polling) {
      const at = clock();
      const sample = await statusSample(ctx, at);
      if (sample) samples.push(sample);
      await sleep(STATUS_POLL_MS - ((clock() - at) % STATUS_POLL_MS));
    }
  })();
  return {
    async stop() {
      polling = false;
      await loop;
      return samples;
    },
  };
}

async function statusSample(ctx, t) {
  try {
    const r = await call("GET", `${ctx.detourUrl}/status`, undefined, ctx.adminHeaders, 3000);
    if (r.status !== 200) return undefined;
    return {
      t,
      states: Object.fromEntries((r.json?.providers ?? []).map((p) => [p.provider, p.state ?? "?"])),
      faults: Array.isArray(r.json?.faults) ? r.json.faults.length : undefined,
    };
  } catch {
    return undefined;
  }
}
