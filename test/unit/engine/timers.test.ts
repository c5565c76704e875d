/**
 * One request's timers on one platform timer (src/engine/timers.ts): each entry fires at its own time, in the order
 * separate timers would, and a request answered before any of them is due sets one platform timer and clears it once.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { systemClock, type Clock } from "../../../src/engine/clock";
import { RequestTimers } from "../../../src/engine/timers";

afterEach(() => vi.useRealTimers());

/** The platform clock, counting the timers it sets and clears. */
function counting(clock: Clock = systemClock) {
  const n = { set: 0, cleared: 0 };
  const counted: Clock = {
    now: clock.now,
    sleep: clock.sleep,
    after: (ms, fn) => {
      n.set++;
      const cancel = clock.after!(ms, fn);
      return () => {
        n.cleared++;
        cancel();
      };
    },
  };
  return { clock: counted, n };
}

const clocks: [string, Clock][] = [
  ["platform clock (after)", systemClock],
  ["sleep-only clock", { now: systemClock.now, sleep: systemClock.sleep }],
];

describe.each(clocks)("RequestTimers on the %s", (_name, clock) => {
  it("fires each entry at its own time, earliest first, and ties in the order they were added", async () => {
    vi.useFakeTimers();
    const t = new RequestTimers(clock);
    const start = Date.now();
    const fired: [string, number][] = [];
    const at = (name: string) => () => fired.push([name, Date.now() - start]);
    t.add(300, at("deadline"));
    t.add(100, at("first byte"));
    t.add(100, at("check"));
    t.add(50, at("early"));
    t.arm();
    await vi.advanceTimersByTimeAsync(49);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fired).toEqual([
      ["early", 50],
      ["first byte", 100],
      ["check", 100],
      ["deadline", 300],
    ]);
  });

  it("never fires a cancelled entry, and the others still fire on time", async () => {
    vi.useFakeTimers();
    const t = new RequestTimers(clock);
    const fired: string[] = [];
    const cancel = t.add(100, () => fired.push("cancelled"));
    t.add(200, () => fired.push("kept"));
    t.arm();
    await vi.advanceTimersByTimeAsync(50);
    cancel();
    await vi.advanceTimersByTimeAsync(149);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual(["kept"]);
  });

  it("an entry added by a firing entry fires in its turn (a repeating check)", async () => {
    vi.useFakeTimers();
    const t = new RequestTimers(clock);
    const start = Date.now();
    const checks: number[] = [];
    let stop = t.add(100, function tick() {
      checks.push(Date.now() - start);
      stop = t.add(250, tick);
    });
    t.add(700, () => stop());
    t.arm();
    await vi.advanceTimersByTimeAsync(2000);
    expect(checks).toEqual([100, 350, 600]);
  });

  it("an entry already due when armed runs at once, before the caller waits", () => {
    vi.useFakeTimers();
    const t = new RequestTimers(clock);
    const fired: string[] = [];
    t.add(100, () => fired.push("deadline"));
    vi.setSystemTime(Date.now() + 150);
    t.arm();
    expect(fired).toEqual(["deadline"]);
  });

  it("nothing fires before arm, and nothing after close", async () => {
    vi.useFakeTimers();
    const t = new RequestTimers(clock);
    const fired: string[] = [];
    t.add(100, () => fired.push("a"));
    await vi.advanceTimersByTimeAsync(500);
    expect(fired).toEqual([]);
    t.add(100, () => fired.push("b"));
    t.arm();
    // "a" was due before arm: it runs now; "b" later, unless closed.
    expect(fired).toEqual(["a"]);
    t.close();
    await vi.advanceTimersByTimeAsync(500);
    expect(fired).toEqual(["a"]);
  });
});

describe("RequestTimers: what the platform is asked for", () => {
  it("an answer before any entry is due: one timer set, and cleared once at close", async () => {
    vi.useFakeTimers();
    const { clock, n } = counting();
    const t = new RequestTimers(clock);
    t.add(30_000, () => {}); // deadline
    const firstByte = t.add(10_000, () => {});
    const check = t.add(1000, () => {});
    t.arm();
    await vi.advanceTimersByTimeAsync(5);
    firstByte();
    check();
    t.close();
    expect(n).toEqual({ set: 1, cleared: 1 });
  });

  it("a later entry does not move the timer; an earlier one does", () => {
    vi.useFakeTimers();
    const { clock, n } = counting();
    const t = new RequestTimers(clock);
    t.add(1000, () => {});
    t.arm();
    t.add(5000, () => {});
    t.arm();
    expect(n).toEqual({ set: 1, cleared: 0 });
    t.add(10, () => {});
    t.arm();
    expect(n).toEqual({ set: 2, cleared: 1 });
  });

  it("a cancelled earliest entry leaves the timer set; when it fires it moves on to the next entry", async () => {
    vi.useFakeTimers();
    const { clock, n } = counting();
    const t = new RequestTimers(clock);
    const fired: number[] = [];
    const start = Date.now();
    t.add(3000, () => fired.push(Date.now() - start));
    const early = t.add(1000, () => fired.push(-1));
    t.arm();
    early();
    await vi.advanceTimersByTimeAsync(5000);
    expect(fired).toEqual([3000]);
    expect(n.set).toBe(2);
  });
});
