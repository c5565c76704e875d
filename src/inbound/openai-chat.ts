/**
 * Inbound format: OpenAI Chat Completions (`POST /v1/chat/completions`). The request side lives in
 * src/api/openai-request.ts (the simulated vendor speaks it too); this file renders answers: a `chat.completion`
 * object, or `chat.completion.chunk` SSE ending with `data: [DONE]` only when the upstream finished. A failure after
 * the first byte ends with `data: {"error": …}`, which the official SDK raises as an APIError.
 */
import { parseChatCompletion } from "../api/openai-request";
import type { CanonicalResponse, StreamEvent, Usage } from "../canonical";
import type { UpstreamError } from "../engine/errors";
import { brokenStreamCode, brokenStreamMessage, renderSse, type StreamWriter } from "./sse";
import type { AnswerMeta, InboundFormat } from "./types";

export function toChatCompletion(res: CanonicalResponse, meta: AnswerMeta, extra: Record<string, unknown> = {}) {
  return {
    id: meta.id,
    object: "chat.completion" as const,
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant" as const,
          content: res.content,
          refusal: null,
          ...(res.toolCalls.length
            ? { tool_calls: res.toolCalls.map((tc) => ({ id: tc.id, type: "function" as const, function: { name: tc.name, arguments: tc.arguments } })) }
            : {}),
        },
        logprobs: null,
        finish_reason: res.finishReason,
      },
    ],
    // Always present, as in OpenAI's API: the vendor's counts, else Detour's estimate (a degraded answer has none).
    usage: wireUsage(res.usage ?? estimatedUsage(meta, (res.content ?? "").length + res.toolCalls.reduce((n, tc) => n + tc.arguments.length, 0))),
    ...extra,
  };
}

/** Detour's estimate when no vendor counted (as on /v1/messages): input as routing estimated it, output ≈ characters / 4. */
function estimatedUsage(meta: AnswerMeta, chars: number): Usage {
  return { inputTokens: meta.inputTokens, outputTokens: Math.ceil(chars / 4) };
}

function wireUsage(u: Usage) {
  return { prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.inputTokens + u.outputTokens };
}

/**
 * `chat.completion.chunk` frames; usage is held for the final chunk (sent only with `stream_options.include_usage`,
 * whose contract is a usage object there): the vendor's, else Detour's estimate, as on /v1/messages (input as routing
 * estimated it, output ≈ characters / 4) — a degraded answer or a vendor that reported none would otherwise send null.
 */
function chatWriter(meta: AnswerMeta): StreamWriter {
  const base = { id: meta.id, object: "chat.completion.chunk", created: meta.created, model: meta.model };
  const line = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => line({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  let usage: Usage | undefined;
  let chars = 0;
  // The finishing chunk waits for the end, so Detour's `detour` object (cost, trace, degraded banner) rides on it:
  // OpenAI sends a chunk without choices only to a caller who asked for usage, and clients index `choices[0]`.
  let finish: string | undefined;
  return {
    start: () => [chunk({ role: "assistant", content: "" })],
    event(e: StreamEvent) {
      switch (e.type) {
        case "text":
          chars += e.text.length;
          return [chunk({ content: e.text })];
        case "toolCall": {
          chars += e.argumentsDelta.length;
          const tc: Record<string, unknown> = { index: e.index };
          if (e.id !== undefined) tc.id = e.id;
          if (e.id !== undefined || e.name !== undefined) tc.type = "function";
          tc.function = { ...(e.name !== undefined ? { name: e.name } : {}), arguments: e.argumentsDelta };
          return [chunk({ tool_calls: [tc] })];
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
      const out: string[] = [];
      const finishing = (more: Record<string, unknown>) => line({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: finish }], ...more });
      if (meta.request.includeUsage) {
        if (finish !== undefined) out.push(finishing({}));
        const u = usage ?? estimatedUsage(meta, chars);
        out.push(line({ ...base, choices: [], usage: wireUsage(u), ...extra }));
      } else if (finish !== undefined) out.push(finishing(extra));
      else if (Object.keys(extra).length) out.push(line({ ...base, choices: [], ...extra }));
      out.push("data: [DONE]\n\n");
      return out;
    },
    fail: (e: UpstreamError) => [line({ error: { message: brokenStreamMessage(e), type: "api_error", code: brokenStreamCode(e), param: null } })],
  };
}

export const openAIChat: InboundFormat = {
  name: "openai-chat",
  idPrefix: "chatcmpl-",
  messagesParam: "messages",
  parse: parseChatCompletion,
  toJson: toChatCompletion,
  toStream: (events, meta, opts) => renderSse(events, chatWriter(meta), opts),
  errorBody: (err) => err.toJSON(),
};
