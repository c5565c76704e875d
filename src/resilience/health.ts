/**
 * Rolling health of one provider (or one provider/model): a ring of fixed-width time buckets (1 min × 15 by default),
 * each holding counts and two fixed-boundary histograms (latency, time to first token). Memory is bounded by
 * `buckets` × 26 histogram slots no matter the traffic, and the state is plain JSON for Durable Object storage.
 *
 * Pure: `now` is always an argument. Functions return new state and never mutate their input.
 *
 * What is recorded, and why:
 * - Caller and operator faults (classes whose `countsForBreaker` is false in src/engine/errors.ts: bad_request,
 *   context_length, upstream_auth, model_not_found, misconfigured, cancelled) are dropped entirely, as the breaker
 *   drops them: they say nothing about the provider's health. Which extra rate a class feeds (timeouts, 429s) is
 *   that table's `healthSignal`.
 * - Latency and TTFT are recorded for successes only: a fast 500 is not a fast answer, and failures already weigh in
 *   through the error rates.
 * - Tokens/s is output tokens over generation time: latency − TTFT when a TTFT is known (streams), else the whole
 *   latency (non-stream calls, where prefill time is included and tokens/s reads low).
 */
import * as z from "../zod";
import { countsForBreaker, healthSignalOf, ignoredByHealth, type ErrorClass } from "../engine/errors";

/**
 * Health window settings: `buckets` buckets of `bucketMs` each (default 15 × 1 min) for percentiles and /status, and
 * the recent evidence that decides availability and exclusion (docs/health-score.md "Recent evidence").
 */
export const HealthConfig = z.strictObject({
  bucketMs: z._default(z.number().check(z.int(), z.gte(1000)), 60_000),
  buckets: z._default(z.number().check(z.int(), z.gte(1), z.lte(1440)), 15),
  /** Half-life of the recent evidence (calls, failures); shorter forgets an outage sooner and judges on less. */
  recentHalfLifeMs: z._default(z.number().check(z.int(), z.gte(1000), z.lte(3_600_000)), 30_000),
  /** Recent (decayed) calls needed before a low score may exclude a provider from a tier; below it, thin traffic. */
  minCallsToExclude: z._default(z.number().check(z.gte(1), z.lte(1000)), 5),
  /**
   * A run of successes whose chance at the recent failure rate p, (1 − p)^run, falls below this forgives the recent
   * failures: after an outage of 10 calls two successes do, after 30 one; 3 failures in 10 are never forgiven this way
   * (the rate itself then falls as successes come). 0 never forgives.
   */
  restoreBelow: z._default(z.number().check(z.gte(0), z.lte(0.5)), 0.05),
});
export type HealthConfig = z.infer<typeof HealthConfig>;

/**
 * Histogram upper bounds in ms: 25 log-spaced from 10 ms to 120 s (each ≈ 1.48 × the previous, rounded), plus an
 * implicit overflow bucket above 120 s. A percentile read from these is off by at most one bucket's width (≈ 48 %),
 * which is plenty to rank providers and fine as Prometheus `le` labels.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze(
  Array.from({ length: 25 }, (_, i) => Math.round(10 * 12_000 ** (i / 24))),
);
const SLOTS = LATENCY_BOUNDS_MS.length + 1;

/** One time bucket of the ring. */
export interface HealthBucket {
  /** Bucket start, ms, a multiple of bucketMs. */
  start: number;
  /** Calls that say something about the provider (caller/operator faults excluded). */
  calls: number;
  /** Calls whose error class counts as a failure (timeouts and 429s included). */
  errors: number;
  /** `timeout` and `stall`: the provider went silent. */
  timeouts: number;
  rateLimited: number;
  /** Answers the vendor refused (finish reason content_filter). */
  refusals: number;
  /** Answers the validation hook rejected. */
  semanticFailures: number;
  /** Counts per LATENCY_BOUNDS_MS slot (the last is the overflow), and the largest value seen. */
  latency: number[];
  latencyMaxMs: number;
  ttft: number[];
  ttftMaxMs: number;
  outputTokens: number;
  /** Generation time behind `outputTokens`, ms. */
  generationMs: number;
}

