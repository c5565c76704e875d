/**
 * Recovery in seconds, the pure parts: when an open breaker is probed, what a probe's answer does to it, the recent
 * evidence that decides whether a score may exclude a provider, and its run-of-successes forgiveness.
 */
import { describe, expect, it } from "vitest";
import { BreakerConfig, initialBreaker, probeAnswered, record, tick, type BreakerState } from "../../../src/resilience/breaker";
import { decayRecent, freshEvidence, HealthConfig, initialHealth, recordHealth, summarize, type HealthState } from "../../../src/resilience/health";
import { CanaryConfig, nextProbeAt, ProbeConfig, probeDue, probeRequest } from "../../../src/resilience/probe";
import { excludable, healthScore } from "../../../src/resilience/score";

const T0 = 1_700_000_000_000;
const cfg = BreakerConfig.parse({ consecutiveFailures: 1, openMs: 30_000, openJitter: 0 });
const probe = ProbeConfig.parse({});
const FAIL = { errorClass: "server_error" as const, durationMs: 10 };

function opened(c = cfg): BreakerState {
  const s = record(initialBreaker(T0), c, FAIL, T0, 0.5).state;
  expect(s.state).toBe("OPEN");
  return s;
}

describe("probe schedule", () => {
  it("defaults: on, every 2 s, 5 s timeout; bad values are clear zod errors", () => {
    expect(probe).toEqual({ enabled: true, intervalMs: 2000, timeoutMs: 5000 });
    expect(() => ProbeConfig.parse({ intervalMs: 10 })).toThrow(/intervalMs|500/);
    expect(() => ProbeConfig.parse({ every: 1 })).toThrow();
    expect(CanaryConfig.parse({})).toEqual({ share: 0.05 });
    expect(() => CanaryConfig.parse({ share: 2 })).toThrow();
  });

  it("first probe one interval after the trip, then one interval after each probe; none when closed or off", () => {
    const s = opened();
    expect(nextProbeAt(s, cfg, probe, null)).toBe(T0 + 2000);
    expect(probeDue(s, cfg, probe, null, T0 + 1999)).toBe(false);
    expect(probeDue(s, cfg, probe, null, T0 + 2000)).toBe(true);
    expect(nextProbeAt(s, cfg, probe, T0 + 2000)).toBe(T0 + 4000);
    // A probe time from before the current open period does not count.
    expect(nextProbeAt(s, cfg, probe, T0 - 50_000)).toBe(T0 + 2000);
    expect(nextProbeAt(s, cfg, { ...probe, enabled: false }, null)).toBeUndefined();
    expect(nextProbeAt(initialBreaker(T0), cfg, probe, null)).toBeUndefined();
  });

  it("half-open is probed only while it has a permit to spare", () => {
    const half = tick(opened(), cfg, T0 + 30_000).state;
    expect(half.state).toBe("HALF_OPEN");
    expect(nextProbeAt(half, cfg, probe, null)).toBe(T0 + 32_000);
    expect(nextProbeAt({ ...half, permits: [T0 + 30_001] }, cfg, probe, null)).toBeUndefined();
  });

  it("the probe is one minimal completion", () => {
    expect(probeRequest()).toEqual({ messages: [{ role: "user", content: "ping" }], maxTokens: 1, stream: false, includeUsage: false });
  });
});

describe("probeAnswered", () => {
  it("a success moves OPEN → HALF_OPEN → CLOSED at once", () => {
    const step = probeAnswered(opened(), cfg, { durationMs: 40 }, T0 + 2000, 0.5);
    expect(step.state.state).toBe("CLOSED");
    expect(step.transitions.map((t) => `${t.from}->${t.to}:${t.reason}`)).toEqual(["OPEN->HALF_OPEN:active_probe", "HALF_OPEN->CLOSED:probes_succeeded"]);
    expect(step.state.openUntil).toBeNull();
  });

  it("with probeSuccesses 2, one success leaves it HALF_OPEN with one success counted", () => {
    const c2 = BreakerConfig.parse({ consecutiveFailures: 1, openJitter: 0, probeSuccesses: 2 });
    const step = probeAnswered(opened(c2), c2, { durationMs: 40 }, T0 + 2000, 0.5);
    expect(step.state).toMatchObject({ state: "HALF_OPEN", probeSuccesses: 1, permits: [] });
  });

  it("a failure while OPEN changes nothing: same open time, same trips", () => {
    const s = opened();
    const step = probeAnswered(s, cfg, FAIL, T0 + 2000, 0.5);
    expect(step.state).toEqual(s);
    expect(step.transitions).toEqual([]);
    // Ten failed probes later the open time still ends when it would have.
    let x = s;
    for (let i = 1; i <= 10; i++) x = probeAnswered(x, cfg, FAIL, T0 + 2000 * i, 0.9).state;
    expect(x).toMatchObject({ state: "OPEN", openUntil: T0 + 30_000, trips: 1 });
  });

  it("in HALF_OPEN it is recorded as a probe: a failure re-opens with the next (doubled) open time", () => {
    const half = tick(opened(), cfg, T0 + 30_000).state;
    const withPermit = { ...half, permits: [T0 + 30_000] };
    const step = probeAnswered(withPermit, cfg, FAIL, T0 + 30_100, 0.5);
    expect(step.state).toMatchObject({ state: "OPEN", trips: 2, openUntil: T0 + 30_100 + 60_000 });
  });

  it("a late answer after an operator closed the breaker is ignored", () => {
    const closed = initialBreaker(T0);
    expect(probeAnswered(closed, cfg, { durationMs: 5 }, T0 + 1, 0.5).state).toBe(closed);
  });
});

