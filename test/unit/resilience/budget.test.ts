import { describe, expect, it } from "vitest";
import {
  canRetry,
  initialRetryBudget,
  initialThrottle,
  MAX_WINDOW_MS,
  recordAttempt,
  recordRequest,
  recordRetry,
  rejectProbability,
  RetryBudgetConfig,
  shouldThrottle,
  ThrottleConfig,
  throttleStats,
  type RetryBudgetState,
  type ThrottleState,
} from "../../../src/resilience/budget";

const T0 = 1_700_000_000_000; // a whole second, so bucket edges fall on round offsets
const budgetCfg = RetryBudgetConfig.parse({});
// The formula tests run from the first request; the low-traffic floor has its own test below.
const throttleCfg = ThrottleConfig.parse({ minRequests: 0 });

function requests(n: number, now = T0, state: RetryBudgetState = initialRetryBudget()): RetryBudgetState {
  for (let i = 0; i < n; i++) state = recordRequest(state, now, budgetCfg);
  return state;
}

/** Retry while the budget allows, up to `max`; returns the state and how many were sent. */
function retryWhileAllowed(state: RetryBudgetState, now: number, max = 1000): { state: RetryBudgetState; sent: number } {
  let sent = 0;
  while (sent < max && canRetry(state, budgetCfg, now).allowed) {
    state = recordRetry(state, now, budgetCfg);
    sent++;
  }
  return { state, sent };
}

function attempts(accepted: number, rejected: number, now = T0, state: ThrottleState = initialThrottle()): ThrottleState {
  for (let i = 0; i < accepted; i++) state = recordAttempt(state, now, true, throttleCfg);
  for (let i = 0; i < rejected; i++) state = recordAttempt(state, now, false, throttleCfg);
  return state;
}

