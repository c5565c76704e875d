// How the reports and the console write numbers, times, money and faults.

/** A percentage without its sign; "—" when there is none. */
export const fPct = (x, d = 1) => (x === null || x === undefined ? "—" : `${x.toFixed(x === 100 ? 0 : d)}`);
/** A duration in ms or s. */
export const fMs = (x) => (x === null || x === undefined ? "—" : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`);
/** A duration as whole ms, no unit (table columns say it). */
export const fMsN = (x) => (x === null || x === undefined ? "—" : String(Math.round(x)));
/** US dollars, with enough digits for fractions of a cent. */
export const fUsd = (x) => (x === 0 ? "$0" : x < 0.01 ? `$${x.toFixed(5)}` : `$${x.toFixed(4)}`);
/** An offset from the scenario's start. */
export const fSec = (ms) => `+${(ms / 1000).toFixed(1)} s`;
/** A threshold check's measured value; "none" when nothing was measured. */
export const fmtActual = (x) => (x === null || x === undefined ? "none" : typeof x === "number" ? String(Math.round(x * 100) / 100) : String(x));

/** One fault in a few words, e.g. "network openai status (503, rate 0.5)". */
export function describeFault(f, where) {
  const who = where === "network" ? `network ${f.vendor}` : `detour ${f.provider}`;
  const extra = [
    f.status !== undefined ? String(f.status) : "",
    f.retryAfter !== undefined ? `retry-after ${f.retryAfter}s` : "",
    f.retryAfterSeconds !== undefined ? `retry-after ${f.retryAfterSeconds}s` : "",
    f.ms !== undefined ? `${f.ms} ms` : "",
    f.latencyMs !== undefined ? `${f.latencyMs} ms` : "",
    f.afterEvents !== undefined ? `after ${f.afterEvents} events` : "",
    f.model !== undefined ? `→ ${f.model}` : "",
    f.rate !== undefined && f.rate !== 1 ? `rate ${f.rate}` : "",
  ].filter(Boolean);
  return `${who} ${f.kind}${extra.length ? ` (${extra.join(", ")})` : ""}`;
}

/** Each threshold a scenario missed, as one line. */
export function missLines(results) {
  return results.flatMap((r) =>
    r.error ? [`${r.name}: could not run: ${r.error}`] : r.checks.filter((c) => !c.ok).map((c) => `${r.name} (${c.where}): ${c.what} ${c.limit} — got ${fmtActual(c.actual)}`),
  );
}
