import { describe, expect, it } from "vitest";
import type { BreakerStateName } from "../../../src/resilience/breaker";
import type { HealthSummary } from "../../../src/resilience/health";
import { healthScore, SCORE_CONSTANTS } from "../../../src/resilience/score";

function summary(over: Partial<HealthSummary> = {}, p95: number | null = 1000): HealthSummary {
  return {
    calls: 100,
    errorRate: 0,
    timeoutRate: 0,
    rateLimitRate: 0,
    refusalRate: 0,
    semanticFailureRate: 0,
    latency: { p50: p95 === null ? null : p95 / 2, p95, p99: p95 },
    ttft: { p50: null, p95: null, p99: null },
    tokensPerSecond: null,
    ...over,
  };
}

const score = (s: HealthSummary, state: BreakerStateName = "CLOSED") => healthScore(s, state).score;

describe("healthScore", () => {
  it("orders healthy > slow > rate-limited > erroring > half-open > open", () => {
    const ranked = [
      score(summary()),
      score(summary({}, 20_000)),
      score(summary({ errorRate: 0.2, rateLimitRate: 0.2 })),
      score(summary({ errorRate: 0.35 })),
      score(summary({ errorRate: 0.6 }), "HALF_OPEN"),
      score(summary(), "OPEN"),
    ];
    expect([...ranked].sort((a, b) => b - a)).toEqual(ranked);
    expect(new Set(ranked).size).toBe(ranked.length);
  });

  it("matches the worked example in docs/health-score.md", () => {
    const { score: s, parts } = healthScore(
      summary({ calls: 40, errorRate: 0.05, rateLimitRate: 0.025, refusalRate: 0.025 }, 4000),
      "CLOSED",
    );
    expect(parts.availability).toBeCloseTo(0.9025, 4);
    expect(parts.rateLimit).toBeCloseTo(0.9875, 4);
    expect(parts.latency).toBeCloseTo(0.857143, 5);
    expect(parts.quality).toBeCloseTo(0.99375, 5);
    expect(s).toBeCloseTo(0.7591, 4);
  });

  it.each([
    [0, 0.9],
    [1, 0.2 * 0.25 + 0.8 * 0.9],
    [4, 0.8 * 0.25 + 0.2 * 0.9],
    [5, 0.25],
    [500, 0.25],
  ])("cold start: %d calls at 50 %% errors blend towards the 0.9 prior → %d", (calls, expected) => {
    expect(score(summary({ calls, errorRate: 0.5 }, null))).toBeCloseTo(expected, 10);
  });

  it("a provider with no data scores the prior, above a measured degraded one and below a measured fast one", () => {
    const cold = score(summary({ calls: 0 }, null));
    expect(cold).toBe(SCORE_CONSTANTS.prior);
    expect(cold).toBeLessThan(score(summary({}, 500)));
    expect(cold).toBeGreaterThan(score(summary({ errorRate: 0.1 })));
  });

  it.each<[BreakerStateName, number]>([
    ["OPEN", 0],
    ["FORCED_OPEN", 0],
    ["DISABLED", 0],
    ["HALF_OPEN", 0.5],
  ])("the breaker caps the score: %s → at most %d", (state, cap) => {
    expect(score(summary({}, 100), state)).toBe(cap);
    expect(score(summary({ calls: 0 }, null), state)).toBe(cap);
  });

  it("a slow provider that answers outranks one failing 30 % or more, however slow", () => {
    expect(score(summary({}, 120_000))).toBeGreaterThan(score(summary({ errorRate: 0.3 }, 10)));
  });

  it("stays within [0, 1] for any input, including nonsense", () => {
    const extremes = [0, 1, -1, 2, NaN, Infinity];
    for (const x of extremes) {
      for (const p95 of [null, 0, 1, 1e9, -5, NaN]) {
        for (const state of ["CLOSED", "HALF_OPEN"] as const) {
          const s = summary(
            { calls: x, errorRate: x, rateLimitRate: x, refusalRate: x, semanticFailureRate: x, timeoutRate: x },
            p95,
          );
          const v = score(s, state);
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
      }
    }
  });
});
