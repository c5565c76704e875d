/** /v1/messages shares the intent cache with every other inbound API: a hit is served as an Anthropic message. */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";

const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
  cache: { ttlSeconds: { classification: 600 } },
};
const headers = { "x-api-key": PREMIUM, authorization: "", "x-detour-task": "classification" };
const body = (stream = false) => ({ model: "auto", max_tokens: 16, temperature: 0, stream, messages: [{ role: "user", content: "Sentiment of: I love this product" }] });

describe("/v1/messages and the intent cache", () => {
  it("stores a live answer and serves the repeat from cache, as JSON and as a replayed Anthropic stream", async () => {
    const h = harness({ config });
    h.vendors.always("openai.test", { text: "positive" });
    const first = await h.call("/v1/messages", { method: "POST", headers, json: body() });
    expect(first.headers.get("x-detour-cache")).toBe("miss");
    const second = await h.call("/v1/messages", { method: "POST", headers, json: body() });
    expect(second.headers.get("x-detour-mode")).toBe("cache");
    expect(second.json).toMatchObject({ type: "message", content: [{ type: "text", text: "positive" }], stop_reason: "end_turn", detour: { cache: { match: "exact" } } });
    const streamed = await h.call("/v1/messages", { method: "POST", headers, json: body(true) });
    expect(streamed.headers.get("x-detour-mode")).toBe("cache");
    // Anthropic frames are `event:` then `data:` lines.
    const events = [...streamed.text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!));
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("message_start");
    expect(types.at(-1)).toBe("message_stop");
    expect(events.filter((e) => e.type === "content_block_delta").map((e) => e.delta.text).join("")).toBe("positive");
    expect(h.vendors.callsTo("openai.test")).toHaveLength(1);
  });
});
