/**
 * Recovery in seconds (issue 10): the ProviderHealth object probes an open breaker with a real 1-token completion,
 * a handful of failures on thin traffic never excludes a provider, and a provider skipped for health keeps a canary
 * share. The real worker and object, fake vendors at the provider-fetch edge (the object's `probeFetch` included),
 * the manual clock; alarms are run by hand.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ProviderHealth } from "../../durable-objects/provider-health";
import type { HealthSettings, OutcomeSample } from "../../src/breakers/types";
import { ProviderConfig } from "../../src/config/schema";
import { BreakerConfig } from "../../src/resilience/breaker";
import { HealthConfig } from "../../src/resilience/health";
import { ProbeConfig } from "../../src/resilience/probe";
import { FakeVendors } from "../fakes/vendors";
import { SECRETS, VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const KEY = "sk-probe-test-0123456789"; // PROBE_TEST_KEY in vitest.config.ts, readable by the objects
const alpha = ProviderConfig.parse({ id: "alpha", kind: "openai", baseUrl: "https://openai.test/v1", apiKeySecret: "PROBE_TEST_KEY", models: [{ id: "gpt-4o-mini" }] });
const failure: OutcomeSample = { at: 0, model: "gpt-4o-mini", errorClass: "server_error", durationMs: 5, latencyMs: 5, probe: false };

function settings(probe: Partial<ProbeConfig> = {}): HealthSettings {
  return {
    breaker: BreakerConfig.parse({ consecutiveFailures: 1, openMs: 30_000, openJitter: 0 }),
    health: HealthConfig.parse({}),
    probe: { ...ProbeConfig.parse(probe), provider: alpha, model: "gpt-4o-mini" },
  };
}

/** A fresh object with its breaker OPEN (one failure at t = 0) and its probes going to `vendors`. */
async function openBreaker(vendors: FakeVendors, s: HealthSettings) {
  const stub = env.PROVIDER_HEALTH.get(env.PROVIDER_HEALTH.idFromName(`recovery-${crypto.randomUUID()}`)) as DurableObjectStub<ProviderHealth>;
  await runInDurableObject(stub, async (instance: ProviderHealth) => {
    instance.probeFetch = vendors.fetch;
    expect((await instance.record("alpha", [failure], s, 0)).state).toBe("OPEN");
  });
  return stub;
}
const snapshotOf = (stub: DurableObjectStub<ProviderHealth>, s: HealthSettings, now: number) =>
  runInDurableObject(stub, (instance: ProviderHealth) => instance.snapshot("alpha", s, now));

