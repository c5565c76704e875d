import { describe, expect, it } from "vitest";
import type { CanonicalRequest, StreamEvent } from "../../../src/canonical";
import { ProviderConfig } from "../../../src/config/schema";
import { UpstreamError } from "../../../src/engine/errors";
import type { CallContext, Target } from "../../../src/providers/types";
import { classifyWorkersAiError, workersAiProvider } from "../../../src/providers/workers-ai";
import type { FakeScript } from "../../fakes/script";
import { fakeAi } from "../../fakes/workers-ai";

const MODEL = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
const provider = ProviderConfig.parse({ id: "cf", kind: "workers-ai", models: [{ id: MODEL, maxOutputTokens: 2048 }] });
const target: Target = { provider, model: provider.models[0]! };

function request(over: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { messages: [{ role: "user", content: "hi" }], stream: false, includeUsage: false, ...over };
}

function context(ai: CallContext["ai"], signal: AbortSignal = new AbortController().signal): CallContext {
  return { fetch: globalThis.fetch, signal, apiKey: undefined, ai, now: () => 0 };
}

async function collect(it: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

async function streamEvents(script: FakeScript, req = request({ stream: true })): Promise<StreamEvent[]> {
  return collect(await workersAiProvider.stream(req, target, context(fakeAi(script))));
}

async function caught(p: Promise<unknown>): Promise<UpstreamError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamError);
  return err as UpstreamError;
}

describe("workers-ai: binding", () => {
  it("is misconfigured without an AI binding", async () => {
    for (const call of [
      workersAiProvider.complete(request(), target, context(undefined)),
      workersAiProvider.stream(request({ stream: true }), target, context(undefined)),
    ]) {
      const err = await caught(call);
      expect(err.errorClass).toBe("misconfigured");
      expect(err.message).toContain("workers-ai provider cf needs an AI binding");
    }
  });
});

describe("workers-ai: input mapping", () => {
  it("maps messages, tools, sampling and response_format", async () => {
    const ai = fakeAi({});
    await workersAiProvider.complete(
      request({
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
          { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "weather", arguments: '{"city":"Oslo"}' }] },
          { role: "tool", toolCallId: "call_1", content: "rainy" },
        ],
        tools: [{ name: "weather", description: "Look it up", parameters: { type: "object", properties: {} } }],
        responseFormat: { type: "json_schema", name: "x", schema: { type: "object" } },
        maxTokens: 100,
        temperature: 0.2,
        topP: 0.9,
      }),
      target,
      context(ai),
    );
    expect(ai.calls).toHaveLength(1);
    expect(ai.calls[0]!.model).toBe(MODEL);
    expect(ai.calls[0]!.inputs).toEqual({
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "a\nb" },
        { role: "assistant", content: JSON.stringify({ name: "weather", arguments: { city: "Oslo" } }) },
        { role: "tool", name: "weather", tool_call_id: "call_1", content: "rainy" },
      ],
      tools: [
        {
          type: "function",
          function: { name: "weather", description: "Look it up", parameters: { type: "object", properties: {} } },
        },
      ],
      response_format: { type: "json_schema", json_schema: { type: "object" } },
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
    });
  });

  it("defaults max_tokens to the model's cap, sets stream, and drops tools for toolChoice none", async () => {
    const ai = fakeAi({});
    const tools = [{ name: "t", parameters: {} }];
    await collect(await workersAiProvider.stream(request({ stream: true, tools, toolChoice: "none" }), target, context(ai)));
    expect(ai.calls[0]!.inputs).toEqual({ messages: [{ role: "user", content: "hi" }], max_tokens: 2048, stream: true });
  });

  it("offers only the named tool and sends json_object and data: images as parts", async () => {
    const ai = fakeAi({});
    await workersAiProvider.complete(
      request({
        messages: [{ role: "user", content: [{ type: "text", text: "see" }, { type: "image", url: "data:image/png;base64,AA==" }] }],
        tools: [
          { name: "a", parameters: {} },
          { name: "b", parameters: {} },
        ],
        toolChoice: { name: "b" },
        responseFormat: { type: "json_object" },
      }),
      target,
      context(ai),
    );
    const inputs = ai.calls[0]!.inputs;
    expect(inputs.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "see" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AA==" } },
        ],
      },
    ]);
    expect(inputs.tools).toEqual([{ type: "function", function: { name: "b", description: "", parameters: {} } }]);
    expect(inputs.response_format).toEqual({ type: "json_object" });
  });

  it("refuses http image URLs without calling the binding", async () => {
    const ai = fakeAi({});
    const req = request({ messages: [{ role: "user", content: [{ type: "image", url: "https://example.com/a.png" }] }] });
    expect((await caught(workersAiProvider.complete(req, target, context(ai)))).errorClass).toBe("misconfigured");
    expect(ai.calls).toHaveLength(0);
  });
});

