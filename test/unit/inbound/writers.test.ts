/** The inbound formats' stream rendering, event by event: block/item bookkeeping that the SDK tests only see whole. */
import { describe, expect, it } from "vitest";
import type { StreamEvent } from "../../../src/canonical";
import { UpstreamError } from "../../../src/engine/errors";
import { anthropicMessages } from "../../../src/inbound/anthropic-messages";
import { openAIResponses } from "../../../src/inbound/openai-responses";
import type { AnswerMeta, InboundFormat } from "../../../src/inbound/types";

const meta = (id: string): AnswerMeta => ({ id, created: 1, model: "p/m", request: { messages: [{ role: "user", content: "x" }], stream: true, includeUsage: true }, inputTokens: 5 });

async function render(format: InboundFormat, id: string, events: StreamEvent[], failWith?: UpstreamError) {
  async function* gen() {
    yield* events;
    if (failWith) throw failWith;
  }
  let ended: unknown;
  const text = await new Response(format.toStream(gen(), meta(id), { onEnd: (r) => (ended = r) })).text();
  const frames = text.split("\n\n").filter(Boolean).map((f) => ({ event: f.match(/^event: (.*)$/m)?.[1], data: JSON.parse(f.match(/^data: (.*)$/m)![1]!) }));
  return { frames, ended };
}

const mixed: StreamEvent[] = [
  { type: "text", text: "Let me " },
  { type: "text", text: "check." },
  { type: "toolCall", index: 0, id: "c1", name: "a", argumentsDelta: "" },
  { type: "toolCall", index: 0, argumentsDelta: '{"x":' },
  { type: "toolCall", index: 0, argumentsDelta: "1}" },
  { type: "toolCall", index: 1, id: "c2", name: "b", argumentsDelta: "{}" },
  { type: "finish", finishReason: "tool_calls" },
  { type: "usage", usage: { inputTokens: 4, outputTokens: 9 } },
];

describe("Anthropic stream writer", () => {
  it("opens and closes one block per text run and per tool call, in order, then message_delta and message_stop", async () => {
    const { frames, ended } = await render(anthropicMessages, "msg_1", mixed);
    const seq = frames.map((f) => (f.data.type === "content_block_start" ? `start:${f.data.index}:${f.data.content_block.type}` : f.data.type === "content_block_stop" ? `stop:${f.data.index}` : f.data.type === "content_block_delta" ? `delta:${f.data.index}` : f.data.type));
    expect(seq).toEqual([
      "message_start", "ping",
      "start:0:text", "delta:0", "delta:0", "stop:0",
      "start:1:tool_use", "delta:1", "delta:1", "stop:1",
      "start:2:tool_use", "delta:2", "stop:2",
      "message_delta", "message_stop",
    ]);
    expect(frames.every((f) => f.event === f.data.type)).toBe(true);
    expect(frames.at(-2)!.data).toMatchObject({ delta: { stop_reason: "tool_use" }, usage: { input_tokens: 4, output_tokens: 9 } });
    expect(ended).toMatchObject({ usage: { inputTokens: 4, outputTokens: 9 } });
  });

  it("ends a broken stream with an error event, after closing nothing silently", async () => {
    const { frames, ended } = await render(anthropicMessages, "msg_2", [{ type: "text", text: "par" }], new UpstreamError("stream_cut", "cut"));
    expect(frames.at(-1)).toMatchObject({ event: "error", data: { type: "error", error: { type: "api_error", message: expect.stringContaining("incomplete") } } });
    expect(frames.some((f) => f.data.type === "message_stop")).toBe(false);
    expect(ended).toMatchObject({ error: { errorClass: "stream_cut" } });
  });
});

describe("Responses stream writer", () => {
  it("emits items in order with consecutive sequence numbers, and the final response holds them all", async () => {
    const { frames } = await render(openAIResponses, "resp_1", mixed);
    expect(frames.map((f) => f.data.sequence_number)).toEqual(frames.map((_, i) => i));
    const added = frames.filter((f) => f.data.type === "response.output_item.added").map((f) => [f.data.output_index, f.data.item.type]);
    expect(added).toEqual([[0, "message"], [1, "function_call"], [2, "function_call"]]);
    const last = frames.at(-1)!.data;
    expect(last.type).toBe("response.completed");
    expect(last.response.output).toMatchObject([
      { type: "message", content: [{ type: "output_text", text: "Let me check." }] },
      { type: "function_call", call_id: "c1", name: "a", arguments: '{"x":1}' },
      { type: "function_call", call_id: "c2", name: "b", arguments: "{}" },
    ]);
    expect(last.response.usage).toMatchObject({ input_tokens: 4, output_tokens: 9, total_tokens: 13 });
  });

  it("renders an empty answer as one empty message, like the JSON answer", async () => {
    const { frames } = await render(openAIResponses, "resp_4", [{ type: "finish", finishReason: "stop" }]);
    const final = frames.at(-1)!.data.response;
    expect(final.output).toMatchObject([{ type: "message", content: [{ type: "output_text", text: "" }] }]);
    const json = openAIResponses.toJson({ model: "m", content: null, toolCalls: [], finishReason: "stop" }, meta("resp_4"), {}) as { output: unknown[] };
    expect(final.output).toEqual(json.output);
  });

  it("says incomplete when the answer hit max_output_tokens", async () => {
    const { frames } = await render(openAIResponses, "resp_2", [{ type: "text", text: "long" }, { type: "finish", finishReason: "length" }]);
    expect(frames.at(-1)!.data).toMatchObject({ type: "response.incomplete", response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } } });
  });

  it("ends a broken stream with error (nested error for the SDK) and response.failed", async () => {
    const { frames } = await render(openAIResponses, "resp_3", [{ type: "text", text: "par" }], new UpstreamError("stream_cut", "cut"));
    expect(frames.slice(-2).map((f) => f.event)).toEqual(["error", "response.failed"]);
    expect(frames.at(-2)!.data).toMatchObject({ code: "upstream_stream_cut", error: { code: "upstream_stream_cut" } });
    expect(frames.at(-1)!.data.response.status).toBe("failed");
  });
});

describe("a broken stream's message", () => {
  // "Network connection lost.. The answer above is incomplete." — a vendor message ending in a period got a second one.
  it("joins the vendor's message with one full stop, whether or not it ends with one", async () => {
    const { brokenStreamMessage } = await import("../../../src/inbound/sse");
    const ended = brokenStreamMessage(new UpstreamError("network", "Network connection lost."));
    expect(ended).toBe("The stream from the provider failed after it started (network): Network connection lost. The answer above is incomplete.");
    const bare = brokenStreamMessage(new UpstreamError("stream_cut", "the vendor closed the stream"));
    expect(bare).toBe("The stream from the provider failed after it started (stream_cut): the vendor closed the stream. The answer above is incomplete.");
    const check = brokenStreamMessage(new UpstreamError("invalid_output", "missing field 'a'.", { check: "json_schema" }));
    expect(check).toBe("The answer failed an output check after it started streaming (json_schema): missing field 'a'. Discard the text above.");
  });
});
