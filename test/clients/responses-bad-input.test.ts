/** Bad input to /v1/responses: a 4xx in OpenAI's error shape, and nothing reaches a vendor. */
import { describe, expect, it } from "vitest";
import { harness } from "../support/harness";

describe("/v1/responses refuses bad input in OpenAI's error shape", () => {
  const cases: [string, unknown, string | null, RegExp][] = [
    ["unparsable JSON", "{not json", null, /not valid JSON/],
    ["no input", { model: "auto" }, "input", /input/],
    ["an item_reference without an id", { model: "auto", input: [{ role: "user", content: "x" }, { type: "item_reference" }] }, "input[1].id", /id/],
    ["a function_call_output for no call", { model: "auto", input: [{ role: "user", content: "x" }, { type: "function_call_output", call_id: "c1", output: "r" }] }, "input[1].call_id", /c1/],
    ["background mode", { model: "auto", input: "x", background: true }, "background", /[Bb]ackground/],
    ["a conversation", { model: "auto", input: "x", conversation: "conv_1" }, "conversation", /previous_response_id/],
    ["a bad text.format", { model: "auto", input: "x", text: { format: { type: "json_schema" } } }, "text.format.name", /name/],
    ["a text.format schema that is not a JSON Schema", { model: "auto", input: "x", text: { format: { type: "json_schema", name: "x", schema: { type: "object", required: "a" } } } }, "text.format.schema", /required/],
    ["metadata over OpenAI's limits", { model: "auto", input: "x", metadata: { ["k".repeat(65)]: "v" } }, "metadata", /at most 16 key-value pairs/],
    // Once reached every vendor in turn: a 502 "provider unavailable" that counted against each provider's breaker.
    ["tool_choice required without tools", { model: "auto", input: "x", tool_choice: "required" }, "tool_choice", /tool_choice needs tools/],
    ["tool_choice naming a function not among tools", { model: "auto", input: "x", tools: [{ type: "function", name: "get_weather", parameters: { type: "object" } }], tool_choice: { type: "function", name: "nope" } }, "tool_choice", /'nope', which is not among tools/],
  ];
  for (const [what, body, param, message] of cases) {
    it(`400 for ${what}`, async () => {
      const h = harness();
      const r = await h.call("/v1/responses", typeof body === "string" ? { method: "POST", body, headers: { "content-type": "application/json" } } : { method: "POST", json: body });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ error: { type: "invalid_request_error", param, message: expect.stringMatching(message) } });
      expect(h.vendors.calls).toHaveLength(0);
    });
  }
});

describe("/v1/responses/:id/cancel", () => {
  // docs/inbound-apis.md lists it as a 400; it answered 404 "Unknown request URL", and the SDK's responses.cancel a NotFoundError.
  it("400: only background responses can be cancelled, and Detour runs none", async () => {
    const h = harness();
    const r = await h.call("/v1/responses/resp_0123456789abcdef0123456789abcdef/cancel", { method: "POST" });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: { type: "invalid_request_error", code: "invalid_request", message: expect.stringMatching(/background/) } });
    expect(h.vendors.calls).toHaveLength(0);
  });
});

describe("/v1/responses: what storage cannot find", () => {
  it("404 for an item_reference to no stored item, 400 previous_response_not_found for an unknown previous response", async () => {
    const h = harness();
    for (const id of ["msg_1", "msg_0123456789abcdef0123456789abcdef_0", "rs_abc"]) {
      const r = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: [{ role: "user", content: "x" }, { type: "item_reference", id }] } });
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ error: { type: "invalid_request_error", code: "item_not_found", param: "input[1]", message: `Item with id '${id}' not found.` } });
    }
    for (const id of ["resp_0123456789abcdef0123456789abcdef", "not-an-id"]) {
      const r = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "x", previous_response_id: id } });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ error: { type: "invalid_request_error", code: "previous_response_not_found", param: "previous_response_id", message: `Previous response with id '${id}' not found.` } });
    }
    for (const [method, path] of [["GET", "/v1/responses/resp_nope"], ["DELETE", "/v1/responses/resp_nope"], ["GET", "/v1/responses/resp_nope/input_items"]] as const) {
      const r = await h.call(path, { method });
      expect(r.status).toBe(404);
      expect(r.json.error).toMatchObject({ type: "invalid_request_error", code: "response_not_found" });
    }
    expect(h.vendors.calls).toHaveLength(0);
  });
});