/**
 * Recent evidence: calls and failures decayed exponentially (half-life `recentHalfLifeMs`) as of `at`, and the
 * current run of successes. It weighs what just happened over the 15-minute window, so one bad minute stops counting
 * within a few half-lives, and a provider proven healthy again (a run of successes, a probe that closed its breaker)
 * is judged on new evidence only.
 */
export interface RecentEvidence {
  calls: number;
  failures: number;
  at: number;
  /** Successes in a row since the last failure. */
  streak: number;
}

export interface HealthState {
  /** Layout version, so persisted state from an older layout can be recognised and dropped. */
  version: 1;
  /** Oldest first; at most `cfg.buckets` once rotated. */
  buckets: HealthBucket[];
  /** Absent in state stored before it existed: then the window's counts stand in. */
  recent?: RecentEvidence;
}

/** One finished attempt, as the engine saw it. */
export interface HealthSample {
  errorClass?: ErrorClass;
  latencyMs: number;
  ttftMs?: number;
  outputTokens?: number;
  refusal?: boolean;
  semanticFailure?: boolean;
}

/** Percentiles in ms; null when there is no data. */
export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** The window merged into rates and percentiles. Rates are 0 when `calls` is 0. */
export interface HealthSummary {
  calls: number;
  errorRate: number;
  timeoutRate: number;
  rateLimitRate: number;
  refusalRate: number;
  semanticFailureRate: number;
  latency: Percentiles;
  ttft: Percentiles;
  /** Output tokens per second of generation; null without token counts. */
  tokensPerSecond: number | null;
  /** Recent evidence at the summary's `now` (see `RecentEvidence`); absent for state without it. */
  recent?: { calls: number; failureRate: number };
}

/** An empty health record. */
export function initialHealth(): HealthState {
  return { version: 1, buckets: [] };
}

function emptyBucket(start: number): HealthBucket {
  return {
    start,
    calls: 0,
    errors: 0,
    timeouts: 0,
    rateLimited: 0,
    refusals: 0,
    semanticFailures: 0,
    latency: new Array<number>(SLOTS).fill(0),
    latencyMaxMs: 0,
    ttft: new Array<number>(SLOTS).fill(0),
    ttftMaxMs: 0,
    outputTokens: 0,
    generationMs: 0,
  };
}

/** The histogram slot for a value: the first bound ≥ ms, or the overflow slot. */
export function slotFor(ms: number): number {
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= LATENCY_BOUNDS_MS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The q-quantile (0..1) of a histogram, interpolating linearly inside the slot that holds rank q·n (Prometheus's
 * histogram_quantile), and never above the largest value seen (which also bounds the open-ended overflow slot).
 */
export function histogramQuantile(counts: readonly number[], q: number, maxMs: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.min(1, Math.max(0, q)) * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    if (below + c >= rank) {
      const lo = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const hi = i < LATENCY_BOUNDS_MS.length ? LATENCY_BOUNDS_MS[i]! : Math.max(maxMs, lo);
      return Math.min(lo + (hi - lo) * ((rank - below) / c), Math.max(maxMs, lo));
    }
    below += c;
  }
  return maxMs;
}

/** Drop buckets that have left the window (older than `buckets` × `bucketMs` before the current bucket). */
export function rotate(state: HealthState, cfg: HealthConfig, now: number): HealthState {
  const oldest = Math.floor(now / cfg.bucketMs) * cfg.bucketMs - (cfg.buckets - 1) * cfg.bucketMs;
  const kept = state.buckets.filter((b) => b.start >= oldest);
  return kept.length === state.buckets.length ? state : { ...state, buckets: kept };
}

/** Recent evidence decayed to `now` (a sample stamped in the past, by clock skew, decays nothing). */
export function decayRecent(r: RecentEvidence, cfg: HealthConfig, now: number): RecentEvidence {
  const factor = now > r.at ? 2 ** (-(now - r.at) / cfg.recentHalfLifeMs) : 1;
  return { calls: r.calls * factor, failures: r.failures * factor, at: Math.max(r.at, now), streak: r.streak };
}

