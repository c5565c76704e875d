/**
 * Tenant-safe breakers through the real worker and the real ProviderHealth object: requests one tenant crafts (stop
 * sequences that make the vendor answer empty, schemas nested thousands of levels deep) and failures only one tenant
 * sees leave the provider's breaker CLOSED and other tenants on the primary; a provider failing everyone still trips.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const A = "dtr_tenant_a_key_00000001";
const B = "dtr_tenant_b_key_00000002";
const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
  // Active probing off: these tests are about callers' probes; the object's own probe would decide HALF_OPEN first.
  resilience: { breaker: { consecutiveFailures: 5, openMs: 10_000, openJitter: 0 }, reportFlushMs: 0, probe: { enabled: false } },
};
const setup = () => {
  const h = harness({ config, keys: { [A]: { tenant: "tenant-a", tier: "standard" }, [B]: { tenant: "tenant-b", tier: "standard" } }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
  h.vendors.always("anthropic.test", { text: "from beta" });
  return h;
};
const as = (key: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${key}`, ...extra });
const alphaState = async (h: ReturnType<typeof harness>) =>
  (await h.call("/status", { headers: { authorization: `Bearer ${ADMIN}` } })).json.providers.find((p: any) => p.provider === "alpha").state;

/** `{"type":"object","properties":{"a":…}}` nested `levels` times. */
function deepSchema(levels: number): unknown {
  let v: unknown = { type: "string" };
  for (let i = 0; i < levels; i++) v = { type: "object", properties: { a: v } };
  return v;
}

describe("tenant-safe breakers", () => {
  it("an empty answer the caller's own stop sequence explains is a 200 pass-through, and the breaker stays CLOSED", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "", finishReason: "stop" });
    for (let i = 0; i < 7; i++) {
      const r = await h.chat({ stop: ["Hello"] }, as(A));
      expect(r.status).toBe(200);
      expect(r.json.choices[0]).toMatchObject({ message: { role: "assistant" }, finish_reason: "stop" });
      expect(r.json.choices[0].message.content ?? "").toBe("");
      expect(r.headers.get("x-detour-mode")).toBe("primary");
    }
    const streamed = await h.chat({ stop: ["Hello"], stream: true }, as(A));
    expect(streamed.status).toBe(200);
    expect(streamed.events.some((e) => e?.choices?.[0]?.finish_reason === "stop")).toBe(true);
    expect(streamed.events.at(-1)).toBe("[DONE]");
    expect(h.vendors.callsTo("openai.test")).toHaveLength(8); // no retries
    expect(h.vendors.callsTo("anthropic.test")).toHaveLength(0);
    expect(await alphaState(h)).toBe("CLOSED");
  });

  it("the same empty answer without a stop sequence is still the provider's `empty`", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "", finishReason: "stop" });
    const r = await h.chat({}, as(A, { "x-detour-trace": "1" }));
    expect(r.json.choices[0].message.content).toBe("from beta");
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "error", error_class: "empty" });
  });

  it("a json_schema nested 5,000 levels deep is a 400 naming the limit and the param; nothing reaches a vendor", async () => {
    const h = setup();
    for (let i = 0; i < 6; i++) {
      const r = await h.chat({ response_format: { type: "json_schema", json_schema: { name: "deep", schema: deepSchema(5000) } } }, as(A));
      expect(r.status).toBe(400);
      expect(r.json.error).toMatchObject({ type: "invalid_request_error", code: "json_too_deep", param: "response_format.json_schema.schema" });
      expect(r.json.error.message).toContain("limits.maxJsonDepth");
    }
    expect(h.vendors.calls).toHaveLength(0);
    expect(await alphaState(h)).toBe("CLOSED");
    expect((await h.chat({}, as(B))).headers.get("x-detour-mode")).toBe("primary");
  });

  it("tenant A failing 6 times in a row while tenant B is served leaves the breaker CLOSED and B on the primary", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "from alpha" });
    expect((await h.chat({}, as(B))).headers.get("x-detour-mode")).toBe("primary");
    h.vendors.script("openai.test", ...Array.from({ length: 6 }, () => ({ status: 500 })));
    for (let i = 0; i < 6; i++) expect((await h.chat({}, as(A))).json.choices[0].message.content).toBe("from beta");
    expect(await alphaState(h)).toBe("CLOSED");
    const b = await h.chat({}, as(B));
    expect(b.json.choices[0].message.content).toBe("from alpha");
    expect(b.headers.get("x-detour-mode")).toBe("primary");
  });

  it("a provider failing every tenant still trips", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "from alpha" });
    await h.chat({}, as(B));
    h.vendors.always("openai.test", { status: 500 });
    for (let i = 0; i < 5; i++) await h.chat({}, as(i % 2 ? A : B));
    expect(await alphaState(h)).toBe("OPEN");
  });

  it("a provider failing the only tenant in the traffic still trips", async () => {
    const h = setup();
    h.vendors.always("openai.test", { status: 503 });
    for (let i = 0; i < 5; i++) await h.chat({}, as(A));
    expect(await alphaState(h)).toBe("OPEN");
  });

  it("tenant A cannot hold the half-open probe: its failed probe while B asks does not re-open, and B's probe closes", async () => {
    const h = setup();
    h.vendors.always("openai.test", { status: 500 });
    for (let i = 0; i < 5; i++) await h.chat({}, as(i % 2 ? A : B));
    expect(await alphaState(h)).toBe("OPEN");
    await h.clock.advance(10_001);
    h.vendors.script("openai.test", { hang: true }); // A's probe: no answer until its first-byte timeout
    h.vendors.always("openai.test", { text: "alpha is back" });
    // A asks first and wins the single permit (its probe hangs at alpha); only then does B ask. Sending both at once
    // would leave the winner to the order the object happens to see them in.
    const before = h.vendors.callsTo("openai.test").length;
    const ctx = createExecutionContext();
    const pending = h.app.fetch(
      new Request("https://detour.test/v1/chat/completions", {
        method: "POST",
        headers: { ...as(A, { "x-detour-trace": "1" }), "content-type": "application/json" },
        body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: "Say hello" }] }),
      }),
      h.env,
      ctx,
    ) as Promise<Response>;
    for (let i = 0; i < 500 && h.vendors.callsTo("openai.test").length === before; i++) await h.clock.settle();
    expect(h.vendors.callsTo("openai.test").length).toBe(before + 1);
    const b = await h.chat({}, as(B, { "x-detour-trace": "1" }));
    const a = { json: await h.clock.run(pending.then((r) => r.json() as Promise<any>)) };
    await h.clock.run(waitOnExecutionContext(ctx));
    expect(a.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "error", probe: true });
    expect(b.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "skipped", reason: "probe_denied" });
    expect(await alphaState(h)).toBe("HALF_OPEN");
    const again = await h.chat({}, as(A, { "x-detour-trace": "1" }));
    expect(again.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "skipped", reason: "probe_denied" });
    const probe = await h.chat({}, as(B, { "x-detour-trace": "1" }));
    expect(probe.json.choices[0].message.content).toBe("alpha is back");
    expect(await alphaState(h)).toBe("CLOSED");
  });
});
