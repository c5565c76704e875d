/**
 * OpenAI Chat Completions as the vendor sends it: `chat.completion` JSON, `chat.completion.chunk` SSE ending in
 * `[DONE]`, and error bodies `{error: {message, type, param, code}}`. Builders only: callers decide the content.
 */
import { SSE_DONE, sseData } from "./sse";

/** What every completion and chunk repeats: id, created, model, plus vendor extras (system_fingerprint, service_tier). */
export type OpenAIBase = { id: string; created: number; model: string } & Record<string, unknown>;

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  [detail: string]: unknown;
}

export interface OpenAIToolCall {
  id: string;
  name: string;
  /** JSON text, as OpenAI sends it. */
  arguments: string;
}

/** The usage object; `details` adds fields such as `prompt_tokens_details`. */
export function openaiUsage(prompt: number, completion: number, details: Record<string, unknown> = {}): OpenAIUsage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, ...details };
}

/** A `chat.completion` object with one choice. `message` adds fields to the message (e.g. `annotations`). */
export function openaiCompletion(
  base: OpenAIBase,
  answer: { content: string | null; toolCalls?: OpenAIToolCall[]; finishReason: string; usage: OpenAIUsage },
  message: Record<string, unknown> = {},
): Record<string, unknown> {
  const calls = answer.toolCalls ?? [];
  return {
    ...base,
    object: "chat.completion",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: answer.content,
          refusal: null,
          ...message,
          ...(calls.length > 0 ? { tool_calls: calls.map((t) => ({ id: t.id, type: "function", function: { name: t.name, arguments: t.arguments } })) } : {}),
        },
        logprobs: null,
        finish_reason: answer.finishReason,
      },
    ],
    usage: answer.usage,
  };
}

/** One SSE event of a stream; `paced` marks output generated after the first piece (where a model takes time). */
export interface OpenAIStreamEvent {
  sse: string;
  paced: boolean;
}

export interface OpenAIStreamAnswer {
  /** The whole text, or null when the answer is only tool calls (the role chunk says which). */
  content: string | null;
  /** The text as it streams, in pieces. */
  pieces: string[];
  /** Each call streams its name first, then its arguments in `argPieces`. */
  toolCalls?: { id: string; name: string; argPieces: string[] }[];
  finishReason: string;
  /** Sent as a final chunk with empty choices when `includeUsage`. */
  usage?: OpenAIUsage;
}

/**
 * The `chat.completion.chunk` events of one answer, then `[DONE]`: a role chunk, the text pieces, each tool call
 * (id and name, then argument pieces), the finish chunk and, with `includeUsage`, the usage chunk. With
 * `includeUsage` every chunk carries `usage: null` until the last, as OpenAI does. `wholeToolCalls` sends each call
 * in one delta, arguments included, as Workers AI's OpenAI-shaped streams do.
 */
export function openaiChunks(base: OpenAIBase, a: OpenAIStreamAnswer, includeUsage: boolean, wholeToolCalls = false): OpenAIStreamEvent[] {
  const chunk = (choices: unknown[], usage?: OpenAIUsage) =>
    sseData({ ...base, object: "chat.completion.chunk", choices, ...(includeUsage ? { usage: usage ?? null } : {}) });
  const delta = (d: Record<string, unknown>, finish: string | null = null) => [{ index: 0, delta: d, logprobs: null, finish_reason: finish }];
  const out: OpenAIStreamEvent[] = [{ sse: chunk(delta({ role: "assistant", content: a.content === null ? null : "", refusal: null })), paced: false }];
  let first = true;
  const output = (sse: string) => {
    out.push({ sse, paced: !first });
    first = false;
  };
  for (const piece of a.pieces) output(chunk(delta({ content: piece })));
  (a.toolCalls ?? []).forEach((t, index) => {
    const head = { index, id: t.id, type: "function", function: { name: t.name, arguments: wholeToolCalls ? t.argPieces.join("") : "" } };
    output(chunk(delta({ tool_calls: [head] })));
    if (wholeToolCalls) return;
    for (const part of t.argPieces) output(chunk(delta({ tool_calls: [{ index, function: { arguments: part } }] })));
  });
  out.push({ sse: chunk(delta({}, a.finishReason)), paced: false });
  if (includeUsage && a.usage) out.push({ sse: chunk([], a.usage), paced: false });
  out.push({ sse: SSE_DONE, paced: false });
  return out;
}

export interface OpenAIError {
  message: string;
  type: string;
  param?: string | null;
  code?: string | null;
}

/** The error body `{error: {message, type, param, code}}`. */
export function openaiErrorBody(e: OpenAIError): string {
  return JSON.stringify({ error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code ?? null } });
}

/** What OpenAI answers for common statuses: message, type, code. */
const OPENAI_ERRORS: Record<number, [string, string, string | null]> = {
  400: ["Invalid request.", "invalid_request_error", null],
  401: ["Incorrect API key provided: sk-mock***.", "invalid_request_error", "invalid_api_key"],
  403: ["You are not allowed to sample from this model.", "invalid_request_error", "unsupported_country_region_territory"],
  404: ["The model does not exist or you do not have access to it.", "invalid_request_error", "model_not_found"],
  408: ["Request timed out.", "invalid_request_error", null],
  429: ["Rate limit reached for requests per min (RPM): Limit 500, Used 500, Requested 1.", "requests", "rate_limit_exceeded"],
  500: ["The server had an error while processing your request. Sorry about that!", "server_error", null],
  502: ["Bad gateway.", "server_error", null],
  503: ["The engine is currently overloaded, please try again later", "server_error", null],
};

/** The error OpenAI sends for `status`; `message` replaces its default text. */
export function openaiErrorFor(status: number, message?: string): OpenAIError {
  const [text, type, code] = OPENAI_ERRORS[status] ?? [
    status >= 500 ? "The server had an error processing your request." : "Invalid request.",
    status >= 500 ? "server_error" : "invalid_request_error",
    null,
  ];
  return { message: message ?? text, type, code };
}

/** Bodies that are not OpenAI's shape, for malformed-answer drills: broken JSON, or valid JSON of the wrong shape. */
export function openaiMalformed(id: string, created: number, model: string) {
  return {
    syntaxJson: `{"id":"${id}","object":"chat.completion","created":${created},"choices":[{"index":0,"message":`,
    shapeJson: { id, object: "chat.completion", created, model, choices: "not-an-array" },
    syntaxEvent: `data: {"id":"${id}","object":"chat.completion.chunk","choices":[{"delta":\n\n`,
    shapeEvent: sseData({ id, object: "chat.completion.chunk", choices: "not-an-array" }),
  };
}
