/**
 * Google Gemini API adapter (generativelanguage.googleapis.com, v1beta `generateContent` / `streamGenerateContent`).
 *
 * Wire facts this file relies on (Gemini API reference):
 * - Non-stream: POST `{base}/models/{model}:generateContent`; stream: `:streamGenerateContent?alt=sse`, where every
 *   SSE `data:` is a complete `GenerateContentResponse` chunk and there is no `[DONE]` sentinel.
 * - Roles are "user" and "model"; function results go back as "user" `functionResponse` parts, keyed by function
 *   *name* (Gemini function calls carry no id), so the name is recovered from the assistant turn that made the call.
 * - Errors are Google RPC style: `{error: {code, message, status}}`.
 *
 * Files: this one is the adapter; gemini-request.ts maps canonical requests to Gemini bodies, gemini-response.ts maps
 * answers, streams and errors back.
 */
import type { HttpAdapter, VendorHttpRequest } from "./types";
import { buildBody, modelPath } from "./gemini-request";
import { parseGeminiError, parseGeminiResponse, parseGeminiStream } from "./gemini-response";

/**
 * The Gemini API (`kind: "gemini"`). `provider.baseUrl` is the API root,
 * e.g. `https://generativelanguage.googleapis.com/v1beta`.
 */
export const geminiAdapter: HttpAdapter = {
  buildRequest(req, target, apiKey): VendorHttpRequest {
    const base = (target.provider.baseUrl ?? "").replace(/\/+$/, "");
    const path = modelPath(target.model.id);
    const url = req.stream ? `${base}/${path}:streamGenerateContent?alt=sse` : `${base}/${path}:generateContent`;
    const headers: Record<string, string> = {};
    if (apiKey !== undefined) headers["x-goog-api-key"] = apiKey;
    return { url, headers, body: buildBody(req, target.model.id) };
  },

  parseResponse: parseGeminiResponse,
  parseStream: parseGeminiStream,
  parseError: parseGeminiError,
};
