/** Bad input to /v1/responses: a 4xx in OpenAI's error shape, and nothing reaches a vendor. */
import { describe, expect, it } from "vitest";
import { harness } from "../support/harness";

describe("/v1/responses refuses bad input in OpenAI's error shape", () => {
  const cases: [string, unknown, string | null, RegExp][] = [
    ["unparsable JSON", "{not json", null, /not valid JSON/],
    ["no input", { model: "auto" }, "input", /input/],
    ["an item_reference", { model: "auto", input: [{ type: "item_reference", id: "msg_1" }] }, "input[0]", /stateless/],
    ["a function_call_output for no call", { model: "auto", input: [{ role: "user", content: "x" }, { type: "function_call_output", call_id: "c1", output: "r" }] }, "input[1].call_id", /c1/],
    ["background mode", { model: "auto", input: "x", background: true }, "background", /[Bb]ackground/],
    ["a conversation", { model: "auto", input: "x", conversation: "conv_1" }, "conversation", /stateless/],
    ["a bad text.format", { model: "auto", input: "x", text: { format: { type: "json_schema" } } }, "text.format.name", /name/],
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
