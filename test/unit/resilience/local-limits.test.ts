import { describe, expect, it } from "vitest";
import { LocalLimits, UNKNOWN_SPEND_RETRY_SECONDS } from "../../../src/resilience/local-limits";
import { nextMonthStart } from "../../../src/resilience/limits";

const T0 = 1_700_000_000_000;
const est = { tokens: 10, costUsd: 0.01 };

describe("LocalLimits (the per-isolate fallback for TenantLimiter)", () => {
  it("denies the request over requestsPerMinute, and admits again once the window moves on", () => {
    const l = new LocalLimits();
    for (let i = 0; i < 3; i++) {
      expect(l.check("t", { requestsPerMinute: 3 }, T0 + i, est).allowed).toBe(true);
      l.admit("t", T0 + i);
    }
    const d = l.check("t", { requestsPerMinute: 3 }, T0 + 10, est);
    expect(d).toMatchObject({ allowed: false, reason: "rate_limit" });
    expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(l.check("t", { requestsPerMinute: 3 }, T0 + 61_000, est).allowed).toBe(true);
  });

  it("counts committed tokens against tokensPerMinute", () => {
    const l = new LocalLimits();
    l.admit("t", T0);
    l.commit("t", T0, { tokens: 95, costUsd: 1 });
    expect(l.check("t", { tokensPerMinute: 100 }, T0 + 1, est)).toMatchObject({ allowed: false, reason: "token_limit" });
    expect(l.check("t", { tokensPerMinute: 200 }, T0 + 1, est).allowed).toBe(true);
  });

  it("keeps tenants apart", () => {
    const l = new LocalLimits();
    l.admit("a", T0);
    expect(l.check("a", { requestsPerMinute: 1 }, T0, est).allowed).toBe(false);
    expect(l.check("b", { requestsPerMinute: 1 }, T0, est).allowed).toBe(true);
  });

  it("remembers at most maxTenants, forgetting the least recently seen", () => {
    const l = new LocalLimits(2);
    l.admit("a", T0);
    l.admit("b", T0);
    l.admit("a", T0 + 1);
    l.admit("c", T0 + 2);
    expect(l.size).toBe(2);
    // "b" was forgotten (a fresh window), "a" was kept.
    expect(l.check("b", { requestsPerMinute: 1 }, T0 + 3, est).allowed).toBe(true);
    expect(l.check("a", { requestsPerMinute: 2 }, T0 + 3, est).allowed).toBe(false);
  });
});

