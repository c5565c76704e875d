/**
 * The Gemini adapter, end to end through `httpProvider` against the fake Gemini API, plus direct `buildRequest`
 * assertions for the request mapping that the fake does not inspect.
 */
import { describe, expect, it } from "vitest";
import type { CanonicalRequest, StreamEvent } from "../../../src/canonical";
import { ProviderConfig } from "../../../src/config/schema";
import { UpstreamError } from "../../../src/engine/errors";
import { geminiAdapter } from "../../../src/providers/gemini";
import { httpProvider } from "../../../src/providers/http";
import type { CallContext, Target } from "../../../src/providers/types";
import { fakeGemini } from "../../fakes/gemini";
import type { FakeScript } from "../../fakes/script";

const BASE = "https://generativelanguage.googleapis.com/v1beta";
const provider = httpProvider(geminiAdapter);

function target(modelId = "gemini-2.0-flash"): Target {
  const p = ProviderConfig.parse({ id: "gem", kind: "gemini", baseUrl: BASE, models: [{ id: modelId }] });
  return { provider: p, model: p.models[0]! };
}

function req(over: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { messages: [{ role: "user", content: "Hi" }], stream: false, includeUsage: false, ...over };
}

function ctx(script: FakeScript, opts: { apiKey?: string | undefined; signal?: AbortSignal } = {}): CallContext {
  return {
    fetch: ((input: RequestInfo | URL, init?: RequestInit) => fakeGemini(new Request(input, init), script)) as typeof fetch,
    signal: opts.signal ?? new AbortController().signal,
    apiKey: "apiKey" in opts ? opts.apiKey : "test-key",
    now: () => Date.parse("2025-01-01T00:00:00Z"),
  };
}

async function collect(it: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const ev of it) out.push(ev);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UpstreamError);
    return err as UpstreamError;
  }
  throw new Error("expected a rejection");
}

/** Body of the request the adapter would send, typed loosely for assertions. */
function body(r: CanonicalRequest, t = target()): Record<string, any> {
  return geminiAdapter.buildRequest(r, t, "k").body as Record<string, any>;
}

function sseBody(...data: string[]): ReadableStream<Uint8Array> {
  return new Response(data.map((d) => `data: ${d}\r\n\r\n`).join("")).body!;
}

