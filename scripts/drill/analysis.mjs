// Turns a scenario's records into numbers: served %, modes, latency, cost, and per phase the time to detect and recover.
import { CLASSES, MODES, round1 } from "./common.mjs";
import { PROVIDERS, VENDOR_OF_KIND } from "./detour-config.mjs";
import { evaluate } from "./thresholds.mjs";

/** A skip because the breaker is open: the engine's admission ("breaker_open") or the routing plan ("breaker OPEN"). */
const BREAKER_OPEN = /^breaker_open$|breaker OPEN/;

/** The p-th percentile (nearest rank) of an ascending list; null when it is empty. */
export function pct(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const share = (n, d) => (d ? (100 * n) / d : null);

function priceOf(config, providerId) {
  const p = config.providers.find((x) => x.id === providerId);
  return p?.models?.[0]?.price;
}

/** USD a served answer cost: live answers only (a cached, stale, template or rules answer calls no vendor). */
export function costOf(config, r) {
  if (!r.served || !r.usage || !r.provider) return 0;
  const live = r.mode === "primary" || r.mode === "failover" || (r.mode === "degraded" && String(r.degraded ?? "").startsWith("reduced"));
  if (!live) return 0;
  const price = priceOf(config, r.provider);
  if (!price) return 0;
  return (r.usage.in * price.input + r.usage.out * price.output) / 1e6;
}

/** The route's first target's provider: the primary every task class starts on. */
export const primaryOf = (config) => config.routes.auto.targets[0].split("/")[0];

/**
 * Share of `recs` answered by the primary in primary mode, among those that needed a provider: a fresh cache hit
 * needs none, so it neither helps nor hurts (a scenario with repeats would otherwise never reach 100 %).
 */
export function primarySharePct(config, recs) {
  const live = recs.filter((r) => r.mode !== "cache");
  const id = primaryOf(config);
  return share(live.filter((r) => r.served && r.mode === "primary" && r.provider === id).length, live.length);
}

/** Share of `recs` whose trace shows an actual attempt (not a skip) at one of `providers`: requests that touched them. */
export function touchedPct(recs, providers) {
  return share(reachedByTrace(recs, providers), recs.length);
}

/** Everything the report says about a set of records: counts, served %, modes, latency, cost, streams, failures. */
export function summarise(config, recs) {
  const modes = Object.fromEntries(MODES.map((m) => [m, 0]));
  for (const r of recs) modes[MODES.includes(r.mode) ? r.mode : "error"]++;
  const served = recs.filter((r) => r.served).length;
  const lat = recs.map((r) => r.latencyMs).filter((x) => typeof x === "number").sort((a, b) => a - b);
  return {
    requests: recs.length,
    served,
    servedPct: share(served, recs.length),
    modes,
    modePct: Object.fromEntries(MODES.map((m) => [m, share(modes[m], recs.length)])),
    primarySharePct: primarySharePct(config, recs),
    latencyMs: { p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99), max: lat.length ? lat[lat.length - 1] : null },
    costUsd: recs.reduce((a, r) => a + costOf(config, r), 0),
    detourCost: detourCost(config, recs),
    hedged: recs.filter((r) => r.hedged).length,
    byClass: byClass(recs),
    streams: streamEnds(recs),
    silentTruncations: recs.filter((r) => r.status === 200 && r.streamEnd === "none").length,
    invalidBodies: recs.filter((r) => r.invalidBody && r.status === 200).length,
    modelMismatches: modelMismatches(config, recs),
    failures: failures(recs),
    clientRetries: recs.filter((r) => r.clientRetried).length,
  };
}

function byClass(recs) {
  const out = {};
  for (const c of CLASSES) {
    const rs = recs.filter((r) => r.cls === c);
    if (!rs.length) continue;
    out[c] = {
      requests: rs.length,
      servedPct: share(rs.filter((r) => r.served).length, rs.length),
      degradedPct: share(rs.filter((r) => r.mode === "degraded" || r.mode === "stale").length, rs.length),
      cachePct: share(rs.filter((r) => r.mode === "cache").length, rs.length),
      errorPct: share(rs.filter((r) => r.mode === "error").length, rs.length),
    };
  }
  return out;
}

/** What Detour itself reported (x-detour-cost-usd), where it does, beside the drill's estimate for the same answers. */
function detourCost(config, recs) {
  const priced = recs.filter((r) => typeof r.costUsd === "number");
  if (!priced.length) return null;
  const sum = (rs) => ({ answers: rs.length, reportedUsd: rs.reduce((a, r) => a + r.costUsd, 0), estimatedUsd: rs.reduce((a, r) => a + costOf(config, r), 0) });
  return { json: sum(priced.filter((r) => !r.stream)), stream: sum(priced.filter((r) => r.stream)) };
}

function streamEnds(recs) {
  const streams = recs.filter((r) => r.stream);
  return {
    total: streams.length,
    done: streams.filter((r) => r.streamEnd === "done").length,
    errorEvent: streams.filter((r) => r.streamEnd === "error_event").length,
    aborted: streams.filter((r) => r.streamEnd === "aborted").length,
    jsonError: streams.filter((r) => !r.streamEnd).length,
  };
}

