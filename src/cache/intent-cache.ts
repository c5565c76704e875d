/**
 * The intent cache: KV (global, eventually consistent) with a per-colo Cache API copy in front. Keys are always
 * tenant-scoped (src/cache/keys.ts), so no answer ever crosses tenants. Lookup order: explicit intent, then the
 * canonical key (reported as `exact` when the raw request matches too), then near-duplicates: the one bucket of
 * questions with the same meaning head (actions · objects), each candidate judged by src/intent/match.ts.
 *
 * KV economy (issue 15): a stored answer costs two KV writes — the entry and its meaning bucket — and a per-tenant
 * budget (`cache.tenantWritesPerMinute`) bounds how many a caller can force.
 */
import type { CanonicalRequest, CanonicalResponse } from "../canonical";
import type { Target } from "../providers/types";
import { compareMeanings } from "../intent/match";
import { meaningHead, meaningOf, type Meaning } from "../intent/meaning";
import { Bucket, CacheEntry, type EntryMeta } from "./entry";
import { bucketKey, cacheKeys, comparedText, intentPrefix, nearScope, tenantHash as hashTenant } from "./keys";
import { lexiconFor, type CacheConfig } from "./policy";
import type { Clock } from "../engine/clock";
import { bounded, KvStore, type CallBound, type KeyValueStore } from "./store";
import { mayWrite, type WriteLeaser } from "./write-budget";

/** `registered`: the request matched an operator-registered intent (src/intent/registry.ts) without any header. */
export type MatchKind = "intent" | "registered" | "exact" | "canonical" | "near";

export interface CacheHit {
  entry: CacheEntry;
  key: string;
  match: MatchKind;
  similarity?: number;
  state: "fresh" | "stale";
  /** Seconds since the answer was stored. */
  ageSeconds: number;
}

/** Everything derived from one request, computed once and used for both lookup and store. */
export interface Prepared {
  tenantHash: string;
  route: string;
  primary: string;
  exact: string;
  intent?: string;
  /** The intent came from matching a registered intent, at this similarity. */
  registered?: { similarity: number };
  meaning?: Meaning;
  /** KV key of the meaning bucket (absent when the question has no material words). */
  bucket?: string;
}

export interface RequestScope {
  tenant: string;
  /** Route name (or concrete provider/model) the caller asked for: answers never cross routes. */
  route: string;
  intent?: string;
  /** Set when `intent` is a registered intent the question matched (not a header or route setting). */
  registeredSimilarity?: number;
}

/** Minimal slice of the Cache API this module uses (caches.default in the worker). */
export interface EdgeCache {
  match(request: Request): Promise<Response | undefined>;
  put(request: Request, response: Response): Promise<void>;
  delete(request: Request): Promise<boolean>;
}

/** The isolate's pieces an IntentCache needs (AppDeps satisfies this). */
export interface CacheDeps {
  clock: Pick<Clock, "now" | "sleep">;
  edgeCache: () => EdgeCache | undefined;
  cacheWrites: Map<string, number>;
}

/**
 * The intent cache over a KV binding, with the isolate's Cache API and write memo. Every KV and Cache API call is
 * bounded by `config.kvTimeoutMs` on the injected clock, so a store that never answers costs one bounded wait.
 */
export function openIntentCache(kv: KVNamespace, config: CacheConfig, deps: CacheDeps): IntentCache {
  const bound: CallBound = { timeoutMs: config.kvTimeoutMs, clock: deps.clock };
  const edge = deps.edgeCache();
  return new IntentCache(new KvStore(kv, bound), config, deps.clock.now, edge && boundedEdge(edge, bound), deps.cacheWrites);
}

/** The Cache API with every call bounded. */
function boundedEdge(edge: EdgeCache, bound: CallBound): EdgeCache {
  return {
    match: (r) => bounded(edge.match(r), bound),
    put: (r, res) => bounded(edge.put(r, res), bound),
    delete: (r) => bounded(edge.delete(r), bound),
  };
}

/** Candidates kept per meaning bucket, newest first: questions that share actions and objects but not qualifiers. */
const BUCKET_SIZE = 8;

export class IntentCache {
  /**
   * @param recentWrites last write time per key; pass one map per isolate (AppDeps.cacheWrites) so KV's one write
   * per second per key holds across requests, not only within one.
   */
  constructor(
    private readonly kv: KeyValueStore,
    private readonly config: CacheConfig,
    private readonly now: () => number,
    private readonly edge?: EdgeCache,
    private readonly recentWrites: Map<string, number> = new Map(),
  ) {}