describe("gemini buildRequest", () => {
  it("targets generateContent, or streamGenerateContent with alt=sse, and sends the key as x-goog-api-key", () => {
    const t = target();
    const plain = geminiAdapter.buildRequest(req(), t, "secret");
    expect(plain.url).toBe(`${BASE}/models/gemini-2.0-flash:generateContent`);
    expect(plain.headers).toEqual({ "x-goog-api-key": "secret" });
    const streamed = geminiAdapter.buildRequest(req({ stream: true }), t, "secret");
    expect(streamed.url).toBe(`${BASE}/models/gemini-2.0-flash:streamGenerateContent?alt=sse`);
    expect(geminiAdapter.buildRequest(req(), t, undefined).headers).toEqual({});
  });

  it("does not double the models/ prefix or the slash of a trailing-slash base", () => {
    const t = target("models/gemini-2.5-pro");
    t.provider.baseUrl = `${BASE}/`;
    expect(geminiAdapter.buildRequest(req(), t, "k").url).toBe(`${BASE}/models/gemini-2.5-pro:generateContent`);
  });

  it("moves system messages to systemInstruction, maps roles and merges consecutive same-role turns", () => {
    const b = body(
      req({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "One" },
          { role: "user", content: [{ type: "text", text: "Two" }] },
          { role: "assistant", content: "Ok" },
          { role: "system", content: "Use French." },
          { role: "user", content: "Three" },
        ],
      }),
    );
    expect(b.systemInstruction).toEqual({ parts: [{ text: "Be brief." }, { text: "Use French." }] });
    expect(b.contents).toEqual([
      { role: "user", parts: [{ text: "One" }, { text: "Two" }] },
      { role: "model", parts: [{ text: "Ok" }] },
      { role: "user", parts: [{ text: "Three" }] },
    ]);
    expect(b.generationConfig).toBeUndefined();
  });

  it("sends data: images as inlineData and https images as fileData", () => {
    const b = body(
      req({
        messages: [
          {
            role: "user",
            content: [
              { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
              { type: "image", url: "https://example.com/cat.jpg?size=2" },
              { type: "image", url: "https://example.com/render" },
            ],
          },
        ],
      }),
    );
    expect(b.contents[0].parts).toEqual([
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
      { fileData: { fileUri: "https://example.com/cat.jpg?size=2", mimeType: "image/jpeg" } },
      { fileData: { fileUri: "https://example.com/render" } },
    ]);
  });

  it("maps tool calls to functionCall and tool results to functionResponse named after the originating call", () => {
    const b = body(
      req({
        messages: [
          { role: "user", content: "Weather and time in Paris?" },
          {
            role: "assistant",
            content: null,
            toolCalls: [
              { id: "call_0", name: "get_weather", arguments: '{"city":"Paris"}' },
              { id: "call_1", name: "get_time", arguments: "" },
            ],
          },
          { role: "tool", toolCallId: "call_0", content: '{"tempC":21}' },
          { role: "tool", toolCallId: "call_1", content: "14:02" },
          // A later turn reuses the per-turn id call_0 for a different function: the latest call wins.
          { role: "assistant", content: null, toolCalls: [{ id: "call_0", name: "get_date", arguments: "{}" }] },
          { role: "tool", toolCallId: "call_0", content: "2025-01-01" },
        ],
      }),
    );
    expect(b.contents).toEqual([
      { role: "user", parts: [{ text: "Weather and time in Paris?" }] },
      {
        role: "model",
        parts: [
          { functionCall: { name: "get_weather", args: { city: "Paris" } } },
          { functionCall: { name: "get_time", args: {} } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "get_weather", response: { content: { tempC: 21 } } } },
          { functionResponse: { name: "get_time", response: { content: { result: "14:02" } } } },
        ],
      },
      { role: "model", parts: [{ functionCall: { name: "get_date", args: {} } }] },
      { role: "user", parts: [{ functionResponse: { name: "get_date", response: { content: { result: "2025-01-01" } } } }] },
    ]);
  });

  it("adds the documented thought-signature bypass to replayed calls for Gemini 3 models only", () => {
    const messages: CanonicalRequest["messages"] = [
      { role: "user", content: "x" },
      { role: "assistant", content: null, toolCalls: [{ id: "a", name: "f", arguments: "{}" }] },
      { role: "tool", toolCallId: "a", content: "1" },
    ];
    expect(body(req({ messages }), target("gemini-3-pro-preview")).contents[1].parts[0]).toEqual({
      functionCall: { name: "f", args: {} },
      thoughtSignature: "skip_thought_signature_validator",
    });
    expect(body(req({ messages })).contents[1].parts[0]).toEqual({ functionCall: { name: "f", args: {} } });
  });

  it("refuses a tool result whose call it cannot find (Gemini needs the function name)", () => {
    const r = req({ messages: [{ role: "user", content: "x" }, { role: "tool", toolCallId: "nope", content: "1" }] });
    expect(() => geminiAdapter.buildRequest(r, target(), "k")).toThrow(UpstreamError);
  });

  it("maps tools to functionDeclarations with Gemini-safe parameter schemas", () => {
    const b = body(
      req({
        tools: [
          {
            name: "lookup",
            description: "Look a thing up",
            parameters: {
              $schema: "http://json-schema.org/draft-07/schema#",
              type: "object",
              additionalProperties: false,
              properties: {
                // A property that happens to be called additionalProperties is data, not a keyword.
                additionalProperties: { type: "string" },
                filter: { type: "object", additionalProperties: false, properties: { q: { type: "string" } } },
              },
              required: ["filter"],
            },
          },
          { name: "ping", parameters: { type: "object", properties: {} } },
        ],
      }),
    );
    expect(b.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: "lookup",
            description: "Look a thing up",
            parameters: {
              type: "object",
              properties: {
                additionalProperties: { type: "string" },
                filter: { type: "object", properties: { q: { type: "string" } } },
              },
              required: ["filter"],
            },
          },
          { name: "ping" },
        ],
      },
    ]);
  });

  it("maps toolChoice to toolConfig.functionCallingConfig", () => {
    const cfg = (toolChoice: CanonicalRequest["toolChoice"]) => body(req({ toolChoice })).toolConfig;
    expect(cfg("auto")).toEqual({ functionCallingConfig: { mode: "AUTO" } });
    expect(cfg("none")).toEqual({ functionCallingConfig: { mode: "NONE" } });
    expect(cfg("required")).toEqual({ functionCallingConfig: { mode: "ANY" } });
    expect(cfg({ name: "lookup" })).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["lookup"] } });
    expect(body(req()).toolConfig).toBeUndefined();
  });

  it("maps sampling options and JSON modes to generationConfig", () => {
    expect(body(req({ maxTokens: 100, temperature: 0.2, topP: 0.9, stop: ["END"] })).generationConfig).toEqual({
      maxOutputTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      stopSequences: ["END"],
    });
    expect(body(req({ responseFormat: { type: "json_object" } })).generationConfig).toEqual({
      responseMimeType: "application/json",
    });
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      additionalProperties: false,
      properties: {
        tags: { type: "array", items: { type: "object", additionalProperties: false, properties: { n: { type: "string" } } } },
        kind: { type: "string", enum: ["a", "b"] },
      },
      required: ["tags"],
    };
    expect(body(req({ responseFormat: { type: "json_schema", name: "out", schema, strict: true } })).generationConfig).toEqual({
      responseMimeType: "application/json",
      responseSchema: {
        type: "object",
        properties: {
          tags: { type: "array", items: { type: "object", properties: { n: { type: "string" } } } },
          kind: { type: "string", enum: ["a", "b"] },
        },
        required: ["tags"],
      },
    });
    expect(body(req({ responseFormat: { type: "text" } })).generationConfig).toBeUndefined();
  });
});

