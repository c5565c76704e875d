/**
 * Breakers end to end: the worker, the ProviderHealth Durable Object (real, SQLite-backed), fake vendors and the
 * manual clock.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ProviderHealth } from "../../durable-objects/provider-health";
import { BreakerConfig } from "../../src/resilience/breaker";
import { HealthConfig } from "../../src/resilience/health";
import { VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
  resilience: { breaker: { consecutiveFailures: 3, openMs: 10_000, maxOpenMs: 60_000, openJitter: 0 }, reportFlushMs: 0 },
};
const setup = () => {
  const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
  h.vendors.always("anthropic.test", { text: "from beta" });
  return h;
};
const trace = { "x-detour-trace": "1" };
const admin = { authorization: `Bearer ${ADMIN}` };
const statusOf = async (h: ReturnType<typeof harness>, provider = "alpha") =>
  (await h.call("/status", { headers: admin })).json.providers.find((p: any) => p.provider === provider);

async function trip(h: ReturnType<typeof harness>) {
  h.vendors.always("openai.test", { status: 500 });
  for (let i = 0; i < 3; i++) await h.chat({});
}

describe("breaker trips, probes and recovers through the worker", () => {
  it("stops sending to a failing provider after the trip rule, and says why in the trace", async () => {
    const h = setup();
    await trip(h);
    expect(h.vendors.callsTo("openai.test")).toHaveLength(3);
    const r = await h.chat({}, trace);
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("from beta");
    expect(h.vendors.callsTo("openai.test")).toHaveLength(3);
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "skipped", reason: "breaker_open" });
    expect(r.headers.get("x-detour-mode")).toBe("failover");
    expect(r.headers.get("x-detour-attempts")).toBe("1");
    expect((await statusOf(h)).state).toBe("OPEN");
  });

  it("probes after openMs and returns traffic when the provider healed", async () => {
    const h = setup();
    await trip(h);
    await h.clock.advance(9_000);
    await h.chat({});
    expect(h.vendors.callsTo("openai.test")).toHaveLength(3);
    await h.clock.advance(1_001);
    h.vendors.always("openai.test", { text: "alpha is back" });
    const probe = await h.chat({}, trace);
    expect(probe.json.choices[0].message.content).toBe("alpha is back");
    expect(probe.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "ok", probe: true });
    expect((await statusOf(h)).state).toBe("CLOSED");
    const after = await h.chat({});
    expect(after.headers.get("x-detour-mode")).toBe("primary");
  });

  it("a failed probe re-opens with a doubled open time", async () => {
    const h = setup();
    await trip(h);
    await h.clock.advance(10_001);
    const probe = await h.chat({}, trace);
    expect(probe.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "error", probe: true });
    const s = await statusOf(h);
    expect(s.state).toBe("OPEN");
    expect(s.trips).toBe(2);
    expect(Date.parse(s.open_until) - h.clock.now()).toBe(20_000);
  });

  it("caller and operator errors never trip a breaker", async () => {
    const h = setup();
    h.vendors.always("openai.test", { status: 400, errorCode: "context_length_exceeded", errorMessage: "maximum context length is 128000 tokens" });
    for (let i = 0; i < 5; i++) await h.chat({});
    h.vendors.always("openai.test", { status: 401 });
    for (let i = 0; i < 5; i++) await h.chat({});
    expect(h.vendors.callsTo("openai.test")).toHaveLength(10);
    expect((await statusOf(h)).state).toBe("CLOSED");
  });

  it("state survives eviction of the Durable Object and a cold isolate", async () => {
    const h = setup();
    await trip(h);
    const stub = env.PROVIDER_HEALTH.get(h.env.PROVIDER_HEALTH.idFromName("alpha"));
    await evictDurableObject(stub);
    h.breakerView.clear();
    const r = await h.chat({}, trace);
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "skipped", reason: "breaker_open" });
    expect(h.vendors.callsTo("openai.test")).toHaveLength(3);
  });

  it("the alarm moves OPEN to HALF_OPEN with no traffic", async () => {
    // Without active probing the only alarm due is the open time's end.
    const h = harness({ config: { ...config, resilience: { ...config.resilience, probe: { enabled: false } } } });
    h.vendors.always("anthropic.test", { text: "from beta" });
    await trip(h);
    const stub = env.PROVIDER_HEALTH.get(h.env.PROVIDER_HEALTH.idFromName("alpha")) as DurableObjectStub<ProviderHealth>;
    // A forced alarm runs as at the moment it was set for: openUntil.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const state = await runInDurableObject(stub, async (_instance: ProviderHealth, ctx) => (await ctx.storage.get<any>("state")).breaker.state);
    expect(state).toBe("HALF_OPEN");
  });

  it("half-open admits exactly `probes` concurrent calls", async () => {
    const stub = env.PROVIDER_HEALTH.get(env.PROVIDER_HEALTH.idFromName(`probe-test-${crypto.randomUUID()}`)) as DurableObjectStub<ProviderHealth>;
    const settings = { breaker: BreakerConfig.parse({ consecutiveFailures: 1, openMs: 1000, openJitter: 0, probes: 1 }), health: HealthConfig.parse({}) };
    await runInDurableObject(stub, async (instance: ProviderHealth) => {
      await instance.record("k", [{ at: 0, model: "m", errorClass: "server_error", durationMs: 5, latencyMs: 5, probe: false }], settings, 0);
      const first = await instance.acquireProbe("k", settings, 2000);
      const second = await instance.acquireProbe("k", settings, 2001);
      expect(first.decision).toEqual({ allowed: true, reason: "probe" });
      expect(second.decision).toEqual({ allowed: false, reason: "probe_denied" });
      expect(second.snapshot.state).toBe("HALF_OPEN");
    });
  });
});

describe("the hot path", () => {
  it("waits for no Durable Object on a closed breaker once the isolate has its snapshot", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "hi" });
    const cold = await h.chat({}, trace);
    // A fresh isolate reads each of the route's two breakers once, so routing ranks on real health.
    expect(cold.json.detour.breaker_do_calls).toBe(2);
    const warm = await h.chat({}, trace);
    expect(warm.json.detour.breaker_do_calls).toBe(0);
    expect(warm.headers.get("server-timing")).toMatch(/breaker;dur=/);
  });

  it("/status reflects a success within reportFlushMs with no further traffic; failures go at once", async () => {
    const h = harness({ config: { ...config, resilience: { ...config.resilience, reportFlushMs: 1000 } }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("openai.test", { text: "ok" });
    const before = h.clock.now();
    await h.chat({});
    // The request that buffered the success held its waitUntil open until the buffer was due, then sent it.
    expect((await statusOf(h)).requests.ok).toBe(1);
    expect(h.clock.now() - before).toBeLessThanOrEqual(5000);
    h.vendors.always("openai.test", { status: 500 });
    await h.chat({});
    expect((await statusOf(h)).requests.server_error).toBe(1);
  });

  it("keeps one breaker per provider and continent when regional breakers are on", async () => {
    const h = harness({ config: { ...config, resilience: { ...config.resilience, regional: "continent" } }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("anthropic.test", { text: "from beta" });
    h.vendors.always("openai.test", { status: 503 });
    for (let i = 0; i < 3; i++) await h.chat({}, {}, { continent: "EU" });
    const eu = await h.chat({}, trace, { continent: "EU" });
    expect(eu.json.detour.attempts[0]).toMatchObject({ provider: "alpha", reason: "breaker_open" });
    const na = await h.chat({}, trace, { continent: "NA" });
    expect(na.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "error" });
    const keys = (await h.call("/status", { headers: admin })).json.providers.filter((p: any) => p.provider === "alpha").map((p: any) => [p.key, p.state]);
    expect(keys).toEqual(expect.arrayContaining([["alpha@EU", "OPEN"], ["alpha@NA", "CLOSED"]]));
  });
});

describe("fail open", () => {
  it("a broken Durable Object binding does not fail user requests, and the trace says so", async () => {
    const broken = {
      idFromName: () => ({}),
      get: () => {
        throw new Error("Durable Object unavailable");
      },
    };
    const h = harness({ config, extraEnv: { PROVIDER_HEALTH: broken } });
    h.vendors.script("openai.test", { text: "served anyway" });
    const r = await h.chat({}, trace);
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("served anyway");
    expect(r.json.detour.notes.join(" ")).toMatch(/alpha: health store unreachable.*failing open/);
  });
});

describe("operators see and act", () => {
  it("refuses a breaker action's region that names no breaker traffic uses, instead of forcing open a key nobody reads", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "from alpha" });
    const off = await h.call("/admin/breakers/alpha", { method: "POST", headers: admin, json: { action: "force_open", region: "EU" } });
    expect(off.status).toBe(400);
    expect(off.json.error).toMatchObject({ code: "invalid_request", param: "region" });
    expect(off.json.error.message).toContain('resilience.regional is "off"');
    expect((await h.call("/status", { headers: admin })).json.providers.map((p: any) => p.key)).not.toContain("alpha@EU");
    expect((await h.chat({})).headers.get("x-detour-provider")).toBe("alpha");

    const regional = harness({ config: { ...config, resilience: { ...config.resilience, regional: "continent" } }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    const typo = await regional.call("/admin/breakers/alpha", { method: "POST", headers: admin, json: { action: "force_open", region: "europe" } });
    expect(typo.status).toBe(400);
    expect(typo.json.error.message).toContain("continent code");
    const ok = await regional.call("/admin/breakers/alpha", { method: "POST", headers: admin, json: { action: "force_open", region: "EU" } });
    expect(ok.json).toMatchObject({ key: "alpha@EU", state: "FORCED_OPEN" });
  });

  it("/status and /metrics name a provider whose apiKeySecret is not set, before any caller hits it", async () => {
    const h = harness({ config, secrets: { BETA_KEY: "sk-beta-secret-0123456789" }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    const alpha = await statusOf(h);
    expect(alpha.state).toBe("CLOSED");
    expect(alpha.missing_secret).toBe("ALPHA_KEY");
    expect(await statusOf(h, "beta")).not.toHaveProperty("missing_secret");
    const m = await h.call("/metrics", { headers: admin });
    expect(m.text).toContain('detour_provider_missing_secret{provider="alpha",secret="ALPHA_KEY"} 1');
    expect(m.text).toContain('detour_provider_missing_secret{provider="beta",secret="BETA_KEY"} 0');
    expect(m.text).not.toContain("sk-beta-secret");
  });

  // /metrics left out a provider whose health object could not be read and that this isolate had never seen: there
  // was no series to alert on. And a hung object hung /metrics and /status with it (no bound on the wait).
  it("/metrics says per breaker key whether its health object answered; a hung object costs doTimeoutMs, not the scrape", async () => {
    const up = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    const ok = await up.call("/metrics", { headers: admin });
    expect(ok.text).toContain('detour_health_store_up{provider="alpha",key="alpha"} 1');
    expect(ok.text).toContain('detour_health_store_up{provider="beta",key="beta"} 1');

    const never = () => new Promise<never>(() => {});
    const stub = new Proxy({}, { get: (_t, name) => (typeof name === "string" && name !== "then" ? () => never() : undefined) });
    const hung = { idFromName: () => ({}), get: () => stub };
    const h = harness({ config: { ...config, resilience: { ...config.resilience, doTimeoutMs: 250 } }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN, PROVIDER_HEALTH: hung } });
    const m = await h.call("/metrics", { headers: admin });
    expect(m.status).toBe(200);
    expect(m.text).toContain('detour_health_store_up{provider="alpha",key="alpha"} 0');
    expect(m.text).toContain('detour_health_store_up{provider="beta",key="beta"} 0');
    expect(h.clock.sleeps.filter((ms) => ms === 250).length).toBeGreaterThan(0);
    const s = await h.call("/status", { headers: admin });
    expect(s.status).toBe(200);
    expect(s.json.providers.find((p: any) => p.key === "alpha").error).toMatch(/health store unreachable: no answer within 250 ms/);
  });

  it("/status shows state, since, score and its parts; /metrics is Prometheus text", async () => {
    const h = setup();
    await trip(h);
    const s = await statusOf(h);
    expect(s).toMatchObject({ provider: "alpha", kind: "openai", state: "OPEN", trips: 1, open_count: 1 });
    expect(s.score).toBe(0);
    expect(s.score_parts).toHaveProperty("availability");
    expect(s.requests.server_error).toBe(3);
    const beta = await statusOf(h, "beta");
    expect(beta.state).toBe("CLOSED");
    expect(beta.failovers).toBe(3);

    const m = await h.call("/metrics", { headers: admin });
    expect(m.headers.get("content-type")).toContain("text/plain");
    expect(m.text).toContain('detour_provider_state{provider="alpha",key="alpha"} 2');
    expect(m.text).toContain('detour_requests_total{provider="alpha",key="alpha",outcome="server_error"} 3');
    expect(m.text).toContain('detour_breaker_transitions_total{provider="alpha",key="alpha",from="CLOSED",to="OPEN"} 1');
    expect(m.text).toContain('detour_failover_total{provider="beta",key="beta"} 3');
    expect(m.text).toMatch(/detour_request_duration_seconds_bucket\{provider="beta",key="beta",le="\+Inf"\} 3/);
  });

  it("admin can force open, reset and disable a breaker", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "alpha" });
    const forced = await h.call("/admin/breakers/alpha", { method: "POST", json: { action: "force_open" }, headers: admin });
    expect(forced.json.state).toBe("FORCED_OPEN");
    // The action is logged through the app's logger (not the console), as one JSON line without the admin token.
    const line = h.logLines.find((l) => l.includes('"msg":"breaker action"'));
    expect(JSON.parse(line!)).toMatchObject({ level: "info", key: "alpha", action: "force_open", state: "FORCED_OPEN" });
    expect(h.logLines.join("\n")).not.toContain(ADMIN);
    const r = await h.chat({}, trace);
    expect(r.json.detour.attempts[0]).toMatchObject({ outcome: "skipped", reason: "forced_open" });
    await h.call("/admin/breakers/alpha", { method: "POST", json: { action: "reset" }, headers: admin });
    expect((await h.chat({})).headers.get("x-detour-provider")).toBe("alpha");
    await h.call("/admin/breakers/alpha", { method: "POST", json: { action: "disable" }, headers: admin });
    expect((await h.chat({}, trace)).json.detour.attempts[0].reason).toBe("disabled");
  });

  it("answers 503 with Retry-After when every breaker on the route is open", async () => {
    const h = setup();
    for (const p of ["alpha", "beta"]) await h.call(`/admin/breakers/${p}`, { method: "POST", json: { action: "force_open" }, headers: admin });
    const r = await h.chat({});
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe("all_providers_unavailable");
    expect(r.headers.get("retry-after")).toBeTruthy();
    expect(h.vendors.calls).toHaveLength(0);
  });

  it.each([
    ["no token", {}, 401],
    ["wrong token", { authorization: "Bearer nope" }, 401],
    ["a gateway key", { authorization: "Bearer dtr_premium_key_0000000001" }, 401],
  ])("admin refuses %s", async (_n, headers, status) => {
    const h = setup();
    const r = await h.call("/admin/breakers/alpha", { method: "POST", json: { action: "force_open" }, headers: { authorization: "", ...headers } });
    expect(r.status).toBe(status);
    expect((await statusOf(h)).state).toBe("CLOSED");
  });

  it("refuses bad admin input and unknown providers", async () => {
    const h = setup();
    expect((await h.call("/admin/breakers/alpha", { method: "POST", json: { action: "explode" }, headers: admin })).status).toBe(400);
    expect((await h.call("/admin/breakers/ghost", { method: "POST", json: { action: "reset" }, headers: admin })).status).toBe(404);
  });

  it("admin is off without DETOUR_ADMIN_TOKEN, and /status needs it when gateway keys exist", async () => {
    const h = harness({ config });
    expect((await h.call("/admin/breakers/alpha", { method: "POST", json: { action: "reset" } })).status).toBe(403);
    expect((await h.call("/status")).status).toBe(403);
  });
});
