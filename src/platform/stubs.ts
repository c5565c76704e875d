/**
 * Durable Object stubs, from one place: which object a caller talks to (the naming scheme) and the RPC surface it
 * sees. Callers get the structural interfaces their modules declare (HealthStub, LimiterStub, ChaosStub), so tests can
 * pass a broken or tracked one, and the typed namespace checks here that the real classes satisfy them.
 */
import { ApiError } from "../api/errors";
import type { HealthStub } from "../breakers/view";
import type { ChaosStub } from "../chaos/view";
import type { HistoryStub } from "../dashboard/route-feed";
import type { ReadinessStub } from "../readiness/types";
import type { LimiterStub } from "../routing/route-request";
import type { PurgeJobStub } from "../cache/purge";
import type { WriteBudgetStub } from "../cache/write-budget";

/** The ProviderHealth object for one breaker key (a provider, or provider@region); a 503 when breakers are unbound. */
export function healthStub(env: Partial<Pick<Env, "PROVIDER_HEALTH">>, key: string): HealthStub {
  const ns = env.PROVIDER_HEALTH;
  if (!ns) throw new ApiError(503, "api_error", "breakers_off", "No PROVIDER_HEALTH Durable Object binding: breakers are off.");
  return ns.get(ns.idFromName(key));
}

/** The tenant's TenantLimiter object (one per tenant, so its counters have one writer), or undefined when unbound. */
export function limiterStub(env: Partial<Pick<Env, "TENANT_LIMITER">>, tenant: string): LimiterStub | undefined {
  const ns = env.TENANT_LIMITER;
  return ns ? ns.get(ns.idFromName(tenant)) : undefined;
}

/** The tenant's TenantLimiter object as the cache's write budget sees it (src/cache/write-budget.ts), or undefined. */
export function writeBudgetStub(env: Partial<Pick<Env, "TENANT_LIMITER">>, tenant: string): WriteBudgetStub | undefined {
  const ns = env.TENANT_LIMITER;
  return ns ? ns.get(ns.idFromName(tenant)) : undefined;
}

/** The one ChaosControl object ("global"), which every isolate reads; a 503 when chaos drills are unbound. */
export function chaosStub(env: Partial<Pick<Env, "CHAOS">>): ChaosStub {
  const ns = env.CHAOS;
  if (!ns) throw new ApiError(503, "api_error", "chaos_unbound", "No CHAOS Durable Object binding: chaos drills are off.");
  return ns.get(ns.idFromName("global"));
}

/** The CachePurge object of one purge job (durable-objects/cache-purge.ts), or undefined when unbound. */
export function purgeStub(env: Partial<Pick<Env, "CACHE_PURGE">>, id: string): PurgeJobStub | undefined {
  const ns = env.CACHE_PURGE;
  return ns ? ns.get(ns.idFromName(id)) : undefined;
}

/** A ProviderHealth object by name (a breaker key, or `route:<name>`) as the dashboard's history sees it. */
export function historyStub(env: Partial<Pick<Env, "PROVIDER_HEALTH">>, name: string): HistoryStub {
  const ns = env.PROVIDER_HEALTH;
  if (!ns) throw new ApiError(503, "api_error", "breakers_off", "No PROVIDER_HEALTH Durable Object binding: breakers are off.");
  return ns.get(ns.idFromName(name));
}

/** The ProviderHealth object that keeps a shadow target's readiness (key from src/readiness/store.ts `readinessKey`). */
export function readinessStub(env: Partial<Pick<Env, "PROVIDER_HEALTH">>, key: string): ReadinessStub | undefined {
  const ns = env.PROVIDER_HEALTH;
  return ns ? ns.get(ns.idFromName(key)) : undefined;
}
