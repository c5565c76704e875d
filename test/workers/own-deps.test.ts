/**
 * Detour's own dependencies fail fast and fail safe: Durable Objects and KV that never answer (not only ones that
 * throw) cost a request at most one bounded wait, limits still hold when the limiter hangs, chaos costs nothing when
 * no drill runs, and a caller who leaves stops the upstream call.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";

const trace = { "x-detour-trace": "1" };
const never = () => new Promise<never>(() => {});

/** A Durable Object namespace whose every RPC never settles (a hung object, not a broken one). */
function hungNamespace(calls: string[] = []) {
  const stub = new Proxy({}, { get: (_t, name) => (typeof name === "string" && name !== "then" ? (...args: unknown[]) => (calls.push(name), void args, never()) : undefined) });
  return { idFromName: () => ({}), get: () => stub, calls };
}

describe("a health store that never answers", () => {
  it("the first request waits doTimeoutMs once; the next fails open at once for snapshotTtlMs", async () => {
    const ns = hungNamespace();
    const config = { ...VENDOR_CONFIG, resilience: { doTimeoutMs: 300, snapshotTtlMs: 5000 } };
    const h = harness({ config, extraEnv: { PROVIDER_HEALTH: ns } });
    h.vendors.always("openai.test", { text: "served anyway" });
    const first = await h.chat({}, trace);
    expect(first.status).toBe(200);
    expect(first.json.detour.notes.join(" ")).toMatch(/alpha: health store unreachable \(no answer within 300 ms\)/);
    const waitsAfterFirst = h.clock.sleeps.filter((ms) => ms === 300).length;
    expect(waitsAfterFirst).toBeGreaterThan(0);
    const snapshotCalls = ns.calls.filter((c) => c === "snapshot").length;

    const second = await h.chat({}, trace);
    expect(second.status).toBe(200);
    expect(second.json.choices[0].message.content).toBe("served anyway");
    expect(second.json.detour.notes.join(" ")).toMatch(/alpha: health store unreachable \(remembered.*failing open without waiting/);
    expect(second.json.detour.breaker_do_calls).toBe(0);
    expect(ns.calls.filter((c) => c === "snapshot").length).toBe(snapshotCalls);

    // After snapshotTtlMs the object is asked again (bounded again).
    await h.clock.advance(5000);
    const third = await h.chat({}, trace);
    expect(third.status).toBe(200);
    expect(ns.calls.filter((c) => c === "snapshot").length).toBeGreaterThan(snapshotCalls);
  });
});

describe("a tenant limiter that never answers", () => {
  it("still enforces the tenant's per-minute limit from the isolate's local bucket, with a bounded wait", async () => {
    const tenant = `hung-${crypto.randomUUID()}`;
    const key = "dtr_hung_limiter_key_0000001";
    const config = { ...VENDOR_CONFIG, resilience: { doTimeoutMs: 200 }, tenants: { byTenant: { [tenant]: { requestsPerMinute: 2 } } } };
    const ns = hungNamespace();
    const h = harness({ config, keys: { [key]: { tenant, tier: "standard" } }, extraEnv: { TENANT_LIMITER: ns } });
    h.vendors.always("openai.test", { text: "ok" });
    const auth = { authorization: `Bearer ${key}`, ...trace };
    for (let i = 0; i < 2; i++) {
      const r = await h.chat({}, auth);
      expect(r.status).toBe(200);
      expect(r.json.detour.notes.join(" ")).toMatch(/tenant limits: limiter unreachable \(no answer within 200 ms\); enforced by this isolate's local per-minute limits/);
    }
    const over = await h.chat({}, auth);
    expect(over.status).toBe(429);
    expect(over.json.error.code).toBe("tenant_rate_limited");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(ns.calls.filter((c) => c === "check")).toHaveLength(3);
    expect(h.vendors.callsTo("openai.test")).toHaveLength(2);
    // A minute later the window has room again.
    await h.clock.advance(61_000);
    expect((await h.chat({}, auth)).status).toBe(200);
  });
});

describe("a KV that never answers", () => {
  it("serves the request live after one bounded wait, with the cache bypassed and a note saying so", async () => {
    const hungKv = { get: never, getWithMetadata: never, put: never, delete: never, list: never };
    const config = { ...VENDOR_CONFIG, cache: { kvTimeoutMs: 150 } };
    const h = harness({ config, extraEnv: { DETOUR_KV: hungKv } });
    h.vendors.always("openai.test", { text: "positive" });
    const r = await h.chat({ messages: [{ role: "user", content: "Sentiment of: I love it" }] }, { ...trace, "x-detour-task": "classification" });
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("positive");
    expect(r.headers.get("x-detour-cache")).toBe("bypass");
    expect(r.json.detour.notes.join(" ")).toMatch(/cache unavailable \(no answer within 150 ms\); bypassing it/);
    expect(h.clock.sleeps).toContain(150);
  });
});

describe("a KV that never answers, with every provider down", () => {
  it("the degradation ladder skips its KV rungs after a bounded wait and still answers from the rules", async () => {
    const hungKv = { get: never, getWithMetadata: never, put: never, delete: never, list: never };
    const config = {
      ...VENDOR_CONFIG,
      routes: { auto: { targets: ["alpha/gpt-4o-mini"], retry: { maxRetries: 0 } } },
      cache: { kvTimeoutMs: 150 },
      degrade: { rules: { labels: [{ name: "billing", keywords: ["invoice", "refund"] }] } },
    };
    const h = harness({ config, extraEnv: { DETOUR_KV: hungKv } });
    h.vendors.always("openai.test", { status: 503 });
    const r = await h.chat({ messages: [{ role: "user", content: "Classify this ticket: I want a refund for my invoice" }] }, { ...trace, "x-detour-task": "classification" });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-mode")).toBe("degraded");
    expect(r.headers.get("x-detour-degraded")).toBe("rules; reason=providers_down");
    expect(r.json.detour.notes).toContain("degrade rung template failed: no answer within 150 ms");
    expect(r.json.detour.notes).toContain("cache unavailable (no answer within 150 ms); bypassing it");
  });
});

describe("chaos off the hot path", () => {
  it("with no drill active, requests make no ChaosControl call at all", async () => {
    const ns = hungNamespace();
    const h = harness({ config: VENDOR_CONFIG, extraEnv: { CHAOS: ns } });
    h.vendors.always("openai.test", { text: "ok" });
    for (let i = 0; i < 3; i++) {
      const r = await h.chat({}, trace);
      expect(r.status).toBe(200);
      expect(r.json.detour.notes.join(" ")).not.toMatch(/chaos/);
      await h.clock.advance(10_000);
    }
    expect(ns.calls).toEqual([]);
  });

  it("a fault change writes the KV version flag other isolates read", async () => {
    const ADMIN = "admin-token-for-tests-0001-abcdefghij";
    const h = harness({ config: VENDOR_CONFIG, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    const set = await h.call("/admin/faults", { method: "POST", headers: { authorization: `Bearer ${ADMIN}` }, json: { provider: "alpha", kind: "outage", ttlSeconds: 60 } });
    expect(set.status).toBe(201);
    const flag = (await h.env.DETOUR_KV.get("config:chaos-version", "json")) as { version: string; activeUntil: number };
    expect(flag.activeUntil).toBe(h.clock.now() + 60_000);
    await h.call("/admin/faults", { method: "DELETE", headers: { authorization: `Bearer ${ADMIN}` } });
    const cleared = (await h.env.DETOUR_KV.get("config:chaos-version", "json")) as { version: string; activeUntil: number };
    expect(cleared.activeUntil).toBe(0);
    expect(cleared.version).not.toBe(flag.version);
  });
});

describe("a caller who leaves", () => {
  const ADMIN = "admin-token-for-tests-0001-abcdefghij";
  const config = { ...VENDOR_CONFIG, routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } } };

  /** Send a chat request with the caller's own abort signal; the response is returned as soon as it starts. */
  function start(h: ReturnType<typeof harness>, body: Record<string, unknown>) {
    const caller = new AbortController();
    const request = new Request("https://detour.test/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${PREMIUM}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: "Say hello" }], ...body }),
      signal: caller.signal,
    });
    const ctx = createExecutionContext();
    const response = h.app.fetch(request, h.env, ctx) as Promise<Response>;
    return { caller, response, ctx };
  }

  async function alphaStatus(h: ReturnType<typeof harness>) {
    const s = await h.call("/status", { headers: { authorization: `Bearer ${ADMIN}` } });
    return s.json.providers.find((p: any) => p.provider === "alpha");
  }

  it("mid-stream (after commit): the upstream fetch is aborted and the attempt is cancelled, not a provider fault", async () => {
    const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("openai.test", { text: "one two three four five six", chunks: 6, stallAfterEvents: 2 });
    const { caller, response, ctx } = start(h, { stream: true });
    const res = await h.clock.run(response);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("data: ");
    const upstream = h.vendors.callsTo("openai.test")[0]!;
    expect(upstream.signal.aborted).toBe(false);
    caller.abort();
    await reader.cancel();
    await h.clock.settle();
    await h.clock.run(waitOnExecutionContext(ctx));
    expect(upstream.signal.aborted).toBe(true);
    expect(h.logs.at(-1)?.stream_error).toBe("client_gone");
    const alpha = await alphaStatus(h);
    expect(alpha.state).toBe("CLOSED");
    expect(JSON.stringify(alpha.requests ?? {})).not.toMatch(/timeout|stream_cut|network/);
  });

  it("a stream the caller stops reading (no abort signal) still aborts the upstream", async () => {
    const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("openai.test", { text: "one two three four five six", chunks: 6, stallAfterEvents: 2 });
    const { response, ctx } = start(h, { stream: true });
    const res = await h.clock.run(response);
    const reader = res.body!.getReader();
    await reader.read();
    const upstream = h.vendors.callsTo("openai.test")[0]!;
    await reader.cancel();
    await h.clock.settle();
    expect(upstream.signal.aborted).toBe(true);
    await h.clock.run(waitOnExecutionContext(ctx));
    expect(h.logs.at(-1)?.stream_error).toBe("client_gone");
  });

  it.each([false, true])("before the first byte (stream=%s): the upstream fetch is aborted and nothing counts against the provider", async (stream) => {
    const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("openai.test", { hang: true });
    const { caller, response, ctx } = start(h, { stream });
    // The request reaches the vendor after real Durable Object I/O (breaker warm-up): wait for it, without moving time.
    for (let i = 0; i < 500 && h.vendors.callsTo("openai.test").length === 0; i++) await h.clock.settle();
    const upstream = h.vendors.callsTo("openai.test")[0]!;
    expect(upstream.signal.aborted).toBe(false);
    caller.abort();
    const res = await h.clock.run(response);
    await res.text().catch(() => "");
    await h.clock.run(waitOnExecutionContext(ctx));
    expect(upstream.signal.aborted).toBe(true);
    expect(h.vendors.callsTo("anthropic.test")).toHaveLength(0);
    const line = h.logs.at(-1)!;
    // The log names the caller's departure for what it is, never a vendor timeout.
    expect(line.attempts?.[0]).toMatchObject({ provider: "alpha", outcome: "error", error_class: "cancelled" });
    const alpha = await alphaStatus(h);
    expect(alpha.state).toBe("CLOSED");
    expect(JSON.stringify(alpha.requests ?? {})).not.toMatch(/timeout|network/);
  });
});