  async prepare(req: CanonicalRequest, scope: RequestScope): Promise<Prepared> {
    const keys = await cacheKeys(req, { tenant: scope.tenant, route: scope.route, model: scope.route }, scope.intent);
    const tenantHash = await hashTenant(scope.tenant);
    const p: Prepared = { tenantHash, route: scope.route, primary: keys.intent ?? keys.canonical, exact: keys.exact };
    if (keys.intent) p.intent = scope.intent!;
    if (keys.intent && scope.registeredSimilarity !== undefined) p.registered = { similarity: scope.registeredSimilarity };
    // Intent entries get a bucket too: the ladder's Q&A retrieval may find an FAQ answer from a same-meaning question.
    if (this.config.near) {
      const meaning = meaningOf(comparedText(req), lexiconFor(this.config, scope.tenant));
      if (meaning.concepts.length > 0) {
        p.meaning = meaning;
        // The scope holds everything but the question's wording (route, parameters, other messages, the numbers and
        // names in the question), so near matches never cross routes or swap an order id.
        p.bucket = await bucketKey(tenantHash, await nearScope(req, { route: scope.route, model: scope.route }), meaningHead(meaning));
      }
    }
    return p;
  }

  /**
   * Find a fresh or stale answer. Expired-past-grace entries are misses. `minSimilarity` lowers the meaning bar for
   * the degradation ladder's Q&A retrieval, never for ordinary hits; a differing action, object or negation vetoes
   * whatever the bar.
   */
  async lookup(p: Prepared, minSimilarity?: number): Promise<CacheHit | undefined> {
    const direct = await this.#get(p.primary);
    if (direct) {
      if (p.registered) return this.#hit(direct, p.primary, "registered", p.registered.similarity);
      const match: MatchKind = p.intent ? "intent" : direct.exactHash === p.exact ? "exact" : "canonical";
      return this.#hit(direct, p.primary, match);
    }
    // An explicit intent is an exact contract: no near matches for it, except the ladder's closest-answer retrieval.
    if (!p.meaning || !p.bucket || (p.intent && minSimilarity === undefined)) return undefined;
    const bar = minSimilarity ?? this.config.nearThreshold;
    const bucket = Bucket.safeParse((await this.kv.get<unknown>(p.bucket))?.value);
    if (!bucket.success) return undefined;
    let best: { key: string; similarity: number } | undefined;
    for (const c of bucket.data.items) {
      if (!c.key.startsWith(`cache:${p.tenantHash}:`)) continue;
      const verdict = compareMeanings(p.meaning, { actions: c.a, objects: c.o, qualifiers: c.q, concepts: [...c.a, ...c.o, ...c.q].sort() }, bar);
      if (verdict.match && (!best || verdict.similarity > best.similarity)) best = { key: c.key, similarity: verdict.similarity };
    }
    if (!best) return undefined;
    const entry = await this.#get(best.key);
    // Belt and braces: the bucket is route-scoped already, but an entry from another route never answers.
    if (!entry || entry.route !== p.route) return undefined;
    return this.#hit(entry, best.key, "near", best.similarity);
  }

  /**
   * Store a final answer (call in waitUntil): two KV writes, the entry and its meaning bucket. Answers with tool
   * calls are never stored (acting again is not a replay), nor answers over the tenant's write budget.
   * @returns whether it was stored.
   */
  async store(p: Prepared, res: CanonicalResponse, target: Target, meta: { taskClass: string; route: string; ttlSeconds: number; lease?: WriteLeaser }): Promise<boolean> {
    if (res.toolCalls.length > 0 || res.finishReason !== "stop") return false;
    const now = this.now();
    // The tenant's budget across isolates (src/cache/write-budget.ts): leased from its TenantLimiter object.
    if (!(await mayWrite(this.recentWrites, p.tenantHash, now, this.config.tenantWritesPerMinute, meta.lease))) return false;
    const entry: CacheEntry = {
      v: 1,
      response: res,
      provider: target.provider.id,
      model: target.model.id,
      createdAt: now,
      freshUntil: now + meta.ttlSeconds * 1000,
      staleUntil: now + (meta.ttlSeconds + this.config.staleGraceSeconds) * 1000,
      taskClass: meta.taskClass,
      route: meta.route,
      exactHash: p.exact,
      ...(p.intent ? { intent: p.intent } : {}),
    };
    const ttl = meta.ttlSeconds + this.config.staleGraceSeconds;
    const metadata: EntryMeta = { freshUntil: entry.freshUntil, staleUntil: entry.staleUntil };
    await this.#write(p.primary, entry, ttl, metadata);
    if (p.bucket && p.meaning) {
      // Read-merge-write without compare-and-set: two isolates storing at once may drop one candidate (a later miss).
      const old = Bucket.safeParse((await this.kv.get<unknown>(p.bucket))?.value);
      const item = { key: p.primary, a: p.meaning.actions, o: p.meaning.objects, q: p.meaning.qualifiers, at: now };
      const items = [item, ...(old.success ? old.data.items.filter((c) => c.key !== p.primary) : [])].slice(0, BUCKET_SIZE);
      await this.#write(p.bucket, { v: 1, items }, ttl);
    }
    return true;
  }

