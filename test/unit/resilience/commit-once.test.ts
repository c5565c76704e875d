/**
 * Usage commits applied once and re-sent when lost (src/resilience/commit-once.ts): the re-send schedule and its
 * bounds, the loop under an injected clock, and the applied-id window's dedupe and memory bound (over an in-memory
 * twin of the object's SQLite table; the table itself is tested through the real object in
 * test/workers/tenant-commit-resend.test.ts).
 */
import { describe, expect, it } from "vitest";
import { formatIssues } from "../../../src/config/load";
import { DEFAULT_CONFIG } from "../../../src/config/default";
import { DetourConfig } from "../../../src/config/schema";
import {
  alreadyApplied,
  CommitLost,
  commitOnceOf,
  DEFAULT_REMEMBER_MS,
  MAX_REMEMBER_MS,
  MIN_REMEMBER_MS,
  rememberApplied,
  resendDelays,
  resendScheduleOf,
  resendScheduleProblem,
  resendSpanMs,
  sendWithResend,
  type AppliedCommitStore,
} from "../../../src/resilience/commit-once";
import { ManualClock } from "../../support/clock";

/** The object's table, in memory: id → when it is forgotten. */
class MemoryApplied implements AppliedCommitStore {
  rows = new Map<string, number>();
  get size() {
    return this.rows.size;
  }
  until(id: string) {
    return this.rows.get(id);
  }
  remember(id: string, until: number) {
    this.rows.set(id, until);
  }
  forgetLapsed(now: number) {
    for (const [id, until] of this.rows) if (until <= now) this.rows.delete(id);
  }
  forgetSoonest(n: number) {
    [...this.rows].sort((a, b) => a[1] - b[1]).slice(0, n).forEach(([id]) => this.rows.delete(id));
  }
}

describe("the re-send schedule", () => {
  it("waits backoffMs, then doubles, for each re-send; 0 re-sends is none", () => {
    expect(resendDelays({ retries: 2, backoffMs: 500 })).toEqual([500, 1000]);
    expect(resendDelays({ retries: 3, backoffMs: 200 })).toEqual([200, 400, 800]);
    expect(resendDelays({ retries: 0, backoffMs: 500 })).toEqual([]);
  });

  it("spans every try at its whole timeout plus every wait", () => {
    expect(resendSpanMs({ retries: 2, backoffMs: 500 }, 500)).toBe(3 * 500 + 500 + 1000);
    expect(resendSpanMs({ retries: 0, backoffMs: 500 }, 300)).toBe(300);
  });

  it("must end inside the reservation grace and inside Workers' 30 s of background work", () => {
    expect(resendScheduleProblem({ retries: 2, backoffMs: 500 }, 500, 60_000)).toBeUndefined();
    expect(resendScheduleProblem({ retries: 2, backoffMs: 500 }, 500, 3_000)).toBeUndefined();
    expect(resendScheduleProblem({ retries: 2, backoffMs: 500 }, 500, 2_999)).toMatch(/take up to 3000 ms, longer than tenants\.reservationGraceMs \(2999 ms\)/);
    expect(resendScheduleProblem({ retries: 5, backoffMs: 2_000 }, 500, 3_600_000)).toMatch(/take up to 65000 ms, longer than the 30000 ms Workers lets background work run/);
  });

  it("unset, it is the default with as many re-sends as fit: a config valid before re-sends stays valid", () => {
    expect(resendScheduleOf(undefined, 500, 60_000)).toEqual({ retries: 2, backoffMs: 500 });
    expect(resendScheduleOf(undefined, 500, 2_600)).toEqual({ retries: 1, backoffMs: 500 }); // 2 re-sends need 3,000 ms
    expect(resendScheduleOf(undefined, 500, 1_000)).toEqual({ retries: 0, backoffMs: 500 });
    expect(resendScheduleOf(undefined, 10_000, 3_600_000)).toEqual({ retries: 1, backoffMs: 500 }); // 3 × 10 s + 1.5 s > 30 s
    // Set, it is used as given (the config check refuses one that does not fit).
    expect(resendScheduleOf({ retries: 4, backoffMs: 100 }, 500, 1_000)).toEqual({ retries: 4, backoffMs: 100 });
  });
});

describe("sendWithResend", () => {
  it("re-sends after each failure on the schedule, on the injected clock, and stops at the first success", async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const at: number[] = [];
    const sent = await clock.run(
      sendWithResend(async () => {
        at.push(clock.now() - t0);
        if (at.length < 3) throw new Error("limiter unreachable");
        return "ok";
      }, [500, 1000], clock),
    );
    expect(sent).toEqual({ value: "ok", tries: 3 });
    expect(at).toEqual([0, 500, 1500]);
  });

  it("a first success sends once and never sleeps", async () => {
    const clock = new ManualClock();
    let calls = 0;
    expect(await clock.run(sendWithResend(async () => ++calls, [500, 1000], clock))).toEqual({ value: 1, tries: 1 });
    expect(clock.sleeps).toEqual([]);
  });

  it("when every try fails it rejects with CommitLost: how many tries, and the last error's message", async () => {
    const clock = new ManualClock();
    let calls = 0;
    const lost = await clock.run(sendWithResend(async () => Promise.reject(new Error(`no answer ${++calls}`)), [500, 1000], clock)).catch((e) => e);
    expect(lost).toBeInstanceOf(CommitLost);
    expect(lost).toMatchObject({ tries: 3, message: "no answer 3" });
    expect(calls).toBe(3);
    expect(clock.sleeps).toEqual([500, 1000]);
  });
});

