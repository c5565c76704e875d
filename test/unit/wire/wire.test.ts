/**
 * src/wire on its own: the event order and framing each vendor uses, the error bodies per status, and the bundle the
 * Node scripts load (scripts/lib/wire.mjs) exporting the same builders.
 */
import { describe, expect, it } from "vitest";
import * as wire from "../../../src/wire";
import { loadWire } from "../../../scripts/lib/wire.mjs";

const dataOf = (sse: string) => JSON.parse(sse.slice(sse.indexOf("data: ") + 6));

describe("openaiChunks", () => {
  const base = { id: "chatcmpl-1", created: 1, model: "m" };
  const answer = {
    content: "Hello there",
    pieces: ["Hello", " there"],
    toolCalls: [{ id: "call_1", name: "f", argPieces: ['{"a"', ":1}"] }],
    finishReason: "stop",
    usage: wire.openaiUsage(3, 2),
  };

  it("sends role, text, tool call head and arguments, finish, usage, then [DONE]", () => {
    const events = wire.openaiChunks(base, answer, true);
    expect(events.at(-1)!.sse).toBe(wire.SSE_DONE);
    const chunks = events.slice(0, -1).map((e) => dataOf(e.sse));
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "", refusal: null });
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("Hello there");
    expect(chunks[3].choices[0].delta.tool_calls[0]).toEqual({ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } });
    expect(chunks[6].choices[0].finish_reason).toBe("stop");
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });
    // Output after the first piece is what a model takes time to generate.
    expect(events.map((e) => e.paced)).toEqual([false, false, true, true, true, true, false, false, false]);
  });

  it("leaves usage out without includeUsage, and can send each tool call whole", () => {
    const events = wire.openaiChunks(base, answer, false, true);
    const chunks = events.slice(0, -1).map((e) => dataOf(e.sse));
    expect(chunks.some((c) => "usage" in c)).toBe(false);
    expect(chunks[3].choices[0].delta.tool_calls[0].function.arguments).toBe('{"a":1}');
    expect(chunks).toHaveLength(5);
  });
});

describe("anthropicEvents", () => {
  it("follows the API's order, with an empty partial_json first for tool input", () => {
    const answer: wire.AnthropicAnswer = {
      id: "msg_1",
      model: "claude",
      blocks: [
        { type: "text", text: "Hi", pieces: ["H", "i"] },
        { type: "tool_use", id: "toolu_1", name: "f", input: {}, pieces: ["{}"] },
      ],
      stopReason: "tool_use",
      usage: wire.anthropicUsage(4, 5),
    };
    const events = wire.anthropicEvents(answer);
    expect(events.map((e) => /^event: (\S+)/.exec(e)![1])).toEqual([
      "message_start", "ping",
      "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
      "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
      "message_delta", "message_stop",
    ]);
    expect(dataOf(events[7]!).delta).toEqual({ type: "input_json_delta", partial_json: "" });
    expect(dataOf(events[10]!).delta.stop_reason).toBe("tool_use");
    expect(wire.anthropicMessage(answer).content).toEqual([
      { type: "text", text: "Hi", citations: null },
      { type: "tool_use", id: "toolu_1", name: "f", input: {}, caller: { type: "direct" } },
    ]);
  });
});

describe("gemini", () => {
  const answer: wire.GeminiAnswer = { parts: [{ text: "a b" }], finishReason: "STOP", usage: { inputTokens: 2, outputTokens: 1 }, model: "g", responseId: "r" };

  it("puts the finish and the full usage on the last chunk, CRLF-framed", () => {
    const chunks = wire.geminiChunks(answer, wire.wordPieces);
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).not.toHaveProperty("candidates.0.finishReason");
    expect(chunks[1]).toMatchObject({ candidates: [{ finishReason: "STOP" }], usageMetadata: { totalTokenCount: 3 } });
    expect(wire.geminiEvents(chunks)[0]).toMatch(/^data: \{.*\}\r\n\r\n$/);
  });

  it("says when to retry a 429 in a RetryInfo detail", () => {
    const body = JSON.parse(wire.geminiErrorBody(429, undefined, { retryAfterSeconds: 7 }));
    expect(body.error).toEqual({
      code: 429,
      message: "Resource has been exhausted (e.g. check quota).",
      status: "RESOURCE_EXHAUSTED",
      details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "7s" }],
    });
  });
});

describe("errorBody", () => {
  it("answers in each vendor's error shape, OpenAI's for anything else", () => {
    expect(JSON.parse(wire.errorBody("openai", 429, "slow down"))).toEqual({
      error: { message: "slow down", type: "requests", param: null, code: "rate_limit_exceeded" },
    });
    expect(JSON.parse(wire.errorBody("anthropic", 529, "busy"))).toEqual({ type: "error", error: { type: "overloaded_error", message: "busy" } });
    expect(JSON.parse(wire.errorBody("gemini", 503)).error).toMatchObject({ code: 503, status: "UNAVAILABLE" });
    expect(JSON.parse(wire.errorBody("simulated", 502)).error).toMatchObject({ type: "server_error" });
  });

  it("words Workers AI binding errors as the binding does", () => {
    expect(wire.workersAiError(429, "m").message).toBe("3040: Capacity temporarily exceeded, please try again.");
    expect(wire.workersAiError(404, "@cf/x").message).toBe("5007: No such model @cf/x or task");
    expect(wire.workersAiError(400, "m", { contextLength: true }).message).toMatch(/^5021: /);
    expect(wire.workersAiError(422, "m").name).toBe("InvalidInput");
    expect(wire.workersAiError(503, "m", { code: "3050" }).message).toBe("3050: Internal server error");
  });
});

describe("scripts/lib/wire.mjs", () => {
  it("bundles src/wire for Node with the same builders", async () => {
    const bundled = await loadWire();
    expect(Object.keys(bundled).sort()).toEqual(Object.keys(wire).sort());
    const base = { id: "x", created: 0, model: "m" };
    const a = { content: "hi", finishReason: "stop", usage: wire.openaiUsage(1, 1) };
    expect(bundled.openaiCompletion(base, a)).toEqual(wire.openaiCompletion(base, a));
  });
});
