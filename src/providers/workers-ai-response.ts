/**
 * Workers AI response mapping: `ai.run`'s answer (legacy `{response, tool_calls?, usage?}` or OpenAI-shaped
 * `{choices, usage}`) and its SSE stream → canonical responses and stream events. An `error` event inside the stream
 * is classified by workers-ai-errors.ts, like an error the binding throws.
 */
import type { CanonicalResponse, FinishReason, StreamEvent, ToolCall, Usage } from "../canonical";
import { UpstreamError } from "../engine/errors";
import { parseJsonEvent, readSse } from "./sse";
import type { Target } from "./types";
import { classifyWorkersAiStreamError, WORKERS_AI } from "./workers-ai-errors";

/** A JSON object as the binding hands it over. */
export type Json = Record<string, unknown>;

/** A non-stream answer → canonical response. */
export function parseResult(raw: unknown, target: Target): CanonicalResponse {
  const model = target.model.id;
  // Some models' declared output is a bare string.
  if (typeof raw === "string") return { model, content: raw === "" ? null : raw, toolCalls: [], finishReason: "stop" };
  if (!isObject(raw)) throw malformed(target, `answered ${describe(raw)}`);

  const usage = parseUsage(raw.usage);
  if (Array.isArray(raw.choices)) {
    const choice: unknown = raw.choices[0];
    if (!isObject(choice) || !isObject(choice.message)) throw malformed(target, "answered choices without a message");
    const content = textOf(choice.message.content, target);
    const toolCalls = parseToolCalls(choice.message.tool_calls, target);
    return {
      ...(typeof raw.id === "string" ? { id: raw.id } : {}),
      model: typeof raw.model === "string" ? raw.model : model,
      content,
      toolCalls,
      finishReason: finishReasonOf(choice.finish_reason, toolCalls.length > 0),
      ...(usage ? { usage } : {}),
    };
  }
  if (!("response" in raw) && !("tool_calls" in raw)) throw malformed(target, `answered ${describe(raw)}`);
  const toolCalls = parseToolCalls(raw.tool_calls, target);
  return {
    model,
    content: textOf(raw.response, target),
    toolCalls,
    finishReason: toolCalls.length > 0 ? "tool_calls" : "stop",
    ...(usage ? { usage } : {}),
  };
}

/** Text of a `response` / `content` field. JSON mode may hand back the parsed object itself; re-serialise it. */
function textOf(v: unknown, target: Target): string | null {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v === "string") return v;
  if (typeof v === "object") return JSON.stringify(v);
  throw malformed(target, `answered a response of type ${typeof v}`);
}

function parseToolCalls(v: unknown, target: Target): ToolCall[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw malformed(target, "answered tool_calls that is not an array");
  return v.map((c) => toToolCall(c, target));
}

/** Accepts the legacy `{name, arguments: object}` and the OpenAI `{id, function: {name, arguments: string}}` forms. */
function toToolCall(c: unknown, target: Target): ToolCall {
  if (!isObject(c)) throw malformed(target, "answered a tool call that is not an object");
  const fn = isObject(c.function) ? c.function : c;
  if (typeof fn.name !== "string" || fn.name === "") throw malformed(target, "answered a tool call without a name");
  const id = typeof c.id === "string" && c.id !== "" ? c.id : newCallId();
  return { id, name: fn.name, arguments: argumentsText(fn.arguments) };
}

function argumentsText(args: unknown): string {
  if (typeof args === "string") return args;
  return JSON.stringify(args ?? {});
}

function parseUsage(v: unknown): Usage | undefined {
  if (!isObject(v)) return undefined;
  const input = v.prompt_tokens;
  const output = v.completion_tokens;
  if (typeof input !== "number" && typeof output !== "number") return undefined;
  return { inputTokens: tokens(input), outputTokens: tokens(output) };
}

function tokens(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? Math.max(0, Math.round(v)) : 0;
}

