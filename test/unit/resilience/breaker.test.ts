import { describe, expect, it } from "vitest";
import { countsForBreaker, type ErrorClass } from "../../../src/engine/errors";
import {
  admit,
  admitLocally,
  BreakerConfig,
  effectiveState,
  initialBreaker,
  nextWakeAt,
  openDuration,
  operate,
  record,
  tick,
  windowStats,
  type BreakerState,
  type Outcome,
  type Transition,
  verdictOf,
  type BreakerStateName,
} from "../../../src/resilience/breaker";

const T0 = 1_700_000_000_000;
const OK: Outcome = { durationMs: 100 };
const FAIL: Outcome = { errorClass: "server_error", durationMs: 100 };
const SLOW: Outcome = { durationMs: 20_000 };

/** A breaker driven Resilience4j-style: an explicit `now` the test advances, and a fixed `random` (0.5 = no jitter). */
function harness(overrides: Record<string, unknown> = {}, random = 0.5) {
  const cfg = BreakerConfig.parse(overrides);
  let now = T0;
  let state = initialBreaker(now);
  const transitions: Transition[] = [];
  return {
    cfg,
    get state(): BreakerState {
      return state;
    },
    get now() {
      return now;
    },
    advance(ms: number) {
      now += ms;
      const r = tick(state, cfg, now);
      state = r.state;
      transitions.push(...r.transitions);
    },
    record(o: Outcome, times = 1) {
      for (let i = 0; i < times; i++) {
        const r = record(state, cfg, o, now, random);
        state = r.state;
        transitions.push(...r.transitions);
      }
    },
    admit() {
      const r = admit(state, cfg, now);
      state = r.state;
      transitions.push(...r.transitions);
      return r.decision;
    },
    operate(op: Parameters<typeof operate>[1]) {
      const r = operate(state, op, now);
      state = r.state;
      transitions.push(...r.transitions);
    },
    /** Trip it with consecutive failures and return the open time granted. */
    trip() {
      this.record(FAIL, cfg.consecutiveFailures);
      expect(state.state).toBe("OPEN");
      return state.openUntil! - now;
    },
    /** From OPEN: wait it out, take a probe, report `o` on it. */
    probe(o: Outcome) {
      now = Math.max(now, state.openUntil ?? now);
      expect(this.admit()).toEqual({ allowed: true, reason: "probe" });
      this.record({ ...o, probe: true });
    },
    transitions,
  };
}

describe("config", () => {
  it("has the documented defaults", () => {
    expect(BreakerConfig.parse({})).toEqual({
      window: { type: "count", size: 20 },
      minimumCalls: 10,
      failureRateThreshold: 0.5,
      slowCallRateThreshold: 1,
      slowCallMs: 10_000,
      consecutiveFailures: 5,
      minTenantsToTrip: 2,
      openMs: 30_000,
      maxOpenMs: 300_000,
      openJitter: 0.1,
      probes: 1,
      probeSuccesses: 1,
      healthyDecayMs: 300_000,
      probeTimeoutMs: 60_000,
    });
    expect(BreakerConfig.parse({ window: { type: "time" } }).window).toEqual({ type: "time", size: 60 });
  });

  it.each([
    [{ failureRateThreshold: 0 }],
    [{ failureRateThreshold: 1.5 }],
    [{ openMs: 10_000, maxOpenMs: 5_000 }],
    [{ window: { type: "sliding" } }],
    [{ unknown: 1 }],
  ])("rejects %j", (bad) => {
    expect(BreakerConfig.safeParse(bad).success).toBe(false);
  });
});

describe("countsForBreaker (the error-policy table, as the breaker reads it)", () => {
  it.each<[ErrorClass | undefined, boolean]>([
    ["server_error", true],
    ["timeout", true],
    ["network", true],
    ["malformed", true],
    ["empty", true],
    ["stream_cut", true],
    ["stall", true],
    ["rate_limited", true],
    ["bad_request", false],
    ["context_length", false],
    ["upstream_auth", false],
    ["model_not_found", false],
    ["misconfigured", false],
    ["cancelled", false],
    [undefined, false],
  ])("%s → %s", (cls, expected) => {
    expect(countsForBreaker(cls)).toBe(expected);
  });
});

