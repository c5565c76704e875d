import { describe, expect, it } from "vitest";
import {
  admit,
  check,
  commit,
  initialLimiter,
  limitsFor,
  monthKey,
  nextMonthStart,
  reserve,
  restore,
  spendAt,
  TenantLimits,
  TIER_LIMITS,
  usage,
  type LimiterState,
} from "../../../src/resilience/limits";
import { DEFAULT_HOLD_MS, HOLD_SLOTS, holdMsOf, MAX_HOLD_MS, MIN_HOLD_MS } from "../../../src/resilience/spend-holds";

const T0 = Date.UTC(2026, 10, 10, 12, 0, 0); // 2026-11-10 12:00:00 UTC, a whole second
const FREE = 0;
const SMALL = { tokens: 100, costUsd: 0.001 };

function admitN(n: number, now: number, state: LimiterState = initialLimiter(now)): LimiterState {
  for (let i = 0; i < n; i++) state = admit(state, now);
  return state;
}

describe("months", () => {
  it.each([
    [Date.UTC(2026, 10, 1), "2026-11", Date.UTC(2026, 11, 1)],
    [Date.UTC(2026, 10, 30, 23, 59, 59, 999), "2026-11", Date.UTC(2026, 11, 1)],
    [Date.UTC(2026, 11, 31, 23, 0), "2026-12", Date.UTC(2027, 0, 1)],
    [Date.UTC(2027, 0, 15), "2027-01", Date.UTC(2027, 1, 1)],
  ])("%d is in %s; the next month starts at %d", (now, key, next) => {
    expect(monthKey(now)).toBe(key);
    expect(nextMonthStart(now)).toBe(next);
  });
});

describe("tier defaults", () => {
  it("premium is unlimited, standard 600/min, free 60/min and $5/month", () => {
    expect(TIER_LIMITS).toEqual({ premium: {}, standard: { requestsPerMinute: 600 }, free: { requestsPerMinute: 60, monthlySpendUsd: 5 } });
    expect(Object.isFrozen(TIER_LIMITS.free)).toBe(true);
  });

  it("lays a tenant's own limits over its tier's", () => {
    expect(limitsFor("free")).toEqual({ requestsPerMinute: 60, monthlySpendUsd: 5 });
    expect(limitsFor("free", { monthlySpendUsd: 20, tokensPerMinute: 10_000 })).toEqual({ requestsPerMinute: 60, monthlySpendUsd: 20, tokensPerMinute: 10_000 });
    expect(limitsFor("premium", { requestsPerMinute: 5 })).toEqual({ requestsPerMinute: 5 });
  });

  it("never limits premium", () => {
    const state = commit(admitN(5000, T0), T0, { tokens: 10_000_000, costUsd: 1e6 });
    expect(check(state, limitsFor("premium"), T0, { tokens: 1e9, costUsd: 1e6 })).toEqual({ allowed: true, retryAfterSeconds: 0 });
  });

  it("free: the 61st request in a minute is refused, standard still takes it", () => {
    const state = admitN(60, T0);
    expect(check(state, limitsFor("free"), T0, SMALL)).toMatchObject({ allowed: false, reason: "rate_limit" });
    expect(check(state, limitsFor("standard"), T0, SMALL).allowed).toBe(true);
  });

  it("rejects malformed limits", () => {
    expect(() => TenantLimits.parse({ requestsPerMinute: 0 })).toThrow();
    expect(() => TenantLimits.parse({ tokensPerMinute: 1.5 })).toThrow();
    expect(() => TenantLimits.parse({ monthlySpendUsd: -1 })).toThrow();
    expect(() => TenantLimits.parse({ rpm: 5 })).toThrow();
  });
});

