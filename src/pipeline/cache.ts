// Cache (lookup): may this request read or write the cache, and does a fresh cached answer settle it right away?
import { openIntentCache } from "../cache/intent-cache";
import { comparedText } from "../cache/keys";
import { cacheDecision, lexiconFor, parseCacheControl } from "../cache/policy";
import { bounded, KvStore } from "../cache/store";
import { matchRegistered, mayMatchRegistered, type RegisteredMatch } from "../intent/registry";
import { routeIntents } from "../intent/store";
import { writeBudgetStub } from "../platform/stubs";
import type { CanonicalResponse } from "../canonical";
import type { Target } from "../providers/types";
import type { PipelineDeps } from "./deps";
import { answer } from "./respond";
import type { CacheState, Chaotic, Looked } from "./state";

/** Read before going live: a fresh hit answers (and is recorded); a stale one is kept for the degradation ladder. */
export async function cacheLookup(state: Chaotic, deps: PipelineDeps): Promise<Looked | Response> {
  const cache = await lookup(state, deps);
  const { recorder } = state;
  recorder.upstreamStarts();
  const looked: Looked = { ...state, cache };
  const hit = cache.hit;
  if (hit?.state !== "fresh") return looked;
  recorder.cacheLabel = `hit; match=${hit.match}${hit.similarity !== undefined ? `; similarity=${hit.similarity.toFixed(2)}` : ""}`;
  const who = { provider: { id: hit.entry.provider }, model: { id: hit.entry.model } };
  const s = recorder.served(who, "cache", []);
  recorder.log(s, { status: 200 });
  const detourExtra = { cache: { match: hit.match, age_seconds: hit.ageSeconds, ...(hit.similarity !== undefined ? { similarity: hit.similarity } : {}) } };
  return answer(looked, deps, hit.entry.response, who, s, detourExtra);
}

/**
 * The registered intent this question asks (src/intent/registry.ts), when the caller named none: only for plain-text
 * questions on a route whose cache is on, never for `no-store` or time-sensitive classes. KV trouble means no match.
 */
async function registeredIntent(state: Chaotic, deps: PipelineDeps): Promise<RegisteredMatch | undefined> {
  const { request, config, plan, tenant, notes } = state;
  const kv = deps.platform.env.DETOUR_KV;
  if (!kv || state.intent || !config.cache.enabled || state.route?.cache?.enabled === false || !mayMatchRegistered(request)) return undefined;
  if (config.cache.timeSensitiveClasses.includes(state.classification.taskClass)) return undefined;
  if (parseCacheControl(state.http.headers.get("cache-control") ?? undefined).noStore) return undefined;
  try {
    const store = new KvStore(kv, { timeoutMs: config.cache.kvTimeoutMs, clock: deps.app.clock });
    const doc = await routeIntents(kv, store, plan.route, deps.app.clock.now());
    return doc && matchRegistered(comparedText(request), doc, lexiconFor(config.cache, tenant), config.cache.nearThreshold);
  } catch (err) {
    notes.push(`registered intents unavailable (${err instanceof Error ? err.message : String(err)})`);
    return undefined;
  }
}

async function lookup(state: Chaotic, deps: PipelineDeps): Promise<CacheState> {
  const { request, config, plan, recorder, notes, tenant } = state;
  const registered = await registeredIntent(state, deps);
  if (registered) notes.push(`registered intent "${registered.name}" (similarity ${registered.similarity.toFixed(2)})`);
  const intent = state.intent ?? registered?.name;
  const decision = cacheDecision({
    req: request,
    taskClass: state.classification.taskClass,
    intent,
    config: config.cache,
    route: state.route?.cache,
    cacheControl: parseCacheControl(state.http.headers.get("cache-control") ?? undefined),
  });
  const kv = deps.platform.env.DETOUR_KV;
  const cache = kv && (decision.read || decision.write) ? openIntentCache(kv, config.cache, deps.app) : undefined;
  recorder.cacheLabel = cache ? (decision.read ? "miss" : "revalidate") : "bypass";
  if (!cache && decision.reason !== "cacheable") notes.push(`cache bypass: ${decision.reason}`);
  const found = registered ? { registered } : {};
  if (!cache) return { decision, ...found };
  try {
    const scope = { tenant, route: plan.route, ...(intent ? { intent } : {}), ...(registered ? { registeredSimilarity: registered.similarity } : {}) };
    const prepared = await cache.prepare(request, scope);
    const hit = decision.read ? await cache.lookup(prepared) : undefined;
    if (decision.write) {
      // The tenant's write budget is leased from its TenantLimiter object, across isolates (src/cache/write-budget.ts).
      const stub = writeBudgetStub(deps.platform.env, tenant);
      const bound = { timeoutMs: config.cache.kvTimeoutMs, clock: deps.app.clock };
      const lease = stub && ((now: number, budget: number, want: number) => bounded(stub.leaseCacheWrites(now, budget, want), bound));
      const meta = { taskClass: state.classification.taskClass, route: plan.route, ttlSeconds: decision.ttlSeconds, ...(lease ? { lease } : {}) };
      recorder.writesCache((res: CanonicalResponse, target: Target) => cache.store(prepared, res, target, meta));
    }
    return { decision, cache, prepared, ...(hit ? { hit } : {}), ...found };
  } catch (err) {
    // KV trouble never fails a request: go live without the cache, and say so.
    notes.push(`cache unavailable (${err instanceof Error ? err.message : String(err)}); bypassing it`);
    recorder.cacheLabel = "bypass";
    return { decision, cache, ...found };
  }
}
