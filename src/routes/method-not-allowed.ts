/**
 * 405 for a known path asked with a method it does not serve (`GET /v1/chat/completions` from a browser, or a curl
 * without `-d`): the caller learns which method to use, in the path's own error shape, with an `Allow` header — not
 * that the URL is unknown. Built from the routes already registered, so it never drifts from them.
 */
import type { Hono } from "hono/tiny";
import { ApiError, excerpt } from "../api/errors";
import type { AppEnv } from "../app-types";
import { inboundForPath } from "../inbound";

/** Register, after every route, a 405 for each routed path's other methods. */
export function answerWrongMethods(app: Hono<AppEnv>): void {
  const allowed = new Map<string, string[]>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue; // middleware
    const methods = allowed.get(r.path) ?? [];
    if (!methods.includes(r.method)) methods.push(r.method);
    // Hono answers HEAD with the GET route.
    if (r.method === "GET" && !methods.includes("HEAD")) methods.push("HEAD");
    allowed.set(r.path, methods);
  }
  for (const [path, methods] of allowed) {
    const allow = methods.join(", ");
    const use = methods.filter((m) => m !== "HEAD").join(" or ");
    app.all(path, (c) => {
      const err = new ApiError(405, "invalid_request_error", "method_not_allowed", `${c.req.method} is not allowed on ${excerpt(c.req.path, 200)}; use ${use}.`);
      return c.json(inboundForPath(c.req.path).errorBody(err, c.get("requestId")), 405, { allow });
    });
  }
}
