/**
 * The one health score routing ranks providers on: a number in [0, 1] from a health summary and the breaker state.
 * This is the only place the formula lives; docs/health-score.md explains it with a worked example. Keep both in step.
 *
 *   availability = (1 − errorRate)²                         errors include timeouts and 429s; the recent rate
 *                                                           (decayed, health.ts RecentEvidence) when known
 *   rateLimit    = 1 − 0.5 · rateLimitRate                  429s again: more traffic makes quota pressure worse
 *   latency      = 0.5 + 0.5 / (1 + p95 / 10 000 ms)       1 when there is no latency data
 *   quality      = max(0, 1 − 0.25 · refusalRate − 0.5 · semanticFailureRate)
 *   measured     = availability · rateLimit · latency · quality
 *   confidence   = min(1, calls / 5)
 *   blended      = confidence · measured + (1 − confidence) · 0.9
 *   cap          = 0 if OPEN, FORCED_OPEN or DISABLED; 0.5 if HALF_OPEN; 1 if CLOSED
 *   score        = min(blended, cap), clamped to [0, 1]
 *
 * Why these shapes:
 * - Squaring availability weighs failures heavily: 10 % errors cost 19 %, 30 % errors cost 51 %.
 * - Latency can at most halve the score (its factor stays in (0.5, 1]), so a slow provider that answers still
 *   outranks one failing about 30 % or more of its calls ((1 − 0.3)² < 0.5).
 * - A provider with fewer than 5 calls in the window is blended towards a neutral 0.9, so a cold or idle provider is
 *   neither punished for one unlucky call nor crowned for one lucky one. 0.9 sits just below a fast healthy provider
 *   (≈ 0.95), so proven providers lead and cold ones still rank above degraded ones.
 * - The breaker overrides everything: an open breaker must never be picked, and a half-open one only as a probe.
 * - Availability judges the recent failure rate (half-life `health.recentHalfLifeMs`), not the 15-minute window, so a
 *   provider that healed is not held to an outage minutes old; latency still reads the window's p95.
 *
 * The score ranks every provider; whether it may also exclude one from a tier is `excludable` below.
 */
import { verdictOf, type BreakerStateName } from "./breaker";
import type { HealthConfig, HealthSummary } from "./health";

/** The formula's constants, exported so /status and the docs can show them. */
export const SCORE_CONSTANTS = {
  /** Score of a provider with no data. */
  prior: 0.9,
  /** Calls needed before the measurement is trusted fully. */
  confidentCalls: 5,
  /** p95 at which the latency factor is 0.75 (halfway between its bounds), ms. */
  latencyRefMs: 10_000,
  rateLimitWeight: 0.5,
  refusalWeight: 0.25,
  semanticWeight: 0.5,
  halfOpenCap: 0.5,
} as const;

/** Every factor of the score, for /status and traces. */
export interface ScoreParts {
  availability: number;
  rateLimit: number;
  latency: number;
  quality: number;
  measured: number;
  confidence: number;
  blended: number;
  cap: number;
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/** Score a provider in [0, 1] (higher is better); see the formula at the top of this file. */
export function healthScore(
  summary: HealthSummary,
  breakerState: BreakerStateName,
): { score: number; parts: ScoreParts } {
  const k = SCORE_CONSTANTS;
  const availability = (1 - clamp01(summary.recent?.failureRate ?? summary.errorRate)) ** 2;
  const rateLimit = 1 - k.rateLimitWeight * clamp01(summary.rateLimitRate);
  const p95 = summary.latency.p95;
  const latency = p95 === null || !Number.isFinite(p95) ? 1 : 0.5 + 0.5 / (1 + Math.max(0, p95) / k.latencyRefMs);
  const quality = clamp01(
    1 - k.refusalWeight * clamp01(summary.refusalRate) - k.semanticWeight * clamp01(summary.semanticFailureRate),
  );
  const measured = availability * rateLimit * latency * quality;
  const confidence = clamp01(summary.calls / k.confidentCalls);
  const blended = confidence * measured + (1 - confidence) * k.prior;
  // The breaker's own verdict: admitting (CLOSED) caps nothing, probing (HALF_OPEN) caps, refusing zeroes.
  const verdict = verdictOf(breakerState).verdict;
  const cap = verdict === "admit" ? 1 : verdict === "probe" ? k.halfOpenCap : 0;
  const score = clamp01(Math.min(blended, cap));
  return { score, parts: { availability, rateLimit, latency, quality, measured, confidence, blended, cap } };
}

/**
 * May a score below a tier's `minHealth` exclude this provider? Only a CLOSED breaker's score can (open and
 * half-open breakers decide for themselves), and only on enough recent evidence: fewer than `minCallsToExclude`
 * recent (decayed) calls is thin traffic, and a handful of failures on thin traffic must not lock a provider out of
 * the tier for the whole window while nothing sends it traffic to prove it healthy again. A summary without recent
 * evidence (state stored before it existed) judges on the window's calls.
 */
export function excludable(summary: HealthSummary, breakerState: BreakerStateName, cfg: Pick<HealthConfig, "minCallsToExclude">): boolean {
  if (verdictOf(breakerState).verdict !== "admit") return true;
  return (summary.recent?.calls ?? summary.calls) >= cfg.minCallsToExclude;
}
