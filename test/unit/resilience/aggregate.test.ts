import { describe, expect, it } from "vitest";
import type { OutcomeSample } from "../../../src/breakers/types";
import { addSamples, coarse, globalOverrides, windowSamples } from "../../../src/resilience/aggregate";
import { BreakerConfig, initialBreaker, record, recordMany, windowStats, type BreakerState, type Outcome } from "../../../src/resilience/breaker";
import { HealthConfig, initialHealth, recordHealth, summarize } from "../../../src/resilience/health";

const T0 = 1_700_000_000_000;
const sample = (over: Partial<OutcomeSample> = {}): OutcomeSample => ({ at: T0, model: "m", durationMs: 120, latencyMs: 120, probe: false, ...over });

describe("forwarded windows", () => {
  it("rounds times to two significant digits", () => {
    expect([coarse(87), coarse(1234), coarse(1250), coarse(15_678)]).toEqual([87, 1200, 1300, 16_000]);
  });

  it("merges like samples into one group and keeps probes apart", () => {
    let w = addSamples(null, [sample(), sample({ latencyMs: 121, durationMs: 121, at: T0 + 5 }), sample({ errorClass: "server_error" })], T0);
    w = addSamples(w, [sample({ probe: true }), sample({ probe: true })], T0 + 10);
    const groups = Object.values(w.groups);
    expect(groups.map((g) => g.n)).toEqual([2, 1, 1, 1]);
    expect(groups[0]!.s.at).toBe(T0 + 5);
    expect(windowSamples(w)).toBe(5);
    expect(w.since).toBe(T0);
  });

  it("a global view overrides only when stricter and recent", () => {
    const g = { state: "OPEN" as const, since: T0, openUntil: T0 + 10_000, at: T0 };
    expect(globalOverrides("CLOSED", g, T0 + 1000, 5000)).toBe(true);
    expect(globalOverrides("FORCED_OPEN", g, T0 + 1000, 5000)).toBe(false);
    expect(globalOverrides("CLOSED", g, T0 + 6000, 5000)).toBe(false);
    expect(globalOverrides("CLOSED", null, T0, 5000)).toBe(false);
  });
});

describe("recordMany", () => {
  const loop = (s: BreakerState, cfg: BreakerConfig, o: Outcome, n: number, now: number) => {
    for (let i = 0; i < n; i++) s = record(s, cfg, o, now, 0.5).state;
    return s;
  };
  for (const window of [{ type: "count", size: 20 }, { type: "time", size: 10 }] as const) {
    it(`is n calls of record on a ${window.type} window (counts, rates, trips)`, () => {
      const cfg = BreakerConfig.parse({ window, minimumCalls: 10, failureRateThreshold: 0.5, consecutiveFailures: 50, openJitter: 0 });
      const ok: Outcome = { durationMs: 100 };
      const bad: Outcome = { errorClass: "server_error", durationMs: 100 };
      let a = initialBreaker(T0);
      let b = initialBreaker(T0);
      for (const [o, n] of [[ok, 7], [bad, 3], [ok, 2], [bad, 9]] as const) {
        a = loop(a, cfg, o, n, T0 + 100);
        b = recordMany(b, cfg, o, n, T0 + 100, 0.5).state;
        expect(b.state).toBe(a.state);
        expect(windowStats(b, cfg, T0 + 100)).toEqual(windowStats(a, cfg, T0 + 100));
      }
      expect(b.state).toBe("OPEN");
    });
  }

  it("health counts n like samples as n", () => {
    const cfg = HealthConfig.parse({});
    let a = initialHealth();
    for (let i = 0; i < 5; i++) a = recordHealth(a, cfg, { latencyMs: 300 }, T0);
    a = recordHealth(a, cfg, { errorClass: "timeout", latencyMs: 300 }, T0);
    const b = recordHealth(recordHealth(initialHealth(), cfg, { latencyMs: 300 }, T0, 5), cfg, { errorClass: "timeout", latencyMs: 300 }, T0);
    expect(summarize(b, cfg, T0)).toEqual(summarize(a, cfg, T0));
  });
});
