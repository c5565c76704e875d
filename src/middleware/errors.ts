/**
 * The error boundary: every thrown error becomes the caller's error JSON (OpenAI's shape, or Anthropic's on
 * /v1/messages — src/inbound/) with the right status. Unknown errors are 500s
 * whose message says nothing internal (the log line has the request id to find them).
 */
import type { Context } from "hono";
import { ApiError } from "../api/errors";
import type { AppEnv } from "../app-types";
import { ConfigError } from "../config/load";
import { inboundForPath } from "../inbound";
import { log, logRequest } from "../observability/log";

export function onError(err: Error, c: Context<AppEnv>): Response {
  const requestId = c.get("requestId") ?? "unknown";
  const deps = c.get("deps");
  const logger = deps?.log ?? log;
  let apiError: ApiError;
  if (err instanceof ApiError) apiError = err;
  else if (err instanceof ConfigError) {
    apiError = new ApiError(500, "configuration_error", "invalid_config", `Detour is misconfigured: ${err.message}`);
  } else {
    // The error's name only: its message may quote request or vendor text.
    logger.error("unhandled", { request_id: requestId, error: err.name });
    apiError = new ApiError(500, "api_error", "internal_error", `Internal error in Detour (request ${requestId}).`);
  }
  if (deps) {
    logRequest(logger, {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: apiError.status,
      error_code: apiError.code,
      // What to fix, in `wrangler tail` too, not only in the answer (issue paths and zod's words, never config values).
      ...(err instanceof ConfigError ? { issues: err.issues } : {}),
      ms: deps.clock.now() - (c.get("startedAt") ?? deps.clock.now()),
    });
  }
  return c.json(inboundForPath(c.req.path).errorBody(apiError, requestId), apiError.status as 400, { "x-request-id": requestId, ...apiError.headers });
}