/** Served answers naming another model than `provider/model` from the config (Detour names the configured one). */
function modelMismatches(config, recs) {
  const expectedModel = Object.fromEntries(config.providers.map((p) => [p.id, `${p.id}/${p.models[0].id}`]));
  return recs.filter((r) => r.served && r.provider && r.bodyModel && expectedModel[r.provider] && r.bodyModel !== expectedModel[r.provider]).length;
}

/** Unserved requests counted by what went wrong: status and error code, a stream's end, or the client's error. */
function failures(recs) {
  const statuses = {};
  for (const r of recs.filter((x) => !x.served)) {
    const k = r.status === 0 ? `client: ${r.clientError?.slice(0, 60)}` : r.status === 200 ? `200 ${r.streamEnd ?? (r.invalidBody ? "invalid body" : "?")}` : `${r.status} ${r.errorCode ?? ""}`.trim();
    statuses[k] = (statuses[k] ?? 0) + 1;
  }
  return statuses;
}

/** Requests whose trace shows a call (not a skip) to one of `providers`. */
function reachedByTrace(recs, providers) {
  return recs.filter((r) => r.attempts?.some((a) => providers.includes(a.provider) && a.outcome !== "skipped")).length;
}

/** A recovery phase's tail, where its primary share is measured, unless the scenario says `recoveryTailMs`. */
export const RECOVERY_TAIL_MS = 3000;

/**
 * A scenario's result from what runLoad collected: overall and per-phase summaries, detection and recovery times,
 * the share of fault-phase requests that touched the sick provider, the primary's share at the end of each recovery,
 * per-tenant summaries, breaker transitions, and every threshold checked (`passed` when all are met).
 */
export function analyse(scenario, config, phases, records, breakerSamples, endMs, dropped) {
  const tailMs = scenario.recoveryTailMs ?? RECOVERY_TAIL_MS;
  const phaseResults = phases.map((ph, idx) => phaseResult(config, phases, records, idx, tailMs));
  const overall = overallResult(config, records, phaseResults, dropped);
  const tenants = scenario.tenants?.length ? byTenant(config, scenario.tenants, records) : undefined;
  const checks = evaluate(scenario, overall, phaseResults, { tenants, breakerSamples });
  return {
    durationMs: round1(endMs),
    faultedProviders: [...new Set(phaseResults.filter((p) => p.faultedProviders.length).flatMap((p) => p.faultedProviders))],
    overall,
    phases: phaseResults,
    ...(tenants ? { tenants } : {}),
    breakerSamples: breakerSamples.map((s) => ({ t: round1(s.t), states: s.states, ...(s.faults !== undefined ? { faults: s.faults } : {}) })),
    breakerTransitions: breakerTransitions(breakerSamples),
    checks,
    passed: checks.every((c) => c.ok),
  };
}

function phaseResult(config, phases, records, idx, tailMs) {
  const ph = phases[idx];
  const recs = records.filter((r) => r.phaseIndex === ph.index);
  const out = { ...ph, ...summarise(config, recs) };
  // Requests still in flight when the faults changed at this phase's end met both phases' conditions: they count in
  // the phase that sent them, but a phase's own thresholds judge only the requests that lived inside it.
  const next = phases[idx + 1];
  const changes = (ph.faults.length > 0 || (next?.faults.length ?? 0) > 0) && next !== undefined;
  const inside = changes ? recs.filter((r) => r.t + (r.latencyMs ?? 0) <= ph.endMs) : recs;
  out.straddled = recs.length - inside.length;
  out.judged = out.straddled ? summarise(config, inside) : undefined;
  if (ph.faultedProviders.length) out.touchedSickPct = touchedPct(recs, ph.faultedProviders);
  // A recovery phase: the first without faults after a faulted one. Its tail says whether traffic is back on the
  // primary by the end (the time to recover says only when the first request was).
  const prev = phases[idx - 1];
  if (ph.faultedProviders.length === 0 && prev?.faultedProviders.length) {
    const from = Math.max(ph.startMs, ph.endMs - tailMs);
    const tail = recs.filter((r) => r.t >= from);
    out.recoveryTail = { fromMs: round1(from), requests: tail.length };
    out.recoveredSharePct = primarySharePct(config, tail);
  }
  out.reachedFaulted = ph.faultedProviders.length
    ? {
        mock: ph.faultedProviders.reduce((a, id) => a + (ph.vendorRequests[VENDOR_OF_KIND[PROVIDERS.find((p) => p.id === id).kind]] ?? 0), 0),
        trace: reachedByTrace(recs, ph.faultedProviders),
      }
    : undefined;
  if (ph.faultedProviders.length) Object.assign(out, detectAndRecover(config, phases, records, idx));
  return out;
}

/**
 * Per faulted provider, time to detect (fault set → the first request whose trace shows it skipped as breaker_open) and
 * to recover (fault cleared → the first request it served again), and the headline figures: the first faulted provider's.
 */
