/**
 * A request as the platform routes it: Workers static assets first (wrangler.toml `[assets]`, the files in public/
 * with public/_headers), then, for a path with no file, the worker's default export with the pool's bindings.
 *
 * `exports.default.fetch` (and the deprecated `SELF`) reach the worker only and skip the assets. The pool gives its
 * runner one service binding to the current worker, and Miniflare points that binding at its asset router when the
 * project has assets (miniflare's `hasAssetsAndIsVitest`), so this goes through it. Its name is the pool's internal
 * one; if a pool upgrade drops it, this fails loudly rather than testing the worker alone.
 */
import { env } from "cloudflare:workers";

const POOL_SELF_BINDING = "__VITEST_POOL_WORKERS_SELF_SERVICE";

export function edgeFetch(path: string, init?: RequestInit): Promise<Response> {
  const self = (env as unknown as Record<string, Fetcher | undefined>)[POOL_SELF_BINDING];
  if (!self) throw new Error(`the workers pool no longer provides ${POOL_SELF_BINDING}: find how it now routes a request through static assets`);
  return self.fetch(`https://detour.test${path}`, { redirect: "manual", ...init });
}