  /**
   * Delete a tenant's answers in one go: one intent (on every route and shape), or all of them. Returns how many KV
   * keys were removed. For a store of any size use the purge job (src/cache/purge.ts), which pages across invocations.
   */
  async purge(tenant: string, intent?: string): Promise<number> {
    const keys: string[] = [];
    for (const prefix of await purgePrefixes(tenant, intent)) keys.push(...(await this.kv.list(prefix)));
    await Promise.all(keys.map((k) => this.kv.delete(k)));
    // Only this colo's Cache API copy can be removed; others expire within edgeTtlSeconds.
    if (this.edge) await Promise.all(keys.map((k) => this.edge!.delete(edgeRequest(k)).catch(() => false)));
    return keys.length;
  }

  #hit(entry: CacheEntry, key: string, match: MatchKind, similarity?: number): CacheHit | undefined {
    const now = this.now();
    if (now >= entry.staleUntil) return undefined;
    return {
      entry,
      key,
      match,
      ...(similarity !== undefined ? { similarity } : {}),
      state: now < entry.freshUntil ? "fresh" : "stale",
      ageSeconds: Math.max(0, Math.round((now - entry.createdAt) / 1000)),
    };
  }

  async #get(key: string): Promise<CacheEntry | undefined> {
    if (this.edge && this.config.edgeTtlSeconds > 0) {
      const cached = await this.edge.match(edgeRequest(key)).catch(() => undefined);
      if (cached) {
        const parsed = CacheEntry.safeParse(await cached.json().catch(() => null));
        if (parsed.success) return parsed.data;
      }
    }
    const stored = await this.kv.get<unknown>(key);
    if (!stored) return undefined;
    const parsed = CacheEntry.safeParse(stored.value);
    if (!parsed.success) return undefined;
    const entry = parsed.data;
    const freshLeft = Math.floor((entry.freshUntil - this.now()) / 1000);
    if (this.edge && this.config.edgeTtlSeconds > 0 && freshLeft > 0) {
      const maxAge = Math.min(this.config.edgeTtlSeconds, freshLeft);
      await this.edge
        .put(edgeRequest(key), new Response(JSON.stringify(entry), { headers: { "content-type": "application/json", "cache-control": `max-age=${maxAge}` } }))
        .catch(() => {});
    }
    return entry;
  }

  async #write(key: string, value: unknown, ttlSeconds: number, metadata?: EntryMeta): Promise<void> {
    const now = this.now();
    const last = this.recentWrites.get(key);
    if (last !== undefined && now - last < 1000) return;
    if (this.recentWrites.size > 10_000) this.recentWrites.clear();
    this.recentWrites.set(key, now);
    await this.kv.put(key, value, { ttlSeconds, ...(metadata ? { metadata } : {}) });
  }
}

/** KV prefixes a purge removes: one intent's answers on every route and shape, or everything of the tenant. */
export async function purgePrefixes(tenant: string, intent?: string): Promise<string[]> {
  if (intent) return [await intentPrefix(tenant, intent)];
  const tenantHash = await hashTenant(tenant);
  return [`cache:${tenantHash}:`, `nd:${tenantHash}:`];
}

/** The Cache API is keyed by URL; this host never resolves, it only names entries. */
export function edgeRequest(key: string): Request {
  return new Request(`https://detour-cache.invalid/${encodeURIComponent(key)}`);
}
