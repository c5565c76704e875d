/**
 * The OpenAI Chat Completions adapter, driven through `httpProvider` against the fake api.openai.com
 * (test/fakes/openai.ts), plus a few hand-written bodies for what compatible vendors do differently.
 */
import { describe, expect, it } from "vitest";
import type { CanonicalRequest, StreamEvent } from "../../../src/canonical";
import { ProviderConfig } from "../../../src/config/schema";
import { UpstreamError } from "../../../src/engine/errors";
import { httpProvider } from "../../../src/providers/http";
import { openaiAdapter } from "../../../src/providers/openai";
import type { CallContext, Target } from "../../../src/providers/types";
import { fakeOpenAI } from "../../fakes/openai";
import type { FakeScript } from "../../fakes/script";

const provider = httpProvider(openaiAdapter);

function target(baseUrl = "https://api.openai.com/v1/"): Target {
  const p = ProviderConfig.parse({
    id: "oai",
    kind: "openai",
    baseUrl,
    headers: { "openai-organization": "org-test" },
    models: [{ id: "gpt-4o-mini", tools: true, json: true }],
  });
  return { provider: p, model: p.models[0]! };
}

function req(over: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { messages: [{ role: "user", content: "Say hi" }], stream: false, includeUsage: false, ...over };
}

/** A context whose fetch is the fake (or `respond`), recording each request as the vendor saw it. */
function ctxFor(script: FakeScript, opts: { apiKey?: string | null; respond?: () => Response; signal?: AbortSignal } = {}) {
  const seen: { url: string; headers: Headers; body: Record<string, unknown> }[] = [];
  const fakeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const r = new Request(input, init);
    seen.push({ url: r.url, headers: r.headers, body: JSON.parse(await r.clone().text()) });
    return opts.respond ? opts.respond() : fakeOpenAI(r, script);
  }) as typeof fetch;
  const ctx: CallContext = {
    fetch: fakeFetch,
    signal: opts.signal ?? new AbortController().signal,
    apiKey: opts.apiKey === null ? undefined : (opts.apiKey ?? "sk-test"),
    now: () => 1_000,
  };
  return { ctx, seen };
}

async function collect(it: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

async function failure(p: Promise<unknown>): Promise<UpstreamError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamError);
  return err as UpstreamError;
}

function sse(...datas: string[]): () => Response {
  return () =>
    new Response(datas.map((d) => `data: ${d}\n\n`).join(""), { status: 200, headers: { "content-type": "text/event-stream" } });
}