describe("gemini complete (JSON)", () => {
  it("returns text, the reported model and id, and usage", async () => {
    const res = await provider.complete(
      req(),
      target(),
      ctx({ text: "Bonjour", model: "gemini-2.0-flash-001", usage: { inputTokens: 7, outputTokens: 3 } }),
    );
    expect(res).toMatchObject({
      model: "gemini-2.0-flash-001",
      content: "Bonjour",
      toolCalls: [],
      finishReason: "stop",
      usage: { inputTokens: 7, outputTokens: 3 },
    });
    expect(res.id).toMatch(/^fakeGeminiResp/);
  });

  it("returns function calls with generated ids, JSON-text arguments and finish tool_calls", async () => {
    const res = await provider.complete(
      req(),
      target(),
      ctx({
        toolCalls: [
          { name: "get_weather", arguments: '{"city":"Paris"}' },
          { name: "get_time", arguments: "{}" },
        ],
      }),
    );
    expect(res.content).toBeNull();
    expect(res.finishReason).toBe("tool_calls");
    expect(res.toolCalls).toEqual([
      { id: "call_0", name: "get_weather", arguments: '{"city":"Paris"}' },
      { id: "call_1", name: "get_time", arguments: "{}" },
    ]);
  });

  it("maps MAX_TOKENS to length and SAFETY to content_filter with no content", async () => {
    expect((await provider.complete(req(), target(), ctx({ finishReason: "length" }))).finishReason).toBe("length");
    const blocked = await provider.complete(req(), target(), ctx({ finishReason: "content_filter" }));
    expect(blocked).toMatchObject({ content: null, toolCalls: [], finishReason: "content_filter" });
  });

  it("maps the other finish reasons and a blocked prompt", () => {
    const finish = (finishReason: string) =>
      geminiAdapter.parseResponse({ candidates: [{ content: { parts: [{ text: "x" }] }, finishReason }] }, target())
        .finishReason;
    for (const r of ["RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"]) expect(finish(r)).toBe("content_filter");
    expect(finish("OTHER")).toBe("stop");
    expect(finish("MALFORMED_FUNCTION_CALL")).toBe("stop");
    const prompt = geminiAdapter.parseResponse(
      { promptFeedback: { blockReason: "SAFETY" }, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } },
      target(),
    );
    expect(prompt).toMatchObject({ content: null, toolCalls: [], finishReason: "content_filter" });
    expect(prompt.usage).toEqual({ inputTokens: 4, outputTokens: 0 });
  });

  it("counts thinking tokens as output and skips thought parts", () => {
    const res = geminiAdapter.parseResponse(
      {
        candidates: [{ content: { parts: [{ text: "musing", thought: true }, { text: "42" }] }, finishReason: "STOP" }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 2, thoughtsTokenCount: 30 },
      },
      target(),
    );
    expect(res.content).toBe("42");
    expect(res.usage).toEqual({ inputTokens: 10, outputTokens: 32 });
  });

  it("classifies a body that is not a GenerateContentResponse as malformed", async () => {
    expect((await rejection(provider.complete(req(), target(), ctx({ malformed: true })))).errorClass).toBe("malformed");
    expect(() => geminiAdapter.parseResponse({ candidates: "no" }, target())).toThrow(UpstreamError);
    expect(() => geminiAdapter.parseResponse(null, target())).toThrow(UpstreamError);
  });
});

