import { describe, expect, it } from "vitest";
import type { Fault } from "../../../src/chaos/faults";
import { FaultView, flagFor, parseFlag, type ChaosFlag, type ChaosStub, type FaultSources } from "../../../src/chaos/view";
import { ManualClock } from "../../support/clock";

const fault = (expiresAt: number): Fault => ({ id: "f1", provider: "alpha", kind: "outage", rate: 1, createdAt: 0, expiresAt }) as Fault;

function sources(flag: () => ChaosFlag | null | Promise<ChaosFlag | null>, faults: () => Promise<Fault[]>) {
  const calls = { flag: 0, list: 0 };
  const stub = { list: async () => (calls.list++, faults()) } as unknown as ChaosStub;
  const src: FaultSources = { flag: async () => (calls.flag++, flag()), stub: () => stub };
  return { src, calls };
}

function setup() {
  const clock = new ManualClock();
  const pending: Promise<unknown>[] = [];
  const opts = { clock, background: (p: Promise<unknown>) => void pending.push(p), timeoutMs: 200 };
  return { clock, opts, flush: () => Promise.all(pending.splice(0)) };
}

describe("FaultView: chaos off the hot path", () => {
  it("with no flag, never calls the object", async () => {
    const { opts } = setup();
    const { src, calls } = sources(() => null, async () => [fault(Infinity)]);
    const view = new FaultView(1000);
    for (let i = 0; i < 5; i++) expect(await view.current(src, opts, [])).toEqual([]);
    expect(calls).toEqual({ flag: 1, list: 0 });
  });

  it("with a flag saying nothing is active, never calls the object", async () => {
    const { clock, opts } = setup();
    const { src, calls } = sources(() => ({ version: "v1", activeUntil: clock.now() - 1 }), async () => [fault(Infinity)]);
    const view = new FaultView(1000);
    expect(await view.current(src, opts, [])).toEqual([]);
    expect(calls.list).toBe(0);
  });

  it("a request that finds another one loading the faults does not wait on it: one object call, the isolate's copy meanwhile", async () => {
    const { clock, opts } = setup();
    const flag: ChaosFlag = { version: "v1", activeUntil: clock.now() + 60_000 };
    let release!: (f: Fault[]) => void;
    const { src, calls } = sources(() => flag, () => new Promise<Fault[]>((r) => (release = r)));
    const view = new FaultView(1000);
    const loader = view.current(src, opts, []);
    await Promise.resolve();
    await Promise.resolve();
    // The second request answers at once with what this isolate has (nothing yet), instead of awaiting the first's I/O.
    expect(await view.current(src, opts, [])).toEqual([]);
    release([fault(clock.now() + 60_000)]);
    expect(await loader).toHaveLength(1);
    expect(calls.list).toBe(1);
    expect(await view.current(src, opts, [])).toHaveLength(1);
  });

  it("loads an active drill's faults once per version, and reloads when another isolate bumps it", async () => {
    const { clock, opts, flush } = setup();
    let flag: ChaosFlag = { version: "v1", activeUntil: clock.now() + 60_000 };
    const { src, calls } = sources(() => flag, async () => [fault(clock.now() + 60_000)]);
    const view = new FaultView(1000);
    expect(await view.current(src, opts, [])).toHaveLength(1);
    expect(await view.current(src, opts, [])).toHaveLength(1);
    expect(calls.list).toBe(1);
    flag = { version: "v2", activeUntil: clock.now() + 60_000 };
    await clock.advance(1000);
    await view.current(src, opts, []); // starts the background flag refresh
    await flush();
    await view.current(src, opts, []);
    expect(calls.list).toBe(2);
  });

  it("an object that never answers costs one bounded wait, then no call until the retry time", async () => {
    const { clock, opts } = setup();
    const { src, calls } = sources(() => ({ version: "v1", activeUntil: clock.now() + 60_000 }), () => new Promise<never>(() => {}));
    const view = new FaultView(1000);
    const notes: string[] = [];
    expect(await clock.run(view.current(src, opts, notes))).toEqual([]);
    expect(notes.join()).toMatch(/chaos faults unreadable \(no answer within 200 ms\)/);
    expect(await view.current(src, opts, [])).toEqual([]);
    expect(calls.list).toBe(1);
  });

  it("a flag that cannot be read means no faults, with a note", async () => {
    const { opts } = setup();
    const { src, calls } = sources(() => Promise.reject(new Error("no answer within 300 ms")), async () => []);
    const notes: string[] = [];
    expect(await new FaultView().current(src, opts, notes)).toEqual([]);
    expect(notes.join()).toMatch(/chaos flag unreadable/);
    expect(calls.list).toBe(0);
  });

  it("the admin route's set applies at once in its own isolate", async () => {
    const { clock, opts } = setup();
    const { src, calls } = sources(() => null, async () => []);
    const view = new FaultView();
    const faults = [fault(clock.now() + 5000)];
    view.set(faults, clock.now(), flagFor(faults, clock.now(), "v9"));
    expect(await view.current(src, opts, [])).toHaveLength(1);
    expect(calls).toEqual({ flag: 0, list: 0 });
  });

  it("flags: active until the last fault expires; junk reads as no flag", () => {
    expect(flagFor([fault(5), fault(9)], 0, "v").activeUntil).toBe(9);
    expect(flagFor([], 0, "v").activeUntil).toBe(0);
    expect(parseFlag({ version: "v", activeUntil: 3 })).toEqual({ version: "v", activeUntil: 3 });
    expect(parseFlag("x")).toBeNull();
    expect(parseFlag(null)).toBeNull();
  });
});
