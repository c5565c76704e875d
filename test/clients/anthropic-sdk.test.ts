/**
 * The official `@anthropic-ai/sdk`, unchanged, pointed at Detour's /v1/messages: only its `fetch` is swapped for one
 * that calls the worker in-process (the same Request/Response objects it would send over the network). Behind the
 * route sit real-wire fakes of OpenAI and Anthropic, so failover crosses vendor kinds.
 */
import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";
import { inProcessFetch } from "../support/in-process";

type H = ReturnType<typeof harness>;

function client(h: H, apiKey = PREMIUM) {
  return new Anthropic({
    apiKey,
    baseURL: "https://detour.test",
    maxRetries: 0,
    fetch: inProcessFetch(h),
  });
}

const ask = { model: "auto", max_tokens: 256, messages: [{ role: "user" as const, content: "hello" }] };

// Only OpenAI and Anthropic behind the routes, no retries: each scenario says which vendor answers.
const config = {
  ...VENDOR_CONFIG,
  routes: {
    auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } },
    anthropic: { targets: ["beta/claude-3-5-haiku-latest", "alpha/gpt-4o-mini"], retry: { maxRetries: 0 } },
  },
};

describe("official Anthropic client against Detour's /v1/messages", () => {
  it("creates a message, with system prompt, and reads Detour's labels", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "Hi from alpha", usage: { inputTokens: 7, outputTokens: 4 } });
    const raw = await h.clock.run(client(h).messages.create({ ...ask, system: "Be brief.", stop_sequences: ["END"], metadata: { user_id: "u-1" } }).withResponse());
    const msg = raw.data;
    expect(msg.type).toBe("message");
    expect(msg.role).toBe("assistant");
    expect(msg.content).toEqual([expect.objectContaining({ type: "text", text: "Hi from alpha" })]);
    expect(msg.stop_reason).toBe("end_turn");
    expect(msg.usage).toMatchObject({ input_tokens: 7, output_tokens: 4 });
    expect(msg.model).toBe("alpha/gpt-4o-mini");
    expect(raw.response.headers.get("x-detour-mode")).toBe("primary");
    // What reached the OpenAI-kind vendor: the system prompt, the stop sequence and the user id, in OpenAI's terms.
    const sent = h.vendors.callsTo("openai.test")[0]!.body;
    expect(sent.messages[0]).toEqual({ role: "system", content: "Be brief." });
    expect(sent.stop).toEqual(["END"]);
    expect(sent.user).toBe("u-1");
    expect(sent.max_tokens ?? sent.max_completion_tokens).toBe(256);
  });

  it("streams with create({stream: true}) in Anthropic's event order", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "one two three", chunks: 3, usage: { inputTokens: 3, outputTokens: 3 } });
    const types = await h.clock.run(
      (async () => {
        const stream = await client(h).messages.create({ ...ask, stream: true });
        const seen: string[] = [];
        let text = "";
        for await (const e of stream) {
          seen.push(e.type);
          if (e.type === "content_block_delta" && e.delta.type === "text_delta") text += e.delta.text;
        }
        return { seen, text };
      })(),
    );
    expect(types.text).toBe("one two three");
    expect(types.seen[0]).toBe("message_start");
    expect(types.seen[1]).toBe("content_block_start");
    expect(types.seen.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
  });

  it("streams with messages.stream() and assembles the final message, after failing over to an OpenAI-kind provider", async () => {
    const h = harness({ config });
    h.vendors.always("anthropic.test", { status: 529 });
    h.vendors.script("openai.test", { text: "answered by the OpenAI-kind fallback", chunks: 4, usage: { inputTokens: 5, outputTokens: 6 } });
    const out = await h.clock.run(
      (async () => {
        const stream = client(h).messages.stream({ ...ask, model: "anthropic" });
        let deltas = "";
        stream.on("text", (t) => (deltas += t));
        const final = await stream.finalMessage();
        return { final, deltas };
      })(),
    );
    expect(out.deltas).toBe("answered by the OpenAI-kind fallback");
    expect(out.final.content[0]).toMatchObject({ type: "text", text: "answered by the OpenAI-kind fallback" });
    expect(out.final.model).toBe("alpha/gpt-4o-mini");
    expect(out.final.usage.output_tokens).toBe(6);
    expect(h.vendors.callsTo("anthropic.test")).toHaveLength(1);
  });

  it("fails over from /v1/messages to the OpenAI-kind provider (JSON), labelled failover", async () => {
    const h = harness({ config });
    h.vendors.always("anthropic.test", { status: 503 });
    h.vendors.script("openai.test", { text: "from alpha" });
    const raw = await h.clock.run(client(h).messages.create({ ...ask, model: "anthropic" }).withResponse());
    expect(raw.data.content[0]).toMatchObject({ type: "text", text: "from alpha" });
    expect(raw.response.headers.get("x-detour-mode")).toBe("failover");
    expect(raw.response.headers.get("x-detour-provider")).toBe("alpha");
  });

  it("passes tools both ways: tool_use out, tool_result back in", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { toolCalls: [{ id: "call_9", name: "get_weather", arguments: '{"city":"Paris"}' }] }, { text: "It is sunny in Paris." });
    const c = client(h);
    const tools = [{ name: "get_weather", description: "Weather by city", input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] } }];
    const first = await h.clock.run(c.messages.create({ ...ask, tools, tool_choice: { type: "auto" }, messages: [{ role: "user", content: "weather in Paris?" }] }));
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b) => b.type === "tool_use")!;
    expect(use).toMatchObject({ type: "tool_use", id: "call_9", name: "get_weather", input: { city: "Paris" } });
    const second = await h.clock.run(
      c.messages.create({
        ...ask,
        tools,
        messages: [
          { role: "user", content: "weather in Paris?" },
          { role: "assistant", content: first.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "call_9", content: "sunny, 21C" }] },
        ],
      }),
    );
    expect(second.content[0]).toMatchObject({ type: "text", text: "It is sunny in Paris." });
    const sent = h.vendors.callsTo("openai.test")[1]!.body;
    expect(sent.messages.at(-2).tool_calls[0]).toMatchObject({ id: "call_9", function: { name: "get_weather" } });
    expect(JSON.parse(sent.messages.at(-2).tool_calls[0].function.arguments)).toEqual({ city: "Paris" });
    expect(sent.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_9", content: "sunny, 21C" });
    expect(h.vendors.callsTo("openai.test")[0]!.body.tools[0].function.name).toBe("get_weather");
  });

  it("streams a tool call as a tool_use block the SDK assembles", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' }] });
    const tools = [{ name: "get_weather", input_schema: { type: "object" as const, properties: { city: { type: "string" } } } }];
    const final = await h.clock.run(client(h).messages.stream({ ...ask, tools, tool_choice: { type: "any" } }).finalMessage());
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content.find((b) => b.type === "tool_use")).toMatchObject({ id: "call_1", name: "get_weather", input: { city: "Oslo" } });
    expect(h.vendors.callsTo("openai.test")[0]!.body.tool_choice).toBe("required");
  });

  it("raises when a stream breaks after it started, instead of ending quietly", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "aaaa bbbb cccc dddd", chunks: 4, cutAfterEvents: 3 });
    const run = h.clock.run(
      (async () => {
        let text = "";
        for await (const e of await client(h).messages.create({ ...ask, stream: true })) {
          if (e.type === "content_block_delta" && e.delta.type === "text_delta") text += e.delta.text;
        }
        return text;
      })(),
    );
    await expect(run).rejects.toBeInstanceOf(Anthropic.APIError);
    await expect(run).rejects.toThrow(/incomplete/);
  });

  it("raises typed errors: 401 AuthenticationError, 404 NotFoundError, 400 BadRequestError — in Anthropic's error shape", async () => {
    const h = harness({ config });
    await expect(h.clock.run(client(h, "dtr_wrong_key").messages.create(ask))).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    const notFound = h.clock.run(client(h).messages.create({ ...ask, model: "nope" }));
    await expect(notFound).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(notFound).rejects.toMatchObject({ status: 404, error: { type: "error", error: { type: "not_found_error" } } });
    const bad = h.clock.run(client(h).messages.create({ ...ask, max_tokens: -1 }));
    await expect(bad).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(bad).rejects.toMatchObject({ error: { type: "error", error: { type: "invalid_request_error", message: expect.stringContaining("max_tokens") } } });
  });

  it("gives a degraded answer (every provider down) as a valid, labelled Anthropic message", async () => {
    const h = harness({ config: { ...config, degrade: { rules: { labels: [{ name: "billing", keywords: ["invoice", "refund"] }] } } } });
    h.vendors.always("openai.test", { status: 503 });
    h.vendors.always("anthropic.test", { status: 503 });
    const c = client(h);
    const opts = { headers: { "x-detour-task": "classification" } };
    const raw = await h.clock.run(c.messages.create({ ...ask, messages: [{ role: "user", content: "please refund my invoice" }] }, opts).withResponse());
    expect(raw.data.content[0]).toMatchObject({ type: "text", text: "billing" });
    expect(raw.data.stop_reason).toBe("end_turn");
    expect(raw.response.headers.get("x-detour-mode")).toBe("degraded");
    expect((raw.data as unknown as { detour: { degraded: { rung: string } } }).detour.degraded.rung).toBe("rules");
    // The same, streamed: the SDK assembles it.
    const streamed = await h.clock.run(c.messages.stream({ ...ask, messages: [{ role: "user", content: "refund the invoice" }] }, opts).finalMessage());
    expect(streamed.content[0]).toMatchObject({ type: "text", text: "billing" });
  });

  it("raises the honest 503 as the SDK's typed InternalServerError with Anthropic's overloaded_error", async () => {
    const h = harness({ config });
    h.vendors.always("openai.test", { status: 503 });
    h.vendors.always("anthropic.test", { status: 503 });
    const run = h.clock.run(client(h).messages.create({ ...ask, messages: [{ role: "user", content: "tell me a story about a lighthouse keeper" }] }));
    await expect(run).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    await expect(run).rejects.toMatchObject({ status: 503, error: { type: "error", error: { type: "overloaded_error" }, detour: { degraded: { rung: "error" } } } });
  });

  it("counts tokens with Detour's estimate", async () => {
    const h = harness({ config });
    const small = await h.clock.run(client(h).messages.countTokens({ model: "auto", messages: [{ role: "user", content: "hi" }] }));
    const big = await h.clock.run(client(h).messages.countTokens({ model: "auto", system: "x".repeat(4000), messages: [{ role: "user", content: "hi" }] }));
    expect(small.input_tokens).toBeGreaterThan(0);
    expect(big.input_tokens - small.input_tokens).toBe(1000);
  });
});