describe("applying a commit once", () => {
  const T = 1_800_000_000_000;
  const once = (id: string, rememberMs = 5_000) => ({ id, rememberMs });

  it("a commit id applied within its window is a duplicate; another id, or the same after the window, is not", () => {
    const store = new MemoryApplied();
    expect(alreadyApplied(store, once("r:0"), T)).toBe(false);
    rememberApplied(store, once("r:0"), T);
    expect(alreadyApplied(store, once("r:0"), T)).toBe(true);
    expect(alreadyApplied(store, once("r:0"), T + 4_999)).toBe(true);
    expect(alreadyApplied(store, once("r:1"), T + 1)).toBe(false);
    // Past the window it is forgotten: a copy that late would count again (the documented bound).
    expect(alreadyApplied(store, once("r:0"), T + 5_000)).toBe(false);
  });

  it("lapsed ids are dropped at the next remember, so memory is only the ids of the last window", () => {
    const store = new MemoryApplied();
    for (let i = 0; i < 50; i++) rememberApplied(store, once(`a:${i}`), T + i * 100);
    expect(store.size).toBe(50);
    rememberApplied(store, once("b:0"), T + 10_000); // every a:* lapsed by now
    expect([...store.rows.keys()]).toEqual(["b:0"]);
  });

  it("never more than `max` ids: past it, the ones whose window ends soonest are forgotten first", () => {
    const store = new MemoryApplied();
    for (let i = 0; i < 5; i++) rememberApplied(store, once(`c:${i}`), T + i, 3);
    expect(store.size).toBe(3);
    expect([...store.rows.keys()].sort()).toEqual(["c:2", "c:3", "c:4"]);
    expect(alreadyApplied(store, once("c:0"), T + 5)).toBe(false);
    expect(alreadyApplied(store, once("c:4"), T + 5)).toBe(true);
  });

  it("takes only a usable id and clamps the window; no id means the commit is applied as before", () => {
    expect(commitOnceOf({ id: "6f1c:2", rememberMs: 60_000 })).toEqual({ id: "6f1c:2", rememberMs: 60_000 });
    expect(commitOnceOf({ id: "x", rememberMs: 1 })!.rememberMs).toBe(MIN_REMEMBER_MS);
    expect(commitOnceOf({ id: "x", rememberMs: 1e12 })!.rememberMs).toBe(MAX_REMEMBER_MS);
    expect(commitOnceOf({ id: "x", rememberMs: Number.NaN })!.rememberMs).toBe(DEFAULT_REMEMBER_MS);
    expect(commitOnceOf({ id: "x" })!.rememberMs).toBe(DEFAULT_REMEMBER_MS);
    for (const bad of [undefined, null, "r:0", { id: "" }, { id: "a b" }, { id: "x".repeat(101) }, { id: 7 }]) expect(commitOnceOf(bad)).toBeUndefined();
  });
});

describe("tenants.commitResend config", () => {
  const issues = (tenants: unknown, resilience: unknown = {}) => {
    const r = DetourConfig.safeParse({ ...DEFAULT_CONFIG, tenants, resilience });
    return r.success ? [] : formatIssues(r.error);
  };

  it("defaults to unset (the fitted default) and accepts a schedule that fits", () => {
    const ok = DetourConfig.parse({ ...DEFAULT_CONFIG, tenants: { commitResend: { retries: 3 } } });
    expect(ok.tenants.commitResend).toEqual({ retries: 3, backoffMs: 500 });
    expect(DetourConfig.parse(DEFAULT_CONFIG).tenants.commitResend).toBeUndefined();
  });

  it("rejects out-of-range fields with errors naming each", () => {
    const e = issues({ commitResend: { retries: 9, backoffMs: 5 } });
    expect(e.join("\n")).toMatch(/tenants\.commitResend\.retries: tenants\.commitResend\.retries must be at most 5/);
    expect(e.join("\n")).toMatch(/tenants\.commitResend\.backoffMs: tenants\.commitResend\.backoffMs must be at least 50 ms/);
    expect(issues({ commitResend: { retries: 1.5 } }).join()).toMatch(/retries must be a whole number/);
    expect(issues({ commitResend: { retries: -1 } }).join()).toMatch(/retries must be at least 0/);
    expect(issues({ commitResend: { tries: 2 } }).join()).toMatch(/tenants\.commitResend.*tries/);
  });

  it("rejects a schedule that outlasts the reservation grace or Workers' background time, saying how long it takes", () => {
    expect(issues({ reservationGraceMs: 2_000, commitResend: { retries: 2, backoffMs: 500 } }).join()).toMatch(
      /tenants\.commitResend: the re-send schedule's 3 tries \(each up to resilience\.doTimeoutMs 500 ms\) and waits \(500 \+ 1000 ms\) take up to 3000 ms, longer than tenants\.reservationGraceMs \(2000 ms\)/,
    );
    expect(issues({ reservationGraceMs: 600_000, commitResend: { retries: 5, backoffMs: 1_000 } }, { doTimeoutMs: 1_000 }).join()).toMatch(/longer than the 30000 ms Workers lets background work run/);
  });
});
