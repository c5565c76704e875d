/**
 * Breaker snapshots for the status views (`/v1/status`, the dashboard): each key's object read once, bounded by
 * `resilience.doTimeoutMs`, falling back to this isolate's last snapshot when the object does not answer (the status
 * feed must not become the outage either).
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-types";
import { breakerKey, settingsFor, type Locality } from "../breakers/request";
import type { ProviderSnapshot } from "../breakers/types";
import { withTimeout } from "../engine/clock";
import { healthStub } from "../platform/stubs";

/** Provider id → its snapshot at the caller's locality (undefined: unknown). */
export async function providerSnapshots(c: Context<AppEnv>, providerIds: string[], where: Locality = {}): Promise<Map<string, ProviderSnapshot | undefined>> {
  const { config } = c.get("loaded");
  const deps = c.get("deps");
  const now = deps.clock.now();
  const out = new Map<string, ProviderSnapshot | undefined>();
  await Promise.all(
    providerIds.map(async (id) => {
      const provider = config.providers.find((p) => p.id === id);
      if (!provider) return;
      const key = breakerKey(config, id, where);
      let snap = deps.breakerView.get(key);
      if (c.env.PROVIDER_HEALTH) {
        try {
          snap = await withTimeout(healthStub(c.env, key).snapshot(key, settingsFor(config, { provider, model: provider.models[0]! }), now), config.resilience.doTimeoutMs, deps.clock);
          deps.breakerView.put(snap, deps.clock.now());
        } catch {
          // Keep the isolate's last view.
        }
      }
      out.set(id, snap);
    }),
  );
  return out;
}

/** The caller's locality from request.cf, for regional breakers. */
export function localityOf(c: Context<AppEnv>): Locality {
  const cf = (c.req.raw as { cf?: { continent?: string; colo?: string } }).cf;
  return { ...(cf?.continent ? { continent: cf.continent } : {}), ...(cf?.colo ? { colo: cf.colo } : {}) };
}
