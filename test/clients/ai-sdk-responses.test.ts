/**
 * The Vercel AI SDK's default OpenAI provider, `createOpenAI({ baseURL, fetch })(modelId)`, which speaks the Responses
 * API, pointed at Detour with its `fetch` calling the worker in-process.
 */
import { createOpenAI } from "@ai-sdk/openai";
import { generateObject, generateText, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";
import { inProcessFetch } from "../support/in-process";

type H = ReturnType<typeof harness>;

/** The provider as a user writes it; `sent` collects each request body the SDK sent (to see its item_references). */
function model(h: H, sent: unknown[] = []) {
  const openai = createOpenAI({
    apiKey: PREMIUM,
    baseURL: "https://detour.test/v1",
    fetch: async (url, init) => {
      if (typeof init?.body === "string") sent.push(JSON.parse(init.body));
      return inProcessFetch(h)(url as string, init as RequestInit);
    },
  });
  return openai("auto");
}

const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
};

describe("Vercel AI SDK default createOpenAI (Responses API) against Detour", () => {
  it("generateText goes through /v1/responses", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "Hi from alpha", usage: { inputTokens: 4, outputTokens: 3 } });
    const res = await h.clock.run(generateText({ model: model(h), system: "Be brief.", prompt: "hello", maxRetries: 0 }));
    expect(res.text).toBe("Hi from alpha");
    expect(res.finishReason).toBe("stop");
    expect(res.usage.outputTokens).toBe(3);
    expect(h.logs.at(-1)?.path).toBe("/v1/responses");
  });

  it("streamText streams, after failing over to the Anthropic-kind provider", async () => {
    const h = harness({ config });
    h.vendors.always("openai.test", { status: 503 });
    h.vendors.script("anthropic.test", { text: "streamed from beta", chunks: 3 });
    const text = await h.clock.run(
      (async () => {
        const result = streamText({ model: model(h), prompt: "hello", maxRetries: 0 });
        let out = "";
        for await (const t of result.textStream) out += t;
        return out;
      })(),
    );
    expect(text).toBe("streamed from beta");
    expect(h.vendors.callsTo("anthropic.test")).toHaveLength(1);
  });

  it("streamText surfaces a stream that broke after it started as an error", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "aaaa bbbb cccc dddd", chunks: 4, cutAfterEvents: 3 });
    const out = await h.clock.run(
      (async () => {
        const errors: unknown[] = [];
        const result = streamText({ model: model(h), prompt: "hello", maxRetries: 0, onError: ({ error }) => void errors.push(error) });
        for await (const _ of result.fullStream) {
          /* drain */
        }
        return errors;
      })(),
    );
    expect(out.length).toBeGreaterThan(0);
    expect(JSON.stringify(out[0]) + String((out[0] as Error).message ?? "")).toMatch(/incomplete|upstream_/);
  });

  it("generateText with a tool() gets the call, its parsed input and the tool's result", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { toolCalls: [{ id: "call_3", name: "weather", arguments: '{"city":"Paris"}' }] });
    const weather = tool({ description: "Weather by city", inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => `sunny in ${city}` });
    const res = await h.clock.run(generateText({ model: model(h), tools: { weather }, prompt: "weather in Paris?", maxRetries: 0 }));
    expect(res.toolCalls[0]).toMatchObject({ toolCallId: "call_3", toolName: "weather", input: { city: "Paris" } });
    expect(res.toolResults[0]).toMatchObject({ output: "sunny in Paris" });
    expect(h.vendors.callsTo("openai.test")[0]!.body.tools[0].function.name).toBe("weather");
  });

  it("generateObject sends text.format json_schema and parses the answer", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: '{"city":"Paris","temp":21}' });
    const res = await h.clock.run(generateObject({ model: model(h), schema: z.object({ city: z.string(), temp: z.number() }), prompt: "weather?", maxRetries: 0 }));
    expect(res.object).toEqual({ city: "Paris", temp: 21 });
    expect(h.vendors.callsTo("openai.test")[0]!.body.response_format.type).toBe("json_schema");
  });

  it("runs a multi-step tool loop statelessly with providerOptions.openai.store = false (as docs/inbound-apis.md says)", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "Checking.", toolCalls: [{ id: "call_4", name: "weather", arguments: '{"city":"Oslo"}' }] }, { text: "It is snowing in Oslo." });
    const weather = tool({ inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => `snow in ${city}` });
    const res = await h.clock.run(
      generateText({ model: model(h), tools: { weather }, stopWhen: stepCountIs(3), prompt: "weather in Oslo?", maxRetries: 0, providerOptions: { openai: { store: false } } }),
    );
    expect(res.text).toBe("It is snowing in Oslo.");
    const second = h.vendors.callsTo("openai.test")[1]!.body;
    expect(second.messages.at(-2)).toMatchObject({ role: "assistant", content: "Checking.", tool_calls: [{ id: "call_4" }] });
    expect(second.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_4" });
  });

  it("runs a multi-step tool loop unchanged (no store option): later steps refer to stored items by item_reference", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "Checking.", toolCalls: [{ id: "call_5", name: "weather", arguments: '{"city":"Oslo"}' }] }, { text: "It is snowing in Oslo." });
    const weather = tool({ inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => `snow in ${city}` });
    const sent: unknown[] = [];
    const res = await h.clock.run(generateText({ model: model(h, sent), tools: { weather }, stopWhen: stepCountIs(3), prompt: "weather in Oslo?", maxRetries: 0 }));
    expect(res.text).toBe("It is snowing in Oslo.");
    expect(res.steps).toHaveLength(2);
    // The SDK really sent a reference (store defaults to true), and Detour resolved it from storage.
    expect(JSON.stringify(sent[1])).toContain('"type":"item_reference"');
    const second = h.vendors.callsTo("openai.test")[1]!.body;
    expect(second.messages.at(-2)).toMatchObject({ role: "assistant", content: "Checking.", tool_calls: [{ id: "call_5" }] });
    expect(second.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_5", content: expect.stringContaining("snow in Oslo") });
  });

  it("holds a multi-turn conversation unchanged: the second generateText appends the first's response.messages", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "Hello Ada!" }, { text: "You are Ada." });
    const sent: unknown[] = [];
    const m = model(h, sent);
    const first = await h.clock.run(generateText({ model: m, system: "Be brief.", messages: [{ role: "user", content: "I am Ada." }], maxRetries: 0 }));
    const messages = [{ role: "user" as const, content: "I am Ada." }, ...first.response.messages, { role: "user" as const, content: "Who am I?" }];
    const second = await h.clock.run(generateText({ model: m, system: "Be brief.", messages, maxRetries: 0 }));
    expect(second.text).toBe("You are Ada.");
    expect(JSON.stringify(sent[1])).toContain('"type":"item_reference"');
    expect(h.vendors.callsTo("openai.test")[1]!.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "I am Ada." }] },
      { role: "assistant", content: "Hello Ada!" },
      { role: "user", content: [{ type: "text", text: "Who am I?" }] },
    ]);
  });

  it("streams a tool loop unchanged (streamText, no store option): the second step's item_reference finds the streamed first step", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "Let me look.", toolCalls: [{ id: "call_6", name: "weather", arguments: '{"city":"Rome"}' }], chunks: 2 }, { text: "Warm in Rome.", chunks: 2 });
    const weather = tool({ inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => `warm in ${city}` });
    const sent: unknown[] = [];
    const text = await h.clock.run(
      (async () => {
        const result = streamText({ model: model(h, sent), tools: { weather }, stopWhen: stepCountIs(3), prompt: "weather in Rome?", maxRetries: 0 });
        let out = "";
        for await (const t of result.textStream) out += t;
        return out;
      })(),
    );
    expect(text).toBe("Let me look.Warm in Rome.");
    expect(JSON.stringify(sent[1])).toContain('"type":"item_reference"');
    expect(h.vendors.callsTo("openai.test")[1]!.body.messages.at(-2)).toMatchObject({ role: "assistant", content: "Let me look.", tool_calls: [{ id: "call_6" }] });
  });
});