describe("CLOSED → OPEN (count window 10, minimumCalls 10, failure rate 0.5)", () => {
  const base = { window: { type: "count", size: 10 }, minimumCalls: 10, consecutiveFailures: 100 };

  it.each([
    ["minimum calls not reached: 4 of 9 fail", 5, 4, "CLOSED"],
    ["threshold exactly met: 5 of 10 fail", 5, 5, "OPEN"],
    ["just below: 4 of 10 fail", 6, 4, "CLOSED"],
    ["well above: 8 of 10 fail", 2, 8, "OPEN"],
  ])("%s", (_name, oks, fails, expected) => {
    const b = harness(base);
    b.record(OK, oks);
    b.record(FAIL, fails);
    expect(b.state.state).toBe(expected);
    const tripped = [{ from: "CLOSED", to: "OPEN", at: T0, reason: "failure_rate" }];
    expect(b.transitions).toEqual(expected === "OPEN" ? tripped : []);
  });

  it("a threshold like 0.3 is met exactly at 3 of 10 (no floating-point miss)", () => {
    const b = harness({ ...base, failureRateThreshold: 0.3 });
    b.record(OK, 7);
    b.record(FAIL, 3);
    expect(b.state.state).toBe("OPEN");
  });

  it("the count window forgets calls older than its size", () => {
    const b = harness(base);
    b.record(FAIL, 4);
    b.record(OK, 10); // the 4 failures slid out
    b.record(FAIL, 4);
    expect(windowStats(b.state, b.cfg, b.now)).toMatchObject({ calls: 10, failures: 4 });
    expect(b.state.state).toBe("CLOSED");
  });

  it("trips on the slow-call rate; successful slow calls count", () => {
    const b = harness({ ...base, slowCallRateThreshold: 0.5, slowCallMs: 5000 });
    b.record(OK, 5);
    b.record({ durationMs: 4999 }, 1);
    b.record({ durationMs: 5000 }, 4);
    expect(b.state.state).toBe("CLOSED");
    b.record(SLOW);
    expect(b.transitions.at(-1)).toMatchObject({ to: "OPEN", reason: "slow_call_rate" });
  });

  it("the default slow threshold (1.0) trips only when every call is slow", () => {
    const b = harness(base);
    b.record(SLOW, 9);
    b.record(OK);
    expect(b.state.state).toBe("CLOSED");
    b.record(SLOW, 10);
    expect(b.state.state).toBe("OPEN");
  });

  it("consecutive failures trip below minimumCalls; a success resets the streak", () => {
    const b = harness({ consecutiveFailures: 3 });
    b.record(FAIL, 2);
    b.record(OK);
    b.record(FAIL, 2);
    expect(b.state.state).toBe("CLOSED");
    b.record(FAIL);
    expect(b.transitions).toEqual([{ from: "CLOSED", to: "OPEN", at: T0, reason: "consecutive_failures" }]);
  });

  it.each<ErrorClass>(["bad_request", "context_length", "upstream_auth", "model_not_found", "misconfigured"])(
    "%s never trips, is not counted, and does not break a failure streak",
    (cls) => {
      const b = harness({ ...base, consecutiveFailures: 3 });
      b.record({ errorClass: cls, durationMs: 50_000 }, 50);
      expect(b.state.state).toBe("CLOSED");
      expect(windowStats(b.state, b.cfg, b.now).calls).toBe(0);
      b.record(FAIL, 2);
      b.record({ errorClass: cls, durationMs: 10 });
      b.record(FAIL);
      expect(b.state.state).toBe("OPEN");
    },
  );
});

