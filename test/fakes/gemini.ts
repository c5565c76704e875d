/**
 * A fake Gemini API (generativelanguage v1beta) that answers a `FakeScript` in the real wire format: the same paths,
 * auth header, request validation, `GenerateContentResponse` bodies, `?alt=sse` streams (one full response chunk per
 * `data:` line, CRLF-delimited, no `[DONE]`) and Google RPC error bodies `{error:{code,message,status}}`.
 */
import { sseResponse, splitText, untilAborted, type FakeScript } from "./script";

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

/** The messages the real API sends for each status, so adapters are tested against realistic text. */
const DEFAULT_MESSAGES: Record<number, string> = {
  400: "Request contains an invalid argument.",
  401:
    "Request had invalid authentication credentials. " +
    "Expected OAuth 2 access token, login cookie or other valid authentication credential.",
  403: "The caller does not have permission",
  429: "Resource has been exhausted (e.g. check quota).",
  500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
  503: "The model is overloaded. Please try again later.",
};

const FINISH: Record<NonNullable<FakeScript["finishReason"]>, string> = {
  stop: "STOP",
  // Gemini has no tool-call finish reason: a turn that ends in function calls finishes with STOP.
  tool_calls: "STOP",
  length: "MAX_TOKENS",
  content_filter: "SAFETY",
};

function rpcStatus(status: number): string {
  return RPC_STATUS[status] ?? (status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION");
}

/** A Google RPC error response, pretty-printed as the real API does. */
function errorResponse(
  status: number,
  message: string,
  opts: { rpc?: string; headers?: Record<string, string>; details?: unknown[] } = {},
): Response {
  const error: Record<string, unknown> = { code: status, message, status: opts.rpc ?? rpcStatus(status) };
  if (opts.details) error.details = opts.details;
  return new Response(JSON.stringify({ error }, null, 2), {
    status,
    headers: { "content-type": "application/json; charset=UTF-8", ...(opts.headers ?? {}) },
  });
}

let responseSeq = 0;

/** Rough token count for default usage: the real API always reports usageMetadata. */
function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

interface Rendered {
  /** Content parts in order: text first, then function calls. */
  parts: Record<string, unknown>[];
  finishReason: string;
  usage: { inputTokens: number; outputTokens: number };
  model: string;
  responseId: string;
}

function render(script: FakeScript, model: string, bodyText: string): Rendered {
  const calls = script.toolCalls ?? [];
  // Text defaults only when there are no tool calls ("instead of / after the text").
  const text = script.text ?? (calls.length > 0 ? "" : "Hello from fake");
  const finish = script.finishReason ?? (calls.length > 0 ? "tool_calls" : "stop");
  const parts: Record<string, unknown>[] = [];
  // A safety stop blanks the candidate's content, as the real API does.
  if (finish !== "content_filter") {
    if (text !== "") parts.push({ text });
    for (const c of calls) parts.push({ functionCall: { name: c.name, args: JSON.parse(c.arguments || "{}") as unknown } });
  }
  return {
    parts,
    finishReason: FINISH[finish],
    usage: script.usage ?? { inputTokens: approxTokens(bodyText), outputTokens: approxTokens(text) },
    model: script.model ?? model,
    responseId: `fakeGeminiResp${++responseSeq}`,
  };
}

function usageMetadata(u: { inputTokens: number; outputTokens: number }): Record<string, unknown> {
  return {
    promptTokenCount: u.inputTokens,
    candidatesTokenCount: u.outputTokens,
    totalTokenCount: u.inputTokens + u.outputTokens,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: u.inputTokens }],
  };
}

/** The non-streamed GenerateContentResponse. */
function jsonBody(r: Rendered): Record<string, unknown> {
  const candidate: Record<string, unknown> = { finishReason: r.finishReason, index: 0 };
  if (r.parts.length > 0) candidate.content = { parts: r.parts, role: "model" };
  return { candidates: [candidate], usageMetadata: usageMetadata(r.usage), modelVersion: r.model, responseId: r.responseId };
}

