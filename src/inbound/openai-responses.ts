/**
 * Inbound format: OpenAI Responses (`POST /v1/responses`); storage (`store`, `previous_response_id`) wraps it per request
 * in ./responses-store-format.ts. Answers are `response` objects whose `output`
 * holds a message item and/or function_call items; streams are its typed events (response.created, .in_progress,
 * .output_item.added, .content_part.added, .output_text.delta/.done, .function_call_arguments.delta/.done, …,
 * response.completed) each with a `sequence_number`. Errors are OpenAI's error JSON. A stream that breaks after it
 * started ends with an `error` event (which the official SDK raises) and `response.failed`. Parsing:
 * ./responses-request.ts.
 */
import type { CanonicalRequest, CanonicalResponse, FinishReason, StreamEvent, Usage } from "../canonical";
import type { UpstreamError } from "../engine/errors";
import { echoOf, type Echo } from "./responses-echo";
import { parseResponses } from "./responses-request";
import { brokenStreamCode, brokenStreamMessage, renderSse, type StreamWriter } from "./sse";
import type { AnswerMeta, InboundFormat } from "./types";

type Status = "in_progress" | "completed" | "incomplete" | "failed";

/** How a canonical finish ends a response: `incomplete` carries the reason. */
const FINISH: Record<FinishReason, { status: Status; reason?: string }> = {
  stop: { status: "completed" },
  tool_calls: { status: "completed" },
  length: { status: "incomplete", reason: "max_output_tokens" },
  content_filter: { status: "incomplete", reason: "content_filter" },
};

function wireUsage(u: Usage) {
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: u.inputTokens + u.outputTokens,
  };
}

/**
 * A finished response's usage: the vendor's, else Detour's estimate, as on /v1/messages (input as routing estimated it,
 * output ≈ characters / 4): OpenAI's finished responses always carry usage, and a degraded answer has no vendor count.
 */
function finalUsage(meta: AnswerMeta, usage: Usage | undefined, chars: number): Usage {
  return usage ?? { inputTokens: meta.inputTokens, outputTokens: Math.ceil(chars / 4) };
}

/**
 * The echo of a request whose wire body this format never saw (the shared `openAIResponses`, which answers only in
 * tests: the route builds a per-request format that echoes the body, ./responses-store-format.ts).
 */
const DEFAULT_ECHO: Echo = echoOf({ model: "", input: "" }, { store: false, previousResponseId: null });

function responseObject(meta: AnswerMeta, echo: Echo, status: Status, output: unknown[], usage: Usage | undefined, more: { reason?: string; error?: unknown } = {}) {
  return {
    id: meta.id,
    object: "response" as const,
    created_at: meta.created,
    status,
    error: more.error ?? null,
    incomplete_details: more.reason ? { reason: more.reason } : null,
    model: meta.model,
    output,
    ...echo,
    usage: usage ? wireUsage(usage) : null,
  };
}

const messageId = (meta: AnswerMeta, n: number) => `msg_${meta.id.slice("resp_".length)}_${n}`;
const callItemId = (meta: AnswerMeta, n: number) => `fc_${meta.id.slice("resp_".length)}_${n}`;
const textPart = (text: string) => ({ type: "output_text", text, annotations: [], logprobs: [] });
/** An output item's status: `incomplete` for the last item of an answer that `max_output_tokens` (or a filter) cut, as OpenAI marks it. */
type ItemStatus = "in_progress" | "completed" | "incomplete";
const messageItem = (id: string, text: string, status: ItemStatus) => ({ id, type: "message", status, role: "assistant", content: status === "in_progress" ? [] : [textPart(text)] });
const callItem = (id: string, callId: string, name: string, args: string, status: ItemStatus) => ({ id, type: "function_call", status, call_id: callId, name, arguments: args });

export function toResponse(res: CanonicalResponse, meta: AnswerMeta, extra: Record<string, unknown> = {}, echo: Echo = DEFAULT_ECHO) {
  const end = FINISH[res.finishReason];
  const output: { status: ItemStatus }[] = [];
  // An empty answer is still one (empty) message, as the API sends it.
  if (res.content || res.toolCalls.length === 0) output.push(messageItem(messageId(meta, 0), res.content ?? "", "completed"));
  res.toolCalls.forEach((tc, i) => output.push(callItem(callItemId(meta, i), tc.id, tc.name, tc.arguments, "completed")));
  if (end.status === "incomplete") output.at(-1)!.status = "incomplete";
  const chars = (res.content ?? "").length + res.toolCalls.reduce((n, tc) => n + tc.arguments.length, 0);
  return { ...responseObject(meta, echo, end.status, output, finalUsage(meta, res.usage, chars), end.reason ? { reason: end.reason } : {}), ...extra };
}

