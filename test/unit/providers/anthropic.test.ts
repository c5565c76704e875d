/**
 * The Anthropic adapter, against the request mapping directly and through `httpProvider` against the fake vendor.
 */
import { describe, it, expect } from "vitest";
import type { CanonicalRequest, StreamEvent } from "../../../src/canonical";
import { ProviderConfig } from "../../../src/config/schema";
import { UpstreamError } from "../../../src/engine/errors";
import { anthropicAdapter } from "../../../src/providers/anthropic";
import { httpProvider } from "../../../src/providers/http";
import type { CallContext, Target } from "../../../src/providers/types";
import { fakeAnthropic } from "../../fakes/anthropic";
import type { FakeScript } from "../../fakes/script";

const provider = httpProvider(anthropicAdapter);

function target(headers: Record<string, string> = {}): Target {
  const p = ProviderConfig.parse({
    id: "anthropic",
    kind: "anthropic",
    baseUrl: "https://api.anthropic.com/",
    apiKeySecret: "ANTHROPIC_API_KEY",
    headers,
    models: [{ id: "claude-sonnet-4-5", maxOutputTokens: 8192, tools: true, vision: true, json: true }],
  });
  return { provider: p, model: p.models[0]! };
}

function req(over: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { messages: [{ role: "user", content: "Hi" }], stream: false, includeUsage: false, ...over };
}

function ctx(script: FakeScript, over: Partial<CallContext> = {}): CallContext {
  return {
    fetch: (input, init) => fakeAnthropic(new Request(input, init), script),
    signal: new AbortController().signal,
    apiKey: "sk-ant-test",
    now: () => Date.now(),
    ...over,
  };
}

type Body = Record<string, any>;
const body = (r: CanonicalRequest, t = target()): Body => anthropicAdapter.buildRequest(r, t, "k").body as Body;

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

async function streamOf(script: FakeScript, r = req()): Promise<StreamEvent[]> {
  return collect(await provider.stream(r, target(), ctx(script)));
}

/** Rejects with an UpstreamError of `errorClass`; returns it for further checks. */
async function upstreamError(p: Promise<unknown>, errorClass: string): Promise<UpstreamError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamError);
  expect((err as UpstreamError).errorClass).toBe(errorClass);
  return err as UpstreamError;
}

/** A byte stream of raw SSE text, for wire sequences the fake does not script (in-stream errors, unknown events). */
function sseBody(...events: [string, unknown][]): ReadableStream<Uint8Array> {
  const text = events.map(([e, d]) => `event: ${e}\ndata: ${typeof d === "string" ? d : JSON.stringify(d)}\n\n`).join("");
  return new Response(text).body!;
}
const START: [string, unknown] = ["message_start", { type: "message_start", message: { id: "m", type: "message", role: "assistant", model: "x", content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } }];

