/**
 * Gemini response mapping: `GenerateContentResponse` (whole, or one per SSE event with no `[DONE]` sentinel) →
 * canonical responses and stream events, and Google RPC errors (`{error: {code, message, status}}`), whether in a
 * non-2xx body or inside a stream, → the error taxonomy through the same `classifyStatus` as every HTTP vendor.
 */
import * as z from "../zod";
import type { CanonicalResponse, FinishReason, StreamEvent, Usage } from "../canonical";
import { classifyStatus, UpstreamError } from "../engine/errors";
import { isPlainObject } from "./gemini-request";
import { parseJsonEvent, readSse } from "./sse";
import type { Target } from "./types";

const GeminiResponsePart = z.object({
  text: z.optional(z.string()),
  /** Thought summaries (only with includeThoughts, which we never ask for): not answer text. */
  thought: z.optional(z.boolean()),
  functionCall: z.optional(z.object({ name: z.string(), args: z.optional(z.record(z.string(), z.unknown())), id: z.optional(z.string()) })),
});

const GenerateContentResponse = z.object({
  candidates: z.optional(z.array(
      z.object({
        content: z.optional(z.object({ role: z.optional(z.string()), parts: z.optional(z.array(GeminiResponsePart)) })),
        finishReason: z.optional(z.string()),
      }),
    )),
  promptFeedback: z.optional(z.object({ blockReason: z.optional(z.string()) })),
  usageMetadata: z.optional(z.object({
      promptTokenCount: z.optional(z.number().check(z.int(), z.nonnegative())),
      candidatesTokenCount: z.optional(z.number().check(z.int(), z.nonnegative())),
      thoughtsTokenCount: z.optional(z.number().check(z.int(), z.nonnegative())),
    })),
  modelVersion: z.optional(z.string()),
  responseId: z.optional(z.string()),
}).check(z.refine((r) => (r.candidates?.length ?? 0) > 0 || r.promptFeedback?.blockReason !== undefined, {
    message: "no candidates and no promptFeedback.blockReason",
  }));
type GenerateContentResponse = z.infer<typeof GenerateContentResponse>;

const CONTENT_FILTER_REASONS = new Set(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"]);

function mapFinish(reason: string, hasToolCalls: boolean): FinishReason {
  if (reason === "MAX_TOKENS") return "length";
  if (CONTENT_FILTER_REASONS.has(reason)) return "content_filter";
  // Gemini reports STOP after function calls too; callers expect OpenAI's tool_calls there.
  return hasToolCalls ? "tool_calls" : "stop";
}

function toUsage(u: GenerateContentResponse["usageMetadata"]): Usage | undefined {
  if (!u) return undefined;
  // Thinking tokens are billed as output but reported apart from candidatesTokenCount; fold them in so cost is right.
  return {
    inputTokens: u.promptTokenCount ?? 0,
    outputTokens: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0),
  };
}

function validate(json: unknown, target: Target): GenerateContentResponse {
  const parsed = GenerateContentResponse.safeParse(json);
  if (!parsed.success) {
    throw new UpstreamError("malformed", `${target.provider.id} answered a body that is not a GenerateContentResponse`);
  }
  return parsed.data;
}

/** Google RPC status names → the HTTP status Google maps each to (google.rpc.Code), for errors that carry no code. */
const RPC_STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/**
 * In-stream `{error:{code,message,status}}` → the class a non-2xx with that status would have had: its HTTP `code`
 * (else the RPC status's HTTP equivalent, else 400), read like an error body (API_KEY_INVALID, a 429's wait).
 */
