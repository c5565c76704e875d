/**
 * CORS for browser apps, off unless DETOUR_CONFIG has `cors` (README "CORS"). A preflight (`OPTIONS` with
 * `Origin` and `Access-Control-Request-Method`) is answered here, before authentication: browsers never send
 * credentials on a preflight. With CORS off, or from an unlisted origin, it is a 403 `cors_origin_not_allowed`
 * without CORS headers. Every other answer to an allowed origin — errors included — carries `Access-Control-Allow-Origin` and
 * exposes Detour's response headers, so a browser app can read `x-detour-mode` and show a degraded banner.
 *
 * Security note: a browser app ships its gateway key to every visitor. CORS only decides which pages may read
 * answers; it is not authentication. Give browser apps their own tenant key with tight limits.
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../api/errors";
import type { AppEnv } from "../app-types";
import type { CorsConfig } from "../config/schema";

/** Response headers a browser may read: Detour's labels, plus what clients use for retries and timing. */
export const EXPOSED_HEADERS = [
  "x-request-id",
  "x-detour-provider",
  "x-detour-model",
  "x-detour-upstream-model",
  "x-detour-attempts",
  "x-detour-mode",
  "x-detour-cache",
  "x-detour-degraded",
  "x-detour-hedged",
  "x-detour-cost-usd",
  "x-detour-chaos",
  "server-timing",
  "retry-after",
  "retry-after-ms",
];

const METHODS = "GET, POST, OPTIONS";

export function originAllowed(cors: CorsConfig, origin: string): boolean {
  return cors.origins.includes("*") || cors.origins.includes(origin);
}

export const cors = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const settings = c.get("loaded").config.cors;
    const origin = c.req.header("origin");
    if (!origin) return next();
    const preflight = c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined;
    if (!settings) {
      // CORS off: a browser's preflight gets the unlisted origin's refusal, saying why, and no CORS header (not a
      // 401: preflights never carry a key, and "missing key" sends the operator after the wrong problem).
      if (preflight) throw new ApiError(403, "invalid_request_error", "cors_origin_not_allowed", `CORS is off on this gateway (no 'cors' in DETOUR_CONFIG), so no browser page may call it; to allow ${origin}, list it in cors.origins.`);
      return next();
    }
    const allowed = originAllowed(settings, origin);
    // With "*" and no credentials the answer is the same for every origin; otherwise it varies by Origin.
    const allowOrigin = settings.origins.includes("*") && !settings.credentials ? "*" : origin;

    if (preflight) {
      if (!allowed) {
        throw new ApiError(403, "invalid_request_error", "cors_origin_not_allowed", `Origin ${origin} is not in this gateway's cors.origins.`);
      }
      const headers = new Headers({
        "access-control-allow-origin": allowOrigin,
        "access-control-allow-methods": METHODS,
        "access-control-max-age": String(settings.maxAgeSeconds),
        vary: "Origin, Access-Control-Request-Headers",
      });
      const requested = c.req.header("access-control-request-headers");
      const allowHeaders = settings.allowHeaders?.join(", ") ?? requested;
      if (allowHeaders) headers.set("access-control-allow-headers", allowHeaders);
      if (settings.credentials) headers.set("access-control-allow-credentials", "true");
      return new Response(null, { status: 204, headers });
    }

    await next();
    if (!allowed) return;
    // A copy, because a response passed through from elsewhere may have immutable headers.
    const res = new Response(c.res.body, c.res);
    res.headers.set("access-control-allow-origin", allowOrigin);
    res.headers.set("access-control-expose-headers", EXPOSED_HEADERS.join(", "));
    if (settings.credentials) res.headers.set("access-control-allow-credentials", "true");
    if (allowOrigin !== "*") res.headers.append("vary", "Origin");
    c.res = res;
  });
