/**
 * Two-tier health (`resilience.aggregation: "location"`, docs/scale.md "Global health"): isolates report to their
 * location's ProviderHealth object, which trips on local evidence, forwards its merged window to the provider's global
 * object and serves the stricter of the two breakers. The real worker and objects, fake vendors, the manual clock;
 * the location objects' forward alarms are run by hand (the runtime may also run them by itself: same result).
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ProviderHealth } from "../../durable-objects/provider-health";
import { DetourConfig } from "../../src/config/schema";
import { VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const admin = { authorization: `Bearer ${ADMIN}` };
const trace = { "x-detour-trace": "1" };
const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
  resilience: { breaker: { consecutiveFailures: 3, openMs: 10_000, maxOpenMs: 60_000, openJitter: 0 }, reportFlushMs: 0, aggregation: "location" },
};
const setup = () => {
  const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
  h.vendors.always("anthropic.test", { text: "from beta" });
  return h;
};
type H = ReturnType<typeof setup>;
const at = (colo: string) => ({ colo, continent: "EU" });
const fail = async (h: H, colo: string, n: number) => {
  h.vendors.always("openai.test", { status: 500 });
  for (let i = 0; i < n; i++) await h.chat({}, {}, at(colo));
};
const object = (h: H, name: string) => env.PROVIDER_HEALTH.get(h.env.PROVIDER_HEALTH.idFromName(name)) as DurableObjectStub<ProviderHealth>;
const stored = (h: H, name: string) => runInDurableObject(object(h, name), async (_i: ProviderHealth, ctx) => (await ctx.storage.get<any>("state")) ?? null);
/**
 * Run a location object's forward alarms until its stored state satisfies `done` (by default: nothing left to
 * forward). The runtime also runs these alarms by itself, on its own clock, at any moment: waiting for the state
 * (real I/O, bounded) rather than for one alarm keeps the tests independent of that timing.
 */
