/** Small statistics for the bench scripts' reports: percentiles by the nearest-rank method, medians, number format. */

/** The `p`-th percentile of an ascending array (nearest rank), NaN when empty. */
export function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Count, p50/p95/p99, mean, min and max of some samples. */
export function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, p50: pct(s, 50), p95: pct(s, 95), p99: pct(s, 99), mean, min: s[0], max: s[s.length - 1] };
}

/** The median (the mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Two decimals, or "—" for a missing figure. */
export const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : "—");
export const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "—");