describe("rate limit", () => {
  const limits = { requestsPerMinute: 60 };

  it("says how long until the oldest requests leave the window", () => {
    let state = admitN(30, T0);
    state = admitN(30, T0 + 20_000, state);
    expect(check(state, limits, T0 + 30_000, SMALL)).toEqual({ allowed: false, reason: "rate_limit", retryAfterSeconds: 30 });
    expect(check(state, limits, T0 + 30_400, SMALL).retryAfterSeconds).toBe(30); // rounded up, never early
    expect(check(state, limits, T0 + 59_999, SMALL)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(check(state, limits, T0 + 60_000, SMALL)).toEqual({ allowed: true, retryAfterSeconds: 0 });
  });

  it("walks as many buckets as it takes to free enough room", () => {
    let state = admitN(20, T0);
    state = admitN(20, T0 + 10_000, state);
    state = admitN(20, T0 + 20_000, state);
    expect(check(state, limits, T0 + 25_000, SMALL).retryAfterSeconds).toBe(35); // the first 20 free one slot
    // A limit lowered below current use needs 31 freed: the first two buckets.
    expect(check(state, { requestsPerMinute: 30 }, T0 + 25_000, SMALL).retryAfterSeconds).toBe(45);
  });

  it("check is read-only; admit counts the request so concurrent callers see it", () => {
    let state = admitN(59, T0);
    expect(check(state, limits, T0, SMALL).allowed).toBe(true);
    expect(check(state, limits, T0, SMALL).allowed).toBe(true);
    state = admit(state, T0);
    expect(check(state, limits, T0, SMALL).allowed).toBe(false);
  });
});

describe("token limit", () => {
  const limits = { tokensPerMinute: 1000 };

  it("counts committed tokens and the request's estimate", () => {
    const state = commit(initialLimiter(T0), T0, { tokens: 800, costUsd: 0 });
    expect(check(state, limits, T0 + 10_000, { tokens: 200, costUsd: 0 }).allowed).toBe(true);
    expect(check(state, limits, T0 + 10_000, { tokens: 300, costUsd: 0 })).toEqual({ allowed: false, reason: "token_limit", retryAfterSeconds: 50 });
    expect(check(state, limits, T0 + 60_000, { tokens: 300, costUsd: 0 }).allowed).toBe(true);
  });

  it("refuses an estimate larger than the whole budget with a full window's wait", () => {
    expect(check(initialLimiter(T0), limits, T0, { tokens: 1001, costUsd: 0 })).toEqual({ allowed: false, reason: "token_limit", retryAfterSeconds: 60 });
  });

  it("reports whichever per-minute limit needs the longer wait", () => {
    let state = admitN(10, T0);
    state = commit(state, T0 + 40_000, { tokens: 900, costUsd: 0 });
    const both = { requestsPerMinute: 10, tokensPerMinute: 1000 };
    expect(check(state, both, T0 + 50_000, { tokens: 200, costUsd: 0 })).toEqual({ allowed: false, reason: "token_limit", retryAfterSeconds: 50 });
    expect(check(state, both, T0 + 50_000, { tokens: 50, costUsd: 0 })).toEqual({ allowed: false, reason: "rate_limit", retryAfterSeconds: 10 });
  });
});

describe("spend cap", () => {
  const limits = { monthlySpendUsd: 5 };
  const endOfNov = Date.UTC(2026, 10, 30, 23, 59, 0); // 60 s before December

  it("refuses when spend plus the estimate would pass the cap; retry after = to the next UTC month", () => {
    const state = commit(initialLimiter(T0), T0, { tokens: 0, costUsd: 4.9 });
    expect(check(state, limits, T0, { tokens: 0, costUsd: 0.1 }).allowed).toBe(true);
    expect(check(state, limits, T0, { tokens: 0, costUsd: 0.2 })).toEqual({
      allowed: false,
      reason: "spend_cap",
      retryAfterSeconds: (Date.UTC(2026, 11, 1) - T0) / 1000,
    });
    expect(check(state, limits, endOfNov, { tokens: 0, costUsd: 0.2 }).retryAfterSeconds).toBe(60);
    expect(check(state, limits, endOfNov + 500, { tokens: 0, costUsd: 0.2 }).retryAfterSeconds).toBe(60);
  });

  it("is not fooled by floating-point sums of many small costs", () => {
    let state = initialLimiter(T0);
    for (let i = 0; i < 50; i++) state = commit(state, T0, { tokens: 0, costUsd: 0.1 });
    expect(check(state, limits, T0, { tokens: 0, costUsd: 0 }).allowed).toBe(true); // exactly at the cap
    expect(check(state, limits, T0, { tokens: 0, costUsd: 0.01 })).toMatchObject({ allowed: false, reason: "spend_cap" });
  });

  it("wins over the per-minute limits, since waiting a minute would not help", () => {
    const state = commit(admitN(60, T0), T0, { tokens: 0, costUsd: 5 });
    expect(check(state, limitsFor("free"), T0, SMALL)).toMatchObject({ allowed: false, reason: "spend_cap" });
  });

  it("resets at the month rollover, in check, admit and commit", () => {
    const spent = commit(initialLimiter(endOfNov), endOfNov, { tokens: 0, costUsd: 5 });
    const dec = endOfNov + 60_000;
    expect(check(spent, limits, dec, SMALL).allowed).toBe(true);
    expect(usage(spent, dec)).toMatchObject({ month: "2026-12", spendUsdThisMonth: 0 });
    expect(admit(spent, dec)).toMatchObject({ month: "2026-12", spendUsd: 0 });
    expect(commit(spent, dec, { tokens: 0, costUsd: 0.5 })).toMatchObject({ month: "2026-12", spendUsd: 0.5 });
  });

  it("keeps this month's spend when the clock steps back into the previous month", () => {
    const dec = commit(initialLimiter(Date.UTC(2026, 11, 1)), Date.UTC(2026, 11, 1), { tokens: 0, costUsd: 3 });
    expect(commit(dec, endOfNov, { tokens: 0, costUsd: 1 })).toMatchObject({ month: "2026-12", spendUsd: 4 });
  });

  it("blocks paid traffic at a $0 cap but lets free traffic through", () => {
    expect(check(initialLimiter(T0), { monthlySpendUsd: 0 }, T0, { tokens: 10, costUsd: FREE }).allowed).toBe(true);
    expect(check(initialLimiter(T0), { monthlySpendUsd: 0 }, T0, SMALL).reason).toBe("spend_cap");
  });
});

describe("accounting", () => {
  it("admit counts requests, commit counts tokens and spend, usage reports both", () => {
    let state = initialLimiter(T0);
    state = admit(state, T0);
    state = admit(state, T0 + 1000);
    state = commit(state, T0 + 2000, { tokens: 120, costUsd: 0.25 });
    state = commit(state, T0 + 3000, { tokens: 80, costUsd: 0.5 });
    expect(usage(state, T0 + 3000)).toEqual({ requestsLastMinute: 2, tokensLastMinute: 200, month: "2026-11", spendUsdThisMonth: 0.75, heldUsd: 0, heldReservations: 0 });
    // The minute slides; the month's spend stays.
    expect(usage(state, T0 + 62_500)).toEqual({ requestsLastMinute: 0, tokensLastMinute: 80, month: "2026-11", spendUsdThisMonth: 0.75, heldUsd: 0, heldReservations: 0 });
  });

  it("ignores negative usage rather than giving budget back", () => {
    const state = commit(initialLimiter(T0), T0, { tokens: -50, costUsd: -1 });
    expect(usage(state, T0)).toMatchObject({ tokensLastMinute: 0, spendUsdThisMonth: 0 });
  });

  it("keeps at most a minute of buckets, stays plain JSON and never mutates its input", () => {
    let state = initialLimiter(T0);
    for (let s = 0; s < 500; s++) state = commit(admit(state, T0 + s * 1000), T0 + s * 1000, SMALL);
    expect(state.buckets.length).toBe(60);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    const before = JSON.parse(JSON.stringify(state));
    admit(state, T0 + 10_000_000);
    commit(state, T0 + 10_000_000, SMALL);
    expect(state).toEqual(before);
  });

  it("puts a clock that stepped back into the newest bucket", () => {
    let state = admit(initialLimiter(T0), T0 + 5000);
    state = admit(state, T0 + 2000);
    expect(state.buckets).toEqual([{ second: (T0 + 5000) / 1000, requests: 2, tokens: 0 }]);
  });
});

describe("spend reservations: a concurrent burst must not pass the cap", () => {
  const now = Date.UTC(2026, 10, 15, 12);
  const caps = { monthlySpendUsd: 1 };
  const HOLD = 180_000;

  it("a reserved estimate counts against the cap until its commit releases it", () => {
    let s = initialLimiter(now);
    expect(check(s, caps, now, { tokens: 0, costUsd: 0.6 }).allowed).toBe(true);
    const r = reserve(s, now, 0.6, HOLD);
    s = r.state;
    // The second of two concurrent requests: the first has not answered yet, but its estimate is held.
    expect(check(s, caps, now, { tokens: 0, costUsd: 0.6 })).toMatchObject({ allowed: false, reason: "spend_cap" });
    expect(usage(s, now)).toMatchObject({ spendUsdThisMonth: 0, heldUsd: 0.6, heldReservations: 1 });
    // The first answers for less than estimated: the reservation is swapped for the actual cost.
    s = commit(s, now + 2000, { tokens: 10, costUsd: 0.2 }, r.hold);
    expect(s.spendUsd).toBeCloseTo(0.2);
    expect(usage(s, now + 2000)).toMatchObject({ heldUsd: 0, heldReservations: 0 });
    expect(s.held).toBeUndefined();
    expect(check(s, caps, now + 2000, { tokens: 0, costUsd: 0.6 }).allowed).toBe(true);
  });
});

describe("spend reservations lapse when their commit never comes", () => {
  const now = Date.UTC(2026, 10, 15, 12);
  const caps = { monthlySpendUsd: 1 };
  const HOLD = 180_000;
  const est = { tokens: 0, costUsd: 0.6 };

  it("a lost reservation blocks the budget only until its hold passes, not until the month ends", () => {
    const { state, hold } = reserve(initialLimiter(now), now, 0.6, HOLD);
    expect(hold!.until).toBeGreaterThanOrEqual(now + HOLD);
    expect(hold!.until).toBeLessThanOrEqual(now + HOLD + HOLD / HOLD_SLOTS + 1000); // rounded up to its slot, never early
    expect(check(state, caps, now + HOLD - 1, est)).toMatchObject({ allowed: false, reason: "spend_cap" });
    expect(usage(state, hold!.until - 1)).toMatchObject({ heldUsd: 0.6, heldReservations: 1 });
    // Lazily: the next call after the hold's time no longer counts it, and the next write drops it.
    expect(check(state, caps, hold!.until, est).allowed).toBe(true);
    expect(usage(state, hold!.until)).toMatchObject({ heldUsd: 0, heldReservations: 0 });
    expect(admit(state, hold!.until).held).toBeUndefined();
  });

  it("a late commit after its hold lapsed counts its cost once and gives nothing back twice", () => {
    let s = reserve(initialLimiter(now), now, 0.6, HOLD).state;
    const first = reserve(s, now, 0.3, 10_000); // lapses long before the other
    s = first.state;
    const late = first.hold!.until + 5000;
    // Another request is reserved after the first hold lapsed: it must keep its hold through the late commit.
    const other = reserve(s, late - 1000, 0.3, HOLD);
    s = commit(other.state, late, { tokens: 5, costUsd: 0.25 }, first.hold);
    expect(s.spendUsd).toBeCloseTo(0.25);
    expect(usage(s, late)).toMatchObject({ heldUsd: 0.9, heldReservations: 2 });
    // Committing the same lapsed handle again releases nothing either; the held total never goes negative.
    s = commit(s, late, { tokens: 0, costUsd: 0 }, first.hold);
    expect(usage(s, late).heldUsd).toBeCloseTo(0.9);
  });

  it("holds in one slot are released one by one, never below zero", () => {
    let s = initialLimiter(now);
    const a = reserve(s, now + 1, 0.2, HOLD);
    const b = reserve(a.state, now + 10, 0.3, HOLD);
    expect(a.hold!.until).toBe(b.hold!.until); // same slot
    s = b.state;
    expect(s.held).toEqual([{ until: a.hold!.until, usd: 0.5, count: 2 }]);
    s = commit(s, now + 20, { tokens: 0, costUsd: 0.2 }, a.hold);
    expect(s.held).toEqual([{ until: a.hold!.until, usd: 0.3, count: 1 }]);
    s = commit(s, now + 30, { tokens: 0, costUsd: 0.3 }, b.hold);
    s = commit(s, now + 40, { tokens: 0, costUsd: 0 }, b.hold); // a double release finds no bucket
    expect(s.held).toBeUndefined();
    expect(usage(s, now + 40)).toMatchObject({ spendUsdThisMonth: 0.5, heldUsd: 0, heldReservations: 0 });
  });

  it("a handle that is not a hold, or an older caller's number, releases nothing", () => {
    const { state } = reserve(initialLimiter(now), now, 0.6, HOLD);
    for (const bad of [0.6, "0.6", null, { until: "x", usd: 1 }, { until: now + HOLD, usd: -1 }]) {
      expect(usage(commit(state, now, { tokens: 0, costUsd: 0 }, bad), now).heldUsd).toBe(0.6);
    }
  });

  it("keeps state bounded under constant traffic whose commits are all lost", () => {
    let s = initialLimiter(now);
    for (let t = 0; t < 3600; t++) s = reserve(admit(s, now + t * 1000), now + t * 1000, 0.0001, HOLD).state;
    expect(s.held!.length).toBeLessThanOrEqual(HOLD_SLOTS + 1);
    expect(usage(s, now + 3600 * 1000).heldReservations).toBeLessThanOrEqual(181);
  });

  it("clamps a caller's hold length: no hold is forever, none shorter than a second", () => {
    expect(holdMsOf(Infinity)).toBe(DEFAULT_HOLD_MS);
    expect(holdMsOf("60000")).toBe(DEFAULT_HOLD_MS);
    expect(holdMsOf(undefined)).toBe(DEFAULT_HOLD_MS);
    expect(holdMsOf(1e15)).toBe(MAX_HOLD_MS);
    expect(holdMsOf(-5)).toBe(MIN_HOLD_MS);
    const { hold } = reserve(initialLimiter(now), now, 1, 1e15);
    expect(hold!.until - now).toBeLessThanOrEqual(MAX_HOLD_MS + MAX_HOLD_MS / HOLD_SLOTS);
  });

  it("no hold for a request that costs nothing", () => {
    const r = reserve(initialLimiter(now), now, 0, HOLD);
    expect(r.hold).toBeUndefined();
    expect(r.state.held).toBeUndefined();
  });

  it("a stored state from before holds lapsed has its old total held once more, then lapsing", () => {
    const old = { buckets: [], month: "2026-11", spendUsd: 0.1, reservedUsd: 0.8 };
    const s = restore(old, now, HOLD);
    expect(s.reservedUsd).toBeUndefined();
    expect(check(s, caps, now, { tokens: 0, costUsd: 0.2 }).allowed).toBe(false);
    expect(check(s, caps, now + HOLD + 5000, { tokens: 0, costUsd: 0.2 }).allowed).toBe(true);
    expect(spendAt(s, now)).toEqual({ month: "2026-11", spendUsdThisMonth: 0.1, heldUsd: 0.8 });
  });

  it("a new month drops the old month's holds with its spend", () => {
    const endOfNov = Date.UTC(2026, 10, 30, 23, 59, 0);
    const { state } = reserve(initialLimiter(endOfNov), endOfNov, 0.9, HOLD);
    expect(check(state, caps, endOfNov + 60_000, est).allowed).toBe(true);
  });
});
