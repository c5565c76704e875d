/**
 * Gemini (generativelanguage v1beta) as the vendor sends it: `GenerateContentResponse` JSON, `?alt=sse` streams of
 * whole response chunks (CRLF-framed, no terminator) and google.rpc error bodies `{error: {code, message, status,
 * details?}}`, pretty-printed, with a RetryInfo detail on a 429 that says when to retry.
 */
import { sseData } from "./sse";

export interface GeminiUsage {
  inputTokens: number;
  outputTokens: number;
}

/** One content part: text or a function call. */
export type GeminiPart = { text: string } | { functionCall: { name: string; args: unknown } };

export interface GeminiAnswer {
  parts: GeminiPart[];
  /** STOP, MAX_TOKENS, SAFETY… */
  finishReason: string;
  usage: GeminiUsage;
  model: string;
  responseId: string;
}

function usageMetadata(u: GeminiUsage): Record<string, unknown> {
  return {
    promptTokenCount: u.inputTokens,
    candidatesTokenCount: u.outputTokens,
    totalTokenCount: u.inputTokens + u.outputTokens,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: u.inputTokens }],
  };
}

function response(a: GeminiAnswer, candidate: Record<string, unknown>, usage: Record<string, unknown>): Record<string, unknown> {
  return { candidates: [{ ...candidate, index: 0 }], usageMetadata: usage, modelVersion: a.model, responseId: a.responseId };
}

/** The non-streamed GenerateContentResponse (no `content` when there are no parts, as after a safety stop). */
export function geminiResponse(a: GeminiAnswer): Record<string, unknown> {
  const content = a.parts.length > 0 ? { content: { parts: a.parts, role: "model" } } : {};
  return response(a, { ...content, finishReason: a.finishReason }, usageMetadata(a.usage));
}

/**
 * The stream's response chunks: each text piece or function call in its own chunk, the last one carrying the finish
 * reason and full usage (the others only the prompt side); with nothing to say, one chunk with only the finish.
 * `textPieces` splits a text part into stream pieces.
 */
export function geminiChunks(a: GeminiAnswer, textPieces: (text: string) => string[]): Record<string, unknown>[] {
  const pieces = a.parts.flatMap((p): GeminiPart[] => ("text" in p ? textPieces(p.text).map((text) => ({ text })) : [p]));
  const partial = { promptTokenCount: a.usage.inputTokens, totalTokenCount: a.usage.inputTokens };
  const out = pieces.map((part, i) => {
    const content = { parts: [part], role: "model" };
    return i === pieces.length - 1 ? response(a, { content, finishReason: a.finishReason }, usageMetadata(a.usage)) : response(a, { content }, partial);
  });
  if (pieces.length === 0) out.push(response(a, { finishReason: a.finishReason }, usageMetadata(a.usage)));
  return out;
}

/** Chunks as `?alt=sse` events. */
export function geminiEvents(chunks: Record<string, unknown>[]): string[] {
  return chunks.map((c) => sseData(c, "\r\n"));
}

/** HTTP status → the google.rpc.Code name Gemini puts in `error.status`. */
const RPC_STATUS: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "UNIMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/** The messages the real API sends for common statuses. */
const MESSAGES: Record<number, string> = {
  400: "Request contains an invalid argument.",
  401:
    "Request had invalid authentication credentials. " +
    "Expected OAuth 2 access token, login cookie or other valid authentication credential.",
  403: "The caller does not have permission",
  404: "Requested entity was not found.",
  429: "Resource has been exhausted (e.g. check quota).",
  500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
  503: "The model is overloaded. Please try again later.",
};

/** The google.rpc.Code name for `status`. */
export function geminiRpcStatus(status: number): string {
  return RPC_STATUS[status] ?? (status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION");
}

/** Gemini's usual message for `status`. */
export function geminiMessage(status: number): string {
  return MESSAGES[status] ?? "Request failed.";
}

/**
 * The error body, pretty-printed as the API does. `rpc` overrides the status name; `retryAfterSeconds` on a 429 adds
 * the RetryInfo detail Gemini uses instead of (or beside) a Retry-After header.
 */
export function geminiErrorBody(status: number, message?: string, opts: { rpc?: string; retryAfterSeconds?: number | string } = {}): string {
  const error: Record<string, unknown> = { code: status, message: message ?? geminiMessage(status), status: opts.rpc ?? geminiRpcStatus(status) };
  if (status === 429 && opts.retryAfterSeconds !== undefined) {
    error.details = [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${opts.retryAfterSeconds}s` }];
  }
  return JSON.stringify({ error }, null, 2);
}

/** Bodies that are not Gemini's shape, for malformed-answer drills. */
export const GEMINI_MALFORMED = {
  syntaxJson: `{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n`,
  shapeJson: { predictions: [{ content: "not a Gemini response" }] },
  syntaxEvent: 'data: {"candidates": [{"content": \r\n\r\n',
  shapeEvent: sseData({ candidates: "not-an-array" }, "\r\n"),
};