describe("retry budget", () => {
  it("defaults to 10 % over a minute with a floor of 10", () => {
    expect(budgetCfg).toEqual({ ratio: 0.1, windowMs: 60_000, minRetriesPerWindow: 10 });
    expect(() => RetryBudgetConfig.parse({ ratio: 2 })).toThrow();
    expect(() => RetryBudgetConfig.parse({ windowMs: MAX_WINDOW_MS + 1 })).toThrow();
    expect(() => RetryBudgetConfig.parse({ extra: 1 })).toThrow();
  });

  it("allows the minimum floor with no traffic, then refuses", () => {
    let state = initialRetryBudget();
    for (let i = 0; i < 10; i++) {
      expect(canRetry(state, budgetCfg, T0)).toMatchObject({ allowed: true, reason: "min_floor", retries: i, limit: 10 });
      state = recordRetry(state, T0, budgetCfg);
    }
    expect(canRetry(state, budgetCfg, T0)).toEqual({ allowed: false, reason: "budget_exhausted", retries: 10, requests: 0, limit: 10 });
  });

  it("caps retries at the ratio once requests outgrow the floor (no floating-point extra retry)", () => {
    // 0.1 × 30 is 3.0000000000000004 in floating point; with a floor of 0 exactly 3 retries may go.
    const cfg = RetryBudgetConfig.parse({ minRetriesPerWindow: 0 });
    let state = requests(30);
    for (let i = 0; i < 3; i++) {
      expect(canRetry(state, cfg, T0)).toMatchObject({ allowed: true, reason: "within_ratio", limit: 3 });
      state = recordRetry(state, T0, cfg);
    }
    expect(canRetry(state, cfg, T0)).toMatchObject({ allowed: false, reason: "budget_exhausted", retries: 3, requests: 30, limit: 3 });
  });

  it("uses whichever of floor and ratio is larger", () => {
    expect(retryWhileAllowed(requests(50), T0).sent).toBe(10); // 5 by ratio < floor of 10
    expect(retryWhileAllowed(requests(500), T0).sent).toBe(50); // 50 by ratio > floor
  });

  it("keeps retries at the ratio during a 5xx storm where every call fails", () => {
    // 100 requests/s for 5 minutes; each fails and wants up to 3 retries, all of which fail too.
    let state = initialRetryBudget();
    let sent = 0;
    let retried = 0;
    for (let s = 0; s < 300; s++) {
      for (let r = 0; r < 100; r++) {
        const now = T0 + s * 1000 + r * 10;
        state = recordRequest(state, now, budgetCfg);
        sent++;
        for (let a = 0; a < 3 && canRetry(state, budgetCfg, now).allowed; a++) {
          state = recordRetry(state, now, budgetCfg);
          retried++;
        }
        const d = canRetry(state, budgetCfg, now);
        expect(d.retries).toBeLessThanOrEqual(Math.max(10, Math.ceil(0.1 * d.requests)));
      }
    }
    // Without a budget the storm would send 4× the traffic; with it, about 1.1×.
    const amplification = (sent + retried) / sent;
    expect(amplification).toBeGreaterThan(1.09);
    expect(amplification).toBeLessThanOrEqual(1.1 + 10 / sent + 1e-9);
  });

  it("slides: retries spent leave the window after windowMs and the budget refills", () => {
    const spent = retryWhileAllowed(initialRetryBudget(), T0).state;
    expect(canRetry(spent, budgetCfg, T0 + 59_999).allowed).toBe(false);
    expect(canRetry(spent, budgetCfg, T0 + 60_000)).toMatchObject({ allowed: true, retries: 0 });
  });

  it("slides requests too: an old burst of requests no longer funds retries", () => {
    const cfg = RetryBudgetConfig.parse({ minRetriesPerWindow: 0 });
    const state = requests(100);
    expect(canRetry(state, cfg, T0 + 59_000)).toMatchObject({ allowed: true, requests: 100, limit: 10 });
    expect(canRetry(state, cfg, T0 + 60_000)).toMatchObject({ allowed: false, requests: 0, limit: 0 });
  });

  it("keeps memory bounded by the window and never mutates its input", () => {
    let state = initialRetryBudget();
    for (let s = 0; s < 1000; s++) state = recordRequest(state, T0 + s * 1000, budgetCfg);
    expect(state.buckets.length).toBe(60);
    let loose = initialRetryBudget();
    for (let s = 0; s < 1000; s++) loose = recordRetry(loose, T0 + s * 1000);
    expect(loose.buckets.length).toBe(MAX_WINDOW_MS / 1000);

    const before = JSON.parse(JSON.stringify(state));
    recordRequest(state, T0 + 2_000_000, budgetCfg);
    recordRetry(state, T0 + 999_000, budgetCfg);
    expect(state).toEqual(before);
  });

  it("is plain JSON and puts a clock that stepped back into the newest bucket", () => {
    let state = requests(3, T0 + 5000);
    state = recordRequest(state, T0 + 2000, budgetCfg);
    expect(state.buckets).toEqual([{ second: (T0 + 5000) / 1000, requests: 4, retries: 0 }]);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

describe("adaptive throttling", () => {
  it("defaults to K = 2 over two minutes", () => {
    expect(ThrottleConfig.parse({})).toEqual({ k: 2, windowMs: 120_000, minRequests: 20 });
    expect(() => ThrottleConfig.parse({ k: 0.5 })).toThrow();
  });

  it.each([
    // requests, accepts, K, expected max(0, (requests − K·accepts)/(requests + 1))
    [0, 0, 2, 0],
    [10, 0, 2, 10 / 11],
    [10, 3, 2, 4 / 11],
    [10, 5, 2, 0],
    [100, 10, 2, 80 / 101],
    [100, 40, 1.5, 40 / 101],
    [100, 99, 1, 1 / 101],
  ])("%d requests, %d accepts, K=%d → p = %d", (req, acc, k, p) => {
    const cfg = ThrottleConfig.parse({ k, minRequests: 0 });
    const state = attempts(acc, req - acc);
    expect(rejectProbability(state, cfg, T0)).toBe(p);
    expect(throttleStats(state, cfg, T0)).toEqual({ requests: req, accepts: acc, rejectProbability: p });
  });

  it("is zero while accepts dominate, and never throttles then", () => {
    const state = attempts(1000, 0);
    expect(rejectProbability(state, throttleCfg, T0)).toBe(0);
    expect(shouldThrottle(state, throttleCfg, T0, 0)).toBe(false);
    // Up to half rejected with K = 2 is still zero.
    expect(rejectProbability(attempts(50, 50), throttleCfg, T0)).toBe(0);
  });

  it("grows as the accept rate drops, and stays below 1", () => {
    const ps = [0.5, 0.4, 0.3, 0.2, 0.1, 0].map((rate) => rejectProbability(attempts(100 * rate, 100 - 100 * rate), throttleCfg, T0));
    expect(ps[0]).toBe(0); // K = 2: nothing is throttled until fewer than half are accepted
    for (let i = 1; i < ps.length; i++) expect(ps[i]).toBeGreaterThan(ps[i - 1]!);
    expect(ps.at(-1)).toBe(100 / 101);
  });

  it("throttles when random < p", () => {
    const state = attempts(3, 7); // p = 4/11 ≈ 0.364
    expect(shouldThrottle(state, throttleCfg, T0, 0.36)).toBe(true);
    expect(shouldThrottle(state, throttleCfg, T0, 4 / 11)).toBe(false);
    expect(shouldThrottle(state, throttleCfg, T0, 0.9)).toBe(false);
  });

  it("recovers: throttled attempts keep p up during the outage, accepts bring it back to 0", () => {
    let state = initialThrottle();
    let now = T0;
    let r = 0;
    const random = () => (r = (r + 0.618_033_988_75) % 1); // low-discrepancy, deterministic
    // Outage: 60 s at 10 req/s, the backend rejects every request that reaches it.
    let reached = 0;
    for (let i = 0; i < 600; i++, now += 100) {
      if (!shouldThrottle(state, throttleCfg, now, random())) reached++;
      state = recordAttempt(state, now, false, throttleCfg); // a local rejection counts as not accepted too
    }
    expect(rejectProbability(state, throttleCfg, now)).toBeGreaterThan(0.99);
    expect(reached).toBeLessThan(60); // most of the excess never left Detour
    // Recovery: the backend accepts everything that reaches it. With throttled requests counted, p follows
    // p' ≈ 1 − K·(1 − p): the gap to 1 grows K-fold per window, so a saturated throttle needs a few windows to let go
    // (≈ 8.5 min here, after the outage has left the 2-minute window); a partial overload recovers much faster.
    const perMinute: number[] = [];
    for (let i = 1; i <= 6000; i++, now += 100) {
      const accepted = !shouldThrottle(state, throttleCfg, now, random());
      state = recordAttempt(state, now, accepted, throttleCfg);
      if (i % 600 === 0) perMinute.push(rejectProbability(state, throttleCfg, now));
    }
    for (let m = 2; m < perMinute.length; m++) expect(perMinute[m]).toBeLessThanOrEqual(perMinute[m - 1]!);
    expect(perMinute[4]).toBeLessThan(0.99);
    expect(perMinute.at(-1)).toBe(0);
  });

  it("forgets attempts older than the window, bounded in memory, without mutating input", () => {
    let state = attempts(0, 50);
    expect(rejectProbability(state, throttleCfg, T0 + 119_999)).toBe(50 / 51);
    expect(rejectProbability(state, throttleCfg, T0 + 120_000)).toBe(0);
    for (let s = 0; s < 500; s++) state = recordAttempt(state, T0 + s * 1000, true, throttleCfg);
    expect(state.buckets.length).toBe(120);
    const before = JSON.parse(JSON.stringify(state));
    recordAttempt(state, T0 + 600_000, false, throttleCfg);
    expect(state).toEqual(before);
  });
});

describe("adaptive throttling at low traffic", () => {
  it("never rejects locally below minRequests, whatever the failures", () => {
    const cfg = ThrottleConfig.parse({});
    let st = initialThrottle();
    for (let i = 0; i < 19; i++) st = recordAttempt(st, 1_000 + i, false, cfg);
    expect(rejectProbability(st, cfg, 1_100)).toBe(0);
    st = recordAttempt(st, 1_050, false, cfg);
    expect(rejectProbability(st, cfg, 1_100)).toBeCloseTo(20 / 21);
  });
});
