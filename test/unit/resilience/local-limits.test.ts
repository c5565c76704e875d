import { describe, expect, it } from "vitest";
import { LocalLimits } from "../../../src/resilience/local-limits";

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

  it("keeps tenants apart and leaves the spend cap to the object", () => {
    const l = new LocalLimits();
    l.admit("a", T0);
    expect(l.check("a", { requestsPerMinute: 1 }, T0, est).allowed).toBe(false);
    expect(l.check("b", { requestsPerMinute: 1 }, T0, est).allowed).toBe(true);
    expect(l.check("b", { monthlySpendUsd: 0 }, T0, est).allowed).toBe(true);
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