function addRecent(r: RecentEvidence | undefined, cfg: HealthConfig, failed: boolean, now: number): RecentEvidence {
  const d = decayRecent(r ?? { calls: 0, failures: 0, at: now, streak: 0 }, cfg, now);
  const next = { ...d, calls: d.calls + 1, failures: d.failures + (failed ? 1 : 0), streak: failed ? 0 : d.streak + 1 };
  // A run of successes too long to be luck at the recent failure rate proves the provider answers again: what failed
  // before it no longer speaks for it.
  if (!failed && next.failures > 0 && (1 - next.failures / next.calls) ** next.streak < cfg.restoreBelow) next.failures = 0;
  return next;
}

/**
 * Start the recent evidence over (a probe just closed the breaker: the provider is proven, and what it did while
 * sick must not keep it excluded). The window's buckets stay for percentiles and /status.
 */
export function freshEvidence(state: HealthState): HealthState {
  return { ...state, recent: { calls: 0, failures: 0, at: state.recent?.at ?? 0, streak: 0 } };
}

/** Add one attempt's sample to the current bucket (rotating first); `n` like samples at once (a forwarded window). */
export function recordHealth(state: HealthState, cfg: HealthConfig, sample: HealthSample, now: number, n = 1): HealthState {
  const rotated = rotate(state, cfg, now);
  if (ignoredByHealth(sample.errorClass)) return rotated;
  let withRecent = rotated.recent;
  for (let i = 0; i < n; i++) withRecent = addRecent(withRecent, cfg, countsForBreaker(sample.errorClass), now);
  const start = Math.floor(now / cfg.bucketMs) * cfg.bucketMs;
  const newest = rotated.buckets[rotated.buckets.length - 1];
  // A sample stamped before the newest bucket's window (a skewed clock) would be rotated out at once: drop it.
  if (newest && start < newest.start - (cfg.buckets - 1) * cfg.bucketMs) return rotated;
  const buckets = [...rotated.buckets];
  let i = buckets.findIndex((b) => b.start === start);
  if (i < 0) {
    // Normally appended; a sample stamped slightly in the past (clock skew) is inserted in order.
    i = buckets.findIndex((b) => b.start > start);
    if (i < 0) i = buckets.length;
    buckets.splice(i, 0, emptyBucket(start));
  }
  const old = buckets[i]!;
  const b: HealthBucket = { ...old, latency: [...old.latency], ttft: [...old.ttft] };
  buckets[i] = b;
  addToBucket(b, sample, n);
  return { ...rotated, buckets, recent: withRecent };
}

/** A private copy of `state` for `recordHealthInto` (its buckets and their histograms copied once). */
export function healthWorkingCopy(state: HealthState): HealthState {
  return { ...state, buckets: state.buckets.map((b) => ({ ...b, latency: [...b.latency], ttft: [...b.ttft] })) };
}

/**
 * `recordHealth` on a `healthWorkingCopy`, in place: the same state, without copying the window per sample. The
 * Durable Object applies an isolate's batch of outcomes (~200) this way.
 */
export function recordHealthInto(w: HealthState, cfg: HealthConfig, sample: HealthSample, now: number, n = 1): void {
  const oldest = Math.floor(now / cfg.bucketMs) * cfg.bucketMs - (cfg.buckets - 1) * cfg.bucketMs;
  if (w.buckets.some((b) => b.start < oldest)) w.buckets = w.buckets.filter((b) => b.start >= oldest);
  if (ignoredByHealth(sample.errorClass)) return;
  let withRecent = w.recent;
  for (let i = 0; i < n; i++) withRecent = addRecent(withRecent, cfg, countsForBreaker(sample.errorClass), now);
  const start = Math.floor(now / cfg.bucketMs) * cfg.bucketMs;
  const newest = w.buckets[w.buckets.length - 1];
  if (newest && start < newest.start - (cfg.buckets - 1) * cfg.bucketMs) return;
  let i = w.buckets.findIndex((b) => b.start === start);
  if (i < 0) {
    i = w.buckets.findIndex((b) => b.start > start);
    if (i < 0) i = w.buckets.length;
    w.buckets.splice(i, 0, emptyBucket(start));
  }
  addToBucket(w.buckets[i]!, sample, n);
  w.recent = withRecent;
}

