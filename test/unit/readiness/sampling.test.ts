import { describe, expect, it } from "vitest";
import { DetourConfig } from "../../../src/config/schema";
import { chooseShadow, MinuteCounters } from "../../../src/readiness/sampling";

const config = (shadow: unknown, top?: unknown) =>
  DetourConfig.parse({
    providers: [{ id: "a", kind: "simulated", models: [{ id: "m" }] }, { id: "b", kind: "simulated", models: [{ id: "n" }] }],
    routes: { auto: { targets: ["a/m", "b/n"], ...(shadow ? { shadow } : {}) }, plain: { targets: ["a/m"] } },
    ...(top ? { shadow: top } : {}),
  });
const ask = (c: DetourConfig, over: Partial<Parameters<typeof chooseShadow>[0]> = {}) => ({ config: c, route: "auto", cacheControl: null, tenantShadow: undefined, draw: 0.5, now: 0, ...over });

describe("shadow sampling", () => {
  const c = config({ targets: ["b/n"], sampleRate: 0.6, maxPerMinute: 2 });
  it("mirrors a sampled request, up to maxPerMinute per route per minute", () => {
    const counters = new MinuteCounters();
    expect(chooseShadow(ask(c), counters).mirror).toBe(true);
    expect(chooseShadow(ask(c, { now: 59_000 }), counters).mirror).toBe(true);
    expect(chooseShadow(ask(c, { now: 59_500 }), counters)).toEqual({ mirror: false, why: "maxPerMinute reached" });
    expect(chooseShadow(ask(c, { now: 60_000 }), counters).mirror).toBe(true);
  });
  it("the draw decides against sampleRate", () => {
    expect(chooseShadow(ask(c, { draw: 0.59 }), new MinuteCounters()).mirror).toBe(true);
    expect(chooseShadow(ask(c, { draw: 0.6 }), new MinuteCounters())).toEqual({ mirror: false, why: "not sampled" });
  });
  it("never for no-store, nor for a tenant that opted out, nor without shadow config", () => {
    expect(chooseShadow(ask(c, { cacheControl: "private, no-store" }), new MinuteCounters())).toEqual({ mirror: false, why: "no-store" });
    expect(chooseShadow(ask(c, { cacheControl: "no-cache" }), new MinuteCounters()).mirror).toBe(true);
    expect(chooseShadow(ask(c, { tenantShadow: false }), new MinuteCounters())).toEqual({ mirror: false, why: "tenant opted out" });
    expect(chooseShadow(ask(c, { route: "plain" }), new MinuteCounters())).toEqual({ mirror: false, why: "off" });
  });
  it("off by default; the top-level shadow applies to routes without their own", () => {
    expect(config(undefined).shadow).toBeUndefined();
    const top = config(undefined, { targets: ["b/n"], sampleRate: 1 });
    expect(chooseShadow(ask(top, { route: "plain" }), new MinuteCounters()).mirror).toBe(true);
  });
  it("config names unknown shadow targets with their path", () => {
    const r = DetourConfig.safeParse({ providers: [{ id: "a", kind: "simulated", models: [{ id: "m" }] }], routes: { auto: { targets: ["a/m"], shadow: { targets: ["zz/q"] } } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ["routes", "auto", "shadow", "targets", 0] });
  });
});
