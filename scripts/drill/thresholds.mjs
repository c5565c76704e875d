// Checks a scenario's declared thresholds against its analysed numbers: one { where, what, actual, limit, ok } each.

/**
 * Every declared threshold, checked: scenario-wide ones over all phases (`overall`), phase ones over that phase —
 * served and truncation thresholds over the requests that lived inside it when some straddled its end, latency and
 * touched-sick ones over every request it sent (a hung request is exactly one that outlives its phase) — tenant ones over that tenant's requests
 * (`extras.tenants`), and `breakerStaysClosed` over the breaker states polled from /status (`extras.breakerSamples`).
 * A silent truncation fails a scenario even where no threshold says so.
 */
export function evaluate(scenario, overall, phases, extras = {}) {
  const checks = [];
  checkAll(checks, scenario.thresholds, overall, "scenario", phases);
  for (const p of phases) checkAll(checks, p.thresholds, p.judged ? { ...p, ...p.judged, latencyMs: p.latencyMs } : p, `phase ${p.name}`, [p]);
  for (const t of extras.tenants ?? []) checkAll(checks, t.thresholds, t, `tenant ${t.name}`, []);
  for (const id of scenario.thresholds?.breakerStaysClosed ?? []) checkClosed(checks, id, extras.breakerSamples ?? []);
  // Streams never end quietly: a silent truncation fails the scenario even where no threshold says so.
  if (!scenario.thresholds?.silentTruncations && scenario.thresholds?.silentTruncations !== 0 && overall.silentTruncations > 0) {
    checks.push({ where: "scenario", what: "silentTruncations ≤", actual: overall.silentTruncations, limit: 0, ok: false });
  }
  return checks;
}

/**
 * Checks thresholds `t` against summary `s` into `checks`. Time limits and `maxTouchedSickPct` look at each faulted
 * phase of `phaseList`; `minPrimarySharePct` at the tail of each recovery phase in it, or, with none (a tenant, a
 * scenario without faults), at the primary share of all of `s`.
 */
function checkAll(checks, t, s, where, phaseList) {
  if (!t) return;
  const add = (what, actual, limit, ok) => checks.push({ where, what, actual, limit, ok });
  if (t.servedPct !== undefined) add("servedPct ≥", s.servedPct, t.servedPct, s.servedPct !== null && s.servedPct + 1e-9 >= t.servedPct);
  for (const [c, min] of Object.entries(t.servedPctByClass ?? {})) {
    const v = s.byClass[c]?.servedPct ?? null;
    add(`servedPct[${c}] ≥`, v, min, v === null || v + 1e-9 >= min);
  }
  if (t.silentTruncations !== undefined) add("silentTruncations ≤", s.silentTruncations, t.silentTruncations, s.silentTruncations <= t.silentTruncations);
  for (const p of ["p50", "p95", "p99"]) {
    const limit = t[`${p}Ms`];
    if (limit !== undefined) add(`${p}Ms ≤`, s.latencyMs[p], limit, s.latencyMs[p] === null || s.latencyMs[p] <= limit);
  }
  for (const key of ["timeToDetectMs", "timeToRecoverMs"]) {
    if (t[key] !== undefined) checkTime(add, key, t[key], phaseList);
  }
  if (t.maxTouchedSickPct !== undefined) checkTouched(add, t.maxTouchedSickPct, phaseList);
  if (t.minPrimarySharePct !== undefined) checkPrimaryShare(add, t.minPrimarySharePct, s, phaseList);
}

/** A time limit holds in every faulted phase that measured it; with no faulted phase at all it cannot hold. */
function checkTime(add, key, limit, phaseList) {
  const label = `${key} ≤`;
  const fps = phaseList.filter((p) => p.faultedProviders.length && p[key] !== undefined);
  if (!fps.length && !phaseList.some((p) => p.faultedProviders.length)) add(label, null, limit, false);
  for (const p of fps) add(`${label} (${p.name})`, p[key], limit, p[key] !== null && p[key] <= limit);
}

/** At most this share of the requests each fault phase sent touched the faulted provider. */
function checkTouched(add, limit, phaseList) {
  const fps = phaseList.filter((p) => p.faultedProviders.length);
  if (!fps.length) add("touchedSickPct ≤", null, limit, false);
  for (const p of fps) {
    const v = p.touchedSickPct ?? null;
    add(`touchedSickPct ≤ (${p.name})`, v, limit, v === null || v <= limit + 1e-9);
  }
}

/** The primary's share at the end of every recovery phase, or of all of `s` where there is none; no requests fails. */
function checkPrimaryShare(add, limit, s, phaseList) {
  const recoveries = phaseList.filter((p) => p.recoveryTail);
  const ok = (v) => v !== null && v !== undefined && v + 1e-9 >= limit;
  if (!recoveries.length) return add("primarySharePct ≥", s.primarySharePct ?? null, limit, ok(s.primarySharePct));
  for (const p of recoveries) add(`recoveredSharePct ≥ (${p.name}, last ${Math.round(p.endMs - p.recoveryTail.fromMs)} ms)`, p.recoveredSharePct, limit, ok(p.recoveredSharePct));
}

/** Every /status sample during the run showed the provider's breaker CLOSED; no sample at all cannot prove it. */
function checkClosed(checks, id, samples) {
  const seen = samples.filter((x) => x.states[id] !== undefined);
  const notClosed = seen.filter((x) => String(x.states[id]).toUpperCase() !== "CLOSED").length;
  checks.push({ where: "scenario", what: `breaker ${id}: /status samples not CLOSED ≤`, actual: seen.length ? notClosed : null, limit: 0, ok: seen.length > 0 && notClosed === 0 });
}