describe("OPEN and HALF_OPEN", () => {
  it("OPEN denies with breaker_open until openMs, then admits exactly `probes` permits", () => {
    const b = harness({ probes: 2, probeSuccesses: 2 });
    expect(b.trip()).toBe(30_000);
    expect(b.admit()).toEqual({ allowed: false, reason: "breaker_open" });
    b.advance(29_999);
    expect(b.admit()).toEqual({ allowed: false, reason: "breaker_open" });
    b.advance(1);
    expect(b.state.state).toBe("HALF_OPEN");
    expect(b.admit()).toEqual({ allowed: true, reason: "probe" });
    expect(b.admit()).toEqual({ allowed: true, reason: "probe" });
    expect(b.admit()).toEqual({ allowed: false, reason: "probe_denied" });
  });

  it("admit itself moves a due OPEN breaker to HALF_OPEN (no alarm needed)", () => {
    const b = harness();
    const openMs = b.trip();
    const r = admit(b.state, b.cfg, b.now + openMs);
    expect(r.decision).toEqual({ allowed: true, reason: "probe" });
    expect(r.transitions).toEqual([{ from: "OPEN", to: "HALF_OPEN", at: b.now + openMs, reason: "open_elapsed" }]);
  });

  it("probeSuccesses good probes close it with a fresh window", () => {
    const b = harness({ probeSuccesses: 2 });
    b.trip();
    b.probe(OK);
    expect(b.state.state).toBe("HALF_OPEN");
    expect(b.admit()).toEqual({ allowed: true, reason: "probe" }); // the first permit was returned
    b.record({ ...OK, probe: true });
    expect(b.state).toMatchObject({ state: "CLOSED", permits: [], consecutiveFailures: 0, openUntil: null });
    expect(windowStats(b.state, b.cfg, b.now).calls).toBe(0);
    expect(b.transitions.map((t) => t.reason)).toEqual(["consecutive_failures", "open_elapsed", "probes_succeeded"]);
  });

  it("a probe failure reopens with double the open time", () => {
    const b = harness();
    expect(b.trip()).toBe(30_000);
    b.probe(FAIL);
    expect(b.state.state).toBe("OPEN");
    expect(b.state.trips).toBe(2);
    expect(b.state.openUntil! - b.now).toBe(60_000);
    expect(b.transitions.at(-1)).toMatchObject({ from: "HALF_OPEN", to: "OPEN", reason: "probe_failed" });
  });

  it("slow probes reopen when their share reaches slowCallRateThreshold", () => {
    const b = harness();
    b.trip();
    b.probe(SLOW);
    expect(b.transitions.at(-1)).toMatchObject({ to: "OPEN", reason: "probes_slow" });
  });

  it("a probe that ends in a caller error returns its permit without deciding anything", () => {
    const b = harness();
    b.trip();
    b.probe({ errorClass: "bad_request", durationMs: 5 });
    expect(b.state).toMatchObject({ state: "HALF_OPEN", permits: [], probeSuccesses: 0 });
    expect(b.admit().reason).toBe("probe");
  });

  it("open time grows ×2 per consecutive trip and is capped at maxOpenMs", () => {
    const b = harness({ openMs: 1000, maxOpenMs: 10_000 });
    const seen = [b.trip()];
    for (let i = 0; i < 6; i++) {
      b.probe(FAIL);
      seen.push(b.state.openUntil! - b.now);
    }
    expect(seen).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it.each([
    [0, 27_000],
    [0.5, 30_000],
    [0.999999, 33_000],
  ])("jitter: random %d gives %d ms", (random, expected) => {
    expect(openDuration(BreakerConfig.parse({}), 1, random)).toBeCloseTo(expected, -1);
  });

  it("jittered open times stay within ±openJitter of the base, capped trips included", () => {
    const cfg = BreakerConfig.parse({ openJitter: 0.2 });
    for (let trip = 1; trip <= 10; trip++) {
      const base = Math.min(cfg.maxOpenMs, cfg.openMs * 2 ** (trip - 1));
      for (let r = 0; r < 1; r += 0.05) {
        const d = openDuration(cfg, trip, r);
        expect(d).toBeGreaterThanOrEqual(base * 0.8 - 1);
        expect(d).toBeLessThanOrEqual(base * 1.2 + 1);
      }
    }
  });

  it("healthy decay: each healthyDecayMs CLOSED forgives one trip, so the next open time shrinks", () => {
    const b = harness({ openMs: 1000, healthyDecayMs: 60_000 });
    b.trip();
    b.probe(FAIL);
    b.probe(FAIL); // trips = 3
    b.probe(OK);
    expect(b.state).toMatchObject({ state: "CLOSED", trips: 3 });
    expect(nextWakeAt(b.state, b.cfg)).toBe(b.now + 60_000);
    b.advance(59_999);
    expect(b.state.trips).toBe(3);
    b.advance(1);
    expect(b.state.trips).toBe(2);
    expect(b.trip()).toBe(4000); // trip 3 again, not trip 4 (8000)
  });

  it("decay applies lazily too: a long idle period forgives several trips at once, never below 0", () => {
    const b = harness({ openMs: 1000, healthyDecayMs: 60_000 });
    b.trip();
    b.probe(FAIL);
    b.probe(OK); // trips = 2
    const r = record(b.state, b.cfg, FAIL, b.now + 10 * 60_000, 0.5);
    expect(r.state.trips).toBe(0);
    expect(r.state.decayFrom).toBeNull();
  });

  it("a probe permit not reported within probeTimeoutMs is reclaimed", () => {
    const b = harness({ probeTimeoutMs: 10_000 });
    b.trip();
    b.advance(30_000);
    expect(b.admit().reason).toBe("probe");
    expect(b.admit().reason).toBe("probe_denied");
    expect(nextWakeAt(b.state, b.cfg)).toBe(b.now + 10_000);
    b.advance(9_999);
    expect(b.admit().reason).toBe("probe_denied");
    b.advance(1);
    expect(b.state.permits).toEqual([]);
    expect(b.admit().reason).toBe("probe");
  });

  it("late outcomes while OPEN are ignored", () => {
    const b = harness();
    b.trip();
    const before = b.state;
    b.record(FAIL, 10);
    b.record(OK, 10);
    expect(b.state).toEqual(before);
    b.advance(30_000);
    b.record(OK, 3); // non-probe outcomes in HALF_OPEN are late too: only probes decide
    expect(b.state).toMatchObject({ state: "HALF_OPEN", probeSuccesses: 0 });
  });
});

describe("time window", () => {
  const cfg = { window: { type: "time", size: 10 }, minimumCalls: 4, consecutiveFailures: 100 };

  it("counts only the last `size` seconds, one bucket per second", () => {
    const b = harness(cfg);
    b.record(OK, 6);
    b.advance(5_000);
    b.record(FAIL);
    expect(windowStats(b.state, b.cfg, b.now)).toMatchObject({ calls: 7, failures: 1 });
    b.advance(5_000); // the first second has slid out, and its six successes with it
    expect(windowStats(b.state, b.cfg, b.now)).toMatchObject({ calls: 1, failures: 1 });
    b.record(FAIL, 2);
    expect(b.state.state).toBe("CLOSED"); // 3 of 3, but below minimumCalls
    b.record(OK);
    expect(b.state.state).toBe("OPEN"); // 3 of 4; with the old seconds it would have been 3 of 10
  });

  it("keeps at most `size` buckets however long it runs", () => {
    const b = harness(cfg);
    for (let i = 0; i < 1000; i++) {
      b.record(OK);
      b.advance(700);
    }
    const w = b.state.window;
    expect(w.type).toBe("time");
    if (w.type === "time") expect(w.buckets.length).toBeLessThanOrEqual(10);
  });
});

describe("operator", () => {
  it.each([
    ["force_open", "FORCED_OPEN", "forced_open"],
    ["disable", "DISABLED", "disabled"],
  ] as const)("%s denies every call, whatever the time, until another op", (op, state, reason) => {
    const b = harness();
    b.operate(op);
    expect(b.state.state).toBe(state);
    b.advance(10 * 3_600_000);
    expect(b.admit()).toEqual({ allowed: false, reason });
    b.record(OK, 20);
    expect(b.state.state).toBe(state);
    expect(nextWakeAt(b.state, b.cfg)).toBeUndefined();
  });

  it("force_closed closes at once with a fresh window and keeps the trip history", () => {
    const b = harness();
    b.record(OK, 3);
    b.trip();
    b.operate("force_closed");
    expect(b.state).toMatchObject({ state: "CLOSED", trips: 1, openUntil: null, consecutiveFailures: 0 });
    expect(windowStats(b.state, b.cfg, b.now).calls).toBe(0);
    expect(b.admit().reason).toBe("closed");
    expect(b.trip()).toBe(60_000); // a relapse still backs off longer
  });

  it("reset forgets everything but the transition counters", () => {
    const b = harness();
    b.trip();
    b.probe(FAIL);
    b.operate("force_open");
    b.operate("reset");
    expect(b.state).toEqual({ ...initialBreaker(b.now), transitions: b.state.transitions });
    expect(b.state.transitions).toEqual({
      "CLOSED->OPEN": 1,
      "OPEN->HALF_OPEN": 1,
      "HALF_OPEN->OPEN": 1,
      "OPEN->FORCED_OPEN": 1,
      "FORCED_OPEN->CLOSED": 1,
    });
    expect(b.transitions.at(-1)).toEqual({ from: "FORCED_OPEN", to: "CLOSED", at: b.now, reason: "reset" });
  });
});

describe("nextWakeAt", () => {
  it("names the next time-driven change, or none", () => {
    const b = harness();
    expect(nextWakeAt(b.state, b.cfg)).toBeUndefined(); // CLOSED, nothing to forgive
    b.trip();
    expect(nextWakeAt(b.state, b.cfg)).toBe(b.state.openUntil);
    b.advance(30_000);
    expect(nextWakeAt(b.state, b.cfg)).toBeUndefined(); // HALF_OPEN waiting for traffic
    b.admit();
    expect(nextWakeAt(b.state, b.cfg)).toBe(b.now + b.cfg.probeTimeoutMs);
    b.record({ ...OK, probe: true });
    expect(nextWakeAt(b.state, b.cfg)).toBe(b.now + b.cfg.healthyDecayMs);
  });

  it("tick before the wake time returns the very same object (no copy on the hot path)", () => {
    const b = harness();
    b.trip();
    expect(tick(b.state, b.cfg, b.now + 1).state).toBe(b.state);
    expect(admit(initialBreaker(T0), b.cfg, T0).decision).toEqual({ allowed: true, reason: "closed" });
  });
});

describe("effectiveState / admitLocally (what a snapshot alone decides)", () => {
  const snap = (state: BreakerStateName, openUntil: number | null = null) => ({ state, openUntil });

  it.each<[string, { state: BreakerStateName; openUntil: number | null }, BreakerStateName]>([
    ["closed", snap("CLOSED"), "CLOSED"],
    ["open, not yet due", snap("OPEN", T0 + 1), "OPEN"],
    ["open, due exactly now", snap("OPEN", T0), "HALF_OPEN"],
    ["open, overdue", snap("OPEN", T0 - 1), "HALF_OPEN"],
    ["half-open", snap("HALF_OPEN"), "HALF_OPEN"],
    ["forced open", snap("FORCED_OPEN"), "FORCED_OPEN"],
    ["disabled", snap("DISABLED"), "DISABLED"],
  ])("%s → %s", (_why, s, expected) => {
    expect(effectiveState(s, T0)).toBe(expected);
  });

  it.each<[string, { state: BreakerStateName; openUntil: number | null }, ReturnType<typeof admitLocally>]>([
    ["closed admits", snap("CLOSED"), { verdict: "admit", reason: "closed" }],
    ["open, not due, denies", snap("OPEN", T0 + 1), { verdict: "deny", reason: "breaker_open" }],
    ["open and due needs a probe permit", snap("OPEN", T0), { verdict: "probe" }],
    ["half-open needs a probe permit", snap("HALF_OPEN"), { verdict: "probe" }],
    ["forced open denies", snap("FORCED_OPEN"), { verdict: "deny", reason: "forced_open" }],
    ["disabled denies", snap("DISABLED"), { verdict: "deny", reason: "disabled" }],
  ])("%s", (_why, s, expected) => {
    expect(admitLocally(s, T0)).toEqual(expected);
  });

  it("agrees with admit on every state the owner can be in: local verdicts are final, probes go to the owner", () => {
    const b = harness({ probes: 1 });
    const states: BreakerState[] = [b.state];
    b.trip();
    states.push(b.state); // OPEN, not due
    b.advance(b.state.openUntil! - b.now);
    states.push({ ...states[1]!, openUntil: b.now }); // OPEN as a stale snapshot says it, due
    states.push(b.state); // HALF_OPEN, a permit free
    b.admit();
    states.push(b.state); // HALF_OPEN, no permit free
    for (const op of ["force_open", "disable"] as const) states.push(operate(initialBreaker(b.now), op, b.now).state);
    for (const s of states) {
      const local = admitLocally(s, b.now);
      const owner = admit(s, b.cfg, b.now).decision;
      if (local.verdict === "probe") expect(["probe", "probe_denied"]).toContain(owner.reason);
      else expect(owner).toEqual({ allowed: local.verdict === "admit", reason: local.reason });
    }
  });

  it("verdictOf covers every state name", () => {
    const names: BreakerStateName[] = ["CLOSED", "OPEN", "HALF_OPEN", "FORCED_OPEN", "DISABLED"];
    expect(names.map((n) => verdictOf(n).verdict)).toEqual(["admit", "deny", "probe", "deny", "deny"]);
  });
});

describe("purity and persistence", () => {
  it("never mutates its input", () => {
    const b = harness({ probes: 2 });
    b.record(OK, 3);
    const frozen = JSON.stringify(b.state);
    const s = b.state;
    record(s, b.cfg, FAIL, b.now, 0.5);
    admit(s, b.cfg, b.now);
    operate(s, "force_open", b.now);
    tick(s, b.cfg, b.now + 1e9);
    expect(JSON.stringify(s)).toBe(frozen);
  });

  it("state survives JSON.parse(JSON.stringify(state)) at every step", () => {
    const b = harness({ window: { type: "time", size: 30 }, probes: 2 });
    const roundTrip = (s: BreakerState) => JSON.parse(JSON.stringify(s)) as BreakerState;
    b.record(OK, 2);
    expect(roundTrip(b.state)).toStrictEqual(b.state);
    b.trip();
    expect(roundTrip(b.state)).toStrictEqual(b.state);
    b.advance(30_000);
    b.admit();
    const s = roundTrip(b.state);
    expect(s).toStrictEqual(b.state);
    // Carry on from the revived copy: it behaves identically.
    expect(record(s, b.cfg, { ...OK, probe: true }, b.now, 0.5)).toEqual(
      record(b.state, b.cfg, { ...OK, probe: true }, b.now, 0.5),
    );
  });
});
