import { describe, expect, it } from "vitest";
import { InflightConfig, InflightTracker, slowThreshold } from "../../../src/resilience/inflight";

const slowAfterMs = (...args: Parameters<typeof slowThreshold>) => slowThreshold(...args).ms;

const cfg = InflightConfig.parse({ floorMs: 1000, factor: 4, minSlow: 3, minSlowShare: 0.1, coolDownMs: 10_000, defaultMs: 5000 });

describe("slowAfterMs", () => {
  const hist = { ttftP99Ms: 400, latencyP99Ms: 2000, tokensPerSecond: 50 };

  it("streams: factor × p99 TTFT, never below the floor", () => {
    expect(slowAfterMs(cfg, hist, { stream: true })).toBe(1600);
    expect(slowAfterMs(cfg, { ...hist, ttftP99Ms: 100 }, { stream: true })).toBe(1000);
    // Output length does not change time to first token.
    expect(slowAfterMs(cfg, hist, { stream: true, maxOutputTokens: 8000 })).toBe(1600);
  });

  it("JSON: factor × p99 latency, stretched by max_tokens at the observed per-token rate", () => {
    expect(slowAfterMs(cfg, hist, { stream: false })).toBe(8000);
    expect(slowAfterMs(cfg, hist, { stream: false, maxOutputTokens: 100 })).toBe(8000);
    // 4000 tokens at 50 tokens/s = 80 s, × 4.
    expect(slowAfterMs(cfg, hist, { stream: false, maxOutputTokens: 4000 })).toBe(320_000);
    // No tokens/s history: msPerToken (20 ms) stands in.
    expect(slowAfterMs(cfg, { ...hist, tokensPerSecond: null }, { stream: false, maxOutputTokens: 4000 })).toBe(320_000);
  });

  it("no history: the conservative default", () => {
    expect(slowAfterMs(cfg, undefined, { stream: true })).toBe(5000);
    expect(slowAfterMs(cfg, { ttftP99Ms: null, latencyP99Ms: null, tokensPerSecond: null }, { stream: false })).toBe(5000);
  });
});

