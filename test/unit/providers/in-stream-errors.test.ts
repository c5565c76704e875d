/**
 * An error a vendor sends inside a 2xx stream is classified exactly as the same error sent as a non-2xx answer: each
 * adapter turns the in-stream error into the status it stands for and calls the same `classifyStatus`.
 */
import { describe, expect, it } from "vitest";
import type { StreamEvent } from "../../../src/canonical";
import { ProviderConfig } from "../../../src/config/schema";
import { classifyStatus, UpstreamError, type ErrorClass } from "../../../src/engine/errors";
import { anthropicAdapter } from "../../../src/providers/anthropic";
import { geminiAdapter } from "../../../src/providers/gemini";
import { httpProvider } from "../../../src/providers/http";
import { openaiAdapter } from "../../../src/providers/openai";
import type { HttpAdapter, Target } from "../../../src/providers/types";
import { classifyWorkersAiError, workersAiProvider } from "../../../src/providers/workers-ai";

function target(kind: string, baseUrl?: string): Target {
  const p = ProviderConfig.parse({ id: "v", kind, ...(baseUrl ? { baseUrl } : {}), models: [{ id: "m" }] });
  return { provider: p, model: p.models[0]! };
}

async function rejection(p: Promise<unknown>): Promise<UpstreamError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamError);
  return err as UpstreamError;
}

async function drain(events: AsyncIterable<StreamEvent>): Promise<void> {
  for await (const _ of events) void _;
}

const sse = (text: string) => new Response(text).body!;
const req = { messages: [{ role: "user" as const, content: "hi" }], stream: false, includeUsage: false };

/** The class of `body` answered with HTTP `status`, through the adapter's own error parsing and `httpProvider`. */
async function httpClass(adapter: HttpAdapter, t: Target, status: number, body: unknown): Promise<ErrorClass> {
  const provider = httpProvider(adapter);
  const fetch = async () => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  return (await rejection(provider.complete(req, t, { fetch, signal: new AbortController().signal, apiKey: "k", now: () => 0 }))).errorClass;
}

/** What every case must come to: the class `classifyStatus` gives the vendor's documented status. */
const EXPECTED: Record<string, ErrorClass> = {
  "401": "upstream_auth",
  "404": "model_not_found",
  context: "context_length",
  overloaded: "server_error",
};

describe("openai: in-stream errors classify like the HTTP status path", () => {
  const t = target("openai", "https://api.example.test/v1");
  it.each<[string, number, { message: string; type?: string; code?: string | number }]>([
    ["401", 401, { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" }],
    ["404", 404, { message: "The model `m` does not exist", type: "invalid_request_error", code: "model_not_found" }],
    ["context", 400, { message: "This model's maximum context length is 8192 tokens", type: "invalid_request_error", code: "context_length_exceeded" }],
    ["overloaded", 503, { message: "The engine is currently overloaded", type: "server_error" }],
    ["401 as vLLM sends it", 401, { message: "Unauthorized", type: "AuthenticationError", code: 401 }],
  ])("%s", async (name, status, error) => {
    const streamed = await rejection(drain(openaiAdapter.parseStream(sse(`data: ${JSON.stringify({ error })}\n\n`), t)));
    expect(streamed.errorClass).toBe(EXPECTED[name.split(" ")[0]!]);
    expect(streamed.errorClass).toBe(await httpClass(openaiAdapter, t, status, { error }));
    expect(streamed.errorClass).toBe(classifyStatus(status, error.message).errorClass);
  });
});

describe("anthropic: in-stream error events classify like the HTTP status path", () => {
  const t = target("anthropic", "https://api.anthropic.com");
  it.each<[string, number, string, string]>([
    ["401", 401, "authentication_error", "invalid x-api-key"],
    ["404", 404, "not_found_error", "model: claude-nope"],
    ["context", 400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"],
    ["overloaded", 529, "overloaded_error", "Overloaded"],
  ])("%s", async (name, status, type, message) => {
    const error = { type: "error", error: { type, message } };
    const streamed = await rejection(drain(anthropicAdapter.parseStream(sse(`event: error\ndata: ${JSON.stringify(error)}\n\n`), t)));
    expect(streamed.errorClass).toBe(EXPECTED[name]);
    expect(streamed.errorClass).toBe(await httpClass(anthropicAdapter, t, status, error));
  });
});

describe("gemini: in-stream error objects classify like the HTTP status path", () => {
  const t = target("gemini", "https://generativelanguage.googleapis.com/v1beta");
  it.each<[string, number, Record<string, unknown>]>([
    ["401", 401, { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" }],
    ["401 as a bad key", 400, { code: 400, message: "API key not valid.", status: "INVALID_ARGUMENT", details: [{ reason: "API_KEY_INVALID" }] }],
    ["404", 404, { code: 404, message: "models/m is not found", status: "NOT_FOUND" }],
    ["context", 400, { code: 400, message: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", status: "INVALID_ARGUMENT" }],
    ["overloaded", 503, { code: 503, message: "The model is overloaded. Please try again later.", status: "UNAVAILABLE" }],
  ])("%s", async (name, status, error) => {
    const streamed = await rejection(drain(geminiAdapter.parseStream(sse(`data: ${JSON.stringify({ error })}\n\n`), t)));
    expect(streamed.errorClass).toBe(EXPECTED[name.split(" ")[0]!]);
    expect(streamed.errorClass).toBe(await httpClass(geminiAdapter, t, status, { error }));
  });

  it.each<[string, ErrorClass]>([
    ["UNAUTHENTICATED", "upstream_auth"],
    ["PERMISSION_DENIED", "upstream_auth"],
    ["NOT_FOUND", "model_not_found"],
    ["RESOURCE_EXHAUSTED", "rate_limited"],
    ["UNAVAILABLE", "server_error"],
    ["SOMETHING_NEW", "bad_request"],
  ])("an error with only an RPC status %s → %s", async (status, cls) => {
    const error = { message: "x", status };
    expect((await rejection(drain(geminiAdapter.parseStream(sse(`data: ${JSON.stringify({ error })}\n\n`), t)))).errorClass).toBe(cls);
  });
});

describe("workers-ai: thrown and in-stream errors classify like the HTTP status they stand for", () => {
  const t = target("workers-ai");
  const streamed = async (error: unknown) => {
    const ai = { run: async () => sse(`data: {"response":"a"}\n\ndata: ${JSON.stringify({ error })}\n\n`) };
    const ctx = { fetch: globalThis.fetch, signal: new AbortController().signal, apiKey: undefined, ai, now: () => 0 };
    return (await rejection(drain(await workersAiProvider.stream({ ...req, stream: true }, t, ctx)))).errorClass;
  };
  it.each<[string, number, string]>([
    ["401", 403, "3023: Account blocked"],
    ["404", 404, "3042: Invalid model ID"],
    ["context", 413, "3006: Request is too large"],
    ["overloaded", 500, "Model is overloaded, try again"],
  ])("%s", async (name, status, message) => {
    const thrown = classifyWorkersAiError(new Error(message)).errorClass;
    expect(thrown).toBe(EXPECTED[name]);
    expect(thrown).toBe(classifyStatus(status, message).errorClass);
    expect(await streamed(message)).toBe(thrown);
    expect(await streamed({ message })).toBe(thrown);
  });

  it("reads the internal code of an in-stream error object", async () => {
    expect(await streamed({ code: 3042, message: "Invalid model ID" })).toBe("model_not_found");
    expect(await streamed({ code: 3040, message: "Capacity temporarily exceeded" })).toBe("rate_limited");
  });
});
