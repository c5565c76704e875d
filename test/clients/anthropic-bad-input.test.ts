/** Bad input to /v1/messages: a 4xx in Anthropic's own error shape, and nothing reaches a vendor. */
import { describe, expect, it } from "vitest";
import { harness, PREMIUM } from "../support/harness";

const headers = { "x-api-key": PREMIUM, "anthropic-version": "2023-06-01", authorization: "" };
const post = (h: ReturnType<typeof harness>, body: unknown, path = "/v1/messages") =>
  h.call(path, typeof body === "string" ? { method: "POST", body, headers: { ...headers, "content-type": "application/json" } } : { method: "POST", headers, json: body });
const ok = { model: "auto", max_tokens: 64, messages: [{ role: "user", content: "hi" }] };

describe("/v1/messages refuses bad input in Anthropic's error shape", () => {
  const cases: [string, unknown, RegExp][] = [
    ["unparsable JSON", "{not json", /not valid JSON/],
    ["no max_tokens", { model: "auto", messages: ok.messages }, /max_tokens/],
    ["no messages", { model: "auto", max_tokens: 64, messages: [] }, /messages/],
    ["a tool_result for a tool_use nobody made", { ...ok, messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x", content: "r" }] }] }, /toolu_x/],
    ["a server tool", { ...ok, tools: [{ type: "web_search_20250305", name: "web_search" }] }, /server tool/],
    ["extended thinking", { ...ok, thinking: { type: "enabled", budget_tokens: 1024 } }, /thinking/],
    ["a document block", { ...ok, messages: [{ role: "user", content: [{ type: "document", source: { type: "text", data: "x", media_type: "text/plain" } }] }] }, /messages\[0\]\.content\[0\]/],
    ["a tool input_schema that is not a JSON Schema", { ...ok, tools: [{ name: "f", input_schema: { type: "object", properties: { a: { type: "banana" } } } }] }, /tools\[0\]\.input_schema.*properties\/a.*banana/],
    // Once reached every vendor in turn: a 502 "provider unavailable" that counted against each provider's breaker.
    ["tool_choice any without tools", { ...ok, tool_choice: { type: "any" } }, /tool_choice needs tools/],
    ["tool_choice naming a tool not among tools", { ...ok, tools: [{ name: "get_weather", input_schema: { type: "object" } }], tool_choice: { type: "tool", name: "nope" } }, /'nope', which is not among tools/],
  ];
  for (const [what, body, message] of cases) {
    it(`400 for ${what}`, async () => {
      const h = harness();
      const r = await post(h, body);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(message) } });
      expect(h.vendors.calls).toHaveLength(0);
    });
  }

  it("401 for a wrong key, 404 for an unknown route, in the same shape", async () => {
    const h = harness();
    const r = await h.call("/v1/messages", { method: "POST", headers: { ...headers, "x-api-key": "dtr_wrong" }, json: ok });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const nf = await post(h, { ...ok, model: "nope" });
    expect(nf.status).toBe(404);
    expect(nf.json).toMatchObject({ type: "error", error: { type: "not_found_error" } });
  });

  it("count_tokens refuses a bad body the same way", async () => {
    const r = await post(harness(), { model: "auto", messages: "hi" }, "/v1/messages/count_tokens");
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("count_tokens answers an unknown model with Anthropic's 404, as /v1/messages does, not an estimate", async () => {
    const h = harness();
    const nf = await post(h, { model: "nope", messages: [{ role: "user", content: "hi" }] }, "/v1/messages/count_tokens");
    expect(nf.status).toBe(404);
    expect(nf.json).toMatchObject({ type: "error", error: { type: "not_found_error", code: "model_not_found" } });
    const known = await post(h, { model: "auto", messages: [{ role: "user", content: "hi" }] }, "/v1/messages/count_tokens");
    expect(known.status).toBe(200);
    expect(known.json.input_tokens).toBeGreaterThan(0);
  });
});
