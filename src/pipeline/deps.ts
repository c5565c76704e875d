/**
 * The pipeline's platform edge: everything a stage needs from Hono, the bindings and the execution context, built
 * once per request. Stages never touch `c`, `env` or `executionCtx` themselves.
 */
import type { Context } from "hono";
import type { AppDeps, AppEnv } from "../app-types";
import type { Locality } from "../breakers/request";
import type { ChaosStub } from "../chaos/view";
import type { Bindings } from "../env";
import { secretIn } from "../platform/secrets";
import { isAdminToken } from "../platform/tokens";
import { chaosStub, limiterStub, readinessStub } from "../platform/stubs";
import type { ReadinessStub } from "../readiness/types";
import type { LimiterStub } from "../routing/route-request";

/** Per-request platform calls, so each has one implementation (and one line to change when it moves). */
export interface Platform {
  env: Bindings;
  /** Run work after the response (ctx.waitUntil), or unawaited where there is no execution context. */
  later(p: Promise<unknown>): void;
  /** A JSON response with exactly `headers` (the served headers, which carry x-request-id) and a JSON content type. */
  json(body: unknown, status: number, headers: Record<string, string>): Response;
  /** Is `presented` the admin token? */
  isAdmin(presented: string | undefined): Promise<boolean>;
  chaos(): ChaosStub;
  /** The tenant's limiter object (undefined without a TENANT_LIMITER binding). */
  limiter(tenant: string): LimiterStub | undefined;
  /** The object keeping a shadow target's readiness (undefined without a PROVIDER_HEALTH binding). */
  readiness(key: string): ReadinessStub | undefined;
  /** A configured secret's value, or undefined when it is unset or empty. */
  secret(name: string): string | undefined;
  /** Where the caller is (request.cf), for regional breakers. */
  where: Locality;
}

/** Everything a stage may use: the app's injected deps and the request's platform. */
export interface PipelineDeps {
  app: AppDeps;
  platform: Platform;
}

export function pipelineDeps(c: Context<AppEnv>): PipelineDeps {
  const env = c.env;
  const cf = (c.req.raw as { cf?: { continent?: string; colo?: string } }).cf;
  const platform: Platform = {
    env,
    later: (p) => background(c, p),
    // One Response with every header in one literal. Hono's `c.json` would copy the headers the middleware prepared
    // and set each served header one call at a time (~6 µs more in workerd); the only prepared header, x-request-id,
    // is already among the served headers every caller passes.
    json: (body, status, headers) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } }),
    isAdmin: (presented) => isAdminToken(presented, env.DETOUR_ADMIN_TOKEN),
    chaos: () => chaosStub(env),
    limiter: (tenant) => limiterStub(env, tenant),
    readiness: (key) => readinessStub(env, key),
    secret: (name) => secretIn(env, name),
    where: { ...(cf?.continent ? { continent: cf.continent } : {}), ...(cf?.colo ? { colo: cf.colo } : {}) },
  };
  return { app: c.get("deps"), platform };
}

function background(c: Context<AppEnv>, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    // No execution context (app.request in a unit test): let it run unawaited.
    p.catch(() => {});
  }
}
