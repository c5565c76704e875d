/** The intent cache through the worker, with real KV (miniflare) and the manual clock. */
import { describe, expect, it } from "vitest";
import { PRICED_PROVIDERS, VENDOR_CONFIG } from "../support/config";
import { harness, streamedText } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const config = {
  ...VENDOR_CONFIG,
  // Priced: one test calls as the free tier, which has a spend cap.
  providers: PRICED_PROVIDERS,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
  cache: { ttlSeconds: { classification: 600 }, staleGraceSeconds: 3600 },
  // Reports go at once, so no flush timer moves the manual clock and ages here are exact.
  resilience: { reportFlushMs: 0 },
};
const setup = () => {
  const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
  h.vendors.always("openai.test", { text: "positive" });
  return h;
};
const classify = (content: string, extra: Record<string, unknown> = {}) => ({ temperature: 0, messages: [{ role: "user", content }], ...extra });
const task = { "x-detour-task": "classification" };

describe("intent cache", () => {
  it("misses, stores, then answers an identical request from cache without calling a vendor", async () => {
    const h = setup();
    const first = await h.chat(classify("Sentiment of: I love this product"), task);
    expect(first.headers.get("x-detour-cache")).toBe("miss");
    const second = await h.chat(classify("Sentiment of: I love this product"), task);
    expect(second.headers.get("x-detour-cache")).toBe("hit; match=exact");
    expect(second.headers.get("x-detour-mode")).toBe("cache");
    expect(second.json.choices[0].message.content).toBe("positive");
    expect(second.json.detour.cache).toMatchObject({ match: "exact", age_seconds: 0 });
    expect(h.vendors.callsTo("openai.test")).toHaveLength(1);
  });

  it("matches case and whitespace variants canonically, and paraphrases as near duplicates", async () => {
    const h = setup();
    await h.chat(classify("How do I reset my password?"), task);
    const canonical = await h.chat(classify("  how do i   RESET my password? "), task);
    expect(canonical.headers.get("x-detour-cache")).toBe("hit; match=canonical");
    const near = await h.chat(classify("How can I reset my password"), task);
    expect(near.headers.get("x-detour-cache")).toMatch(/^hit; match=near; similarity=(0\.\d\d|1\.00)$/);
    const different = await h.chat(classify("How do I delete my account?"), task);
    expect(different.headers.get("x-detour-cache")).toBe("miss");
    expect(h.vendors.callsTo("openai.test")).toHaveLength(2);
  });

  it("keys by explicit intent across wordings", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "Refunds take 5 days." });
    await h.chat({ messages: [{ role: "user", content: "refund policy?" }] }, { "x-detour-intent": "faq:refunds" });
    const r = await h.chat({ messages: [{ role: "user", content: "when do I get my money back" }] }, { "x-detour-intent": "faq:refunds" });
    expect(r.headers.get("x-detour-cache")).toBe("hit; match=intent");
    expect(r.json.choices[0].message.content).toBe("Refunds take 5 days.");
  });

  it("never crosses tenants", async () => {
    const h = setup();
    await h.chat(classify("Sentiment of: great"), task);
    const other = await h.chat(classify("Sentiment of: great"), { ...task, authorization: "Bearer dtr_free_key_000000000002" });
    expect(other.headers.get("x-detour-cache")).toBe("miss");
    expect(h.vendors.callsTo("openai.test")).toHaveLength(2);
  });

  it("Cache-Control: no-store bypasses reads and writes; no-cache revalidates", async () => {
    const h = setup();
    const bypass = await h.chat(classify("Sentiment of: ok"), { ...task, "cache-control": "no-store" });
    expect(bypass.headers.get("x-detour-cache")).toBe("bypass");
    expect((await h.chat(classify("Sentiment of: ok"), task)).headers.get("x-detour-cache")).toBe("miss");
    h.vendors.always("openai.test", { text: "neutral" });
    const revalidated = await h.chat(classify("Sentiment of: ok"), { ...task, "cache-control": "no-cache" });
    expect(revalidated.headers.get("x-detour-cache")).toBe("revalidate");
    expect(revalidated.json.choices[0].message.content).toBe("neutral");
    await h.clock.advance(1500); // KV takes one write per second per key
    const after = await h.chat(classify("Sentiment of: ok"), { ...task, "cache-control": "no-cache" });
    expect(after.json.choices[0].message.content).toBe("neutral");
    expect((await h.chat(classify("Sentiment of: ok"), task)).json.choices[0].message.content).toBe("neutral");
  });

  it.each([
    ["temperature > 0", classify("Sentiment of: hot", { temperature: 0.7 }), task],
    ["tools", classify("Sentiment of: tools", { tools: [{ type: "function", function: { name: "t", parameters: { type: "object" } } }] }), task],
    ["a chat request", classify("Tell me about your day"), {}],
  ])("does not cache %s", async (_n, body, headers) => {
    const h = setup();
    await h.chat(body, headers);
    const again = await h.chat(body, headers);
    expect(again.headers.get("x-detour-cache")).toBe("bypass");
    expect(h.vendors.callsTo("openai.test")).toHaveLength(2);
  });

  it("expires by TTL on the injected clock, then serves the stale answer, labelled, only when the live path fails", async () => {
    const h = setup();
    await h.chat(classify("Sentiment of: fine"), task);
    await h.clock.advance(601_000);
    h.vendors.always("openai.test", { text: "fresh again" });
    const live = await h.chat(classify("Sentiment of: fine"), task);
    expect(live.json.choices[0].message.content).toBe("fresh again");
    expect(live.headers.get("x-detour-cache")).toBe("miss");

    const h2 = setup();
    await h2.chat(classify("Sentiment of: fine"), task);
    await h2.clock.advance(601_000);
    h2.vendors.always("openai.test", { status: 503 });
    h2.vendors.always("anthropic.test", { status: 503 });
    const stale = await h2.chat(classify("Sentiment of: fine"), task);
    expect(stale.status).toBe(200);
    expect(stale.json.choices[0].message.content).toBe("positive");
    expect(stale.headers.get("x-detour-mode")).toBe("stale");
    expect(stale.headers.get("x-detour-cache")).toBe("stale");
    expect(stale.headers.get("x-detour-degraded")).toBe("cache; reason=providers_down");
    expect(stale.json.detour.degraded).toMatchObject({ mode: "stale", rung: "cache", age_seconds: 601 });
    expect(stale.json.detour.degraded.message).toMatch(/10 minutes ago/);
  });

  it("replays a cached answer as a stream, and caches a streamed answer", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "very positive indeed", chunks: 3 });
    const live = await h.chat(classify("Sentiment of: superb", { stream: true }), task);
    expect(streamedText(live.events)).toBe("very positive indeed");
    const replay = await h.chat(classify("Sentiment of: superb", { stream: true }), task);
    expect(replay.headers.get("x-detour-cache")).toBe("hit; match=exact");
    expect(streamedText(replay.events)).toBe("very positive indeed");
    expect(replay.events.at(-1)).toBe("[DONE]");
    const json = await h.chat(classify("Sentiment of: superb"), task);
    expect(json.headers.get("x-detour-cache")).toBe("hit; match=exact");
    expect(h.vendors.callsTo("openai.test")).toHaveLength(1);
  });

  it("admin purge removes a tenant's answers", async () => {
    const h = setup();
    await h.chat(classify("Sentiment of: purge me"), task);
    const purge = await h.call("/admin/cache?tenant=acme", { method: "DELETE", headers: { authorization: `Bearer ${ADMIN}` } });
    expect(purge.status).toBe(200);
    expect(purge.json.removed_keys).toBeGreaterThan(0);
    expect((await h.chat(classify("Sentiment of: purge me"), task)).headers.get("x-detour-cache")).toBe("miss");
    expect((await h.call("/admin/cache", { method: "DELETE", headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(400);
    expect((await h.call("/admin/cache?tenant=acme", { method: "DELETE" })).status).toBe(401);
  });

  it("rejects a bad x-detour-intent", async () => {
    const r = await setup().chat({}, { "x-detour-intent": "x".repeat(201) });
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe("x-detour-intent");
  });
});
