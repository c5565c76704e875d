import { describe, expect, it } from "vitest";
import { admit, BreakerConfig, initialBreaker, record, type BreakerState, type Outcome } from "../../../src/resilience/breaker";
import { addMark, MAX_TENANT_MARKS, tenantsAllowTrip, type TenantMark } from "../../../src/resilience/tenants";

const cfg = BreakerConfig.parse({});
const ok = (tenant: string): Outcome => ({ durationMs: 10, tenant });
const fail = (tenant: string): Outcome => ({ errorClass: "server_error", durationMs: 10, tenant });

function run(outcomes: Outcome[], c: BreakerConfig = cfg): BreakerState {
  let s = initialBreaker(0);
  outcomes.forEach((o, i) => (s = record(s, c, o, 1000 + i, 0.5).state));
  return s;
}

const repeat = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);

describe("tenantsAllowTrip", () => {
  const m = (t: string, f: 0 | 1): TenantMark => ({ t, f, at: 0 });
  it("one failing tenant while another is served: no", () => {
    expect(tenantsAllowTrip([m("b", 0), m("a", 1), m("a", 1)], 2)).toBe(false);
  });
  it("two failing tenants: yes", () => {
    expect(tenantsAllowTrip([m("b", 0), m("a", 1), m("b", 1)], 2)).toBe(true);
  });
  it("only the failing tenant in the traffic (its own successes included): yes", () => {
    expect(tenantsAllowTrip([m("a", 0), m("a", 1), m("a", 1)], 2)).toBe(true);
  });
  it("the streak decides for the consecutive rule: an older failure of b does not make a's streak two tenants", () => {
    expect(tenantsAllowTrip([m("b", 1), m("b", 0), m("a", 1), m("a", 1)], 2, 2)).toBe(false);
  });
  it("minTenantsToTrip 1 turns the check off", () => {
    expect(tenantsAllowTrip([m("b", 0), m("a", 1)], 1)).toBe(true);
  });
  it("the log is bounded by the window's size and by MAX_TENANT_MARKS", () => {
    let log: TenantMark[] = [];
    for (let i = 0; i < 30; i++) log = addMark(log, m("a", 1), { size: 20 });
    expect(log).toHaveLength(20);
    for (let i = 0; i < MAX_TENANT_MARKS + 10; i++) log = addMark(log, { t: "a", f: 1, at: i }, { maxAgeMs: 1e9 });
    expect(log).toHaveLength(MAX_TENANT_MARKS);
    expect(addMark([{ t: "a", f: 1, at: 0 }], { t: "a", f: 1, at: 5000 }, { maxAgeMs: 1000 })).toHaveLength(1);
  });
});

describe("the breaker's trips are tenant-safe", () => {
  it("one tenant failing 8 times in a row while another is served stays CLOSED", () => {
    expect(run([ok("b"), ...repeat(8, fail("a"))]).state).toBe("CLOSED");
  });

  it("one tenant failing most of a full window while another is served stays CLOSED", () => {
    expect(run([...repeat(4, ok("b")), ...repeat(12, fail("a")), ok("b")]).state).toBe("CLOSED");
  });

  it("a provider failing two tenants trips on the consecutive rule", () => {
    const s = run([ok("b"), fail("a"), fail("b"), fail("a"), fail("b"), fail("a")]);
    expect(s.state).toBe("OPEN");
    expect(s.transitions["CLOSED->OPEN"]).toBe(1);
  });

  it("a provider failing the only tenant in the traffic trips (the local anonymous default)", () => {
    expect(run(repeat(5, fail("anon"))).state).toBe("OPEN");
    expect(run([ok("anon"), ...repeat(5, fail("anon"))]).state).toBe("OPEN");
  });

  it("outcomes without a tenant (an older worker) trip as before", () => {
    expect(run([{ durationMs: 10 }, ...repeat(5, { errorClass: "server_error", durationMs: 10 } as Outcome)]).state).toBe("OPEN");
  });

  it("the rate rule trips once a second tenant fails too", () => {
    expect(run([...repeat(4, ok("b")), ...repeat(6, fail("a")), fail("b")]).state).toBe("OPEN");
  });

  it("minTenantsToTrip 1 restores the old single-tenant trip", () => {
    expect(run([ok("b"), ...repeat(5, fail("a"))], BreakerConfig.parse({ minTenantsToTrip: 1 })).state).toBe("OPEN");
  });

  it("a time window keeps its tenant marks for its seconds only", () => {
    const c = BreakerConfig.parse({ window: { type: "time", size: 10 } });
    let s = record(initialBreaker(0), c, ok("b"), 0, 0.5).state;
    // b's success is 20 s old by the time a fails: only a is in the traffic now, so a's streak trips.
    for (let i = 0; i < 5; i++) s = record(s, c, fail("a"), 20_000 + i, 0.5).state;
    expect(s.state).toBe("OPEN");
  });
});

