/**
 * Caller authentication. Gateway keys come from the DETOUR_API_KEYS secret; callers send `Authorization: Bearer <key>`
 * or `x-api-key: <key>` (Anthropic clients). The presented key is found by its SHA-256 digest in an index built once
 * per DETOUR_API_KEYS value and compared in constant time (src/platform/key-index.ts), so neither timing nor the
 * number of configured tenants changes what a request costs or tells an attacker how close a guess was.
 *
 * With no keys configured, Detour serves anonymously only when that cannot spend anyone's money: the config is all
 * simulated providers, or it says `allowAnonymous: true`.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../api/errors";
import type { AppEnv } from "../app-types";
import { ConfigError, loadCallerKeys } from "../config/load";
import { logRequest } from "../observability/log";
import { keyIndexFor } from "../platform/key-index";
import { isAdminToken, MIN_ADMIN_TOKEN } from "../platform/tokens";

export const auth = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const keys = loadCallerKeys(c.env.DETOUR_API_KEYS);
    const index = await keyIndexFor(c.env.DETOUR_API_KEYS ?? "", () => Object.entries(keys));
    if (index.size === 0) {
      requireKeysForRealProviders(c);
      c.set("caller", { tenant: "anonymous", tier: "standard", anonymous: true });
      return next();
    }
    const presented = bearer(c.req.header("authorization")) ?? c.req.header("x-api-key")?.trim();
    if (!presented) {
      throw new ApiError(401, "authentication_error", "missing_api_key", "Send your Detour key as 'Authorization: Bearer <key>' (or 'x-api-key').");
    }
    const match = await index.find(presented);
    if (!match) {
      throw new ApiError(401, "authentication_error", "invalid_api_key", "Incorrect API key provided for this Detour gateway.");
    }
    c.set("caller", { tenant: match.tenant, tier: match.tier, anonymous: false, ...(match.shadow === false ? { shadow: false as const } : {}) });
    return next();
  });

/** With no gateway keys, only an all-simulated config (or `allowAnonymous`) may serve: else a ConfigError. */
function requireKeysForRealProviders(c: Context<AppEnv>): void {
  const { config } = c.get("loaded");
  const allSimulated = config.providers.every((p) => p.kind === "simulated");
  if (!allSimulated && !config.allowAnonymous) {
    throw new ConfigError("DETOUR_API_KEYS", [
      "(root): not set, and DETOUR_CONFIG has real providers; set gateway keys (wrangler secret put DETOUR_API_KEYS) or set \"allowAnonymous\": true",
    ]);
  }
}

/**
 * GET /healthz: `{"ok":true}` only when Detour can serve — DETOUR_CONFIG (checked by requestContext), DETOUR_API_KEYS
 * and DETOUR_ADMIN_TOKEN all valid, and keys set when real providers need them. Otherwise the same ConfigError every
 * other route answers, so a deploy check or an uptime monitor sees it.
 */
export function healthz(c: Context<AppEnv>): Response {
  if (Object.keys(loadCallerKeys(c.env.DETOUR_API_KEYS)).length === 0) requireKeysForRealProviders(c);
  adminTokenOf(c.env.DETOUR_ADMIN_TOKEN);
  return c.json({ ok: true });
}

function bearer(h: string | undefined): string | undefined {
  const m = h?.match(/^Bearer\s+(.+)$/i);
  return m?.[1]?.trim();
}

/**
 * The admin token from its secret: undefined when unset (admin is off), a `ConfigError` when shorter than
 * `MIN_ADMIN_TOKEN` characters — a short token would be guessable, so it is refused rather than half-trusted.
 */
export function adminTokenOf(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (raw.length < MIN_ADMIN_TOKEN) {
    throw new ConfigError("DETOUR_ADMIN_TOKEN", [
      `(root): must be at least ${MIN_ADMIN_TOKEN} characters (it is ${raw.length}); generate one with 'openssl rand -hex 32'`,
    ]);
  }
  return raw;
}

/**
 * Check the presented admin token, throttling failures per client (src/resilience/admin-throttle.ts): a client over
 * its failures gets a 429 with Retry-After whatever it presents, so a token cannot be guessed at line rate.
 */
async function requireAdmin(c: Context<AppEnv>, token: string, message: string): Promise<void> {
  const { adminThrottle, clock } = c.get("deps");
  const client = c.req.header("cf-connecting-ip") ?? "unknown";
  const wait = adminThrottle.retryAfterSeconds(client, clock.now());
  if (wait > 0) {
    throw new ApiError(429, "rate_limit_error", "admin_throttled", `Too many wrong admin tokens from this client; try again in ${wait} s.`, null, { "retry-after": String(wait) });
  }
  if (!(await isAdminToken(bearer(c.req.header("authorization")), token))) {
    adminThrottle.failed(client, clock.now());
    throw new ApiError(401, "authentication_error", "invalid_admin_token", message);
  }
}

/** Admin routes: `Authorization: Bearer <DETOUR_ADMIN_TOKEN>`. Without a token configured, admin is off. */
export const adminAuth = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = adminTokenOf(c.env.DETOUR_ADMIN_TOKEN);
    if (!token) throw new ApiError(403, "authentication_error", "admin_disabled", "Admin routes are off: set the DETOUR_ADMIN_TOKEN secret.");
    await requireAdmin(c, token, "Admin routes need 'Authorization: Bearer <DETOUR_ADMIN_TOKEN>'.");
    await next();
    // The audit trail: one request line per admin action that succeeded (a refused one was logged by onError).
    if (!c.error) {
      const deps = c.get("deps");
      logRequest(deps.log, { request_id: c.get("requestId"), method: c.req.method, path: c.req.path, status: c.res.status, ms: deps.clock.now() - c.get("startedAt") });
    }
  });

/**
 * Operator read-only routes (/status, /metrics): the admin token when one is set. With neither admin token nor
 * gateway keys (the local simulated default), they are open, so `curl /status` works on a fresh machine.
 */
export const operatorAuth = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = adminTokenOf(c.env.DETOUR_ADMIN_TOKEN);
    if (!token) {
      if (Object.keys(loadCallerKeys(c.env.DETOUR_API_KEYS)).length > 0) {
        throw new ApiError(403, "authentication_error", "admin_disabled", "Set the DETOUR_ADMIN_TOKEN secret to read /status and /metrics on a gateway with keys.");
      }
      return next();
    }
    await requireAdmin(c, token, "Send 'Authorization: Bearer <DETOUR_ADMIN_TOKEN>'.");
    return next();
  });