describe("workers-ai: JSON results", () => {
  it("maps text and usage", async () => {
    const res = await workersAiProvider.complete(
      request(),
      target,
      context(fakeAi({ text: "Bonjour", usage: { inputTokens: 7, outputTokens: 3 } })),
    );
    expect(res).toEqual({
      model: MODEL,
      content: "Bonjour",
      toolCalls: [],
      finishReason: "stop",
      usage: { inputTokens: 7, outputTokens: 3 },
    });
  });

  it("maps legacy tool calls with generated ids", async () => {
    const res = await workersAiProvider.complete(
      request(),
      target,
      context(
        fakeAi({
          toolCalls: [
            { name: "weather", arguments: '{"city":"Oslo"}' },
            { name: "time", arguments: "{}" },
          ],
        }),
      ),
    );
    expect(res.content).toBeNull();
    expect(res.finishReason).toBe("tool_calls");
    expect(res.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
      ["weather", { city: "Oslo" }],
      ["time", {}],
    ]);
    expect(res.toolCalls[0]!.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(res.toolCalls[0]!.id).not.toBe(res.toolCalls[1]!.id);
  });

  it("accepts OpenAI-shaped results", async () => {
    const res = await workersAiProvider.complete(
      request(),
      target,
      context(fakeAi({ text: "cut sh", finishReason: "length", model: "served-model" })),
    );
    expect(res).toMatchObject({ id: "chatcmpl-fake", model: "served-model", content: "cut sh", finishReason: "length" });
  });

  it("re-serialises a JSON-mode object response", async () => {
    const ai = { run: async () => ({ response: { name: "India" } }) };
    const res = await workersAiProvider.complete(request(), target, context(ai));
    expect(res.content).toBe('{"name":"India"}');
  });

  it("rejects a result of the wrong shape as malformed", async () => {
    expect((await caught(workersAiProvider.complete(request(), target, context(fakeAi({ malformed: true }))))).errorClass).toBe(
      "malformed",
    );
    const ai = { run: async () => ({ response: 42 }) };
    expect((await caught(workersAiProvider.complete(request(), target, context(ai)))).errorClass).toBe("malformed");
  });
});