const forward = async (h: H, colo: string, done: (state: any) => boolean = (st) => !st?.forward) => {
  for (let i = 0; i < 300; i++) {
    await runDurableObjectAlarm(object(h, `alpha@${colo}`));
    if (done(await stored(h, `alpha@${colo}`))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`alpha@${colo}: the forward never got there`);
};
const heard = (state: string) => (st: any) => !st?.forward && st?.global?.state === state;
const globalStatus = async (h: H) => (await h.call("/status", { headers: admin })).json.providers.find((p: any) => p.provider === "alpha" && p.key === "alpha");

/** Count `record` calls the worker makes to alpha's ProviderHealth objects. */
function countRecords(h: H): () => number {
  let n = 0;
  const ns = h.env.PROVIDER_HEALTH;
  h.env.PROVIDER_HEALTH = new Proxy(ns, {
    get(target, prop) {
      const v = Reflect.get(target, prop);
      if (prop !== "get") return typeof v === "function" ? v.bind(target) : v;
      return (id: DurableObjectId) => {
        const stub = target.get(id);
        return new Proxy(stub, {
          get(s, name) {
            const m = Reflect.get(s, name);
            return name === "record" ? (...args: unknown[]) => (String(args[0]).startsWith("alpha") && n++, (m as (...a: unknown[]) => unknown)(...args)) : m;
          },
        });
      };
    },
  });
  return () => n;
}

describe("location aggregation", () => {
  it("a failure streak at location A trips A's own breaker at once; location B keeps sending", async () => {
    const h = setup();
    await fail(h, "AAA", 3);
    expect((await stored(h, "alpha@AAA")).breaker.state).toBe("OPEN");
    const skipped = await h.chat({}, trace, at("AAA"));
    expect(skipped.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "skipped", reason: "breaker_open" });
    expect(h.vendors.callsTo("openai.test")).toHaveLength(3);
    // B's own breaker saw none of it (the global one may, once A forwards: that is the next test).
    await h.chat({}, {}, at("BBB"));
    expect((await stored(h, "alpha@BBB")).breaker.state).toBe("CLOSED");
    expect((await stored(h, "alpha@AAA")).counters.requests.server_error).toBe(3);
  });

  it("forwarded windows sum in the global object, and its outage opens every location's served state", async () => {
    const h = setup();
    // Two failures at each of two locations: under each location's own threshold (3 in a row)...
    await fail(h, "AAA", 2);
    await forward(h, "AAA");
    await fail(h, "BBB", 2);
    expect((await stored(h, "alpha@AAA")).breaker.state).toBe("CLOSED");
    expect((await stored(h, "alpha@BBB")).breaker.state).toBe("CLOSED");
    // ...but four in a row once both windows reach the global object; B hears the OPEN in its forward's answer.
    await forward(h, "BBB", heard("OPEN"));
    const g = await stored(h, "alpha");
    expect(g.counters.requests.server_error).toBe(4);
    expect(g.breaker.state).toBe("OPEN");
    expect(Object.keys(g.locations).sort()).toEqual(["alpha@AAA", "alpha@BBB"]);
    expect((await globalStatus(h)).state).toBe("OPEN");

    // B serves the global OPEN though its own breaker is CLOSED (to an isolate reading it afresh).
    h.breakerView.clear();
    h.vendors.always("openai.test", { text: "should not be asked" });
    const atB = await h.chat({}, trace, at("BBB"));
    expect(atB.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "skipped", reason: "breaker_open" });
    // A location that never reported asks the global object on its first read.
    h.breakerView.clear();
    const atC = await h.chat({}, trace, at("CCC"));
    expect(atC.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "skipped", reason: "breaker_open" });
    expect(h.vendors.callsTo("openai.test")).toHaveLength(4); // only the four failures
    // /status says why C is OPEN: its own breaker is CLOSED, the global one it last heard is OPEN.
    const rows = (await h.call("/status", { headers: admin })).json.providers;
    const rowC = rows.find((p: any) => p.key === "alpha@CCC");
    expect(rowC).toMatchObject({ state: "OPEN", tiers: { local: "CLOSED", global: { state: "OPEN" } } });
    expect(Date.parse(rowC.tiers.global.heard_at)).not.toBeNaN();
    expect(rows.find((p: any) => p.key === "alpha").tiers).toBeUndefined(); // the global object has no tiers
  });

  it("a half-open global breaker hands out the probe permit through the location, and the probe's success closes it", async () => {
    const h = harness({ config: { ...config, resilience: { ...config.resilience, probe: { enabled: false } } }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("anthropic.test", { text: "from beta" });
    await fail(h, "AAA", 2);
    await forward(h, "AAA");
    await fail(h, "BBB", 2);
    await forward(h, "BBB", heard("OPEN"));
    expect((await stored(h, "alpha")).breaker.state).toBe("OPEN");
    // The open time (10 s) runs out. (B's alarm would have asked every second; its alarms run on the platform's
    // clock, not the test's, so here a cold isolate's first read makes B ask.)
    await h.clock.advance(10_001);
    h.breakerView.clear();
    h.vendors.always("openai.test", { text: "alpha is back" });
    const probe = await h.chat({}, trace, at("BBB"));
    expect(probe.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "ok", probe: true });
    // The probe's answer went up at once (no forward period), and closed the global breaker.
    const g = await stored(h, "alpha");
    expect(g.breaker.state).toBe("CLOSED");
    expect(g.breaker.transitions).toMatchObject({ "CLOSED->OPEN": 1, "OPEN->HALF_OPEN": 1, "HALF_OPEN->CLOSED": 1 });
  });

  it("an operator's force_open on the global object reaches a location at its next forward, and force_closed lifts it", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "alpha" });
    expect((await h.chat({}, {}, at("BBB"))).json.choices[0].message.content).toBe("alpha");
    const op = (action: string) => h.call("/admin/breakers/alpha", { method: "POST", headers: admin, json: { action } });
    await forward(h, "BBB"); // B's success is up (it may already be, by the runtime's own alarm)
    expect((await op("force_open")).status).toBe(200);
    await h.chat({}, {}, at("BBB")); // B has traffic, so it forwards again within forwardMs...
    await forward(h, "BBB", heard("FORCED_OPEN")); // ...and hears the operator's state in the answer
    await h.clock.advance(1_001);
    await h.chat({}, {}, at("BBB")); // refreshes the isolate's snapshot in the background
    const forced = await h.chat({}, trace, at("BBB"));
    expect(forced.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "skipped", reason: "forced_open" });
    expect(forced.headers.get("x-detour-mode")).toBe("failover");

    expect((await op("force_closed")).status).toBe(200);
    // No traffic reaches B's alpha now, but a location keeps asking while the global breaker is not CLOSED.
    await h.clock.advance(1_001);
    await forward(h, "BBB", heard("CLOSED"));
    await h.chat({}, {}, at("BBB"));
    expect((await h.chat({}, {}, at("BBB"))).json.choices[0].message.content).toBe("alpha");
  });

  it("failures within failureFlushMs go to the location object as one batch; failureBatch sends sooner", async () => {
    for (const [failureBatch, calls] of [[20, 1], [1, 2]] as const) {
      const h = harness({ config: { ...config, resilience: { ...config.resilience, failureFlushMs: 100, failureBatch } }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
      h.vendors.always("anthropic.test", { text: "from beta" });
      h.vendors.always("openai.test", { status: 500 });
      const records = countRecords(h);
      // Two requests in the same moment: their failures share one flush unless the batch is full first.
      await Promise.all([h.chat({}, {}, at("AAA")), h.chat({}, {}, at("AAA"))]);
      expect(records()).toBe(calls);
      expect((await stored(h, "alpha@AAA")).counters.requests.server_error).toBe(2);
    }
  });

  it("with no colo known (local dev), isolates report to the provider's global object", async () => {
    const h = setup();
    h.vendors.always("openai.test", { status: 500 });
    for (let i = 0; i < 3; i++) await h.chat({});
    expect((await stored(h, "alpha")).breaker.state).toBe("OPEN");
  });

  it("default mode is unchanged: isolates report to the provider's one object", async () => {
    const h = harness({ config: { ...config, resilience: { ...config.resilience, aggregation: "global" } }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("anthropic.test", { text: "from beta" });
    await fail(h, "AAA", 3);
    expect((await stored(h, "alpha")).breaker.state).toBe("OPEN");
    expect(await stored(h, "alpha@AAA")).toBeNull();
  });

  it("bad aggregation config is refused with a clear error", () => {
    const both = DetourConfig.safeParse({ ...VENDOR_CONFIG, resilience: { aggregation: "location", regional: "colo" } });
    expect(both.success).toBe(false);
    expect(both.error!.issues[0]).toMatchObject({ path: ["resilience", "aggregation"] });
    expect(both.error!.issues[0]!.message).toContain('set resilience.regional to "off"');
    const fast = DetourConfig.safeParse({ ...VENDOR_CONFIG, resilience: { aggregation: "location", forwardMs: 10 } });
    expect(fast.success).toBe(false);
    expect(fast.error!.issues[0]).toMatchObject({ path: ["resilience", "forwardMs"], message: "resilience.forwardMs must be at least 100 ms" });
    expect(DetourConfig.safeParse({ ...VENDOR_CONFIG, resilience: { aggregation: "sharded" } }).success).toBe(false);
  });
});