describe("InflightTracker", () => {
  const start = (t: InflightTracker, now: number, abandoned: number[], key = "p") => {
    const id: number = t.start(key, now, 1000, cfg, () => abandoned.push(id));
    return id;
  };

  it("one or two slow calls are a tail; the third makes the provider suspect, and each attempt then abandons itself when judged", () => {
    const t = new InflightTracker();
    const abandoned: number[] = [];
    const ids = [0, 100, 200, 900].map((at) => start(t, at, abandoned));
    expect(t.overdue(ids[0]!, 1000, cfg)).toEqual({ suspect: false, slow: 1, inflight: 4 });
    expect(t.overdue(ids[1]!, 1100, cfg).suspect).toBe(false);
    expect(t.suspect("p", 1100)).toBe(false);
    expect(t.overdue(ids[2]!, 1200, cfg)).toEqual({ suspect: true, slow: 3, inflight: 4 });
    // Only the attempt judged goes: another request's I/O is never touched from here.
    expect(abandoned).toEqual([ids[2]]);
    expect(t.suspect("p", 1200)).toBe(true);
    expect(t.suspect("other", 1200)).toBe(false);
    // The others go at their own next check (every RECHECK_MS while they wait).
    t.overdue(ids[0]!, 1250, cfg);
    t.overdue(ids[1]!, 1350, cfg);
    expect(abandoned).toEqual([ids[2], ids[0], ids[1]]);
    // The young one is judged at its own first check, and abandoned then since the provider is still suspect.
    for (const id of ids.slice(0, 3)) t.settle(id, 1400, false);
    expect(t.overdue(ids[3]!, 1900, cfg).suspect).toBe(true);
    expect(abandoned).toEqual([ids[2], ids[0], ids[1], ids[3]]);
  });

  it("a long own threshold does not shield an attempt once its provider is suspect: past the floor it is abandoned", () => {
    const t = new InflightTracker();
    const abandoned: number[] = [];
    // A JSON call stretched to 24 s for a large max_tokens, started just before the hang was noticed.
    const long: number = t.start("p", 0, 24_000, cfg, () => abandoned.push(long));
    const short = [100, 200, 300].map((at) => start(t, at, abandoned));
    for (const id of short) t.overdue(id, 1300, cfg);
    expect(t.suspect("p", 1300)).toBe(true);
    t.overdue(long, 1300, cfg);
    expect(abandoned).toEqual([...short, long]);
    // A younger long call waits until it is past the floor itself.
    const young: number = t.start("p", 1500, 24_000, cfg, () => abandoned.push(young));
    t.overdue(young, 2000, cfg);
    expect(abandoned).not.toContain(young);
    t.overdue(young, 2500, cfg);
    expect(abandoned).toContain(young);
    // Not suspect: judging a long call abandons nothing.
    const calm = new InflightTracker();
    const none: number[] = [];
    const alone: number = calm.start("q", 0, 24_000, cfg, () => none.push(alone));
    calm.overdue(alone, 5000, cfg);
    expect(none).toEqual([]);
  });

  it("thin traffic: a lone call past a threshold from history moves on; without history, or among enough calls, it waits", () => {
    const t = new InflightTracker();
    const why: string[] = [];
    const lone = t.start("p", 0, 1000, cfg, (w) => why.push(w), true);
    expect(t.overdue(lone, 999, cfg)).toEqual({ suspect: false, slow: 0, inflight: 1 });
    expect(why).toEqual([]);
    t.overdue(lone, 1000, cfg);
    expect(why).toEqual(["that is far slower than its history"]);
    // Judged alone, the provider is not made suspect for others: the breaker decides that from the reports.
    expect(t.suspect("p", 1000)).toBe(false);
    t.settle(lone, 1000, false);

    const guess: string[] = [];
    const cold = t.start("q", 0, 5000, cfg, (w) => guess.push(w), false);
    t.overdue(cold, 6000, cfg);
    expect(guess).toEqual([]);

    // Among minSlow or more calls in flight, one slow call is the tail, not a hang.
    const busy: string[] = [];
    const tail = t.start("r", 0, 1000, cfg, (w) => busy.push(w), true);
    for (let i = 0; i < 3; i++) t.start("r", 900, 1000, cfg, undefined, true);
    t.overdue(tail, 1100, cfg);
    expect(busy).toEqual([]);

    const off = InflightConfig.parse({ ...cfg, alone: false });
    const quiet: string[] = [];
    const alone = t.start("s", 0, 1000, off, (w) => quiet.push(w), true);
    t.overdue(alone, 2000, off);
    expect(quiet).toEqual([]);
  });

  it("a busy provider's normal tail is not a hang (share of calls in flight)", () => {
    const t = new InflightTracker();
    const slow = [0, 1, 2].map((at) => start(t, at, []));
    for (let i = 0; i < 40; i++) start(t, 900, []);
    expect(t.overdue(slow[2]!, 1002, cfg)).toMatchObject({ suspect: false, slow: 3, inflight: 43 });
  });

  it("a success in normal time clears suspicion; a slow success does not", () => {
    const t = new InflightTracker();
    const ids = [0, 0, 0].map(() => start(t, 0, []));
    t.overdue(ids[0]!, 1000, cfg);
    expect(t.suspect("p", 1000)).toBe(true);
    const late = start(t, 1000, []);
    t.settle(ids[0]!, 1500, true); // answered, but only after its slow time
    expect(t.suspect("p", 1500)).toBe(true);
    t.settle(late, 1800, true); // answered within 1000 ms
    expect(t.suspect("p", 1800)).toBe(false);
  });

  it("suspicion ends after the cool-down without new evidence", () => {
    const t = new InflightTracker();
    const ids = [0, 0, 0].map(() => start(t, 0, []));
    t.overdue(ids[0]!, 1000, cfg);
    for (const id of ids) t.settle(id, 1000, false);
    expect(t.suspect("p", 10_999)).toBe(true);
    expect(t.suspect("p", 11_000)).toBe(false);
  });

  it("a target with nothing to fail over to is never abandoned", () => {
    const t = new InflightTracker();
    const abandoned: number[] = [];
    const ids = [start(t, 0, abandoned), start(t, 0, abandoned), t.start("p", 0, 1000, cfg)];
    expect(t.overdue(ids[2]!, 1000, cfg).suspect).toBe(true);
    expect(abandoned).toEqual([]);
    for (const id of ids.slice(0, 2)) t.overdue(id, 1000, cfg);
    expect(abandoned).toEqual(ids.slice(0, 2));
  });

  it("memory stays bounded: settled attempts are dropped and the oldest forgotten past maxEntries", () => {
    const small = InflightConfig.parse({ maxEntries: 10 });
    const t = new InflightTracker();
    const ids = Array.from({ length: 25 }, (_, i) => t.start(`k${i}`, i, 1000, small));
    expect(t.size).toBe(10);
    for (const id of ids) t.settle(id, 30, true);
    expect(t.size).toBe(0);
    expect(t.overdue(ids[0]!, 2000, small)).toEqual({ suspect: false, slow: 0, inflight: 0 });
  });

  it("config: bad values are clear zod errors", () => {
    expect(() => InflightConfig.parse({ factor: 0.5 })).toThrow(/factor/);
    expect(() => InflightConfig.parse({ minSlowShare: 2 })).toThrow(/minSlowShare/);
    expect(() => InflightConfig.parse({ bogus: 1 })).toThrow();
  });
});