/** The stream chunks: text split into `chunks` pieces, each function call whole, the last chunk carrying the finish. */
function streamChunks(r: Rendered, script: FakeScript): Record<string, unknown>[] {
  const pieces: Record<string, unknown>[] = [];
  for (const p of r.parts) {
    if (typeof p.text === "string") for (const t of splitText(p.text, script.chunks ?? 3)) pieces.push({ text: t });
    else pieces.push(p);
  }
  // Intermediate chunks report only the prompt side of usage; the final one has the full count.
  const partial = { promptTokenCount: r.usage.inputTokens, totalTokenCount: r.usage.inputTokens };
  const chunk = (candidate: Record<string, unknown>, usage: Record<string, unknown>): Record<string, unknown> => ({
    candidates: [{ ...candidate, index: 0 }],
    usageMetadata: usage,
    modelVersion: r.model,
    responseId: r.responseId,
  });
  const out = pieces.map((part, i) => {
    const content = { parts: [part], role: "model" };
    // The real API puts the finish reason and full usage on the chunk with the last content.
    return i === pieces.length - 1
      ? chunk({ content, finishReason: r.finishReason }, usageMetadata(r.usage))
      : chunk({ content }, partial);
  });
  // Nothing to say (a safety stop blanks content): one chunk with only the finish reason.
  if (pieces.length === 0) out.push(chunk({ finishReason: r.finishReason }, usageMetadata(r.usage)));
  return out;
}

/**
 * Answer one request as the Gemini API would, following `script`. Accepts `POST .../v1beta/models/{model}:generateContent`
 * and `:streamGenerateContent` (SSE with `alt=sse`; without it, the real API's JSON-array stream).
 */
export async function fakeGemini(request: Request, script: FakeScript): Promise<Response> {
  if (script.hang) return untilAborted(request.signal);

  const url = new URL(request.url);
  const m = /\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(url.pathname);
  if (!m || request.method !== "POST") {
    return errorResponse(404, `Requested entity was not found.`, { rpc: "NOT_FOUND" });
  }
  const model = decodeURIComponent(m[1]!);
  const streaming = m[2] === "streamGenerateContent";

  // A request with no key at all is an "unregistered caller" to Google's front end: 403, not 401.
  if (!request.headers.get("x-goog-api-key")) {
    return errorResponse(
      403,
      "Method doesn't allow unregistered callers (callers without established identity). " +
        "Please use API Key or other form of API consumer identity to call this API.",
    );
  }

  const bodyText = await request.text();
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return errorResponse(400, `Invalid JSON payload received. Unexpected token.\n${bodyText.slice(0, 40)}\n^`);
  }
  const contents = (body as { contents?: unknown } | null)?.contents;
  if (!Array.isArray(contents) || contents.length === 0) {
    return errorResponse(400, "* GenerateContentRequest.contents: contents is not specified\n");
  }

  if (script.status !== undefined && (script.status < 200 || script.status > 299)) {
    const rpc = script.errorCode && /^[A-Z_]+$/.test(script.errorCode) ? script.errorCode : rpcStatus(script.status);
    const message =
      script.errorMessage ??
      (script.status === 404
        ? `models/${model} is not found for API version v1beta, or is not supported for generateContent. ` +
          "Call ListModels to see the list of available models and their supported methods."
        : (DEFAULT_MESSAGES[script.status] ?? "Request failed."));
    // Gemini's 429 says when to retry in a RetryInfo detail; mirror a scripted Retry-After there too.
    const ra = script.headers?.["retry-after"] ?? script.headers?.["Retry-After"];
    const details =
      script.status === 429 && ra !== undefined
        ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${ra}s` }]
        : undefined;
    return errorResponse(script.status, message, {
      rpc,
      ...(script.headers ? { headers: script.headers } : {}),
      ...(details ? { details } : {}),
    });
  }

  const r = render(script, model, bodyText);

  if (!streaming) {
    // A 2xx body that is not a GenerateContentResponse (no candidates, no promptFeedback).
    const out = script.malformed ? { predictions: [{ content: "not a Gemini response" }] } : jsonBody(r);
    return new Response(JSON.stringify(out, null, 2), {
      status: 200,
      headers: { "content-type": "application/json; charset=UTF-8", ...(script.headers ?? {}) },
    });
  }

  const chunks = streamChunks(r, script);
  if (url.searchParams.get("alt") !== "sse") {
    // Without alt=sse the real API streams one JSON array, which is not SSE.
    return new Response(JSON.stringify(chunks, null, 2), {
      status: 200,
      headers: { "content-type": "application/json; charset=UTF-8", ...(script.headers ?? {}) },
    });
  }
  const events = chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`);
  if (script.malformed) events.unshift("data: {\"candidates\": [{\"content\": \r\n\r\n");
  return sseResponse(events, script, request.signal);
}
