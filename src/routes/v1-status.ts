/**
 * GET /v1/status: the status feed an app can show its users, behind the caller's gateway key. Per route: `mode`
 * (normal | degraded | down), the banner Detour puts on degraded answers, which task classes still work, and when
 * the breakers will next try the sick provider (src/dashboard/route-status.ts). Tenant-safe by construction: it
 * names routes and plain words only — no provider ids, keys, counts or anything another tenant's traffic produced
 * beyond the shared breaker states every caller of a route already meets.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-types";
import { localityOf, providerSnapshots } from "../dashboard/snapshots";
import { routeStatus } from "../dashboard/route-status";

export async function v1Status(c: Context<AppEnv>): Promise<Response> {
  const { config } = c.get("loaded");
  const now = c.get("deps").clock.now();
  const routes = Object.entries(config.routes);
  const ids = [...new Set(routes.flatMap(([, r]) => r.targets.map((t) => t.split("/")[0]!)))];
  const snaps = await providerSnapshots(c, ids, localityOf(c));
  const statuses = routes.map(([name, r]) => routeStatus(config, name, r, (id) => snaps.get(id), now));
  const worst = statuses.some((s) => s.mode === "down") ? "down" : statuses.some((s) => s.mode === "degraded") ? "degraded" : "normal";
  return c.json({ object: "detour.status", generated_at: new Date(now).toISOString(), mode: worst, routes: statuses }, 200, { "cache-control": "no-store" });
}