describe("recent evidence and exclusion", () => {
  const hc = HealthConfig.parse({});
  const add = (h: HealthState, failed: boolean, at: number, c: HealthConfig) => recordHealth(h, c, failed ? { errorClass: "server_error", latencyMs: 10 } : { latencyMs: 10 }, at);
  const run = (pattern: string, c = hc) => [...pattern].reduce((h, x) => add(h, x === "F", T0, c), initialHealth());

  it("defaults: 30 s half-life, 5 recent calls before a score may exclude, forgiveness below 5 %", () => {
    expect(hc).toMatchObject({ recentHalfLifeMs: 30_000, minCallsToExclude: 5, restoreBelow: 0.05 });
  });

  it("decays calls and failures by the half-life", () => {
    const h = run("FFSS");
    expect(summarize(h, hc, T0).recent).toEqual({ calls: 4, failureRate: 0.5 });
    const later = decayRecent(h.recent!, hc, T0 + 30_000);
    expect(later.calls).toBeCloseTo(2);
    expect(later.failures).toBeCloseTo(1);
  });

  it("two failures on thin traffic score low but cannot exclude; five can", () => {
    const two = summarize(run("FF"), hc, T0);
    expect(healthScore(two, "CLOSED").score).toBeLessThan(0.8);
    expect(excludable(two, "CLOSED", hc)).toBe(false);
    expect(excludable(summarize(run("FFSFS"), hc, T0), "CLOSED", hc)).toBe(true);
    // …and the evidence thins out again as it ages.
    expect(excludable(summarize(run("FFSFS"), hc, T0 + 1000), "CLOSED", hc)).toBe(false);
  });

  it("a run of successes too long to be luck forgives the recent failures", () => {
    // After a full outage a success or two is proof: (1 − 10/11)^1 ≈ 0.09, (1 − 10/12)^2 ≈ 0.03.
    expect(summarize(run("FFFFFFFFFFS"), hc, T0).recent!.failureRate).toBeGreaterThan(0.9);
    expect(summarize(run("FFFFFFFFFFSS"), hc, T0).recent!.failureRate).toBe(0);
    expect(summarize(run("F".repeat(30) + "S"), hc, T0).recent!.failureRate).toBe(0);
    // At 30 % failures, seven in a row is not yet (0.7^7 ≈ 0.08)…
    expect(summarize(run("FFFSSSSSSS"), hc, T0).recent!.failureRate).toBeCloseTo(0.3);
    // …while after six failures four successes are (0.4^4 ≈ 0.03).
    expect(summarize(run("FFFFFFSSSS"), hc, T0).recent!.failureRate).toBe(0);
    const never = HealthConfig.parse({ restoreBelow: 0 });
    expect(summarize(run("FFFFFFFFFFSS", never), never, T0).recent!.failureRate).toBeGreaterThan(0.8);
  });

  it("availability reads the recent failure rate, so a healed provider's score recovers before the window forgets", () => {
    const h = run("FFFFFFFFFFSS");
    const s = summarize(h, hc, T0);
    expect(s.errorRate).toBeCloseTo(10 / 12);
    expect(healthScore(s, "CLOSED").score).toBeGreaterThan(0.9);
  });

  it("fresh evidence after a probe closed the breaker: nothing recent can exclude it", () => {
    const h = freshEvidence(run("FSFSFSFSFS"));
    const s = summarize(h, hc, T0);
    expect(s.recent).toEqual({ calls: 0, failureRate: 0 });
    expect(excludable(s, "CLOSED", hc)).toBe(false);
    expect(s.calls).toBe(10); // the window stays for /status and percentiles
  });

  it("the breaker decides for non-closed states; old stored state without recent evidence judges on the window", () => {
    const s = summarize(run("F"), hc, T0);
    expect(excludable(s, "OPEN", hc)).toBe(true);
    const { recent: _r, ...legacy } = summarize(run("FFFFFF"), hc, T0);
    expect(excludable(legacy, "CLOSED", hc)).toBe(true);
  });
});
