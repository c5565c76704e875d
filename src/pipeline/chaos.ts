// Chaos: which drill faults are active, and may this caller inject a one-request fault (admins only)?
import { ApiError, badRequest } from "../api/errors";
import { KvStore } from "../cache/store";
import { faultFor, parseChaosHeader, type Fault } from "../chaos/faults";
import { CHAOS_FLAG_KEY, DEFAULT_FLAG_TTL_MS, parseFlag, type ChaosFlag, type FaultSources } from "../chaos/view";
import type { Target } from "../providers/types";
import type { PipelineDeps } from "./deps";
import type { Chaotic, Classified } from "./state";

/**
 * The isolate's copy of the active faults (no object call unless the KV flag says a drill is active and changed), and
 * the `x-detour-chaos` fault when an admin sent one.
 */
export async function chaos(state: Classified, deps: PipelineDeps): Promise<Chaotic> {
  const { app, platform } = deps;
  const { config } = state;
  const faults = platform.env.CHAOS
    ? await app.faultView.current(faultSources(deps, config.cache.kvTimeoutMs), { clock: app.clock, background: platform.later, timeoutMs: config.resilience.doTimeoutMs }, state.notes)
    : [];
  const header = state.http.headers.get("x-detour-chaos");
  const presented = state.http.headers.get("x-detour-admin-token") ?? undefined;
  const admin = presented !== undefined && (await adminChecked(state, deps, presented));
  if (header === null) return { ...state, faults, ...(admin ? { admin } : {}) };
  if (!admin) {
    throw new ApiError(403, "authentication_error", "chaos_forbidden", "x-detour-chaos needs 'x-detour-admin-token: <DETOUR_ADMIN_TOKEN>': callers cannot inject faults.", "x-detour-chaos");
  }
  let requestFault: Fault;
  try {
    requestFault = parseChaosHeader(header, app.clock.now());
  } catch (err) {
    throw badRequest((err as Error).message, "x-detour-chaos");
  }
  // A misspelt provider would match no call: the admin would see a normal answer and think the failover worked.
  if (requestFault.provider !== "*" && !config.providers.some((p) => p.id === requestFault.provider)) {
    throw badRequest(`x-detour-chaos: no provider '${requestFault.provider}' in DETOUR_CONFIG (name a provider id or "*").`, "x-detour-chaos");
  }
  return { ...state, faults, requestFault, admin };
}

/**
 * The admin token a chat request presents (for x-detour-chaos or an admin's trace), throttled per client like the
 * admin routes (src/resilience/admin-throttle.ts): a wrong one counts as a failure, a throttled client gets 429.
 */
async function adminChecked(state: Classified, deps: PipelineDeps, presented: string): Promise<boolean> {
  const { adminThrottle, clock } = deps.app;
  const client = state.http.headers.get("cf-connecting-ip") ?? "unknown";
  const wait = adminThrottle.retryAfterSeconds(client, clock.now());
  if (wait > 0) {
    throw new ApiError(429, "rate_limit_error", "admin_throttled", `Too many wrong admin tokens from this client; try again in ${wait} s.`, "x-detour-admin-token", { "retry-after": String(wait) });
  }
  const ok = await deps.platform.isAdmin(presented);
  if (!ok) adminThrottle.failed(client, clock.now());
  return ok;
}

/** The fault to inject on one call to `target`, if any (one draw of `random` per call). */
export function faultOn(state: Chaotic, target: Target, now: number, draw: number): Fault | undefined {
  const f = state.requestFault;
  if (f) return (f.provider === "*" || f.provider === target.provider.id) && draw < f.rate ? f : undefined;
  return state.faults.length ? faultFor(state.faults, target.provider.id, state.plan.route, now, draw) : undefined;
}

/**
 * The flag comes from KV, bounded by `kvTimeoutMs`. Without a KV binding there is no flag to read: the object is then
 * read once per flag period, as if every period were a new version (the cost of chaos without KV).
 */
function faultSources(deps: PipelineDeps, kvTimeoutMs: number): FaultSources {
  const { app, platform } = deps;
  const kv = platform.env.DETOUR_KV;
  const flag = kv
    ? async (): Promise<ChaosFlag | null> => parseFlag((await new KvStore(kv, { timeoutMs: kvTimeoutMs, clock: app.clock }).get<unknown>(CHAOS_FLAG_KEY))?.value ?? null)
    : async (): Promise<ChaosFlag> => ({ version: `poll-${Math.floor(app.clock.now() / DEFAULT_FLAG_TTL_MS)}`, activeUntil: Number.MAX_SAFE_INTEGER });
  return { flag, stub: () => platform.chaos() };
}
