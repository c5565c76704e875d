import { describe, expect, it } from "vitest";
import { percentiles, recordInBook, recordReadiness, summarize, summarizeBook, type ShadowSample } from "../../../src/readiness/score";

const sample = (over: Partial<ShadowSample> = {}): ShadowSample => ({
  at: 1000,
  verdict: "equivalent",
  score: 1,
  valid: true,
  latencyMs: 100,
  primaryLatencyMs: 50,
  costUsd: 0.002,
  primaryCostUsd: 0.001,
  ...over,
});

describe("readiness aggregation", () => {
  it("summarises rates, mean score, latency and cost ratio over the window", () => {
    const s = recordReadiness(undefined, [
      sample({ at: 1, score: 1, latencyMs: 100 }),
      sample({ at: 2, verdict: "different", score: 0.2, latencyMs: 300 }),
      sample({ at: 3, verdict: "invalid", score: 0, valid: false, latencyMs: 200 }),
      sample({ at: 4, verdict: "error", score: 0, valid: false, latencyMs: 9999 }),
    ], 200);
    const sum = summarize(s);
    expect(sum).toMatchObject({ comparisons: 4, equivalenceRate: 0.25, meanScore: 0.3, validationPassRate: 0.5, costRatio: 2, lastAt: 4 });
    // Errors have no answer latency to speak of: left out of the shadow's percentiles.
    expect(sum.latencyMs).toEqual({ p50: 200, p95: 300 });
    expect(sum.totals).toEqual({ equivalent: 1, different: 1, invalid: 1, error: 1 });
    expect(sum.costUsdTotal).toBeCloseTo(0.008, 8);
  });

  it("keeps only the last `window` comparisons, but counts every one in the totals", () => {
    let s = recordReadiness(undefined, Array.from({ length: 10 }, (_, i) => sample({ at: i, verdict: "different", score: 0 })), 10);
    s = recordReadiness(s, Array.from({ length: 10 }, (_, i) => sample({ at: 10 + i })), 10);
    const sum = summarize(s);
    expect(sum.comparisons).toBe(10);
    expect(sum.equivalenceRate).toBe(1);
    expect(sum.totals.different).toBe(10);
    expect(sum.totals.equivalent).toBe(10);
  });

  it("keeps routes and targets apart in a book", () => {
    let b = recordInBook(undefined, "auto", "beta/m", [sample()], 50);
    b = recordInBook(b, "auto", "gamma/m", [sample({ verdict: "different", score: 0 })], 50);
    b = recordInBook(b, "other", "beta/m", [sample({ verdict: "error", score: 0, valid: false })], 50);
    const out = summarizeBook(b);
    expect(out.auto!["beta/m"]!.equivalenceRate).toBe(1);
    expect(out.auto!["gamma/m"]!.equivalenceRate).toBe(0);
    expect(out.other!["beta/m"]!.totals.error).toBe(1);
  });

  it("an unpriced primary has no cost ratio; nearest-rank percentiles", () => {
    expect(summarize(recordReadiness(undefined, [sample({ primaryCostUsd: 0 })], 5)).costRatio).toBeNull();
    expect(percentiles([5, 1, 4, 2, 3])).toEqual({ p50: 3, p95: 5 });
    expect(percentiles([])).toEqual({ p50: 0, p95: 0 });
  });
});
