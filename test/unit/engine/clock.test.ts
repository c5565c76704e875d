import { afterEach, describe, expect, it, vi } from "vitest";
import { armTimer, systemClock, type Clock } from "../../../src/engine/clock";

afterEach(() => vi.useRealTimers());

// The platform clock arms timers with setTimeout directly (`after`); a clock without `after` (tests' manual clock)
// goes through `sleep` and an abort signal. Both must behave the same.
const clocks: [string, Clock][] = [
  ["platform clock (after)", systemClock],
  ["sleep-only clock", { now: systemClock.now, sleep: systemClock.sleep }],
];

describe.each(clocks)("armTimer on the %s", (_name, clock) => {
  it("aborts the controller with the reason once the time is up, not before", async () => {
    vi.useFakeTimers();
    const c = new AbortController();
    armTimer(clock, 100, c, () => new Error("no first byte within 100 ms"));
    await vi.advanceTimersByTimeAsync(99);
    expect(c.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.signal.aborted).toBe(true);
    expect((c.signal.reason as Error).message).toBe("no first byte within 100 ms");
  });

  it("never aborts once cancelled", async () => {
    vi.useFakeTimers();
    const c = new AbortController();
    const cancel = armTimer(clock, 100, c, () => new Error("late"));
    await vi.advanceTimersByTimeAsync(50);
    cancel();
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.signal.aborted).toBe(false);
  });
});
