/**
 * The operator dashboard's data: GET /dashboard/history (operator auth, like /status): each breaker key's and each
 * route's per-minute points, the routes' current status, and the merged incident timeline, from the ProviderHealth
 * objects (src/dashboard/history.ts). The page itself (GET /dashboard, its script and style: no data, no auth) is
 * Workers static assets in public/, served by src/routes/dashboard-page.ts (docs/dashboard.md); it reads /status for
 * the live table and posts operator actions to /admin/breakers/:provider.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-types";
import { breakerKey } from "../breakers/request";
import type { TimelineEvent } from "../dashboard/history";
import type { HistoryView } from "../dashboard/history-store";
import { routeObjectName } from "../dashboard/route-feed";
import { routeStatus } from "../dashboard/route-status";
import { providerSnapshots } from "../dashboard/snapshots";
import { withTimeout } from "../engine/clock";
import { historyStub } from "../platform/stubs";
import { badRequest } from "../api/errors";

/** `?minutes=`: a whole number of minutes from 1 to a day (1440); absent, the page's 15. Anything else is a 400. */
function minutesOf(raw: string | undefined): number {
  if (raw === undefined) return 15;
  const n = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 1440)) throw badRequest(`minutes must be a whole number from 1 to 1440 (got '${raw.slice(0, 20)}').`, "minutes");
  return n;
}

export async function dashboardHistory(c: Context<AppEnv>): Promise<Response> {
  const { config } = c.get("loaded");
  const deps = c.get("deps");
  const now = deps.clock.now();
  const minutes = minutesOf(c.req.query("minutes"));
  const keys = new Set(config.providers.map((p) => breakerKey(config, p.id, {})));
  for (const k of deps.breakerView.keys()) if (config.providers.some((p) => k.startsWith(`${p.id}@`))) keys.add(k);
  const read = async (name: string): Promise<HistoryView> => {
    if (!c.env.PROVIDER_HEALTH) return { key: name, points: [], events: [] };
    try {
      return await withTimeout(historyStub(c.env, name).history(name, now, minutes), config.resilience.doTimeoutMs, deps.clock);
    } catch {
      return { key: name, points: [], events: [] };
    }
  };
  const routes = Object.entries(config.routes);
  const [providerViews, routeViews, snaps] = await Promise.all([
    Promise.all([...keys].map(read)),
    Promise.all(routes.map(([name]) => read(routeObjectName(name)))),
    providerSnapshots(c, config.providers.map((p) => p.id)),
  ]);
  const events: TimelineEvent[] = [...providerViews, ...routeViews].flatMap((v) => v.events).sort((a, b) => b.at - a.at).slice(0, 200);
  return c.json(
    {
      generated_at: new Date(now).toISOString(),
      minutes,
      providers: providerViews.map((v) => ({ key: v.key, points: v.points })),
      routes: routes.map(([name, r], i) => ({ ...routeStatus(config, name, r, (id) => snaps.get(id), now), targets: r.targets, points: routeViews[i]!.points })),
      events,
    },
    200,
    { "cache-control": "no-store" },
  );
}
