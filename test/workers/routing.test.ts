/** SLA routing through the worker: tiers, capabilities, hedging, retry budget, shedding, tenant limits, cost. */
import { describe, expect, it } from "vitest";
import type { OutcomeSample } from "../../src/breakers/types";
import { healthStub } from "../../src/platform/stubs";
import { BreakerConfig } from "../../src/resilience/breaker";
import { HealthConfig } from "../../src/resilience/health";
import { VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const priced = VENDOR_CONFIG.providers.map((p, i) => ({ ...p, models: p.models.map((m) => ({ ...m, price: { input: [0.15, 0.8, 0.1][i]!, output: [0.6, 4, 0.4][i]! } })) }));
// Breakers that never trip here, so each test sees routing alone.
const calmBreakers = { breaker: { consecutiveFailures: 1000, minimumCalls: 1000 }, reportFlushMs: 0 };
const base = {
  ...VENDOR_CONFIG,
  providers: priced,
  routing: {},
  resilience: calmBreakers,
  throttle: { minRequests: 100_000 },
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
};
const trace = { "x-detour-trace": "1" };
const FREE = { authorization: "Bearer dtr_free_key_000000000002" };
const settings = { breaker: BreakerConfig.parse(calmBreakers.breaker), health: HealthConfig.parse({}) };

/** Give a provider a health history in its ProviderHealth object, as real traffic would. */
async function seed(h: ReturnType<typeof harness>, provider: string, samples: Partial<OutcomeSample>[]) {
  const stub = healthStub(h.env, provider);
  const now = h.clock.now();
  await h.clock.run(stub.record(provider, samples.map((s) => ({ at: now, model: "m", durationMs: 100, latencyMs: 100, probe: false, ...s })), settings, now));
}
const failures = (n: number, errorClass: OutcomeSample["errorClass"] = "server_error") => Array.from({ length: n }, () => ({ errorClass }));
const successes = (n: number, extra: Partial<OutcomeSample> = {}) => Array.from({ length: n }, () => ({ ...extra }));

describe("tiers and health", () => {
  it("premium skips a provider below its health threshold; free still uses it", async () => {
    const h = harness({ config: base });
    h.vendors.always("openai.test", { text: "alpha" });
    h.vendors.always("anthropic.test", { text: "beta" });
    // 30 % errors: below premium's 0.8, above free's 0.2 (and not low enough to count as pressure).
    await seed(h, "alpha", [...failures(3), ...successes(7)]);
    const premium = await h.chat({}, trace);
    expect(premium.headers.get("x-detour-provider")).toBe("beta");
    expect(premium.json.detour.routing.skipped[0]).toMatchObject({ target: "alpha/gpt-4o-mini" });
    expect(premium.json.detour.routing.skipped[0].reason).toMatch(/^skipped: health 0\.\d\d < 0\.8 \(premium\)$/);
    const free = await h.chat({}, { ...FREE, ...trace });
    expect(free.headers.get("x-detour-provider")).toBe("alpha");
  });
});

describe("capabilities", () => {
  it("never tries a model that cannot take the request", async () => {
    const config = { ...base, providers: priced.map((p) => (p.id === "alpha" ? { ...p, models: [{ ...p.models[0]!, tools: false, contextWindow: 4000 }] } : p)) };
    const h = harness({ config });
    h.vendors.always("anthropic.test", { text: "beta" });
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
    const r = await h.chat({ tools, messages: [{ role: "user", content: "call f" }] }, trace);
    expect(r.headers.get("x-detour-provider")).toBe("beta");
    expect(r.headers.get("x-detour-mode")).toBe("primary");
    expect(r.json.detour.routing.skipped).toEqual([{ target: "alpha/gpt-4o-mini", reason: "skipped: no tools" }]);
    const long = await h.chat({ messages: [{ role: "user", content: "x ".repeat(8000) }] }, trace);
    expect(long.json.detour.routing.skipped[0].reason).toMatch(/^skipped: context \d+ > 4000$/);
    expect(h.vendors.callsTo("openai.test")).toHaveLength(0);
  });

  it("orders cheap classes by price and says why", async () => {
    const h = harness({ config: { ...base, routes: { auto: { targets: ["beta/claude-3-5-haiku-latest", "alpha/gpt-4o-mini"] } } } });
    h.vendors.always("openai.test", { text: "positive", usage: { inputTokens: 1000, outputTokens: 10 } });
    const r = await h.chat({ messages: [{ role: "user", content: "Classify the sentiment: great" }] }, { "x-detour-task": "classification", ...trace });
    expect(r.headers.get("x-detour-provider")).toBe("alpha");
    expect(r.json.detour.routing.order[0]).toMatchObject({ target: "alpha/gpt-4o-mini", reason: "cheapest_healthy" });
    // 1000 in × $0.15/M + 10 out × $0.60/M
    expect(r.headers.get("x-detour-cost-usd")).toBe("0.000156");
  });
});

describe("hedging", () => {
  it("starts the next target at the first one's observed p95 and cuts the tail", async () => {
    const h = harness({ config: { ...base, routing: { tiers: { premium: { minHealth: 0, hedge: true, shed: false } } }, defaults: { timeouts: { firstByteMs: 20_000 } } } });
    await seed(h, "alpha", successes(20, { latencyMs: 300, durationMs: 300 }));
    h.vendors.always("openai.test", { hang: true });
    h.vendors.always("anthropic.test", { text: "hedged answer" });
    const t0 = h.clock.now();
    const r = await h.chat({}, trace);
    expect(r.json.choices[0].message.content).toBe("hedged answer");
    expect(r.headers.get("x-detour-hedged")).toBe("1");
    expect(h.clock.now() - t0).toBeLessThan(1000);
    expect(r.json.detour.routing.hedge).toMatch(/after p95 latency/);
  });
});

describe("retry budget", () => {
  it("caps retries at the budget during a 5xx storm", async () => {
    const config = { ...base, retryBudget: { ratio: 0.1, minRetriesPerWindow: 5 }, routes: { auto: { targets: ["alpha/gpt-4o-mini"], retry: { maxRetries: 3, baseDelayMs: 0 } } } };
    const h = harness({ config });
    h.vendors.always("openai.test", { status: 500 });
    for (let i = 0; i < 40; i++) await h.chat({}, { "x-detour-task": "code" });
    const calls = h.vendors.callsTo("openai.test").length;
    // 40 requests; without a budget 4 attempts each = 160.
    console.log(`5xx storm: 40 requests → ${calls} vendor calls with the retry budget (160 without)`);
    expect(calls).toBeLessThanOrEqual(40 + 5);
  });
});

describe("load shedding", () => {
  it("sheds free traffic first when every provider is rate-limited, and keeps serving premium", async () => {
    const h = harness({ config: { ...base, routing: {} } });
    h.vendors.always("openai.test", { text: "alpha" });
    h.vendors.always("anthropic.test", { text: "beta" });
    for (const p of ["alpha", "beta"]) await seed(h, p, [...failures(4, "rate_limited"), ...successes(6)]);
    const free = await h.chat({}, FREE);
    expect(free.status).toBe(503);
    expect(free.json.error.code).toBe("load_shed");
    expect(free.headers.get("retry-after")).toBeTruthy();
    const premium = await h.chat({});
    expect(premium.status).toBe(200);
  });
});

describe("tenant limits", () => {
  it("answers 429 with Retry-After past a tenant's requests per minute", async () => {
    const h = harness({ config: { ...base, tenants: { tiers: { free: { requestsPerMinute: 2 } } } } });
    h.vendors.always("openai.test", { text: "ok" });
    expect((await h.chat({}, FREE)).status).toBe(200);
    expect((await h.chat({}, FREE)).status).toBe(200);
    const third = await h.chat({}, FREE);
    expect(third.status).toBe(429);
    expect(third.json.error.code).toBe("tenant_rate_limited");
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await h.chat({})).status).toBe(200);
  });

  it("stops a tenant at its monthly spend cap", async () => {
    const h = harness({ config: { ...base, tenants: { byTenant: { hobby: { monthlySpendUsd: 0.0000001 } } } } });
    h.vendors.always("openai.test", { text: "ok" });
    const r = await h.chat({}, FREE);
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe("spend_cap_reached");
  });
});
