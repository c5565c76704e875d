/**
 * A fake Gemini API (generativelanguage v1beta) that answers a `FakeScript` in the real wire format: the same paths,
 * auth header, request validation, `GenerateContentResponse` bodies, `?alt=sse` streams (one full response chunk per
 * `data:` line, CRLF-delimited, no `[DONE]`) and Google RPC error bodies `{error:{code,message,status}}`.
 */
import {
  GEMINI_MALFORMED,
  geminiChunks,
  geminiErrorBody,
  geminiEvents,
  geminiMessage,
  geminiResponse,
  geminiRpcStatus,
  splitText,
  type GeminiAnswer,
  type GeminiPart,
} from "../../src/wire";
import { sseResponse, untilAborted, type FakeScript } from "./script";

const FINISH: Record<NonNullable<FakeScript["finishReason"]>, string> = {
  stop: "STOP",
  // Gemini has no tool-call finish reason: a turn that ends in function calls finishes with STOP.
  tool_calls: "STOP",
  length: "MAX_TOKENS",
  content_filter: "SAFETY",
};

/** A Google RPC error response, pretty-printed as the real API does. */
function errorResponse(
  status: number,
  message: string,
  opts: { rpc?: string; headers?: Record<string, string>; retryAfter?: string } = {},
): Response {
  const body = geminiErrorBody(status, message, {
    ...(opts.rpc ? { rpc: opts.rpc } : {}),
    ...(opts.retryAfter !== undefined ? { retryAfterSeconds: opts.retryAfter } : {}),
  });
  return new Response(body, { status, headers: { "content-type": "application/json; charset=UTF-8", ...(opts.headers ?? {}) } });
}

let responseSeq = 0;

/** Rough token count for default usage: the real API always reports usageMetadata. */
function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function render(script: FakeScript, model: string, bodyText: string): GeminiAnswer {
  const calls = script.toolCalls ?? [];
  // Text defaults only when there are no tool calls ("instead of / after the text").
  const text = script.text ?? (calls.length > 0 ? "" : "Hello from fake");
  const finish = script.finishReason ?? (calls.length > 0 ? "tool_calls" : "stop");
  const parts: GeminiPart[] = [];
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
    const rpc = script.errorCode && /^[A-Z_]+$/.test(script.errorCode) ? script.errorCode : geminiRpcStatus(script.status);
    const message =
      script.errorMessage ??
      (script.status === 404
        ? `models/${model} is not found for API version v1beta, or is not supported for generateContent. ` +
          "Call ListModels to see the list of available models and their supported methods."
        : geminiMessage(script.status));
    // Gemini's 429 says when to retry in a RetryInfo detail; mirror a scripted Retry-After there too.
    const ra = script.headers?.["retry-after"] ?? script.headers?.["Retry-After"];
    return errorResponse(script.status, message, {
      rpc,
      ...(script.headers ? { headers: script.headers } : {}),
      ...(ra !== undefined ? { retryAfter: ra } : {}),
    });
  }

  const r = render(script, model, bodyText);

  if (!streaming) {
    // A 2xx body that is not a GenerateContentResponse (no candidates, no promptFeedback).
    const out = script.malformed ? GEMINI_MALFORMED.shapeJson : geminiResponse(r);
    return new Response(JSON.stringify(out, null, 2), {
      status: 200,
      headers: { "content-type": "application/json; charset=UTF-8", ...(script.headers ?? {}) },
    });
  }

  const chunks = geminiChunks(r, (text) => splitText(text, script.chunks ?? 3));
  if (url.searchParams.get("alt") !== "sse") {
    // Without alt=sse the real API streams one JSON array, which is not SSE.
    return new Response(JSON.stringify(chunks, null, 2), {
      status: 200,
      headers: { "content-type": "application/json; charset=UTF-8", ...(script.headers ?? {}) },
    });
  }
  const events = geminiEvents(chunks);
  if (script.malformed) events.unshift(GEMINI_MALFORMED.syntaxEvent);
  return sseResponse(events, script, request.signal);
}
