import { describe, expect, it } from "vitest";
import {
  HealthConfig,
  histogramQuantile,
  initialHealth,
  LATENCY_BOUNDS_MS,
  recordHealth,
  rotate,
  slotFor,
  summarize,
  type HealthSample,
  type HealthState,
} from "../../../src/resilience/health";

const T0 = 1_700_000_000_000;
const cfg = HealthConfig.parse({});
const MIN = 60_000;

function feed(samples: HealthSample[], now = T0, state: HealthState = initialHealth()): HealthState {
  for (const s of samples) state = recordHealth(state, cfg, s, now);
  return state;
}

/** Deterministic PRNG (mulberry32), so the "known distribution" is the same on every run. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function trueQuantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Widest ratio between neighbouring bounds: the most a percentile can be off by. */
const BUCKET_RATIO = Math.max(...LATENCY_BOUNDS_MS.slice(1).map((b, i) => b / LATENCY_BOUNDS_MS[i]!));

describe("histogram", () => {
  it("has 25 log-spaced bounds from 10 ms to 120 s", () => {
    expect(LATENCY_BOUNDS_MS).toHaveLength(25);
    expect(LATENCY_BOUNDS_MS[0]).toBe(10);
    expect(LATENCY_BOUNDS_MS.at(-1)).toBe(120_000);
    expect(BUCKET_RATIO).toBeLessThanOrEqual(1.5); // 10 → 15 after rounding; ≈ 1.48 elsewhere
  });

  it.each([
    [0, 0],
    [10, 0],
    [10.5, 1],
    [120_000, 24],
    [120_001, 25],
  ])("slotFor(%d) = %d", (ms, slot) => {
    expect(slotFor(ms)).toBe(slot);
  });

  it.each([
    ["uniform 1..10 000 ms", (_r: () => number, i: number) => (i % 10_000) + 1],
    ["log-normal around 800 ms", (r: () => number) => 800 * Math.exp(0.8 * gaussian(r))],
    ["bimodal 50 ms / 5 s", (r: () => number) => (r() < 0.9 ? 40 + 20 * r() : 4000 + 2000 * r())],
  ])("percentiles of %s are within one bucket's error of the truth", (_name, draw) => {
    const r = prng(42);
    const values = Array.from({ length: 20_000 }, (_, i) => draw(r, i));
    const state = feed(values.map((latencyMs) => ({ latencyMs, ttftMs: latencyMs / 2 })));
    const sorted = [...values].sort((a, b) => a - b);
    const s = summarize(state, cfg, T0);
    for (const [q, est] of [
      [0.5, s.latency.p50],
      [0.95, s.latency.p95],
      [0.99, s.latency.p99],
    ] as const) {
      const truth = trueQuantile(sorted, q);
      const error = Math.abs(Math.log(est! / truth));
      expect(error, `p${q * 100}: ${est} vs ${truth}`).toBeLessThanOrEqual(Math.log(BUCKET_RATIO));
    }
    const ttftTruth = trueQuantile(sorted, 0.5) / 2;
    expect(Math.abs(Math.log(s.ttft.p50! / ttftTruth))).toBeLessThanOrEqual(Math.log(BUCKET_RATIO));
  });

  it("never reports above the largest value seen, including in the overflow bucket", () => {
    const s = summarize(feed([{ latencyMs: 200_000 }, { latencyMs: 150_000 }]), cfg, T0);
    expect(s.latency.p99).toBeLessThanOrEqual(200_000);
    expect(s.latency.p99).toBeGreaterThan(120_000);
    const one = summarize(feed([{ latencyMs: 42 }]), cfg, T0).latency;
    expect(one.p99).toBe(42);
    expect(one.p50).toBeGreaterThan(32); // inside 42's bucket (32, 48]
    expect(one.p50).toBeLessThanOrEqual(42);
  });

  it("histogramQuantile of nothing is null", () => {
    expect(histogramQuantile(new Array(26).fill(0), 0.5, 0)).toBeNull();
  });
});