/** One sample (`n` like ones) into a bucket the caller owns. */
function addToBucket(b: HealthBucket, sample: HealthSample, n: number): void {
  const cls = sample.errorClass;
  b.calls += n;
  if (countsForBreaker(cls)) b.errors += n;
  const signal = healthSignalOf(cls);
  if (signal === "timeout") b.timeouts += n;
  if (signal === "rate_limited") b.rateLimited += n;
  if (sample.refusal) b.refusals += n;
  // An answer that failed the caller's output checks is a semantic failure by its class alone, so every reporter
  // (breakers, the provider's object) records it without a flag of its own.
  if (sample.semanticFailure || cls === "invalid_output") b.semanticFailures += n;
  if (cls === undefined) {
    const latency = Math.max(0, sample.latencyMs);
    b.latency[slotFor(latency)]! += n;
    b.latencyMaxMs = Math.max(b.latencyMaxMs, latency);
    if (sample.ttftMs !== undefined) {
      const ttft = Math.max(0, sample.ttftMs);
      b.ttft[slotFor(ttft)]! += n;
      b.ttftMaxMs = Math.max(b.ttftMaxMs, ttft);
    }
    if (sample.outputTokens !== undefined && sample.outputTokens > 0) {
      const gen = sample.ttftMs !== undefined && latency > sample.ttftMs ? latency - sample.ttftMs : latency;
      if (gen > 0) {
        b.outputTokens += sample.outputTokens * n;
        b.generationMs += gen * n;
      }
    }
  }
}

function percentiles(counts: number[], maxMs: number): Percentiles {
  return {
    p50: histogramQuantile(counts, 0.5, maxMs),
    p95: histogramQuantile(counts, 0.95, maxMs),
    p99: histogramQuantile(counts, 0.99, maxMs),
  };
}

/** Merge the window at `now` into one summary. */
export function summarize(state: HealthState, cfg: HealthConfig, now: number): HealthSummary {
  const { buckets } = rotate(state, cfg, now);
  const m = emptyBucket(0);
  for (const b of buckets) {
    m.calls += b.calls;
    m.errors += b.errors;
    m.timeouts += b.timeouts;
    m.rateLimited += b.rateLimited;
    m.refusals += b.refusals;
    m.semanticFailures += b.semanticFailures;
    m.outputTokens += b.outputTokens;
    m.generationMs += b.generationMs;
    m.latencyMaxMs = Math.max(m.latencyMaxMs, b.latencyMaxMs);
    m.ttftMaxMs = Math.max(m.ttftMaxMs, b.ttftMaxMs);
    for (let i = 0; i < SLOTS; i++) {
      m.latency[i]! += b.latency[i] ?? 0;
      m.ttft[i]! += b.ttft[i] ?? 0;
    }
  }
  const rate = (n: number) => (m.calls ? n / m.calls : 0);
  return {
    calls: m.calls,
    errorRate: rate(m.errors),
    timeoutRate: rate(m.timeouts),
    rateLimitRate: rate(m.rateLimited),
    refusalRate: rate(m.refusals),
    semanticFailureRate: rate(m.semanticFailures),
    latency: percentiles(m.latency, m.latencyMaxMs),
    ttft: percentiles(m.ttft, m.ttftMaxMs),
    tokensPerSecond: m.generationMs > 0 ? m.outputTokens / (m.generationMs / 1000) : null,
    ...(state.recent ? { recent: recentSummary(decayRecent(state.recent, cfg, now)) } : {}),
  };
}

function recentSummary(r: RecentEvidence): { calls: number; failureRate: number } {
  return { calls: r.calls, failureRate: r.calls > 0 ? Math.min(1, r.failures / r.calls) : 0 };
}
