/**
 * First middleware: request id, clock start, config. A bad DETOUR_CONFIG fails here, for every request, with the full
 * list of issues — loud, but never a stack trace.
 */
import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv } from "../app-types";
import { loadConfig } from "../config/load";

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const requestContext = (deps: AppDeps) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const id = incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", id);
    c.set("startedAt", deps.clock.now());
    c.set("deps", deps);
    c.header("x-request-id", id);
    c.set("loaded", loadConfig(c.env.DETOUR_CONFIG));
    await next();
  });
