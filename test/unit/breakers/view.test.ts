import { describe, expect, it } from "vitest";
import type { HealthSettings, ProviderSnapshot } from "../../../src/breakers/types";
import { BreakerView, type HealthStub } from "../../../src/breakers/view";
import { ManualClock } from "../../support/clock";

const settings = {} as HealthSettings;
const never = () => new Promise<never>(() => {});

/** A health object whose every call never settles, counting calls per method. */
function hung() {
  const calls: Record<string, number> = {};
  const count = (m: string) => () => ((calls[m] = (calls[m] ?? 0) + 1), never());
  const stub = { record: count("record"), snapshot: count("snapshot"), acquireProbe: count("acquireProbe"), operate: count("operate") } as unknown as HealthStub;
  return { stub, calls };
}

function setup() {
  const clock = new ManualClock();
  const opts = { ttlMs: 1000, timeoutMs: 200, now: clock.now, sleep: clock.sleep, background: (p: Promise<unknown>) => void p.catch(() => {}) };
  return { clock, opts };
}

describe("BreakerView with a health object that never answers", () => {
  it("a failed warm-up is remembered for ttlMs: no second wait, then one more bounded try", async () => {
    const { clock, opts } = setup();
    const view = new BreakerView();
    const { stub, calls } = hung();
    const notes: string[] = [];
    const stats = { awaitedCalls: 0 };
    expect(await clock.run(view.warm("alpha", () => stub, settings, opts, notes, stats))).toBeUndefined();
    expect(clock.sleeps).toEqual([200]);
    expect(await view.warm("alpha", () => stub, settings, opts, notes, stats)).toBeUndefined();
    expect(notes[1]).toMatch(/remembered for 1 s more\); failing open without waiting/);
    expect(calls.snapshot).toBe(1);
    expect(stats.awaitedCalls).toBe(1);
    await clock.advance(1000);
    await clock.run(view.warm("alpha", () => stub, settings, opts, notes, stats));
    expect(calls.snapshot).toBe(2);
  });

  it("a failed probe-permit call is remembered too: an OPEN-due breaker fails open without waiting again", async () => {
    const { clock, opts } = setup();
    const view = new BreakerView();
    view.put({ key: "alpha", state: "OPEN", openUntil: clock.now() - 1, since: 0, probesInFlight: 0 } as unknown as ProviderSnapshot, clock.now());
    const { stub, calls } = hung();
    const notes: string[] = [];
    const first = await clock.run(view.admit("alpha", () => stub, settings, { ...opts, ttlMs: 60_000 }, notes));
    expect(first).toEqual({ allowed: true, reason: "fail_open", probe: false });
    const second = await view.admit("alpha", () => stub, settings, { ...opts, ttlMs: 60_000 }, notes);
    expect(second.reason).toBe("fail_open");
    expect(calls.acquireProbe).toBe(1);
    expect(notes.at(-1)).toMatch(/without waiting/);
  });

  it("a snapshot that arrives clears the mark", async () => {
    const { clock, opts } = setup();
    const view = new BreakerView();
    const { stub } = hung();
    await clock.run(view.warm("alpha", () => stub, settings, opts, [], { awaitedCalls: 0 }));
    const snap = { key: "alpha", state: "CLOSED", openUntil: null } as unknown as ProviderSnapshot;
    view.put(snap, clock.now());
    expect(await view.warm("alpha", () => stub, settings, opts, [], { awaitedCalls: 0 })).toBe(snap);
  });
});
