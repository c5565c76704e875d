// Checks a scenario's declared thresholds against its analysed numbers: one { where, what, actual, limit, ok } each.

/**
 * Every declared threshold, checked: scenario-wide ones over all phases (`overall`), phase ones over that phase (only
 * the requests that lived inside it, when some straddled its end). A silent truncation fails a scenario even where no
 * threshold says so.
 */
export function evaluate(scenario, overall, phases) {
  const checks = [];
  checkAll(checks, scenario.thresholds, overall, "scenario", phases);
  for (const p of phases) checkAll(checks, p.thresholds, p.judged ? { ...p, ...p.judged } : p, `phase ${p.name}`, [p]);
  // Streams never end quietly: a silent truncation fails the scenario even where no threshold says so.
  if (!scenario.thresholds?.silentTruncations && scenario.thresholds?.silentTruncations !== 0 && overall.silentTruncations > 0) {
    checks.push({ where: "scenario", what: "silentTruncations ≤", actual: overall.silentTruncations, limit: 0, ok: false });
  }
  return checks;
}

/** Checks thresholds `t` against summary `s` into `checks`; time thresholds look at each faulted phase of `phaseList`. */
function checkAll(checks, t, s, where, phaseList) {
  if (!t) return;
  const add = (what, actual, limit, ok) => checks.push({ where, what, actual, limit, ok });
  if (t.servedPct !== undefined) add("servedPct ≥", s.servedPct, t.servedPct, s.servedPct !== null && s.servedPct + 1e-9 >= t.servedPct);
  for (const [c, min] of Object.entries(t.servedPctByClass ?? {})) {
    const v = s.byClass[c]?.servedPct ?? null;
    add(`servedPct[${c}] ≥`, v, min, v === null || v + 1e-9 >= min);
  }
  if (t.silentTruncations !== undefined) add("silentTruncations ≤", s.silentTruncations, t.silentTruncations, s.silentTruncations <= t.silentTruncations);
  if (t.p95Ms !== undefined) add("p95Ms ≤", s.latencyMs.p95, t.p95Ms, s.latencyMs.p95 === null || s.latencyMs.p95 <= t.p95Ms);
  if (t.p99Ms !== undefined) add("p99Ms ≤", s.latencyMs.p99, t.p99Ms, s.latencyMs.p99 === null || s.latencyMs.p99 <= t.p99Ms);
  for (const key of ["timeToDetectMs", "timeToRecoverMs"]) {
    if (t[key] !== undefined) checkTime(add, key, t[key], phaseList);
  }
}

/** A time limit holds in every faulted phase that measured it; with no faulted phase at all it cannot hold. */
function checkTime(add, key, limit, phaseList) {
  const label = `${key} ≤`;
  const fps = phaseList.filter((p) => p.faultedProviders.length && p[key] !== undefined);
  if (!fps.length && !phaseList.some((p) => p.faultedProviders.length)) add(label, null, limit, false);
  for (const p of fps) add(`${label} (${p.name})`, p[key], limit, p[key] !== null && p[key] <= limit);
}