describe("openaiAdapter request mapping", () => {
  it("maps every canonical field to the Chat Completions body", async () => {
    const { ctx, seen } = ctxFor({});
    await provider.complete(
      req({
        messages: [
          { role: "system", content: "Be brief." },
          {
            role: "user",
            name: "ann",
            content: [
              { type: "text", text: "What is this?" },
              { type: "image", url: "https://x.test/a.png", detail: "low" },
            ],
          },
          { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "look", arguments: '{"q":"a"}' }] },
          { role: "tool", toolCallId: "call_1", content: "a cat" },
          { role: "assistant", content: null },
        ],
        tools: [{ name: "look", description: "Look it up", parameters: { type: "object", properties: {} } }],
        toolChoice: { name: "look" },
        responseFormat: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true },
        maxTokens: 100,
        temperature: 0.2,
        topP: 0.9,
        stop: ["END"],
        user: "u-1",
        metadata: { team: "a" },
      }),
      target(),
      ctx,
    );
    const sent = seen[0]!;
    expect(sent.url).toBe("https://api.openai.com/v1/chat/completions");
    expect(sent.headers.get("authorization")).toBe("Bearer sk-test");
    expect(sent.headers.get("openai-organization")).toBe("org-test");
    expect(sent.body).toEqual({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Be brief." },
        {
          role: "user",
          name: "ann",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "https://x.test/a.png", detail: "low" } },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "look", arguments: '{"q":"a"}' } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "a cat" },
        { role: "assistant", content: "" },
      ],
      tools: [{ type: "function", function: { name: "look", description: "Look it up", parameters: { type: "object", properties: {} } } }],
      tool_choice: { type: "function", function: { name: "look" } },
      response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true } },
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      stop: ["END"],
      user: "u-1",
      metadata: { team: "a" },
    });
  });

  it("omits unset fields, and always asks for stream usage", async () => {
    const { ctx, seen } = ctxFor({});
    await collect(await provider.stream(req({ responseFormat: { type: "text" }, toolChoice: "required" }), target(), ctx));
    expect(seen[0]!.body).toEqual({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Say hi" }],
      tool_choice: "required",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("maps json_object and sends no authorization without a key", () => {
    const vr = openaiAdapter.buildRequest(req({ responseFormat: { type: "json_object" } }), target("https://api.groq.com/openai/v1"), undefined);
    expect(vr.url).toBe("https://api.groq.com/openai/v1/chat/completions");
    expect(vr.headers).toEqual({});
    expect((vr.body as Record<string, unknown>).response_format).toEqual({ type: "json_object" });
  });
});

describe("openaiAdapter JSON responses", () => {
  it("parses text, model, id and usage", async () => {
    const { ctx } = ctxFor({ text: "Hello there", model: "gpt-4o-mini-2024-07-18", usage: { inputTokens: 7, outputTokens: 3 } });
    const res = await provider.complete(req(), target(), ctx);
    expect(res).toEqual({
      id: "chatcmpl-fake0001",
      model: "gpt-4o-mini-2024-07-18",
      content: "Hello there",
      toolCalls: [],
      finishReason: "stop",
      usage: { inputTokens: 7, outputTokens: 3 },
    });
  });

  it("parses tool calls", async () => {
    const { ctx } = ctxFor({ toolCalls: [{ id: "call_a", name: "get_weather", arguments: '{"city":"Oslo"}' }] });
    const res = await provider.complete(req(), target(), ctx);
    expect(res.content).toBeNull();
    expect(res.toolCalls).toEqual([{ id: "call_a", name: "get_weather", arguments: '{"city":"Oslo"}' }]);
    expect(res.finishReason).toBe("tool_calls");
  });

  it("turns a refusal into content with finish content_filter", () => {
    const res = openaiAdapter.parseResponse(
      { id: "x", model: "gpt-4o", choices: [{ message: { role: "assistant", content: null, refusal: "I can't help with that." }, finish_reason: "stop" }] },
      target(),
    );
    expect(res.content).toBe("I can't help with that.");
    expect(res.finishReason).toBe("content_filter");
  });

  it("is lenient about what compatible vendors omit", () => {
    const res = openaiAdapter.parseResponse(
      { choices: [{ message: { content: "ok", tool_calls: null }, finish_reason: null }] },
      target(),
    );
    expect(res).toEqual({ model: "gpt-4o-mini", content: "ok", toolCalls: [], finishReason: "stop" });
    const legacy = openaiAdapter.parseResponse(
      { choices: [{ message: { content: null, function_call: { name: "f", arguments: "{}" } }, finish_reason: "function_call" }] },
      target(),
    );
    expect(legacy.toolCalls).toEqual([{ id: "call_0", name: "f", arguments: "{}" }]);
    expect(legacy.finishReason).toBe("tool_calls");
  });

  it.each([
    ["length", "length"],
    ["content_filter", "content_filter"],
    ["eos", "stop"],
  ])("maps finish_reason %s → %s", (wire, canonical) => {
    const res = openaiAdapter.parseResponse({ choices: [{ message: { content: "x" }, finish_reason: wire }] }, target());
    expect(res.finishReason).toBe(canonical);
  });

  it("rejects a body that is not a chat.completion as malformed", async () => {
    const { ctx } = ctxFor({ malformed: true });
    expect((await failure(provider.complete(req(), target(), ctx))).errorClass).toBe("malformed");
    expect(() => openaiAdapter.parseResponse({ choices: [] }, target())).toThrow(UpstreamError);
    expect(() => openaiAdapter.parseResponse({ choices: [{ message: { content: 5 } }] }, target())).toThrow(/malformed|cannot read/);
  });
});

describe("openaiAdapter streams", () => {
  it("reassembles text, then finish, then usage", async () => {
    const { ctx } = ctxFor({ text: "Hello streaming world", chunks: 4, usage: { inputTokens: 5, outputTokens: 4 } });
    const events = await collect(await provider.stream(req({ stream: true }), target(), ctx));
    const text = events.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("");
    expect(text).toBe("Hello streaming world");
    expect(events.filter((e) => e.type === "text").length).toBeGreaterThan(1);
    expect(events.slice(-2)).toEqual([
      { type: "finish", finishReason: "stop" },
      { type: "usage", usage: { inputTokens: 5, outputTokens: 4 } },
    ]);
  });

  it("streams tool calls: id and name first, arguments in pieces", async () => {
    const { ctx } = ctxFor({
      toolCalls: [
        { id: "call_a", name: "get_weather", arguments: '{"city":"Oslo","unit":"c"}' },
        { id: "call_b", name: "get_time", arguments: '{"tz":"CET"}' },
      ],
    });
    const events = await collect(await provider.stream(req({ stream: true }), target(), ctx));
    const calls = events.filter((e) => e.type === "toolCall");
    expect(calls[0]).toEqual({ type: "toolCall", index: 0, id: "call_a", name: "get_weather", argumentsDelta: "" });
    const args = (i: number) => calls.flatMap((e) => (e.index === i ? [e.argumentsDelta] : [])).join("");
    expect(args(0)).toBe('{"city":"Oslo","unit":"c"}');
    expect(args(1)).toBe('{"tz":"CET"}');
    expect(calls.find((e) => e.index === 1 && e.id)).toMatchObject({ id: "call_b", name: "get_time" });
    expect(events.filter((e) => e.type === "text")).toEqual([]);
    expect(events.find((e) => e.type === "finish")).toEqual({ type: "finish", finishReason: "tool_calls" });
  });

  it("emits usage sent inside the finish chunk after the finish (Mistral/DeepSeek style)", async () => {
    const { ctx } = ctxFor({}, {
      respond: sse(
        '{"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}',
        '{"choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":{"prompt_tokens":2,"completion_tokens":1}}',
        "[DONE]",
      ),
    });
    const events = await collect(await provider.stream(req({ stream: true }), target(), ctx));
    expect(events).toEqual([
      { type: "text", text: "hi" },
      { type: "finish", finishReason: "length" },
      { type: "usage", usage: { inputTokens: 2, outputTokens: 1 } },
    ]);
  });

  it("streams a refusal as text with finish content_filter", async () => {
    const { ctx } = ctxFor({}, {
      respond: sse(
        '{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":""},"finish_reason":null}]}',
        '{"choices":[{"index":0,"delta":{"refusal":"I can\'t help."},"finish_reason":null}]}',
        '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
        "[DONE]",
      ),
    });
    const events = await collect(await provider.stream(req({ stream: true }), target(), ctx));
    expect(events).toEqual([
      { type: "text", text: "I can't help." },
      { type: "finish", finishReason: "content_filter" },
    ]);
  });

  it("throws malformed on an event that is not JSON", async () => {
    const { ctx } = ctxFor({ malformed: true });
    const err = await failure(provider.stream(req({ stream: true }), target(), ctx).then(collect));
    expect(err.errorClass).toBe("malformed");
  });

  it("throws malformed on a chunk with the wrong shape", async () => {
    const { ctx } = ctxFor({}, { respond: sse('{"choices":[{"index":0,"delta":{"content":7}}]}') });
    expect((await failure(provider.stream(req({ stream: true }), target(), ctx).then(collect))).errorClass).toBe("malformed");
  });

  it.each([
    ['{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}', "rate_limited"],
    ['{"error":{"message":"bad tool schema","type":"invalid_request_error","code":null}}', "bad_request"],
    ['{"error":{"message":"The server had an error","type":"server_error","code":null}}', "server_error"],
    ['{"error":"model crashed"}', "server_error"],
  ])("maps an in-stream error %s → %s", async (data, cls) => {
    const { ctx } = ctxFor({}, { respond: sse('{"choices":[{"index":0,"delta":{"content":"a"}}]}', data) });
    const events: StreamEvent[] = [];
    const err = await failure(
      (async () => {
        for await (const e of await provider.stream(req({ stream: true }), target(), ctx)) events.push(e);
      })(),
    );
    expect(err.errorClass).toBe(cls);
    expect(events).toEqual([{ type: "text", text: "a" }]);
  });

  it("never synthesizes a finish when the stream is cut", async () => {
    const { ctx } = ctxFor({ text: "Hello streaming world", cutAfterEvents: 2 });
    const events = await collect(await provider.stream(req({ stream: true }), target(), ctx));
    expect(events.length).toBeGreaterThan(0);
    expect(events.some((e) => e.type === "finish" || e.type === "usage")).toBe(false);
  });
});

describe("openaiAdapter errors through httpProvider", () => {
  it("429 with retry-after-ms → rate_limited with retryAfterMs", async () => {
    const { ctx } = ctxFor({ status: 429, headers: { "retry-after-ms": "1500" } });
    const err = await failure(provider.complete(req(), target(), ctx));
    expect(err.errorClass).toBe("rate_limited");
    expect(err.status).toBe(429);
    expect(err.retryAfterMs).toBe(1500);
    expect(err.message).toMatch(/Rate limit reached/);
  });

  it("400 context_length_exceeded → context_length", async () => {
    const { ctx } = ctxFor({ status: 400, errorCode: "context_length_exceeded" });
    expect((await failure(provider.complete(req(), target(), ctx))).errorClass).toBe("context_length");
  });

  it("400 other → bad_request, 500 → server_error", async () => {
    expect((await failure(provider.complete(req(), target(), ctxFor({ status: 400 }).ctx))).errorClass).toBe("bad_request");
    expect((await failure(provider.stream(req({ stream: true }), target(), ctxFor({ status: 500 }).ctx))).errorClass).toBe("server_error");
  });

  it("401 (no key) → upstream_auth", async () => {
    const { ctx } = ctxFor({}, { apiKey: null });
    const err = await failure(provider.complete(req(), target(), ctx));
    expect(err.errorClass).toBe("upstream_auth");
    expect(err.message).toMatch(/didn't provide an API key/);
  });

  it("404 → model_not_found", async () => {
    const { ctx } = ctxFor({ status: 404 });
    const err = await failure(provider.complete(req(), target(), ctx));
    expect(err.errorClass).toBe("model_not_found");
    expect(err.message).toMatch(/does not exist/);
  });

  it("a hang ends with the abort reason", async () => {
    const ac = new AbortController();
    const { ctx } = ctxFor({ hang: true }, { signal: ac.signal });
    const p = provider.complete(req(), target(), ctx);
    ac.abort(new UpstreamError("timeout", "first byte timeout"));
    expect((await failure(p)).errorClass).toBe("timeout");
  });

  it("parseError reads OpenAI, Ollama and vLLM error bodies", () => {
    expect(openaiAdapter.parseError('{"error":{"message":"nope","type":"invalid_request_error","param":null,"code":"model_not_found"}}')).toEqual({
      message: "nope",
      code: "model_not_found",
    });
    expect(openaiAdapter.parseError('{"error":{"message":"slow down","type":"tokens","code":null}}')).toEqual({ message: "slow down", code: "tokens" });
    expect(openaiAdapter.parseError('{"error":"model not found"}')).toEqual({ message: "model not found" });
    expect(openaiAdapter.parseError('{"object":"error","message":"too long","type":"BadRequestError","code":400}')).toEqual({
      message: "too long",
      code: "BadRequestError",
    });
    expect(openaiAdapter.parseError("<html>Bad Gateway</html>")).toEqual({ message: "<html>Bad Gateway</html>" });
    expect(openaiAdapter.parseError("")).toEqual({ message: "(empty body)" });
  });
});
