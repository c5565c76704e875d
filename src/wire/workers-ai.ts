/**
 * Workers AI binding results (`env.AI.run`): the legacy `{response, tool_calls, usage}` object, its stream of
 * `data: {"response": …}` events ending in `[DONE]`, and the binding's errors, thrown with the message
 * `"<internal code>: <description>"` (workerd's ai-api.ts `InferenceUpstreamError`). Newer models answer in OpenAI's
 * shape instead: use ./openai for those.
 */
import { SSE_DONE, sseData } from "./sse";
import type { OpenAIUsage } from "./openai";

export interface WorkersAiAnswer {
  text: string;
  /** Legacy tool calls carry arguments as the parsed object. */
  toolCalls: { name: string; arguments: unknown }[];
  usage: OpenAIUsage;
}

/** The legacy JSON result. */
export function workersAiResult(a: WorkersAiAnswer): Record<string, unknown> {
  return { response: a.text, usage: a.usage, ...(a.toolCalls.length > 0 ? { tool_calls: a.toolCalls } : {}) };
}

/** The legacy stream: text pieces, the tool calls in one event, usage, `[DONE]`. */
export function workersAiEvents(a: WorkersAiAnswer, pieces: string[]): string[] {
  const events = pieces.map((t) => sseData({ response: t }));
  if (a.toolCalls.length > 0) events.push(sseData({ response: "", tool_calls: a.toolCalls }));
  events.push(sseData({ response: "", usage: a.usage }));
  events.push(SSE_DONE);
  return events;
}

/** Status → the binding's internal error code and description, as Workers AI words them. */
const ERRORS: Record<number, [string, string]> = {
  401: ["3041", "The account is not allowed to access this model"],
  403: ["3041", "The account is not allowed to access this model"],
  404: ["5007", "No such model {model} or task"],
  408: ["3007", "Request timeout"],
  413: ["3006", "Request is too large"],
  429: ["3040", "Capacity temporarily exceeded, please try again."],
};
const SERVER_ERROR: [string, string] = ["3043", "Internal server error"];
/** Any other 4xx: workerd's own binding test uses this code (and the name "InvalidInput") for an invalid input. */
const INVALID_INPUT: [string, string] = ["1001", "prompt and messages are mutually exclusive"];
/** The context-window error (HTTP 400), which has its own code. */
const CONTEXT_LENGTH: [string, string] = [
  "5021",
  "The estimated number of input and maximum output tokens (9000) exceeded this model context window limit (8192).",
];

/**
 * The error the binding throws for `status`. `code` overrides the internal code (four digits; not for the
 * context-window error), `contextLength` picks the context-window error, `description` replaces the text.
 */
export function workersAiError(status: number, model: string, opts: { code?: string; description?: string; contextLength?: boolean } = {}): Error {
  const row = opts.contextLength ? CONTEXT_LENGTH : (ERRORS[status] ?? (status >= 500 ? SERVER_ERROR : INVALID_INPUT));
  const code = opts.contextLength ? row[0] : (opts.code ?? row[0]);
  const err = new Error(`${code}: ${opts.description ?? row[1].replace("{model}", model)}`);
  err.name = row === INVALID_INPUT ? "InvalidInput" : "InferenceUpstreamError";
  return err;
}
