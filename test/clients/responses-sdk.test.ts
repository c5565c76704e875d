/**
 * The official `openai` client's Responses API (`client.responses.*`), unchanged, pointed at Detour's /v1/responses
 * with its `fetch` calling the worker in-process. Real-wire fakes of OpenAI and Anthropic sit behind the route.
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";
import { inProcessFetch } from "../support/in-process";

type H = ReturnType<typeof harness>;

function client(h: H) {
  return new OpenAI({
    apiKey: PREMIUM,
    baseURL: "https://detour.test/v1",
    maxRetries: 0,
    fetch: inProcessFetch(h),
  });
}

const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
};

describe("official openai client's Responses API against Detour's /v1/responses", () => {
  // The output item that max_output_tokens cut said "completed" inside an "incomplete" response (OpenAI marks it
  // "incomplete" too), so a client reading the item could take a cut answer for a whole one.
  it("marks the output item that max_output_tokens cut as incomplete, JSON and streamed", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "Once upon", finishReason: "length" }, { text: "Once upon", finishReason: "length" });
    const c = client(h);
    const res = await h.clock.run(c.responses.create({ model: "auto", input: "Tell me a story", max_output_tokens: 3 }));
    expect(res.status).toBe("incomplete");
    expect(res.output).toMatchObject([{ type: "message", status: "incomplete", content: [{ type: "output_text", text: "Once upon" }] }]);
    const final = await h.clock.run(c.responses.stream({ model: "auto", input: "Tell me a story", max_output_tokens: 3 }).finalResponse());
    expect(final.status).toBe("incomplete");
    expect(final.output).toMatchObject([{ type: "message", status: "incomplete", content: [{ type: "output_text", text: "Once upon" }] }]);
  });

  it("creates a response from a string input with instructions", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "Hi from alpha", usage: { inputTokens: 6, outputTokens: 3 } });
    const res = await h.clock.run(client(h).responses.create({ model: "auto", instructions: "Be brief.", input: "hello", max_output_tokens: 64 }));
    expect(res.object).toBe("response");
    expect(res.status).toBe("completed");
    expect(res.output_text).toBe("Hi from alpha");
    expect(res.usage).toMatchObject({ input_tokens: 6, output_tokens: 3, total_tokens: 9 });
    const sent = h.vendors.callsTo("openai.test")[0]!.body;
    expect(sent.messages).toEqual([{ role: "system", content: "Be brief." }, { role: "user", content: "hello" }]);
    expect(sent.max_tokens ?? sent.max_completion_tokens).toBe(64);
  });

  it("streams typed events in order, and responses.stream() assembles the final response", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "one two three", chunks: 3 }, { text: "four five", chunks: 2 });
    const c = client(h);
    const out = await h.clock.run(
      (async () => {
        const types: string[] = [];
        let text = "";
        let seqOk = true;
        let last = -1;
        for await (const e of await c.responses.create({ model: "auto", input: "count", stream: true })) {
          types.push(e.type);
          seqOk &&= e.sequence_number === last + 1;
          last = e.sequence_number;
          if (e.type === "response.output_text.delta") text += e.delta;
        }
        const final = await c.responses.stream({ model: "auto", input: [{ role: "user", content: "more" }] }).finalResponse();
        return { types, text, seqOk, final };
      })(),
    );
    expect(out.text).toBe("one two three");
    expect(out.seqOk).toBe(true);
    expect(out.types.slice(0, 4)).toEqual(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
    expect(out.types.slice(-4)).toEqual(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]);
    expect(out.final.output_text).toBe("four five");
    expect(out.final.status).toBe("completed");
  });

  it("calls function tools and takes function_call_output back", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { toolCalls: [{ id: "call_7", name: "get_weather", arguments: '{"city":"Paris"}' }] }, { text: "Sunny." });
    const c = client(h);
    const tools = [{ type: "function" as const, name: "get_weather", description: "Weather by city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }, strict: false }];
    const first = await h.clock.run(c.responses.create({ model: "auto", tools, tool_choice: "auto", input: "weather in Paris?" }));
    const call = first.output.find((o) => o.type === "function_call")!;
    expect(call).toMatchObject({ type: "function_call", call_id: "call_7", name: "get_weather", arguments: '{"city":"Paris"}' });
    const second = await h.clock.run(
      c.responses.create({
        model: "auto",
        tools,
        input: [{ role: "user", content: "weather in Paris?" }, ...first.output.filter((o) => o.type === "function_call"), { type: "function_call_output", call_id: "call_7", output: "sunny, 21C" }],
      }),
    );
    expect(second.output_text).toBe("Sunny.");
    const sent = h.vendors.callsTo("openai.test")[1]!.body;
    expect(sent.messages.at(-2).tool_calls[0]).toMatchObject({ id: "call_7", function: { name: "get_weather" } });
    expect(sent.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_7", content: "sunny, 21C" });
  });

  it("streams a function call as function_call_arguments events", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { toolCalls: [{ id: "call_8", name: "lookup", arguments: '{"q":"x"}' }] });
    const tools = [{ type: "function" as const, name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } }, strict: false }];
    const final = await h.clock.run(client(h).responses.stream({ model: "auto", tools, input: "look it up" }).finalResponse());
    expect(final.output[0]).toMatchObject({ type: "function_call", call_id: "call_8", name: "lookup", arguments: '{"q":"x"}', status: "completed" });
  });

  it("follows text.format json_schema (passed to the vendor as response_format)", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: '{"city":"Paris","temp":21}' });
    const format = { type: "json_schema" as const, name: "weather", strict: true, schema: { type: "object", properties: { city: { type: "string" }, temp: { type: "number" } }, required: ["city", "temp"], additionalProperties: false } };
    const res = await h.clock.run(client(h).responses.create({ model: "auto", input: "weather?", text: { format } }));
    expect(JSON.parse(res.output_text)).toEqual({ city: "Paris", temp: 21 });
    expect(h.vendors.callsTo("openai.test")[0]!.body.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "weather" } });
  });

  it("fails over from /v1/responses to the Anthropic-kind provider", async () => {
    const h = harness({ config });
    h.vendors.always("openai.test", { status: 503 });
    h.vendors.script("anthropic.test", { text: "from beta" }, { text: "streamed from beta", chunks: 3 });
    const c = client(h);
    const raw = await h.clock.run(c.responses.create({ model: "auto", input: "hello" }).withResponse());
    expect(raw.data.output_text).toBe("from beta");
    expect(raw.data.model).toBe("beta/claude-3-5-haiku-latest");
    expect(raw.response.headers.get("x-detour-mode")).toBe("failover");
    const streamed = await h.clock.run(c.responses.stream({ model: "auto", input: "hello" }).finalResponse());
    expect(streamed.output_text).toBe("streamed from beta");
  });

  it("raises when a stream breaks after it started", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "aaaa bbbb cccc dddd", chunks: 4, cutAfterEvents: 3 });
    const run = h.clock.run(
      (async () => {
        for await (const _ of await client(h).responses.create({ model: "auto", input: "hello", stream: true })) {
          /* drain */
        }
      })(),
    );
    await expect(run).rejects.toBeInstanceOf(OpenAI.APIError);
    await expect(run).rejects.toThrow(/incomplete/);
  });

  it("gives a degraded answer (every provider down) as a valid, labelled response; the honest 503 is a typed error", async () => {
    const h = harness({ config: { ...config, degrade: { rules: { labels: [{ name: "billing", keywords: ["invoice", "refund"] }] } } } });
    h.vendors.always("openai.test", { status: 503 });
    h.vendors.always("anthropic.test", { status: 503 });
    const c = client(h);
    const raw = await h.clock.run(c.responses.create({ model: "auto", input: "please refund my invoice" }, { headers: { "x-detour-task": "classification" } }).withResponse());
    expect(raw.data.output_text).toBe("billing");
    expect(raw.data.status).toBe("completed");
    expect(raw.response.headers.get("x-detour-mode")).toBe("degraded");
    expect((raw.data as unknown as { detour: { degraded: { rung: string } } }).detour.degraded.rung).toBe("rules");
    // A finished response carries usage, as OpenAI's always do (Detour's estimate here: no vendor counted tokens); it
    // was null, and response.usage.total_tokens threw.
    expect(raw.data.usage).toMatchObject({ output_tokens: 2, total_tokens: raw.data.usage!.input_tokens + 2 });
    const streamed = await h.clock.run(c.responses.stream({ model: "auto", input: "please refund my invoice" }, { headers: { "x-detour-task": "classification" } }).finalResponse());
    expect(streamed.usage?.output_tokens).toBe(2);
    // Stored like any answer (without the detour object), so the conversation can go on once providers are back.
    const kept = await h.clock.run(c.responses.retrieve(raw.data.id));
    expect(kept.output_text).toBe("billing");
    expect((kept as unknown as { detour?: unknown }).detour).toBeUndefined();
    const honest = h.clock.run(c.responses.create({ model: "auto", input: "tell me a story about a lighthouse keeper" }));
    await expect(honest).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(honest).rejects.toMatchObject({ status: 503, code: "all_providers_failed" });
  });

  it("refuses hosted tools with a clear 400 in OpenAI's shape (stored responses: ./responses-store.test.ts)", async () => {
    const h = harness({ config });
    const c = client(h);
    await expect(h.clock.run(c.responses.create({ model: "auto", input: "hi", tools: [{ type: "web_search" }] }))).rejects.toMatchObject({ status: 400, code: "unsupported_tool" });
    expect(h.vendors.callsTo("openai.test")).toHaveLength(0);
  });
});