function finishReasonOf(v: unknown, sawToolCalls: boolean): FinishReason {
  if (v === "length" || v === "content_filter") return v;
  // Some servers say "stop" after a tool call; the caller needs "tool_calls" to run them.
  return sawToolCalls || v === "tool_calls" ? "tool_calls" : "stop";
}

/**
 * Canonical events of a Workers AI SSE stream. `finish` (then `usage`, which may arrive on any earlier event) is
 * emitted only on `[DONE]`, so a stream that just stops is seen as truncated by the engine.
 */
export async function* parseStream(
  body: ReadableStream<Uint8Array>,
  target: Target,
  signal: AbortSignal,
): AsyncGenerator<StreamEvent> {
  let nextIndex = 0;
  // OpenAI-shaped chunks address a call by its own index across deltas; map that to ours.
  const openaiCalls = new Map<number, number>();
  let vendorFinish: unknown;
  let usage: Usage | undefined;
  try {
    for await (const ev of readSse(body, target.provider.limits?.maxSseLineBytes)) {
      if (ev.data.trim() === "[DONE]") {
        yield { type: "finish", finishReason: finishReasonOf(vendorFinish, nextIndex > 0) };
        if (usage) yield { type: "usage", usage };
        return;
      }
      const json = parseJsonEvent(ev.data, WORKERS_AI);
      if (!isObject(json)) throw malformed(target, `sent a stream event that is not an object: ${ev.data.slice(0, 120)}`);
      if (json.error !== undefined) throw classifyWorkersAiStreamError(json.error, target.provider.id);
      usage = parseUsage(json.usage) ?? usage;

      if (Array.isArray(json.choices)) {
        const choice: unknown = json.choices[0];
        if (!isObject(choice)) continue; // the usage-only chunk has an empty choices array
        if (choice.finish_reason !== undefined && choice.finish_reason !== null) vendorFinish = choice.finish_reason;
        const delta = isObject(choice.delta) ? choice.delta : {};
        const text = textOf(delta.content, target);
        if (text !== null) yield { type: "text", text };
        if (Array.isArray(delta.tool_calls)) {
          for (const tc of delta.tool_calls) {
            if (!isObject(tc)) throw malformed(target, "streamed a tool call that is not an object");
            const fn = isObject(tc.function) ? tc.function : {};
            const key = typeof tc.index === "number" ? tc.index : openaiCalls.size;
            let index = openaiCalls.get(key);
            const first = index === undefined;
            if (index === undefined) {
              index = nextIndex++;
              openaiCalls.set(key, index);
            }
            yield {
              type: "toolCall",
              index,
              ...(first ? { id: typeof tc.id === "string" && tc.id !== "" ? tc.id : newCallId() } : {}),
              ...(typeof fn.name === "string" && fn.name !== "" ? { name: fn.name } : {}),
              argumentsDelta: fn.arguments === undefined ? "" : argumentsText(fn.arguments),
            };
          }
        }
        continue;
      }

      const text = textOf(json.response, target);
      if (text !== null) yield { type: "text", text };
      // Legacy models deliver each tool call whole, on one event.
      for (const call of parseToolCalls(json.tool_calls, target)) {
        yield { type: "toolCall", index: nextIndex++, id: call.id, name: call.name, argumentsDelta: call.arguments };
      }
    }
  } catch (err) {
    if (err instanceof UpstreamError || signal.aborted) throw err;
    // The binding's stream broke mid-way: the same as a reset connection for an HTTP vendor.
    throw new UpstreamError("network", `${target.provider.id}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A short description of an unexpected value, for error messages. */
export function describe(v: unknown): string {
  if (v instanceof ReadableStream) return "a stream";
  if (isObject(v)) return `an object with keys [${Object.keys(v).slice(0, 8).join(", ")}]`;
  return v === null ? "null" : `a ${typeof v}`;
}

function malformed(target: Target, what: string): UpstreamError {
  return new UpstreamError("malformed", `${target.provider.id} ${what}`);
}

/** The binding's legacy tool calls carry no id; callers need one to send results back. */
function newCallId(): string {
  return `call_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
}
