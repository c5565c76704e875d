/**
 * The Responses API's `response` object echoes the request that made it (OpenAI's `Response` type): what the caller
 * sent for instructions, tools, tool_choice, text.format, limits, sampling, metadata, reasoning, truncation,
 * parallel_tool_calls, user and safety_identifier comes back as sent — in the JSON answer, in the streamed
 * response.created / response.completed objects, and from GET /v1/responses/:id for a stored one.
 */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";
import { eventsOf } from "../support/sse";


const config = { ...VENDOR_CONFIG, routes: { auto: { targets: ["alpha/gpt-4o-mini"], retry: { maxRetries: 0 } } } };

const tool = { type: "function", name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: true };
const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"], additionalProperties: false };

/** A request that sets every echoed field to something other than its default. */
const body = {
  model: "auto",
  input: "hi",
  instructions: "x",
  parallel_tool_calls: false,
  truncation: "auto",
  temperature: 0.3,
  top_p: 0.8,
  max_output_tokens: 200,
  tools: [tool],
  tool_choice: "none",
  metadata: { app: "demo" },
  text: { format: { type: "json_schema", name: "reply", description: "One answer", schema, strict: true } },
  reasoning: { effort: "low", summary: "auto" },
  user: "u-1",
  safety_identifier: "sid-1",
  prompt_cache_key: "pck-1",
};

const echoed = {
  instructions: "x",
  parallel_tool_calls: false,
  truncation: "auto",
  temperature: 0.3,
  top_p: 0.8,
  max_output_tokens: 200,
  tools: [{ type: "function", name: "get_weather", description: "Weather for a city", parameters: tool.parameters, strict: true }],
  tool_choice: "none",
  metadata: { app: "demo" },
  text: { format: { type: "json_schema", name: "reply", description: "One answer", schema, strict: true } },
  reasoning: { effort: "low", summary: "auto" },
  user: "u-1",
  safety_identifier: "sid-1",
  prompt_cache_key: "pck-1",
  previous_response_id: null,
  background: false,
};

describe("the response object echoes the request", () => {
  it("JSON: every echoed field is what the request sent; GET /v1/responses/:id gives the same", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: '{"answer":"hello"}' });
    const res = await h.call("/v1/responses", { method: "POST", json: body });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ...echoed, store: true });
    const got = await h.call(`/v1/responses/${res.json.id}`);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ ...echoed, store: true });
  });

  it("streamed: response.created and response.completed echo it too (store: false)", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: '{"answer":"hello"}', chunks: 2 });
    const res = await h.call("/v1/responses", { method: "POST", json: { ...body, stream: true, store: false } });
    expect(res.status).toBe(200);
    const events = eventsOf(res.text);
    const created = events.find((e) => e.type === "response.created");
    const completed = events.find((e) => e.type === "response.completed");
    expect(created.response).toMatchObject({ ...echoed, store: false });
    expect(completed.response).toMatchObject({ ...echoed, store: false });
  });

  it("defaults where the request sent nothing, as OpenAI's", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "hello" });
    const res = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "hi", store: false } });
    expect(res.json).toMatchObject({
      instructions: null,
      parallel_tool_calls: true,
      truncation: "disabled",
      temperature: 1,
      top_p: 1,
      max_output_tokens: null,
      tools: [],
      tool_choice: "auto",
      metadata: {},
      text: { format: { type: "text" } },
      reasoning: { effort: null, summary: null },
      user: null,
      safety_identifier: null,
      prompt_cache_key: null,
      store: false,
    });
  });
});