describe("rates", () => {
  it("an invalid_output attempt is an error and a semantic failure by its class alone", () => {
    const state = feed([{ latencyMs: 100 }, { errorClass: "invalid_output", latencyMs: 100 }]);
    expect(summarize(state, cfg, T0)).toMatchObject({ calls: 2, errorRate: 0.5, semanticFailureRate: 0.5 });
  });

  it("counts every class where it belongs and drops caller/operator faults", () => {
    const state = feed([
      { latencyMs: 100 },
      { latencyMs: 100 },
      { latencyMs: 100 },
      { latencyMs: 100 },
      { latencyMs: 100, refusal: true },
      { latencyMs: 100, semanticFailure: true },
      { errorClass: "timeout", latencyMs: 30_000 },
      { errorClass: "stall", latencyMs: 20_000 },
      { errorClass: "rate_limited", latencyMs: 5 },
      { errorClass: "server_error", latencyMs: 5 },
      { errorClass: "bad_request", latencyMs: 5 },
      { errorClass: "context_length", latencyMs: 5 },
      { errorClass: "upstream_auth", latencyMs: 5 },
    ]);
    expect(summarize(state, cfg, T0)).toMatchObject({
      calls: 10,
      errorRate: 0.4,
      timeoutRate: 0.2,
      rateLimitRate: 0.1,
      refusalRate: 0.1,
      semanticFailureRate: 0.1,
    });
    // Only the six successes shaped the latency: the 20–30 s timeouts and the 5 ms errors did not.
    expect(summarize(state, cfg, T0).latency.p99).toBe(100);
  });

  it("an empty window has zero rates and null percentiles", () => {
    expect(summarize(initialHealth(), cfg, T0)).toEqual({
      calls: 0,
      errorRate: 0,
      timeoutRate: 0,
      rateLimitRate: 0,
      refusalRate: 0,
      semanticFailureRate: 0,
      latency: { p50: null, p95: null, p99: null },
      ttft: { p50: null, p95: null, p99: null },
      tokensPerSecond: null,
    });
  });

  it("tokens/s is output tokens over generation time (latency − TTFT for streams, latency otherwise)", () => {
    expect(summarize(feed([{ latencyMs: 3000, ttftMs: 1000, outputTokens: 400 }]), cfg, T0).tokensPerSecond).toBe(200);
    expect(summarize(feed([{ latencyMs: 2000, outputTokens: 100 }]), cfg, T0).tokensPerSecond).toBe(50);
    const both = feed([
      { latencyMs: 3000, ttftMs: 1000, outputTokens: 400 },
      { latencyMs: 2000, outputTokens: 100 },
      { errorClass: "stream_cut", latencyMs: 1000, outputTokens: 900 },
    ]);
    expect(summarize(both, cfg, T0).tokensPerSecond).toBe(125);
  });
});

describe("rotation", () => {
  it("keeps 15 one-minute buckets and drops older ones", () => {
    let state = feed([{ errorClass: "server_error", latencyMs: 1 }], T0);
    state = feed([{ latencyMs: 100 }], T0 + 5 * MIN, state);
    expect(summarize(state, cfg, T0 + 14 * MIN)).toMatchObject({ calls: 2, errorRate: 0.5 });
    const later = T0 - (T0 % MIN) + 15 * MIN; // the first bucket's minute is now 15 minutes back
    expect(summarize(state, cfg, later)).toMatchObject({ calls: 1, errorRate: 0 });
    expect(rotate(state, cfg, later).buckets).toHaveLength(1);
    expect(rotate(state, cfg, later + 10 * MIN).buckets).toHaveLength(0);
  });

  it("rotate returns the same object when nothing expired, and never mutates its input", () => {
    const state = feed([{ latencyMs: 100 }]);
    expect(rotate(state, cfg, T0 + MIN)).toBe(state);
    const before = JSON.stringify(state);
    recordHealth(state, cfg, { latencyMs: 5, outputTokens: 3 }, T0);
    recordHealth(state, cfg, { latencyMs: 5 }, T0 + 20 * MIN);
    expect(JSON.stringify(state)).toBe(before);
  });

  it("a sample stamped in an earlier bucket (clock skew) lands in order", () => {
    let state = feed([{ latencyMs: 1 }], T0 + 2 * MIN);
    state = recordHealth(state, cfg, { latencyMs: 1 }, T0);
    const starts = state.buckets.map((b) => b.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(summarize(state, cfg, T0 + 2 * MIN).calls).toBe(2);
    // One stamped before the newest bucket's whole window is dropped rather than stored to expire at once.
    const newest = feed([{ latencyMs: 1 }], T0 + 60 * MIN);
    expect(recordHealth(newest, cfg, { latencyMs: 1 }, T0)).toBe(newest);
  });
});

describe("bounded memory", () => {
  it("stays the same size after 100k samples, and survives a JSON round trip", () => {
    const r = prng(7);
    let state = initialHealth();
    let now = T0;
    let sizeAfterWarmup = 0;
    for (let i = 0; i < 100_000; i++) {
      now += 20; // 100k samples over ~33 minutes: the ring wraps twice
      state = recordHealth(state, cfg, { latencyMs: r() * 200_000, ttftMs: r() * 1000, outputTokens: 50 }, now);
      if (i === 50_000) sizeAfterWarmup = JSON.stringify(state).length;
    }
    expect(state.buckets.length).toBeLessThanOrEqual(cfg.buckets);
    const size = JSON.stringify(state).length;
    expect(size).toBeLessThan(25_000);
    expect(Math.abs(size - sizeAfterWarmup)).toBeLessThan(500);
    const revived = JSON.parse(JSON.stringify(state)) as HealthState;
    expect(revived).toStrictEqual(state);
    expect(summarize(revived, cfg, now)).toEqual(summarize(state, cfg, now));
  });
});
