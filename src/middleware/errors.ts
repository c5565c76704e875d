/**
 * The error boundary: every thrown error becomes OpenAI's error JSON with the right status. Unknown errors are 500s
 * whose message says nothing internal (the log line has the request id to find them).
 */
import type { Context } from "hono";
import { ApiError } from "../api/errors";
import type { AppEnv } from "../app-types";
import { ConfigError } from "../config/load";

export function onError(err: Error, c: Context<AppEnv>): Response {
  const requestId = c.get("requestId") ?? "unknown";
  let apiError: ApiError;
  if (err instanceof ApiError) apiError = err;
  else if (err instanceof ConfigError) {
    apiError = new ApiError(500, "configuration_error", "invalid_config", `Detour is misconfigured: ${err.message}`);
  } else {
    console.error(JSON.stringify({ level: "error", msg: "unhandled", request_id: requestId, error: err.name }));
    apiError = new ApiError(500, "api_error", "internal_error", `Internal error in Detour (request ${requestId}).`);
  }
  const deps = c.get("deps");
  deps?.log({
    request_id: requestId,
    method: c.req.method,
    path: c.req.path,
    status: apiError.status,
    error_code: apiError.code,
    ms: deps.clock.now() - (c.get("startedAt") ?? deps.clock.now()),
  });
  return c.json(apiError.toJSON(), apiError.status as 400, { "x-request-id": requestId, ...apiError.headers });
}