function detectAndRecover(config, phases, records, idx) {
  const ph = phases[idx];
  const primaryId = primaryOf(config);
  const out = { detect: {}, recover: {} };
  for (const id of ph.faultedProviders) {
    // Consecutive phases faulting the same provider are one fault run: detection is measured from the run's first
    // fault, recovery from its last clear, and the phases in between say "continued".
    const faults = (i) => phases[i]?.faultedProviders.includes(id);
    let runEnd = idx;
    while (faults(runEnd + 1)) runEnd++;
    const runCleared = phases[runEnd].clearedAtMs ?? phases[runEnd].endMs;
    if (faults(idx - 1)) out.detect[id] = "continued";
    else detect(records, ph, id, runCleared, out);
    out.recover[id] = runEnd !== idx ? "continued" : recover(records, id, id === primaryId, runCleared);
  }
  // Headline figures: the first faulted provider in route order (undefined where its fault run continues).
  const headline = (o) => {
    const id = ph.faultedProviders.find((x) => o[x] !== "continued");
    return id === undefined ? undefined : o[id];
  };
  out.timeToDetectMs = headline(out.detect);
  out.timeToRecoverMs = headline(out.recover);
  return out;
}

const firstAfter = (records, from, pred) => records.find((r) => r.t >= from && pred(r));
const skipOf = (r, id) => r.attempts?.find((a) => a.provider === id && a.outcome === "skipped");

/** Sets out.detect[id]; and out.firstOtherSkip[id] when routing left it out for another reason first. */
function detect(records, ph, id, runCleared, out) {
  const skipped = (breakerOpen) => (r) => r.attempts?.some((a) => a.provider === id && a.outcome === "skipped" && BREAKER_OPEN.test(a.reason ?? "") === breakerOpen);
  const d = firstAfter(records, ph.appliedAtMs, skipped(true));
  out.detect[id] = d && d.t <= runCleared ? round1(d.t - ph.appliedAtMs) : null;
  // Any other reason routing left it out (health score under the tier's floor, throttling, …), for context.
  const other = firstAfter(records, ph.appliedAtMs, skipped(false));
  if (other && other.t <= runCleared) {
    out.firstOtherSkip ??= {};
    out.firstOtherSkip[id] = { ms: round1(other.t - ph.appliedAtMs), reason: skipOf(other, id).reason };
  }
}

/**
 * Fault cleared → the first request served by it again, at the request's send time: primary mode for the route's
 * first target, an ok attempt in the trace for the others. null when it never was.
 */
function recover(records, id, isPrimary, runCleared) {
  const rec = firstAfter(records, runCleared, (r) =>
    isPrimary ? r.served && r.mode === "primary" && r.provider === id : r.attempts?.some((a) => a.provider === id && a.outcome === "ok"),
  );
  return rec ? round1(rec.t - runCleared) : null;
}

function overallResult(config, records, phaseResults, dropped) {
  const overall = summarise(config, records);
  overall.dropped = dropped;
  const faultPhases = phaseResults.filter((p) => p.faultedProviders.length);
  overall.reachedFaulted = faultPhases.length
    ? { mock: faultPhases.reduce((a, p) => a + p.reachedFaulted.mock, 0), trace: faultPhases.reduce((a, p) => a + p.reachedFaulted.trace, 0) }
    : undefined;
  // The worst fault phase; null when any of them never detected (or recovered).
  const worst = (key) => {
    const xs = faultPhases.map((p) => p[key]).filter((x) => x !== undefined);
    if (!xs.length) return undefined;
    return xs.some((x) => x === null) ? null : Math.max(...xs);
  };
  overall.timeToDetectMs = worst("timeToDetectMs");
  overall.timeToRecoverMs = worst("timeToRecoverMs");
  // The worst fault phase again: the most requests touching the sick provider; the least primary share at a recovery's end.
  const touched = faultPhases.map((p) => p.touchedSickPct).filter((x) => x !== null && x !== undefined);
  overall.touchedSickPct = touched.length ? Math.max(...touched) : undefined;
  const recovered = phaseResults.filter((p) => p.recoveryTail);
  overall.recoveredSharePct = recovered.length ? (recovered.some((p) => p.recoveredSharePct === null) ? null : Math.min(...recovered.map((p) => p.recoveredSharePct))) : undefined;
  return overall;
}

/** Per tenant (in the scenario's order): its requests' summary, and the kinds of request it sent. */
function byTenant(config, tenants, records) {
  return tenants.map((t) => {
    const recs = records.filter((r) => r.tenant === t.name);
    const kinds = {};
    for (const r of recs) kinds[r.kind ?? "normal"] = (kinds[r.kind ?? "normal"] ?? 0) + 1;
    return { name: t.name, tier: t.tier ?? "premium", share: t.share, kinds, thresholds: t.thresholds, ...summarise(config, recs) };
  });
}

/** Breaker transitions seen by polling /status. */
function breakerTransitions(breakerSamples) {
  const transitions = [];
  const last = {};
  for (const s of breakerSamples) {
    for (const [p, st] of Object.entries(s.states)) {
      if (last[p] !== undefined && last[p] !== st) transitions.push({ t: round1(s.t), provider: p, from: last[p], to: st });
      last[p] = st;
    }
  }
  return transitions;
}
