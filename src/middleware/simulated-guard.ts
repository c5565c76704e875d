/**
 * Simulated providers answer only local callers unless the config opts in with `"allowSimulated": true`.
 *
 * An empty DETOUR_CONFIG means the built-in simulated default, which is right for `npm start` and wrong for a worker
 * on the internet: its answers are made up. So a request whose URL is not local — loopback, `localhost`, or the
 * reserved `.test` / `.localhost` names (RFC 6761) that tests and drills use — gets a 500 saying what to set, whenever
 * the config has a simulated provider. On Cloudflare the request URL's host is the hostname the request was routed
 * by (a zone or workers.dev name), so a caller on the internet cannot present a local one.
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../api/errors";
import type { AppEnv } from "../app-types";
import type { DetourConfig } from "../config/schema";

/** True for hosts that only this machine (or a test harness) can use. */
export function isLocalHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || h === "0.0.0.0") return true;
  return h.endsWith(".localhost") || h === "test" || h.endsWith(".test");
}

/** The config's simulated providers, listed once per config (configs are memoised per DETOUR_CONFIG value). */
const simulatedOf = new WeakMap<DetourConfig, string[]>();
function simulatedIds(config: DetourConfig): string[] {
  let ids = simulatedOf.get(config);
  if (!ids) simulatedOf.set(config, (ids = config.providers.filter((p) => p.kind === "simulated").map((p) => p.id)));
  return ids;
}

export const simulatedGuard = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const { config, isDefault } = c.get("loaded");
    if (config.allowSimulated) return next();
    const simulated = simulatedIds(config);
    if (simulated.length === 0 || isLocalHost(new URL(c.req.url).hostname)) return next();
    const why = isDefault
      ? "DETOUR_CONFIG is empty, so this worker runs the built-in simulated default"
      : `DETOUR_CONFIG has simulated providers (${simulated.join(", ")})`;
    throw new ApiError(
      500,
      "configuration_error",
      "simulated_not_allowed",
      `Detour is misconfigured: ${why}, whose answers are made up, and this request did not come from local dev. ` +
        'Set DETOUR_CONFIG to your real providers (README "Deploy"), or add "allowSimulated": true to serve simulated answers on purpose (a public demo).',
    );
  });