describe("anthropic buildRequest", () => {
  it("targets /v1/messages with key and version headers", () => {
    const vr = anthropicAdapter.buildRequest(req(), target(), "sk-ant-1");
    expect(vr.url).toBe("https://api.anthropic.com/v1/messages");
    expect(vr.headers).toEqual({ "x-api-key": "sk-ant-1", "anthropic-version": "2023-06-01" });
    expect(anthropicAdapter.buildRequest(req(), target(), undefined).headers).not.toHaveProperty("x-api-key");
    // An operator-pinned version wins (http.ts spreads adapter headers last).
    expect(anthropicAdapter.buildRequest(req(), target({ "Anthropic-Version": "2099-01-01" }), "k").headers).not.toHaveProperty("anthropic-version");
  });

  it("lifts every system message into top-level system", () => {
    const b = body(req({
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: "Hi" },
        { role: "system", content: "Answer in French." },
      ],
    }));
    expect(b.system).toBe("Be terse.\n\nAnswer in French.");
    expect(b.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Hi" }] }]);
  });

  it("always sends max_tokens, defaulting to the model's maximum", () => {
    expect(body(req()).max_tokens).toBe(8192);
    expect(body(req({ maxTokens: 100 })).max_tokens).toBe(100);
    expect(body(req())).toMatchObject({ model: "claude-sonnet-4-5" });
  });

  it("merges consecutive same-role turns and maps tool results into one user turn", () => {
    const b = body(req({
      messages: [
        { role: "user", content: "a" },
        { role: "user", content: "b" },
        { role: "assistant", content: "Checking.", toolCalls: [
          { id: "t1", name: "get", arguments: '{"q":1}' },
          { id: "t2", name: "get", arguments: "not json" },
        ] },
        { role: "tool", toolCallId: "t1", content: "one" },
        { role: "tool", toolCallId: "t2", content: "two" },
        { role: "user", content: "thanks" },
        { role: "assistant", content: null, toolCalls: [{ id: "t3", name: "get", arguments: "[1]" }] },
      ],
    }));
    expect(b.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
      { role: "assistant", content: [
        { type: "text", text: "Checking." },
        { type: "tool_use", id: "t1", name: "get", input: { q: 1 } },
        { type: "tool_use", id: "t2", name: "get", input: {} },
      ] },
      { role: "user", content: [
        { type: "tool_result", tool_use_id: "t1", content: "one" },
        { type: "tool_result", tool_use_id: "t2", content: "two" },
        { type: "text", text: "thanks" },
      ] },
      { role: "assistant", content: [{ type: "tool_use", id: "t3", name: "get", input: {} }] },
    ]);
  });

  it("maps data: and https images to base64 and url sources", () => {
    const b = body(req({
      messages: [{ role: "user", content: [
        { type: "text", text: "what is this" },
        { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
        { type: "image", url: "https://example.com/cat.jpg", detail: "high" },
        { type: "image", url: "data:image/svg+xml,%3Csvg%2F%3E" },
      ] }],
    }));
    expect(b.messages[0].content).toEqual([
      { type: "text", text: "what is this" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
      { type: "image", source: { type: "base64", media_type: "image/svg+xml", data: btoa("<svg/>") } },
    ]);
  });

  it("maps tools and every tool_choice", () => {
    const tools = [{ name: "get", description: "Fetch", parameters: { type: "object", properties: { q: { type: "string" } } } }];
    const b = body(req({ tools, toolChoice: "auto" }));
    expect(b.tools).toEqual([{ name: "get", description: "Fetch", input_schema: tools[0]!.parameters }]);
    expect(b.tool_choice).toEqual({ type: "auto" });
    expect(body(req({ tools, toolChoice: "required" })).tool_choice).toEqual({ type: "any" });
    expect(body(req({ tools, toolChoice: "none" })).tool_choice).toEqual({ type: "none" });
    expect(body(req({ tools, toolChoice: { name: "get" } })).tool_choice).toEqual({ type: "tool", name: "get" });
    expect(body(req({ tools: [{ name: "noargs", parameters: {} }] })).tools[0].input_schema).toEqual({ type: "object" });
  });

  it("maps sampling, stop, user and stream, and sends no OpenAI-only fields", () => {
    const b = body(req({
      temperature: 1.5, topP: 0.9, stop: ["END"], user: "u-1", metadata: { a: "b" }, stream: true, includeUsage: true,
      responseFormat: { type: "text" },
    }));
    expect(b).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 8192,
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
      temperature: 1,
      top_p: 0.9,
      stop_sequences: ["END"],
      metadata: { user_id: "u-1" },
      stream: true,
    });
  });

  it("asks for JSON in the system prompt for json_object and json_schema", () => {
    const obj = body(req({ messages: [{ role: "system", content: "S" }, { role: "user", content: "Hi" }], responseFormat: { type: "json_object" } }));
    expect(obj.system).toMatch(/^S\n\n.*only a single valid JSON value.*JSON object/s);
    const schema = { type: "object", properties: { n: { type: "number" } } };
    const sch = body(req({ responseFormat: { type: "json_schema", name: "num", schema } }));
    expect(sch.system).toContain(JSON.stringify(schema));
    expect(sch).not.toHaveProperty("response_format");
  });
});

