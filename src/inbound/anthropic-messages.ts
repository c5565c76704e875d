/**
 * Inbound format: Anthropic Messages (`POST /v1/messages`). Answers are Anthropic `Message` objects; streams are its
 * event sequence (message_start, ping, content_block_start/delta/stop per block, message_delta, message_stop); errors
 * are `{"type":"error","error":{"type","message"}}` with the statuses the SDK maps to typed errors. A stream that breaks
 * after it started ends with an `error` event, which the official SDK raises. Request parsing: ./anthropic-request.ts.
 */
import type { ApiError } from "../api/errors";
import type { CanonicalResponse, FinishReason, StreamEvent, Usage } from "../canonical";
import type { UpstreamError } from "../engine/errors";
import { anthropicErrorType, anthropicMessage, anthropicUsage, type AnthropicBlock } from "../wire/anthropic";
import { sseEvent } from "../wire/sse";
import { parseMessages } from "./anthropic-request";
import { brokenStreamCode, brokenStreamMessage, renderSse, type StreamWriter } from "./sse";
import type { AnswerMeta, InboundFormat } from "./types";

/** Canonical finish reason → Anthropic `stop_reason`. */
export const STOP_REASONS: Record<FinishReason, string> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  content_filter: "refusal",
};

/** Tool arguments are JSON text in canonical form; Anthropic carries them as an object. */
function toolInput(args: string): unknown {
  try {
    const v: unknown = JSON.parse(args || "{}");
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : { value: v };
  } catch {
    // Validation (src/validate/) refuses invalid arguments when the caller declared the tool; keep the text visible.
    return { _raw_arguments: args };
  }
}

function usageOf(res: CanonicalResponse, meta: AnswerMeta) {
  return res.usage ? anthropicUsage(res.usage.inputTokens, res.usage.outputTokens) : anthropicUsage(meta.inputTokens, Math.ceil((res.content ?? "").length / 4));
}

export function toAnthropicMessage(res: CanonicalResponse, meta: AnswerMeta, extra: Record<string, unknown> = {}) {
  const blocks: AnthropicBlock[] = [];
  if (res.content) blocks.push({ type: "text", text: res.content, pieces: [] });
  for (const tc of res.toolCalls) blocks.push({ type: "tool_use", id: tc.id, name: tc.name, input: toolInput(tc.arguments), pieces: [] });
  // Anthropic clients expect at least one block.
  if (blocks.length === 0) blocks.push({ type: "text", text: "", pieces: [] });
  return { ...anthropicMessage({ id: meta.id, model: meta.model, blocks, stopReason: STOP_REASONS[res.finishReason], usage: usageOf(res, meta) }), ...extra };
}

/** Anthropic's event sequence, one content block at a time (a tool call's later deltas go to its own block). */
function messagesWriter(meta: AnswerMeta): StreamWriter {
  const ev = (data: { type: string; [field: string]: unknown }) => sseEvent(data.type, data);
  let next = 0;
  let open: number | undefined;
  let textBlock: number | undefined;
  const toolBlocks = new Map<number, number>();
  let finish: FinishReason = "stop";
  let usage: Usage | undefined;
  let chars = 0;
  const close = (): string[] => {
    if (open === undefined) return [];
    const out = [ev({ type: "content_block_stop", index: open })];
    open = undefined;
    textBlock = undefined;
    return out;
  };
  const begin = (block: Record<string, unknown>): string[] => {
    const out = close();
    open = next++;
    out.push(ev({ type: "content_block_start", index: open, content_block: block }));
    return out;
  };
  return {
    start: () => [
      ev({
        type: "message_start",
        message: { ...toAnthropicMessage({ model: meta.model, content: null, toolCalls: [], finishReason: "stop" }, meta), content: [], stop_reason: null, usage: anthropicUsage(meta.inputTokens, 1) },
      }),
      ev({ type: "ping" }),
    ],
    event(e: StreamEvent) {
      switch (e.type) {
        case "text": {
          chars += e.text.length;
          const out = textBlock === undefined ? begin({ type: "text", text: "", citations: null }) : [];
          textBlock = open;
          out.push(ev({ type: "content_block_delta", index: open, delta: { type: "text_delta", text: e.text } }));
          return out;
        }
        case "toolCall": {
          chars += e.argumentsDelta.length;
          const out: string[] = [];
          let index = toolBlocks.get(e.index);
          if (index === undefined) {
            out.push(...begin({ type: "tool_use", id: e.id ?? `toolu_${meta.id}_${e.index}`, name: e.name ?? "", input: {}, caller: { type: "direct" } }));
            index = open!;
            toolBlocks.set(e.index, index);
          }
          if (e.argumentsDelta !== "") out.push(ev({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: e.argumentsDelta } }));
          return out;
        }
        case "finish":
          finish = e.finishReason;
          return [];
        case "usage":
          usage = e.usage;
          return [];
      }
    },
    end(extra) {
      const out = close();
      // A stream with no content still has one (empty) text block, as the API sends.
      if (next === 0) out.push(...begin({ type: "text", text: "", citations: null }), ...close());
      const u = usage ?? { inputTokens: meta.inputTokens, outputTokens: Math.ceil(chars / 4) };
      out.push(
        ev({
          type: "message_delta",
          delta: { stop_reason: STOP_REASONS[finish], stop_sequence: null, stop_details: null, container: null },
          usage: { input_tokens: u.inputTokens, output_tokens: u.outputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens_details: null, server_tool_use: null },
        }),
        ev({ type: "message_stop", ...extra }),
      );
      return out;
    },
    fail: (e: UpstreamError) => [ev({ type: "error", error: { type: "api_error", message: brokenStreamMessage(e), code: brokenStreamCode(e) } })],
  };
}

/** The `error.type` for a Detour error: Anthropic's per-status type, except 503 (every provider down) is `overloaded_error`. */
function errorType(err: ApiError): string {
  if (err.status === 503) return "overloaded_error";
  if (err.status === 413) return "request_too_large";
  return anthropicErrorType(err.status);
}

export const anthropicMessages: InboundFormat = {
  name: "anthropic-messages",
  idPrefix: "msg_",
  messagesParam: "messages",
  parse: (body, maxJsonDepth) => parseMessages(body, maxJsonDepth),
  toJson: toAnthropicMessage,
  toStream: (events, meta, opts) => renderSse(events, messagesWriter(meta), opts),
  // Detour's own `code` rides along in `error` (extra fields are ignored by Anthropic clients).
  errorBody: (err, requestId) => ({ type: "error", error: { type: errorType(err), message: err.message, code: err.code }, ...(requestId ? { request_id: requestId } : {}) }),
};