describe("active probing from the ProviderHealth object", () => {
  it("probes an open breaker with a 1-token completion and closes it through half-open when the vendor answers", async () => {
    const vendors = new FakeVendors().always("openai.test", { text: "p" });
    const s = settings();
    const stub = await openBreaker(vendors, s);
    // The alarm runs as at the moment it was set for: one probe interval after the trip, long before openUntil.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const calls = vendors.callsTo("openai.test");
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toMatchObject({ model: "gpt-4o-mini", max_tokens: 1, messages: [{ role: "user", content: "ping" }] });
    expect(calls[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    const snap = await snapshotOf(stub, s, 2000);
    expect(snap.state).toBe("CLOSED");
    expect(snap.transitions).toMatchObject({ "CLOSED->OPEN": 1, "OPEN->HALF_OPEN": 1, "HALF_OPEN->CLOSED": 1 });
    expect(snap.lastProbe).toMatchObject({ at: 2000, model: "gpt-4o-mini" });
    expect(snap.lastProbe!.errorClass).toBeUndefined();
  });

  it("a probe the vendor still fails keeps the breaker open without stretching or doubling its open time", async () => {
    const vendors = new FakeVendors().always("openai.test", { status: 503 });
    const s = settings();
    const stub = await openBreaker(vendors, s);
    const before = await snapshotOf(stub, s, 1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(vendors.callsTo("openai.test")).toHaveLength(2);
    const snap = await snapshotOf(stub, s, 4001);
    expect(snap).toMatchObject({ state: "OPEN", trips: 1, openUntil: before.openUntil });
    expect(snap.lastProbe).toMatchObject({ at: 4000, errorClass: "server_error" });
  });

  it("sends nothing when probing is off: the alarm only ends the open time", async () => {
    const vendors = new FakeVendors().always("openai.test", { text: "p" });
    const s = settings({ enabled: false });
    const stub = await openBreaker(vendors, s);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(vendors.calls).toHaveLength(0);
    const snap = await snapshotOf(stub, s, 30_000);
    expect(snap.state).toBe("HALF_OPEN");
    expect(snap.lastProbe).toBeNull();
  });
});

// Premium callers on alpha → beta with the default routing policy (premium minHealth 0.8) and default breakers.
const premiumConfig = {
  ...VENDOR_CONFIG,
  providers: VENDOR_CONFIG.providers.map((p) => (p.id === "alpha" ? { ...p, apiKeySecret: "PROBE_TEST_KEY" } : p)),
  routing: {},
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
  resilience: { reportFlushMs: 0 },
};
const trace = { "x-detour-trace": "1" };
const premiumHarness = (resilience: Record<string, unknown> = {}) => {
  const h = harness({ config: { ...premiumConfig, resilience: { ...premiumConfig.resilience, ...resilience } }, secrets: { ...SECRETS, PROBE_TEST_KEY: KEY } });
  h.vendors.always("anthropic.test", { text: "from beta" });
  return h;
};

describe("a premium caller returns to a healed primary", () => {
  it("a handful of failures on thin traffic does not exclude the primary: the next request after it heals is served there", async () => {
    const h = premiumHarness();
    h.vendors.always("openai.test", { status: 500 });
    for (let i = 0; i < 3; i++) expect((await h.chat({})).headers.get("x-detour-provider")).toBe("beta");
    h.vendors.always("openai.test", { text: "alpha is back" });
    const r = await h.chat({}, trace);
    expect(r.headers.get("x-detour-provider")).toBe("alpha");
    expect(r.json.detour.routing.order[0].reason).toMatch(/health 0\.\d+ < 0\.8 on thin evidence: kept/);
  });

  it("after enough failures to open the breaker, the object's probe brings the primary back within 10 s of healing", async () => {
    const h = premiumHarness();
    h.vendors.always("openai.test", { status: 500 });
    for (let i = 0; i < 6; i++) await h.chat({});
    expect(h.vendors.callsTo("openai.test")).toHaveLength(5); // consecutive-failure trip at 5
    // The harness's namespace names objects per test; the real stub of the same object runs its alarm.
    const stub = env.PROVIDER_HEALTH.get(h.env.PROVIDER_HEALTH.idFromName("alpha")) as DurableObjectStub<ProviderHealth>;
    await runInDurableObject(stub, (instance: ProviderHealth) => {
      instance.probeFetch = h.vendors.fetch;
    });

    h.vendors.always("openai.test", { text: "alpha is back" });
    const healedAt = h.clock.now();
    let servedAt: number | undefined;
    for (let second = 1; second <= 10 && servedAt === undefined; second++) {
      await h.clock.advance(1000);
      // The object's alarm, when one is due by now (it runs as at the time it was set for).
      const due = await runInDurableObject(stub, async (_i: ProviderHealth, ctx) => (await ctx.storage.get<any>("state")).wakeAt);
      if (due !== null && due <= h.clock.now()) await runDurableObjectAlarm(stub);
      const r = await h.chat({}, trace);
      if (r.headers.get("x-detour-provider") === "alpha") servedAt = h.clock.now();
    }
    expect(servedAt).toBeDefined();
    expect(servedAt! - healedAt).toBeLessThanOrEqual(10_000);
    // The probe, not a caller's request, proved it: one 1-token call.
    expect(h.vendors.callsTo("openai.test").filter((c) => c.body.max_tokens === 1)).toHaveLength(1);
  });
});

describe("canary after a health skip", () => {
  // Breakers that never trip, so only the score skips alpha.
  const calm = { breaker: { consecutiveFailures: 1000, minimumCalls: 1000 } };
  async function degrade(h: ReturnType<typeof harness>) {
    const stub = h.env.PROVIDER_HEALTH.get(h.env.PROVIDER_HEALTH.idFromName("alpha")) as unknown as { record(k: string, s: OutcomeSample[], st: unknown, now: number): Promise<unknown> };
    const now = h.clock.now();
    const s = { breaker: BreakerConfig.parse(calm.breaker), health: HealthConfig.parse({}) };
    // 40 % errors, interleaved (no run of successes long enough to forgive them): below premium's 0.8.
    const F = { errorClass: "server_error" };
    const samples = [F, {}, F, {}, {}, F, {}, {}, F, {}].map((x) => ({ ...failure, at: now, errorClass: undefined, ...x }));
    await h.clock.run(stub.record("alpha", samples, s, now));
  }

  it("without a canary share a premium request skips the degraded provider", async () => {
    const h = premiumHarness({ ...calm, canary: { share: 0 } });
    h.vendors.always("openai.test", { text: "alpha" });
    await degrade(h);
    const r = await h.chat({}, trace);
    expect(r.headers.get("x-detour-provider")).toBe("beta");
    expect(r.json.detour.routing.skipped[0]).toMatchObject({ target: "alpha/gpt-4o-mini" });
    expect(r.json.detour.routing.canary).toBeUndefined();
  });

  it("a canary request tries the skipped provider first, and the trace says so", async () => {
    const h = premiumHarness({ ...calm, canary: { share: 1 } });
    h.vendors.always("openai.test", { text: "alpha" });
    await degrade(h);
    const r = await h.chat({}, trace);
    expect(r.headers.get("x-detour-provider")).toBe("alpha");
    expect(r.json.detour.routing.canary).toBe("alpha/gpt-4o-mini");
    expect(r.json.detour.routing.order[0]).toMatchObject({ target: "alpha/gpt-4o-mini" });
    expect(r.json.detour.routing.order[0].reason).toMatch(/^canary: health 0\.\d+ < 0\.8 \(premium\), share 1$/);
    expect(r.json.detour.routing.order[1]).toMatchObject({ target: "beta/claude-3-5-haiku-latest" });
  });

  it("a failed canary fails over to the healthy order invisibly", async () => {
    const h = premiumHarness({ ...calm, canary: { share: 1 } });
    h.vendors.always("openai.test", { status: 503 });
    await degrade(h);
    const r = await h.chat({}, trace);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-provider")).toBe("beta");
  });
});