describe("anthropic complete (fake vendor)", () => {
  it("returns text, model, id, stop and usage", async () => {
    const r = await provider.complete(req(), target(), ctx({ text: "Bonjour", usage: { inputTokens: 11, outputTokens: 3 } }));
    expect(r).toMatchObject({ model: "claude-sonnet-4-5", content: "Bonjour", toolCalls: [], finishReason: "stop", usage: { inputTokens: 11, outputTokens: 3 } });
    expect(r.id).toMatch(/^msg_/);
  });

  it("returns tool calls with JSON arguments and null content", async () => {
    const r = await provider.complete(req(), target(), ctx({ toolCalls: [{ id: "toolu_1", name: "get", arguments: '{"q":"x"}' }] }));
    expect(r.content).toBeNull();
    expect(r.finishReason).toBe("tool_calls");
    expect(r.toolCalls).toEqual([{ id: "toolu_1", name: "get", arguments: '{"q":"x"}' }]);
  });

  it("maps stop reasons", async () => {
    for (const [finishReason, expected] of [["length", "length"], ["content_filter", "content_filter"]] as const) {
      expect((await provider.complete(req(), target(), ctx({ finishReason }))).finishReason).toBe(expected);
    }
    const msg = (stop_reason: string) => ({ id: "m", type: "message", role: "assistant", model: "x", content: [], stop_reason, usage: { input_tokens: 1, output_tokens: 1 } });
    const t = target();
    expect(anthropicAdapter.parseResponse(msg("stop_sequence"), t).finishReason).toBe("stop");
    expect(anthropicAdapter.parseResponse(msg("pause_turn"), t).finishReason).toBe("stop");
    expect(anthropicAdapter.parseResponse(msg("max_tokens"), t).finishReason).toBe("length");
    expect(anthropicAdapter.parseResponse(msg("refusal"), t).finishReason).toBe("content_filter");
  });

  it("counts prompt-cache tokens as input", () => {
    const r = anthropicAdapter.parseResponse({ id: "m", type: "message", role: "assistant", model: "x", content: [{ type: "text", text: "a" }, { type: "thinking", thinking: "hm", signature: "s" }], stop_reason: "end_turn", usage: { input_tokens: 2, output_tokens: 4, cache_read_input_tokens: 100, cache_creation_input_tokens: 10 } }, target());
    expect(r.usage).toEqual({ inputTokens: 112, outputTokens: 4 });
    expect(r.content).toBe("a");
  });

  it("rejects a body that is not a Message, or an error object under 2xx, as malformed", async () => {
    await upstreamError(provider.complete(req(), target(), ctx({ malformed: true })), "malformed");
    expect(() => anthropicAdapter.parseResponse({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }, target())).toThrow(/overloaded_error/);
    expect(() => anthropicAdapter.parseResponse({ id: "m", type: "message", role: "assistant", model: "x", content: [{ type: "text" }], stop_reason: "end_turn", usage: { input_tokens: 1, output_tokens: 1 } }, target())).toThrow(UpstreamError);
  });

  it("classifies 429 with retry-after as rate_limited", async () => {
    const err = await upstreamError(provider.complete(req(), target(), ctx({ status: 429, headers: { "retry-after": "7" } })), "rate_limited");
    expect(err.retryAfterMs).toBe(7000);
    expect(err.status).toBe(429);
  });

  it("classifies a too-long prompt as context_length", async () => {
    const err = await upstreamError(provider.complete(req(), target(), ctx({ status: 400, errorMessage: "prompt is too long: 210000 tokens > 200000 maximum" })), "context_length");
    expect(err.message).toContain("prompt is too long");
  });

  it("classifies 401 as upstream_auth, a key secret that is not set as misconfigured, 529 as server_error, 404 as model_not_found", async () => {
    await upstreamError(provider.complete(req(), target(), ctx({ status: 401, errorMessage: "invalid x-api-key" })), "upstream_auth");
    // README: a provider whose secret is missing is `misconfigured` (it is not sent keyless to earn a 401).
    await upstreamError(provider.complete(req(), target(), ctx({}, { apiKey: undefined })), "misconfigured");
    await upstreamError(provider.complete(req(), target(), ctx({ status: 529 })), "server_error");
    await upstreamError(provider.complete(req(), target(), ctx({ status: 404 })), "model_not_found");
  });

  it("is accepted by the fake's request validation for a full tool round trip", async () => {
    const r = await provider.complete(req({
      messages: [
        { role: "system", content: "S" },
        { role: "user", content: "q" },
        { role: "assistant", content: null, toolCalls: [{ id: "a", name: "f", arguments: "{}" }, { id: "b", name: "f", arguments: "{}" }] },
        { role: "tool", toolCallId: "a", content: "1" },
        { role: "tool", toolCallId: "b", content: "2" },
      ],
      tools: [{ name: "f", parameters: { type: "object" } }],
      toolChoice: "auto",
      responseFormat: { type: "json_object" },
      temperature: 0.2,
      user: "u",
    }), target(), ctx({ text: "{}" }));
    expect(r.content).toBe("{}");
  });
});