describe("one tenant cannot hold the half-open probe", () => {
  const c = BreakerConfig.parse({ openMs: 1000, openJitter: 0 });
  /** Tripped by two tenants at t=1000..1004, so half-open from t≈2004. */
  function halfOpen(): BreakerState {
    let s = initialBreaker(0);
    [fail("a"), fail("b"), fail("a"), fail("b"), fail("a")].forEach((o, i) => (s = record(s, c, o, 1000 + i, 0.5).state));
    expect(s.state).toBe("OPEN");
    return s;
  }
  const T = 3000;

  it("a's failed probe while b is asking does not re-open; b gets the next permit and its success closes", () => {
    let s = halfOpen();
    const a = admit(s, c, T, "a");
    expect(a.decision).toEqual({ allowed: true, reason: "probe" });
    s = a.state;
    s = admit(s, c, T + 1, "b").state; // b asks while a holds the only permit: denied, but counted as asking
    s = record(s, c, { ...fail("a"), probe: true }, T + 2, 0.5).state;
    expect(s.state).toBe("HALF_OPEN");
    expect(admit(s, c, T + 3, "a").decision).toEqual({ allowed: false, reason: "probe_denied" });
    const b = admit(s, c, T + 4, "b");
    expect(b.decision).toEqual({ allowed: true, reason: "probe" });
    s = record(b.state, c, { ...ok("b"), probe: true }, T + 5, 0.5).state;
    expect(s.state).toBe("CLOSED");
  });

  it("a failed probe of a second tenant re-opens", () => {
    let s = halfOpen();
    s = admit(s, c, T, "a").state;
    s = admit(s, c, T + 1, "b").state;
    s = record(s, c, { ...fail("a"), probe: true }, T + 2, 0.5).state;
    s = admit(s, c, T + 3, "b").state;
    const r = record(s, c, { ...fail("b"), probe: true }, T + 4, 0.5);
    expect(r.state.state).toBe("OPEN");
    expect(r.transitions.map((t) => t.reason)).toEqual(["probe_failed"]);
  });

  it("the only tenant asking: its failed probe re-opens at once", () => {
    let s = halfOpen();
    s = admit(s, c, T, "a").state;
    expect(record(s, c, { ...fail("a"), probe: true }, T + 1, 0.5).state.state).toBe("OPEN");
  });

  it("an asker not heard from within probeTimeoutMs no longer excuses a's failure", () => {
    let s = halfOpen();
    s = admit(s, c, T, "b").state; // b wins, its probe is lost; a asks much later
    s = admit(s, c, T + c.probeTimeoutMs + 1, "a").state;
    expect(record(s, c, { ...fail("a"), probe: true }, T + c.probeTimeoutMs + 2, 0.5).state.state).toBe("OPEN");
  });

  it("probes without a tenant behave as before", () => {
    let s = halfOpen();
    s = admit(s, c, T).state;
    expect(record(s, c, { errorClass: "server_error", durationMs: 10, probe: true }, T + 1, 0.5).state.state).toBe("OPEN");
  });
});
