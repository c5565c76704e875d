import { describe, expect, it } from "vitest";
import type { OutcomeSample } from "../../../src/breakers/types";
import { initialHistory, MAX_POINTS, MINUTE_MS, noteEvent, noteState, noteTransitions, recordOutcomes, recordRoute, view, type ProviderPoint, type RoutePoint } from "../../../src/dashboard/history";

const T0 = 1_700_000_000_000 - (1_700_000_000_000 % MINUTE_MS);
const ok = (at: number, extra: Partial<OutcomeSample> = {}): OutcomeSample => ({ at, model: "m", durationMs: 100, latencyMs: 100, probe: false, ...extra });

describe("provider minutes", () => {
  it("fills a minute, closes it when the next minute's sample comes, and shows the open minute too", () => {
    let h = initialHistory();
    h = recordOutcomes(h, [ok(T0 + 1000), ok(T0 + 2000, { errorClass: "server_error" }), ok(T0 + 3000, { failover: true })], "CLOSED", T0 + 3000).history;
    const open = view(h, "CLOSED", T0 + 3000, 15).points as ProviderPoint[];
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ t: T0, calls: 3, failovers: 1, state: "CLOSED" });
    expect(open[0]!.errorRate).toBeCloseTo(1 / 3);
    h = recordOutcomes(h, [ok(T0 + MINUTE_MS + 5)], "OPEN", T0 + MINUTE_MS + 5).history;
    expect(h.points).toHaveLength(1);
    const both = view(h, "OPEN", T0 + MINUTE_MS + 5, 15).points as ProviderPoint[];
    expect(both.map((p) => [p.t, p.calls])).toEqual([[T0, 3], [T0 + MINUTE_MS, 1]]);
  });

  it("a sample reported a moment after its minute ended still counts in that minute", () => {
    let h = recordOutcomes(initialHistory(), [ok(T0 + 59_500)], "CLOSED", T0 + 59_500).history;
    h = recordOutcomes(h, [ok(T0 + 59_900)], "CLOSED", T0 + MINUTE_MS + 400).history;
    expect((h.points[0] as ProviderPoint).calls).toBe(2);
  });

  it("keeps 24 hours at most", () => {
    let h = initialHistory();
    for (let m = 0; m < MAX_POINTS + 30; m++) h = recordOutcomes(h, [ok(T0 + m * MINUTE_MS)], "CLOSED", T0 + m * MINUTE_MS).history;
    expect(h.points.length).toBeLessThanOrEqual(MAX_POINTS);
    // The newest closed minute is the 1468th; nothing older than 24 h before it stays.
    expect(h.points[0]!.t).toBe(T0 + 29 * MINUTE_MS);
    expect(view(h, "CLOSED", T0 + (MAX_POINTS + 29) * MINUTE_MS, 15).points).toHaveLength(15);
  });
});

describe("route minutes", () => {
  it("count each way an answer was served, cost, hedges and shed requests", () => {
    const h = recordRoute(initialHistory(), [
      { at: T0 + 1, mode: "primary", costUsd: 0.001 },
      { at: T0 + 2, mode: "failover", costUsd: 0.002, hedged: true },
      { at: T0 + 3, mode: "error", shed: true },
      { at: T0 + 4, mode: "degraded" },
    ], T0 + 4).history;
    const [p] = view(h, "CLOSED", T0 + 4, 15).points as RoutePoint[];
    expect(p!.modes).toEqual({ primary: 1, failover: 1, cache: 0, stale: 0, degraded: 1, error: 1 });
    expect(p!.costUsd).toBeCloseTo(0.003);
    expect(p).toMatchObject({ hedged: 1, shed: 1 });
  });
});

describe("timeline", () => {
  it("tells a reported transition once, finds time-driven ones by comparison, and keeps operator actions", () => {
    let h = noteState(initialHistory(), "alpha", "CLOSED", T0);
    h = noteTransitions(h, "alpha", [{ from: "CLOSED", to: "OPEN", at: T0 + 10, reason: "consecutive_failures" }]);
    h = noteState(h, "alpha", "OPEN", T0 + 10);
    h = noteState(h, "alpha", "HALF_OPEN", T0 + 20);
    h = noteEvent(h, { at: T0 + 30, kind: "operator", key: "alpha", from: "HALF_OPEN", to: "FORCED_OPEN", what: "force_open" });
    expect(view(h, "FORCED_OPEN", T0 + 40, 15).events.map((e) => `${e.from}->${e.to} ${e.what}`)).toEqual([
      "CLOSED->OPEN consecutive_failures",
      "OPEN->HALF_OPEN open_elapsed",
      "HALF_OPEN->FORCED_OPEN force_open",
    ]);
    // Events dated after now (a drill's planned end) are not shown yet.
    h = noteEvent(h, { at: T0 + 100, kind: "drill", key: "alpha", what: "expires" });
    expect(view(h, "FORCED_OPEN", T0 + 40, 15).events).toHaveLength(3);
  });
});