describe("workers-ai: streams", () => {
  it("streams text, then finish on [DONE], then usage", async () => {
    const events = await streamEvents({ text: "Hello there", chunks: 3, usage: { inputTokens: 4, outputTokens: 2 } });
    const texts = events.filter((e) => e.type === "text").map((e) => (e as { text: string }).text);
    expect(texts.length).toBe(3);
    expect(texts.join("")).toBe("Hello there");
    expect(events.slice(-2)).toEqual([
      { type: "finish", finishReason: "stop" },
      { type: "usage", usage: { inputTokens: 4, outputTokens: 2 } },
    ]);
  });

  it("streams legacy tool calls whole and finishes with tool_calls", async () => {
    const events = await streamEvents({ toolCalls: [{ name: "weather", arguments: '{"city":"Oslo"}' }] });
    const call = events.find((e) => e.type === "toolCall");
    expect(call).toMatchObject({ type: "toolCall", index: 0, name: "weather", argumentsDelta: '{"city":"Oslo"}' });
    expect((call as { id?: string }).id).toMatch(/^call_/);
    expect(events.find((e) => e.type === "finish")).toEqual({ type: "finish", finishReason: "tool_calls" });
  });

  it("accepts OpenAI-shaped chunks", async () => {
    const events = await streamEvents({
      text: "abc",
      finishReason: "length",
      toolCalls: [{ id: "t1", name: "f", arguments: "{}" }],
    });
    expect(events.filter((e) => e.type === "text").map((e) => (e as { text: string }).text).join("")).toBe("abc");
    expect(events).toContainEqual({ type: "toolCall", index: 0, id: "t1", name: "f", argumentsDelta: "{}" });
    expect(events.slice(-2)).toEqual([
      { type: "finish", finishReason: "length" },
      { type: "usage", usage: { inputTokens: 10, outputTokens: 5 } },
    ]);
  });

  it("emits no finish when the stream is cut before [DONE]", async () => {
    const events = await streamEvents({ text: "Hello there", chunks: 3, cutAfterEvents: 2 });
    expect(events.map((e) => e.type)).toEqual(["text", "text"]);
  });

  it("throws malformed on an event that is not JSON", async () => {
    const err = await caught(streamEvents({ malformed: true }));
    expect(err.errorClass).toBe("malformed");
  });

  it("rejects a non-stream answer to a stream request as malformed", async () => {
    const ai = { run: async () => ({ response: "hi" }) };
    const err = await caught(workersAiProvider.stream(request({ stream: true }), target, context(ai)));
    expect(err.errorClass).toBe("malformed");
  });

  it("ends a stalled stream when the attempt is aborted", async () => {
    const controller = new AbortController();
    const it = await workersAiProvider.stream(
      request({ stream: true }),
      target,
      context(fakeAi({ text: "abcdef", chunks: 3, stallAfterEvents: 1 }), controller.signal),
    );
    const iterator = it[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: "text", text: "ab" });
    const pending = iterator.next();
    const reason = new Error("stalled");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});

describe("workers-ai: errors", () => {
  const cases: [FakeScript, string][] = [
    [{ status: 429 }, "rate_limited"],
    [{ status: 429, errorCode: "3036", errorMessage: "You have used up your daily free allocation of 10,000 neurons." }, "rate_limited"],
    [{ status: 500 }, "server_error"],
    [{ status: 404 }, "model_not_found"],
    [{ status: 400, errorCode: "context_length_exceeded" }, "context_length"],
    [{ status: 413 }, "context_length"],
    [{ status: 400 }, "bad_request"],
    [{ status: 403 }, "upstream_auth"],
    [{ status: 408 }, "timeout"],
  ];
  for (const [script, cls] of cases) {
    it(`classifies a thrown ${script.status}${script.errorCode ? ` (${script.errorCode})` : ""} as ${cls}`, async () => {
      expect((await caught(workersAiProvider.complete(request(), target, context(fakeAi(script))))).errorClass).toBe(cls);
      expect((await caught(streamEvents(script))).errorClass).toBe(cls);
    });
  }

  it("classifies real binding messages", () => {
    const cls = (m: string) => classifyWorkersAiError(new Error(m)).errorClass;
    expect(cls("3040: Capacity temporarily exceeded, please try again.")).toBe("rate_limited");
    expect(cls("AiError: AiError: 3040: Capacity temporarily exceeded")).toBe("rate_limited");
    expect(cls("4006: you have used up your daily free allocation of 10,000 neurons")).toBe("rate_limited");
    expect(cls("Too many requests")).toBe("rate_limited");
    expect(cls("5007: No such model @cf/nope or task")).toBe("model_not_found");
    expect(cls("AiError: This model's maximum context length is 131072 tokens. However, you requested 16000 output tokens")).toBe(
      "context_length",
    );
    expect(cls("8001: Input is too long for this model")).toBe("context_length");
    expect(cls("3043: Internal server error")).toBe("server_error");
    expect(cls("something nobody has seen")).toBe("server_error");
    expect(classifyWorkersAiError(Object.assign(new Error("1001: prompt and messages are mutually exclusive"), { name: "InvalidInput" })).errorClass).toBe(
      "bad_request",
    );
    expect(classifyWorkersAiError(new Error("3040: x")).status).toBe(429);
  });

  it("rejects with the abort reason when the call hangs and the attempt is aborted", async () => {
    const controller = new AbortController();
    const p = workersAiProvider.complete(request(), target, context(fakeAi({ hang: true }), controller.signal));
    const reason = new Error("deadline");
    controller.abort(reason);
    await expect(p).rejects.toBe(reason);
  });

  it("classifies an error event inside the stream", async () => {
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode('data: {"response":"a"}\n\ndata: {"error":"3040: Capacity temporarily exceeded"}\n\n'));
        c.close();
      },
    });
    const ai = { run: async () => body };
    const err = await caught(collect(await workersAiProvider.stream(request({ stream: true }), target, context(ai))));
    expect(err.errorClass).toBe("rate_limited");
  });
});