describe("gemini stream (SSE)", () => {
  it("streams text deltas, then finish, then usage", async () => {
    const events = await collect(
      await provider.stream(req({ stream: true }), target(), ctx({ text: "Hello there world", chunks: 3, usage: { inputTokens: 5, outputTokens: 4 } })),
    );
    const texts = events.filter((e) => e.type === "text");
    expect(texts.length).toBe(3);
    expect(texts.map((e) => (e as { text: string }).text).join("")).toBe("Hello there world");
    expect(events.slice(-2)).toEqual([
      { type: "finish", finishReason: "stop" },
      { type: "usage", usage: { inputTokens: 5, outputTokens: 4 } },
    ]);
  });

  it("streams each function call as one toolCall event and finishes with tool_calls", async () => {
    const events = await collect(
      await provider.stream(
        req({ stream: true }),
        target(),
        ctx({ toolCalls: [{ name: "a", arguments: '{"x":1}' }, { name: "b", arguments: "{}" }] }),
      ),
    );
    expect(events.filter((e) => e.type !== "usage")).toEqual([
      { type: "toolCall", index: 0, id: "call_0", name: "a", argumentsDelta: '{"x":1}' },
      { type: "toolCall", index: 1, id: "call_1", name: "b", argumentsDelta: "{}" },
      { type: "finish", finishReason: "tool_calls" },
    ]);
  });

  it("finishes a safety-stopped stream with content_filter", async () => {
    const events = await collect(await provider.stream(req({ stream: true }), target(), ctx({ finishReason: "content_filter" })));
    expect(events.filter((e) => e.type === "finish")).toEqual([{ type: "finish", finishReason: "content_filter" }]);
  });

  it("yields no finish (and no usage) when the stream is cut", async () => {
    const events = await collect(await provider.stream(req({ stream: true }), target(), ctx({ text: "abcdef", chunks: 3, cutAfterEvents: 2 })));
    expect(events).toEqual([
      { type: "text", text: "ab" },
      { type: "text", text: "cd" },
    ]);
  });

  it("classifies a non-JSON event as malformed", async () => {
    const stream = await provider.stream(req({ stream: true }), target(), ctx({ malformed: true }));
    expect((await rejection(collect(stream))).errorClass).toBe("malformed");
  });

  it("turns in-stream error objects into the matching class", async () => {
    const classOf = async (error: object) =>
      (await rejection(collect(geminiAdapter.parseStream(sseBody(JSON.stringify({ error })), target())))).errorClass;
    expect(await classOf({ code: 429, message: "quota", status: "RESOURCE_EXHAUSTED" })).toBe("rate_limited");
    expect(await classOf({ code: 503, message: "overloaded", status: "UNAVAILABLE" })).toBe("server_error");
    expect(await classOf({ code: 400, message: "bad", status: "INVALID_ARGUMENT" })).toBe("bad_request");
  });

  it("emits usage from the last usageMetadata after the finish, including a prompt block", async () => {
    const events = await collect(
      geminiAdapter.parseStream(
        sseBody(JSON.stringify({ promptFeedback: { blockReason: "OTHER" }, usageMetadata: { promptTokenCount: 9 } })),
        target(),
      ),
    );
    expect(events).toEqual([
      { type: "finish", finishReason: "content_filter" },
      { type: "usage", usage: { inputTokens: 9, outputTokens: 0 } },
    ]);
  });
});