export function geminiStreamError(err: Record<string, unknown>, target: Target): UpstreamError {
  const parsed = parseGeminiError(JSON.stringify({ error: err }));
  const rpc = typeof err.status === "string" ? err.status : undefined;
  const status = typeof err.code === "number" ? err.code : ((rpc !== undefined ? RPC_STATUS[rpc] : undefined) ?? 400);
  const detail = typeof err.message === "string" ? err.message : (rpc ?? "unknown");
  const { code, retryAfterMs } = parsed;
  return classifyStatus(status, `${target.provider.id} stream error: ${detail}`, {
    ...(code !== undefined ? { code } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** A `streamGenerateContent?alt=sse` body → canonical stream events. */
export async function* parseGeminiStream(body: ReadableStream<Uint8Array>, target: Target): AsyncGenerator<StreamEvent> {
  let toolIndex = 0;
  let finished = false;
  let usage: Usage | undefined;
  for await (const ev of readSse(body, target.provider.limits?.maxSseLineBytes)) {
    const json = parseJsonEvent(ev.data, target.provider.id);
    if (isPlainObject(json) && isPlainObject(json.error)) throw geminiStreamError(json.error, target);
    const chunk = validate(json, target);
    usage = toUsage(chunk.usageMetadata) ?? usage;
    // After the finish only usage may follow (canonical stream order), so later content is not emitted.
    if (finished) continue;
    const candidate = chunk.candidates?.[0];
    if (!candidate) {
      // No candidates passed validation only with a prompt block reason: the prompt itself was refused.
      finished = true;
      yield { type: "finish", finishReason: "content_filter" };
      continue;
    }
    for (const part of candidate.content?.parts ?? []) {
      if (part.functionCall) {
        const index = toolIndex++;
        // Gemini sends each call whole in one chunk, so one event carries id, name and all arguments.
        yield {
          type: "toolCall",
          index,
          id: part.functionCall.id ?? `call_${index}`,
          name: part.functionCall.name,
          argumentsDelta: JSON.stringify(part.functionCall.args ?? {}),
        };
      } else if (part.text && !part.thought) {
        yield { type: "text", text: part.text };
      }
    }
    if (candidate.finishReason !== undefined && candidate.finishReason !== "FINISH_REASON_UNSPECIFIED") {
      finished = true;
      yield { type: "finish", finishReason: mapFinish(candidate.finishReason, toolIndex > 0) };
    }
  }
  // A stream that never said why it stopped was cut: no finish, and so no usage either (usage only follows finish).
  if (finished && usage) yield { type: "usage", usage };
}

/** A 2xx `GenerateContentResponse` → canonical response. */
export function parseGeminiResponse(json: unknown, target: Target): CanonicalResponse {
  const res = validate(json, target);
  const model = res.modelVersion ?? target.model.id;
  const usage = toUsage(res.usageMetadata);
  const base = { model, ...(res.responseId !== undefined ? { id: res.responseId } : {}), ...(usage ? { usage } : {}) };
  const candidate = res.candidates?.[0];
  if (!candidate) return { ...base, content: null, toolCalls: [], finishReason: "content_filter" };

  let text = "";
  let sawText = false;
  const toolCalls: CanonicalResponse["toolCalls"] = [];
  for (const part of candidate.content?.parts ?? []) {
    if (part.functionCall) {
      const index = toolCalls.length;
      toolCalls.push({
        id: part.functionCall.id ?? `call_${index}`,
        name: part.functionCall.name,
        arguments: JSON.stringify(part.functionCall.args ?? {}),
      });
    } else if (part.text !== undefined && !part.thought) {
      text += part.text;
      sawText = true;
    }
  }
  return {
    ...base,
    content: sawText ? text : null,
    toolCalls,
    finishReason: mapFinish(candidate.finishReason ?? "STOP", toolCalls.length > 0),
  };
}

/**
 * A Google RPC error body (`{error: {code, message, status, details}}`, or a one-element array of it) → message, the
 * code `classifyStatus` reads (the RPC status, or API_KEY_INVALID from the details) and the wait a 429 asks for.
 */
export function parseGeminiError(bodyText: string): { message: string; code?: string; retryAfterMs?: number } {
  try {
    let json: unknown = JSON.parse(bodyText);
    // streamGenerateContent without alt=sse answers errors as a one-element JSON array.
    if (Array.isArray(json)) json = json[0];
    const error = isPlainObject(json) ? json.error : undefined;
    if (isPlainObject(error) && typeof error.message === "string") {
      const message = error.message;
      const details = Array.isArray(error.details) ? error.details.filter(isPlainObject) : [];
      // A bad key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID: report it as the auth problem it is.
      const reason = details.find((d) => typeof d.reason === "string")?.reason;
      const status = reason === "API_KEY_INVALID" ? "API_KEY_INVALID" : error.status;
      // 429s carry their wait in the body (google.rpc.RetryInfo, e.g. "58s"), not in a Retry-After header.
      const delay = details.find((d) => typeof d.retryDelay === "string")?.retryDelay;
      const m = typeof delay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(delay) : null;
      return {
        message,
        ...(typeof status === "string" ? { code: status } : {}),
        ...(m ? { retryAfterMs: Math.round(Number(m[1]) * 1000) } : {}),
      };
    }
  } catch {
    // Not JSON (an HTML error page from a proxy, say): fall through to the raw text.
  }
  return { message: bodyText.slice(0, 200) };
}
