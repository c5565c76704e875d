import { describe, expect, it } from "vitest";
import type { HealthSettings, OutcomeSample, ProviderSnapshot } from "../../../src/breakers/types";
import { BreakerView, type HealthStub } from "../../../src/breakers/view";
import { ManualClock } from "../../support/clock";

const settings = {} as HealthSettings;
const ok = (at: number): OutcomeSample => ({ at, model: "m", durationMs: 10, latencyMs: 10, probe: false });

/** A health object that records every batch it is sent. */
function recording() {
  const batches: OutcomeSample[][] = [];
  const stub = {
    record: async (key: string, samples: OutcomeSample[]) => (batches.push(samples), { key } as ProviderSnapshot),
  } as unknown as HealthStub;
  return { stub, batches };
}

function setup() {
  const clock = new ManualClock();
  const background: Promise<unknown>[] = [];
  const opts = { ttlMs: 1000, timeoutMs: 200, flushMs: 1000, now: clock.now, sleep: clock.sleep, background: (p: Promise<unknown>) => void background.push(p) };
  return { clock, opts, background };
}

describe("BreakerView buffered successes", () => {
  it("are sent within flushMs of the first one even when no further request comes", async () => {
    const { clock, opts } = setup();
    const view = new BreakerView();
    const { stub, batches } = recording();
    view.report("alpha", () => stub, settings, [ok(clock.now())], opts);
    await clock.advance(300);
    view.report("alpha", () => stub, settings, [ok(clock.now())], opts);
    await clock.advance(699);
    expect(batches).toHaveLength(0);
    await clock.advance(1);
    // One batch, both samples: the second request joined the first one's buffer and armed no timer of its own.
    expect(batches.map((b) => b.length)).toEqual([2]);
    await clock.advance(5000);
    expect(batches).toHaveLength(1);
  });

  it("a failure sends the buffer at once, and the old timer then sends nothing twice", async () => {
    const { clock, opts } = setup();
    const view = new BreakerView();
    const { stub, batches } = recording();
    view.report("alpha", () => stub, settings, [ok(clock.now())], opts);
    view.report("alpha", () => stub, settings, [{ ...ok(clock.now()), errorClass: "server_error" }], opts);
    await clock.settle();
    expect(batches.map((b) => b.length)).toEqual([2]);
    await clock.advance(1000);
    expect(batches).toHaveLength(1);
  });

  it("with flushMs 0 every outcome goes at once, arming no timer", async () => {
    const { clock, opts } = setup();
    const view = new BreakerView();
    const { stub, batches } = recording();
    view.report("alpha", () => stub, settings, [ok(clock.now())], { ...opts, flushMs: 0 });
    await clock.settle();
    expect(batches).toHaveLength(1);
    // The only timer is the object call's own timeout.
    expect(clock.sleeps).toEqual([opts.timeoutMs]);
  });
});