describe("gemini errors", () => {
  it("429 with Retry-After → rate_limited with retryAfterMs", async () => {
    const err = await rejection(provider.complete(req(), target(), ctx({ status: 429, headers: { "retry-after": "7" } })));
    expect(err.errorClass).toBe("rate_limited");
    expect(err.retryAfterMs).toBe(7000);
    expect(err.message).toContain("Resource has been exhausted");
  });

  it("400 input-token overflow → context_length", async () => {
    const err = await rejection(
      provider.complete(
        req(),
        target(),
        ctx({ status: 400, errorMessage: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)." }),
      ),
    );
    expect(err.errorClass).toBe("context_length");
  });

  it("403 and a missing key → upstream_auth; 404 → model_not_found; 503 → server_error; other 400 → bad_request", async () => {
    expect((await rejection(provider.complete(req(), target(), ctx({ status: 403 })))).errorClass).toBe("upstream_auth");
    expect((await rejection(provider.complete(req(), target(), ctx({}, { apiKey: undefined })))).errorClass).toBe("upstream_auth");
    expect((await rejection(provider.complete(req(), target(), ctx({ status: 404 })))).errorClass).toBe("model_not_found");
    expect((await rejection(provider.stream(req({ stream: true }), target(), ctx({ status: 503 })))).errorClass).toBe("server_error");
    expect((await rejection(provider.complete(req(), target(), ctx({ status: 400 })))).errorClass).toBe("bad_request");
  });

  it("parseError reads Google RPC errors (object or one-element array) and falls back to the raw text", () => {
    const rpc = { error: { code: 400, message: "API key not valid. Please pass a valid API key.", status: "INVALID_ARGUMENT" } };
    expect(geminiAdapter.parseError(JSON.stringify(rpc))).toEqual({ message: rpc.error.message, code: "INVALID_ARGUMENT" });
    expect(geminiAdapter.parseError(JSON.stringify([rpc]))).toEqual({ message: rpc.error.message, code: "INVALID_ARGUMENT" });
    const html = `<html>${"x".repeat(300)}</html>`;
    expect(geminiAdapter.parseError(html)).toEqual({ message: html.slice(0, 200) });
  });
});

describe("fake gemini", () => {
  it("rejects a request without contents as the real API does", async () => {
    const res = await fakeGemini(
      new Request(`${BASE}/models/gemini-2.0-flash:generateContent`, {
        method: "POST",
        headers: { "x-goog-api-key": "k" },
        body: JSON.stringify({ generationConfig: {} }),
      }),
      {},
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 400, status: "INVALID_ARGUMENT" } });
  });

  it("answers streamGenerateContent without alt=sse as a JSON array, which the adapter's provider refuses", async () => {
    const res = await fakeGemini(
      new Request(`${BASE}/models/gemini-2.0-flash:streamGenerateContent`, {
        method: "POST",
        headers: { "x-goog-api-key": "k" },
        body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
      }),
      { text: "hey" },
    );
    expect(res.headers.get("content-type")).toContain("application/json");
    const chunks = (await res.json()) as unknown[];
    expect(Array.isArray(chunks)).toBe(true);
  });

  it("hangs until the request is aborted", async () => {
    const ac = new AbortController();
    const p = provider.complete(req(), target(), ctx({ hang: true }, { signal: ac.signal }));
    ac.abort(new UpstreamError("timeout", "attempt timed out"));
    expect((await rejection(p)).errorClass).toBe("timeout");
  });
});

describe("Gemini error bodies that carry the real meaning", () => {
  const raw = (status: number, body: unknown): CallContext => ({
    fetch: (async () => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })) as unknown as typeof fetch,
    signal: new AbortController().signal,
    apiKey: "bad-key",
    now: () => 0,
  });

  it("a 400 with reason API_KEY_INVALID is the operator's key problem, not a bad request", async () => {
    const err = await rejection(
      provider.complete(req(), target(), raw(400, {
        error: {
          code: 400,
          message: "API key not valid. Please pass a valid API key.",
          status: "INVALID_ARGUMENT",
          details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" }],
        },
      })),
    );
    expect(err.errorClass).toBe("upstream_auth");
  });

  it("a 429 takes its wait from RetryInfo.retryDelay in the body", async () => {
    const err = await rejection(
      provider.complete(req(), target(), raw(429, {
        error: { code: 429, message: "Resource has been exhausted", status: "RESOURCE_EXHAUSTED", details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37s" }] },
      })),
    );
    expect(err.errorClass).toBe("rate_limited");
    expect(err.retryAfterMs).toBe(37_000);
  });
});