type Open = { kind: "message"; index: number; id: string; text: string } | { kind: "call"; index: number; id: string; callId: string; name: string; args: string };

/** The typed event sequence; one output item at a time, in order. `onEnd` gets the finished response (not a failed one). */
export function responsesWriter(meta: AnswerMeta, echo: Echo = DEFAULT_ECHO, onEnd?: (response: ReturnType<typeof responseObject>) => void): StreamWriter {
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data, sequence_number: seq++ })}\n\n`;
  const done: unknown[] = [];
  const calls = new Map<number, Open & { kind: "call" }>();
  let open: Open | undefined;
  let finish: FinishReason = "stop";
  let usage: Usage | undefined;
  let chars = 0;
  /** Finish the open item; `status` is "incomplete" for the last one of a cut answer. */
  const close = (status: ItemStatus = "completed"): string[] => {
    if (!open) return [];
    const o = open;
    open = undefined;
    if (o.kind === "message") {
      const item = messageItem(o.id, o.text, status);
      done.push(item);
      const at = { item_id: o.id, output_index: o.index, content_index: 0 };
      return [
        ev("response.output_text.done", { ...at, text: o.text, logprobs: [] }),
        ev("response.content_part.done", { ...at, part: textPart(o.text) }),
        ev("response.output_item.done", { output_index: o.index, item }),
      ];
    }
    const item = callItem(o.id, o.callId, o.name, o.args, status);
    done.push(item);
    return [
      ev("response.function_call_arguments.done", { item_id: o.id, output_index: o.index, name: o.name, arguments: o.args }),
      ev("response.output_item.done", { output_index: o.index, item }),
    ];
  };
  const snapshot = (status: Status, more: { reason?: string; error?: unknown } = {}) => responseObject(meta, echo, status, [...done], usage, more);
  return {
    start: () => [ev("response.created", { response: snapshot("in_progress") }), ev("response.in_progress", { response: snapshot("in_progress") })],
    event(e: StreamEvent) {
      switch (e.type) {
        case "text": {
          const out: string[] = [];
          if (open?.kind !== "message") {
            out.push(...close());
            const index = done.length;
            open = { kind: "message", index, id: messageId(meta, index), text: "" };
            out.push(
              ev("response.output_item.added", { output_index: index, item: messageItem(open.id, "", "in_progress") }),
              ev("response.content_part.added", { item_id: open.id, output_index: index, content_index: 0, part: textPart("") }),
            );
          }
          open.text += e.text;
          chars += e.text.length;
          out.push(ev("response.output_text.delta", { item_id: open.id, output_index: open.index, content_index: 0, delta: e.text, logprobs: [] }));
          return out;
        }
        case "toolCall": {
          const out: string[] = [];
          let call = calls.get(e.index);
          if (!call) {
            out.push(...close());
            const index = done.length;
            call = { kind: "call", index, id: callItemId(meta, e.index), callId: e.id ?? `call_${meta.id}_${e.index}`, name: e.name ?? "", args: "" };
            calls.set(e.index, call);
            open = call;
            out.push(ev("response.output_item.added", { output_index: index, item: callItem(call.id, call.callId, call.name, "", "in_progress") }));
          }
          call.args += e.argumentsDelta;
          chars += e.argumentsDelta.length;
          if (e.argumentsDelta !== "") out.push(ev("response.function_call_arguments.delta", { item_id: call.id, output_index: call.index, delta: e.argumentsDelta }));
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
      // An empty answer is still one (empty) message, as in the JSON answer.
      const out = done.length === 0 && !open ? this.event({ type: "text", text: "" }) : [];
      const f = FINISH[finish];
      out.push(...close(f.status === "incomplete" ? "incomplete" : "completed"));
      const type = f.status === "incomplete" ? "response.incomplete" : "response.completed";
      usage = finalUsage(meta, usage, chars);
      const response = snapshot(f.status, f.reason ? { reason: f.reason } : {});
      onEnd?.(response);
      out.push(ev(type, { response, ...extra }));
      return out;
    },
    fail(e: UpstreamError) {
      const message = brokenStreamMessage(e);
      const code = brokenStreamCode(e);
      // `error` carries both the Responses event fields and OpenAI's nested error object, so the official SDK (which
      // raises on a nested `error`) and clients that read the flat fields both see it.
      return [
        ev("error", { code, message, param: null, error: { type: "api_error", code, message, param: null } }),
        ev("response.failed", { response: snapshot("failed", { error: { code: "server_error", message } }) }),
      ];
    },
  };
}

export const openAIResponses: InboundFormat = {
  name: "openai-responses",
  idPrefix: "resp_",
  messagesParam: "input",
  parse: parseResponses,
  toJson: toResponse,
  toStream: (events, meta, opts) => renderSse(events, responsesWriter(meta), opts),
  errorBody: (err) => err.toJSON(),
};
