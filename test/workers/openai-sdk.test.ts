/**
 * The official `openai` client, unchanged, pointed at Detour: only its `fetch` is swapped for one that calls the
 * worker in-process (same request/response objects it would send over the network).
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { harness, PREMIUM } from "../support/harness";

function client(h: ReturnType<typeof harness>) {
  return new OpenAI({
    apiKey: PREMIUM,
    baseURL: "https://detour.test/v1",
    maxRetries: 0,
    fetch: async (url, init) => h.app.fetch(new Request(url as string, init as RequestInit), h.env, { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext),
  });
}

describe("official openai client against Detour", () => {
  it("creates a completion", async () => {
    const h = harness();
    h.vendors.script("openai.test", { text: "Hi from alpha" });
    const res = await h.clock.run(client(h).chat.completions.create({ model: "auto", messages: [{ role: "user", content: "hello" }] }));
    expect(res.choices[0]!.message.content).toBe("Hi from alpha");
  });

  it("streams, with usage, after an invisible failover", async () => {
    const h = harness();
    h.vendors.always("openai.test", { status: 503 });
    h.vendors.script("anthropic.test", { text: "streamed from beta", chunks: 3, usage: { inputTokens: 3, outputTokens: 3 } });
    const out = await h.clock.run(
      (async () => {
        const stream = await client(h).chat.completions.create({
          model: "auto",
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: "user", content: "hello" }],
        });
        let text = "";
        let usage: unknown;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? "";
          if (chunk.usage) usage = chunk.usage;
        }
        return { text, usage };
      })(),
    );
    expect(out.text).toBe("streamed from beta");
    expect(out.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 3 });
  });

  it("raises when a stream breaks after it started, instead of ending quietly", async () => {
    const h = harness();
    h.vendors.script("openai.test", { text: "aaaa bbbb cccc dddd", chunks: 4, cutAfterEvents: 3 });
    const run = h.clock.run(
      (async () => {
        const stream = await client(h).chat.completions.create({ model: "auto", stream: true, messages: [{ role: "user", content: "hello" }] });
        let text = "";
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
        return text;
      })(),
    );
    await expect(run).rejects.toThrow(/stream_cut|incomplete/);
  });

  it("surfaces Detour errors as typed API errors", async () => {
    const h = harness();
    const run = h.clock.run(client(h).chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] }));
    await expect(run).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });

  it("passes tool calls both ways", async () => {
    const h = harness();
    h.vendors.script("openai.test", { toolCalls: [{ id: "call_9", name: "lookup", arguments: '{"q":"x"}' }] }, { text: "done" });
    const c = client(h);
    const tools = [{ type: "function" as const, function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } } }];
    const first = await h.clock.run(c.chat.completions.create({ model: "auto", tools, messages: [{ role: "user", content: "look it up" }] }));
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(call.type === "function" && call.function.name).toBe("lookup");
    const second = await h.clock.run(
      c.chat.completions.create({
        model: "auto",
        tools,
        messages: [{ role: "user", content: "look it up" }, first.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: "result" }],
      }),
    );
    expect(second.choices[0]!.message.content).toBe("done");
    const sent = h.vendors.callsTo("openai.test")[1]!.body;
    expect(sent.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_9", content: "result" });
  });
});
