/**
 * Readiness of one shadow target on one route: a rolling window of its last comparisons against the route's primary,
 * summarised as the numbers an operator (and `requireReadiness` routing) reads. Pure: plain-JSON state in, state out.
 */

/** How one mirrored request ended. */
export const VERDICTS = ["equivalent", "different", "invalid", "error"] as const;
export type Verdict = (typeof VERDICTS)[number];

/** One comparison, as the ProviderHealth object stores it (structured-clonable plain data). */
export interface ShadowSample {
  /** Caller's clock, ms. */
  at: number;
  verdict: Verdict;
  /** The comparator's score (0 for an error). */
  score: number;
  /** The candidate passed the caller's contract (false for an error). */
  valid: boolean;
  /** The shadow call's latency and the primary's, ms. */
  latencyMs: number;
  primaryLatencyMs: number;
  /** Cost of the shadow call and of the primary's answer, USD (0 when unpriced). */
  costUsd: number;
  primaryCostUsd: number;
}

/** One (route, target) pair's window and its monotonic counters (for /metrics). */
export interface ReadinessState {
  samples: ShadowSample[];
  totals: Record<Verdict, number>;
  costUsdTotal: number;
}

/** route → target (`provider/model`) → state. */
export type ReadinessBook = Record<string, Record<string, ReadinessState>>;

export interface ReadinessSummary {
  /** Comparisons in the window. */
  comparisons: number;
  /** Share of the window judged equivalent (errors count as not equivalent). */
  equivalenceRate: number;
  meanScore: number;
  validationPassRate: number;
  latencyMs: { p50: number; p95: number };
  primaryLatencyMs: { p50: number; p95: number };
  /** Shadow cost over the primary's cost in the window (null when the primary is unpriced). */
  costRatio: number | null;
  /** Since the object was created: comparisons by verdict, and shadow spend. */
  totals: Record<Verdict, number>;
  costUsdTotal: number;
  lastAt: number | null;
}

export const emptyReadiness = (): ReadinessState => ({ samples: [], totals: { equivalent: 0, different: 0, invalid: 0, error: 0 }, costUsdTotal: 0 });

/** Add comparisons to one pair, keeping the last `window` of them. Returns a new state. */
export function recordReadiness(state: ReadinessState | undefined, samples: ShadowSample[], window: number): ReadinessState {
  const s = state ?? emptyReadiness();
  const totals = { ...s.totals };
  let cost = s.costUsdTotal;
  for (const x of samples) {
    totals[x.verdict] = (totals[x.verdict] ?? 0) + 1;
    cost += x.costUsd;
  }
  return { samples: [...s.samples, ...samples].slice(-window), totals, costUsdTotal: cost };
}

/** Add one pair's comparisons to a book. Returns a new book. */
export function recordInBook(book: ReadinessBook | undefined, route: string, target: string, samples: ShadowSample[], window: number): ReadinessBook {
  const b = book ?? {};
  return { ...b, [route]: { ...b[route], [target]: recordReadiness(b[route]?.[target], samples, window) } };
}

export function summarize(state: ReadinessState): ReadinessSummary {
  const xs = state.samples;
  const n = xs.length;
  const mean = (f: (x: ShadowSample) => number) => (n === 0 ? 0 : round(xs.reduce((a, x) => a + f(x), 0) / n));
  const primaryCost = xs.reduce((a, x) => a + x.primaryCostUsd, 0);
  const shadowCost = xs.reduce((a, x) => a + x.costUsd, 0);
  return {
    comparisons: n,
    equivalenceRate: mean((x) => (x.verdict === "equivalent" ? 1 : 0)),
    meanScore: mean((x) => x.score),
    validationPassRate: mean((x) => (x.valid ? 1 : 0)),
    latencyMs: percentiles(xs.filter((x) => x.verdict !== "error").map((x) => x.latencyMs)),
    primaryLatencyMs: percentiles(xs.map((x) => x.primaryLatencyMs)),
    costRatio: primaryCost > 0 ? round(shadowCost / primaryCost) : null,
    totals: { ...state.totals },
    costUsdTotal: Math.round(state.costUsdTotal * 1e8) / 1e8,
    lastAt: n === 0 ? null : xs[n - 1]!.at,
  };
}

/** Every pair's summary: route → target → summary. */
export function summarizeBook(book: ReadinessBook | undefined): Record<string, Record<string, ReadinessSummary>> {
  const out: Record<string, Record<string, ReadinessSummary>> = {};
  for (const [route, targets] of Object.entries(book ?? {})) {
    out[route] = Object.fromEntries(Object.entries(targets).map(([t, s]) => [t, summarize(s)]));
  }
  return out;
}

/** Nearest-rank p50 and p95 (0 for none). */
export function percentiles(values: number[]): { p50: number; p95: number } {
  if (values.length === 0) return { p50: 0, p95: 0 };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  return { p50: round(at(0.5)), p95: round(at(0.95)) };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