describe("LocalLimits: the spend cap while the limiter is unreachable", () => {
  const NOV = Date.UTC(2026, 10, 10, 12); // 2026-11-10
  const cap = { monthlySpendUsd: 5 };
  const report = (spend: number, held = 0, month = "2026-11") => ({ month, spendUsdThisMonth: spend, heldUsd: held });

  it("checks the limiter's last report plus this isolate's spend since, refusing like the limiter once it crosses the cap", () => {
    const l = new LocalLimits();
    l.learn("t", NOV, report(4, 0.5)); // at a check: $4 committed, $0.50 held by requests in flight
    expect(l.check("t", cap, NOV + 1000, { tokens: 0, costUsd: 0.4 })).toMatchObject({ allowed: true, basis: { kind: "reported", usd: 4.5, at: NOV } });
    // This isolate spends $0.40 the limiter never hears of (its commit failed).
    l.commit("t", NOV + 2000, { tokens: 10, costUsd: 0.4 });
    const d = l.check("t", cap, NOV + 3000, { tokens: 0, costUsd: 0.2 });
    expect(d).toMatchObject({ allowed: false, reason: "spend_cap", basis: { kind: "reported", usd: 4.9 } });
    expect(d.retryAfterSeconds).toBe((nextMonthStart(NOV) - NOV - 3000) / 1000);
    expect(l.check("t", cap, NOV + 3000, { tokens: 0, costUsd: 0.1 }).allowed).toBe(true);
  });

  it("a commit the limiter acknowledged is counted once: in its report, no longer as this isolate's own", () => {
    const l = new LocalLimits();
    l.learn("t", NOV, report(4));
    l.commit("t", NOV + 1, { tokens: 0, costUsd: 0.5 });
    l.confirm("t", NOV + 2, 0.5, { requestsLastMinute: 1, tokensLastMinute: 0, heldReservations: 0, ...report(4.5) });
    expect(l.check("t", cap, NOV + 3, { tokens: 0, costUsd: 0.5 })).toMatchObject({ allowed: true, basis: { usd: 4.5, at: NOV + 2 } });
    // A commit whose answer was lost keeps counting here.
    l.commit("t", NOV + 4, { tokens: 0, costUsd: 0.3 });
    l.confirm("t", NOV + 5, 0, undefined);
    expect(l.check("t", cap, NOV + 6, { tokens: 0, costUsd: 0 })).toMatchObject({ basis: { usd: 4.8 } });
  });

  it("holds the estimates of requests it let in itself, until their commit or their hold lapses", () => {
    const l = new LocalLimits();
    l.learn("t", NOV, report(4));
    const hold = l.reserve("t", NOV, 0.6, 60_000);
    expect(l.check("t", cap, NOV + 1, { tokens: 0, costUsd: 0.6 })).toMatchObject({ allowed: false, reason: "spend_cap" });
    // The request's commit never comes: after its hold the budget is back.
    expect(l.check("t", cap, hold!.until, { tokens: 0, costUsd: 0.6 }).allowed).toBe(true);
    // A commit swaps it for the actual cost.
    const h2 = l.reserve("t", NOV + 10, 0.6, 60_000);
    l.commit("t", NOV + 20, { tokens: 0, costUsd: 0.1 }, h2);
    expect(l.check("t", cap, NOV + 30, { tokens: 0, costUsd: 0 })).toMatchObject({ basis: { usd: 4.7 } });
  });

  it("with no report this month: refuses by default (the cap cannot be checked), or counts its own spend when told to", () => {
    const l = new LocalLimits();
    expect(l.check("t", cap, NOV, { tokens: 0, costUsd: 0.1 })).toEqual({ allowed: false, retryAfterSeconds: UNKNOWN_SPEND_RETRY_SECONDS, basis: { kind: "unknown" } });
    expect(l.check("t", cap, NOV, { tokens: 0, costUsd: 0.1 }, "local")).toMatchObject({ allowed: true, basis: { kind: "local", usd: 0 } });
    l.commit("t", NOV, { tokens: 0, costUsd: 4.95 });
    expect(l.check("t", cap, NOV, { tokens: 0, costUsd: 0.1 }, "local")).toMatchObject({ allowed: false, reason: "spend_cap", basis: { kind: "local", usd: 4.95 } });
    // Last month's report says nothing about this month.
    const l2 = new LocalLimits();
    l2.learn("t", NOV, report(1, 0, "2026-10"));
    expect(l2.check("t", cap, NOV, { tokens: 0, costUsd: 0.1 }).basis.kind).toBe("unknown");
  });

  it("a new month starts from nothing known, and ignores malformed reports", () => {
    const l = new LocalLimits();
    l.learn("t", NOV, report(4.9));
    l.commit("t", NOV, { tokens: 0, costUsd: 0.1 });
    const dec = Date.UTC(2026, 11, 1, 0, 0, 1);
    expect(l.check("t", cap, dec, { tokens: 0, costUsd: 0.1 }, "local")).toMatchObject({ allowed: true, basis: { kind: "local", usd: 0 } });
    for (const bad of [null, 5, { month: "2026-11" }, { month: "Nov", spendUsdThisMonth: 1, heldUsd: 0 }, report(-1), report(Number.NaN)]) {
      const fresh = new LocalLimits();
      fresh.learn("t", NOV, bad);
      expect(fresh.check("t", cap, NOV, { tokens: 0, costUsd: 0 }).basis.kind).toBe("unknown");
    }
  });

  it("uncapped tenants never need a report", () => {
    expect(new LocalLimits().check("t", { requestsPerMinute: 5 }, NOV, est)).toMatchObject({ allowed: true, basis: { kind: "uncapped" } });
  });
});