describe("fake Anthropic request validation", () => {
  const post = (b: unknown, headers: Record<string, string> = { "x-api-key": "k", "anthropic-version": "2023-06-01" }) =>
    fakeAnthropic(new Request("https://api.anthropic.com/v1/messages", { method: "POST", headers, body: JSON.stringify(b) }), {});
  const ok = { model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] };

  it("refuses what the real API refuses, in its error shape", async () => {
    const cases: [Response, number, RegExp][] = [
      [await post({ ...ok, response_format: { type: "json_object" } }), 400, /response_format: Extra inputs/],
      [await post({ model: "m", messages: ok.messages }), 400, /max_tokens: Field required/],
      [await post(ok, { "anthropic-version": "2023-06-01" }), 401, /x-api-key/],
      [await post(ok, { "x-api-key": "k" }), 400, /anthropic-version/],
      [await post({ ...ok, messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "nope", content: "x" }] }] }), 400, /unexpected `tool_use_id`/],
    ];
    for (const [res, status, message] of cases) {
      expect(res.status).toBe(status);
      const b = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(b.type).toBe("error");
      expect(b.error.message).toMatch(message);
    }
    expect((await post(ok)).status).toBe(200);
  });
});

describe("anthropic stream (fake vendor)", () => {
  it("streams text, then finish, then usage", async () => {
    const events = await streamOf({ text: "Hello there, world", chunks: 3, usage: { inputTokens: 9, outputTokens: 4 } });
    expect(events.filter((e) => e.type === "text").map((e) => (e as { text: string }).text).join("")).toBe("Hello there, world");
    expect(events.slice(-2)).toEqual([
      { type: "finish", finishReason: "stop" },
      { type: "usage", usage: { inputTokens: 9, outputTokens: 4 } },
    ]);
  });

  it("streams tool calls indexed among tool calls, with arguments reassembled", async () => {
    const args0 = '{"city":"Paris","days":3}';
    const args1 = '{"city":"Rome"}';
    const events = await streamOf({ text: "Let me check.", toolCalls: [{ id: "toolu_a", name: "weather", arguments: args0 }, { id: "toolu_b", name: "weather", arguments: args1 }], chunks: 4 });
    const calls = events.filter((e) => e.type === "toolCall") as Extract<StreamEvent, { type: "toolCall" }>[];
    expect(calls.filter((c) => c.id !== undefined)).toEqual([
      { type: "toolCall", index: 0, id: "toolu_a", name: "weather", argumentsDelta: "" },
      { type: "toolCall", index: 1, id: "toolu_b", name: "weather", argumentsDelta: "" },
    ]);
    const argsOf = (i: number) => calls.filter((c) => c.index === i).map((c) => c.argumentsDelta).join("");
    expect(argsOf(0)).toBe(args0);
    expect(argsOf(1)).toBe(args1);
    expect(events.find((e) => e.type === "finish")).toEqual({ type: "finish", finishReason: "tool_calls" });
  });

  it("maps stop reasons in the stream", async () => {
    expect((await streamOf({ finishReason: "length" })).find((e) => e.type === "finish")).toEqual({ type: "finish", finishReason: "length" });
  });

  it("yields no finish when the stream is cut", async () => {
    const events = await streamOf({ text: "abcdefghi", chunks: 3, cutAfterEvents: 4 });
    expect(events.some((e) => e.type === "text")).toBe(true);
    expect(events.some((e) => e.type === "finish" || e.type === "usage")).toBe(false);
  });

  it("throws malformed on an SSE event that is not JSON", async () => {
    await upstreamError(streamOf({ malformed: true }), "malformed");
  });

  it("throws the mapped class on an in-stream error event", async () => {
    const errorEvent = (type: string): [string, unknown] => ["error", { type: "error", error: { type, message: "boom" } }];
    const text: [string, unknown] = ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "par" } }];
    const cases = [["overloaded_error", "server_error"], ["api_error", "server_error"], ["rate_limit_error", "rate_limited"], ["invalid_request_error", "bad_request"], ["something_new", "server_error"]];
    for (const [type, cls] of cases) {
      const seen: StreamEvent[] = [];
      const run = (async () => {
        for await (const e of anthropicAdapter.parseStream(sseBody(START, text, errorEvent(type!)), target())) seen.push(e);
      })();
      const err = await upstreamError(run, cls!);
      expect(err.message).toContain(type);
      expect(seen).toEqual([{ type: "text", text: "par" }]);
    }
  });

  it("ignores ping, thinking and unknown events, and gives a no-argument tool '{}'", async () => {
    const events = await collect(anthropicAdapter.parseStream(sseBody(
      START,
      ["ping", { type: "ping" }],
      ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } }],
      ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "hmm" } }],
      ["content_block_stop", { type: "content_block_stop", index: 0 }],
      ["brand_new_event", { type: "brand_new_event", x: 1 }],
      ["content_block_start", { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "t", name: "now", input: {} } }],
      ["content_block_delta", { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "" } }],
      ["content_block_stop", { type: "content_block_stop", index: 1 }],
      ["message_delta", { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 6 } }],
      ["message_stop", { type: "message_stop" }],
    ), target()));
    expect(events).toEqual([
      { type: "toolCall", index: 0, id: "t", name: "now", argumentsDelta: "" },
      { type: "toolCall", index: 0, argumentsDelta: "{}" },
      { type: "finish", finishReason: "tool_calls" },
      { type: "usage", usage: { inputTokens: 5, outputTokens: 6 } },
    ]);
  });

  it("surfaces a 429 before the stream starts", async () => {
    const err = await upstreamError(provider.stream(req(), target(), ctx({ status: 429, headers: { "retry-after": "2" } })), "rate_limited");
    expect(err.retryAfterMs).toBe(2000);
  });

  it("stalls until the caller aborts", async () => {
    const ac = new AbortController();
    const it = (await provider.stream(req(), target(), ctx({ text: "abcdef", stallAfterEvents: 4 }, { signal: ac.signal })))[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    ac.abort(new Error("stall"));
    await expect(pending).rejects.toThrow();
  });
});

describe("anthropic parseError", () => {
  it("reads Anthropic's error shape, else the first 200 characters", () => {
    expect(anthropicAdapter.parseError(JSON.stringify({ type: "error", error: { type: "rate_limit_error", message: "slow down" }, request_id: "r" }))).toEqual({ message: "slow down", code: "rate_limit_error" });
    expect(anthropicAdapter.parseError("x".repeat(300))).toEqual({ message: "x".repeat(200) });
  });
});
