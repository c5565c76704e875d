/**
 * Workers AI errors → the error taxonomy. The binding does not expose an HTTP status: `run` throws (and a stream may
 * carry an `error` event) whose message is `"<internal code>: <description>"`. Each known internal code, or failing
 * that the wording, stands for the HTTP status an HTTP vendor would have sent, and that status is classified by the
 * same `classifyStatus` every HTTP adapter uses, so a Workers AI 404 is a `model_not_found` like anyone else's.
 */
import { classifyStatus, looksLikeContextLength, UpstreamError } from "../engine/errors";

/** The vendor's name in messages when no provider id is known. */
export const WORKERS_AI = "workers-ai";

/** Internal codes from developers.cloudflare.com/workers-ai/platform/errors (plus 4006, seen for the free allocation). */
const CODES: Record<string, number> = {
  "3036": 429, // account limited: daily free allocation used up
  "4006": 429, // same, as reported by newer models
  "3040": 429, // out of capacity: "Capacity temporarily exceeded, please try again."
  "5007": 404, // "No such model ${model} or task" (the platform answers 400; it means what a 404 means)
  "3042": 404, // invalid model ID
  "3006": 413, // request too large
  "3007": 408,
  "3008": 408,
  "3023": 403, // account blocked
  "3041": 403, // account not allowed for private model
  "5016": 403, // model terms not agreed
  "5018": 403,
  "3003": 400,
  "5004": 400,
};

/** Deprecated SDK version: the worker's runtime is at fault, not the caller; another target may still serve. */
const MISCONFIGURED_CODE = "5019";

/** Wording → the status it stands for, tried in order when no known code decides. */
const WORDING: [RegExp, number][] = [
  [/too many requests|rate limit|capacity|neurons|\b429\b/i, 429],
  [/no such model|model not found|invalid model/i, 404],
  [/timed? ?out/i, 408],
  [/not allowed|unauthori[sz]ed|forbidden|authentication/i, 403],
  [/internal|server error|unavailable|overloaded/i, 500],
];

/**
 * Map an error thrown by `ai.run` (or an `error` stream event) to its class. Known codes decide first, then wording;
 * anything unrecognised is a retryable `server_error` rather than a `bad_request` that would stop the request.
 */
export function classifyWorkersAiError(err: unknown, providerId: string = WORKERS_AI): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const message = err instanceof Error ? err.message : typeof err === "string" ? err : JSON.stringify(err) ?? String(err);
  const name = err instanceof Error ? err.name : "";
  const text = `${providerId}: ${message}`;
  const code = /^(?:\w*Error:\s*)*(\d{4}):/.exec(message)?.[1];
  if (code === MISCONFIGURED_CODE) return new UpstreamError("misconfigured", text, { status: 405 });
  const status = (code !== undefined ? CODES[code] : undefined) ?? statusFromWording(message, name);
  return status === undefined ? new UpstreamError("server_error", text) : classifyStatus(status, text);
}

/**
 * An `error` event inside a Workers AI stream: a message string, or an object with a `message` and maybe the
 * internal `code`, classified as if `run` had thrown it.
 */
export function classifyWorkersAiStreamError(e: unknown, providerId: string): UpstreamError {
  if (typeof e !== "object" || e === null || Array.isArray(e)) return classifyWorkersAiError(e, providerId);
  const { message, code } = e as Record<string, unknown>;
  if (typeof message !== "string") return classifyWorkersAiError(e, providerId);
  const known = (typeof code === "number" || typeof code === "string") && /^\d{4}$/.test(String(code));
  return classifyWorkersAiError(known && !message.startsWith(`${code}:`) ? `${code}: ${message}` : message, providerId);
}

function statusFromWording(message: string, name: string): number | undefined {
  if (looksLikeContextLength(message) || /context window|too long|too large/i.test(message)) return 413;
  const hit = WORDING.find(([re]) => re.test(message));
  if (hit) return hit[1];
  if (/^InvalidInput/i.test(name) || /invalid|validation|malformed input|must be|required|missing/i.test(message)) return 400;
  return undefined;
}
