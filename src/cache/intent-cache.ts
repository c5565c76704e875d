/**
 * The intent cache: KV (global, eventually consistent) with a per-colo Cache API copy in front. Keys are always
 * tenant-scoped (src/cache/keys.ts), so no answer ever crosses tenants. Lookup order: explicit intent, then the
 * canonical key (reported as `exact` when the raw request matches too), then near-duplicates by MinHash bands,
 * verified against the stored signature before they count.
 */
import type { CanonicalRequest, CanonicalResponse } from "../canonical";
import type { Target } from "../providers/types";
import { CacheEntry, type EntryMeta } from "./entry";
import { bandKeys, cacheKeys, jaccardEstimate, minhash, nearScope, nearText, shingles, tenantHash as hashTenant } from "./keys";
import type { CacheConfig } from "./policy";
import type { Clock } from "../engine/clock";
import { bounded, KvStore, type CallBound, type KeyValueStore } from "./store";

export type MatchKind = "intent" | "exact" | "canonical" | "near";

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
  primary: string;
  exact: string;
  intent?: string;
  sig?: number[];
  bands: string[];
}

export interface RequestScope {
  tenant: string;
  /** Route name (or concrete provider/model) the caller asked for: answers never cross routes. */
  route: string;
  intent?: string;
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

const BANDS = 16;
const SIG_SIZE = 64;

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
    const p: Prepared = { tenantHash, primary: keys.intent ?? keys.canonical, exact: keys.exact, bands: [], ...(keys.intent ? { intent: scope.intent! } : {}) };
    // Intent entries get band keys too: the ladder's Q&A retrieval may find an FAQ answer from a similar question.
    if (this.config.near) {
      p.sig = minhash(shingles(nearText(req)), SIG_SIZE);
      // The scope holds everything but the question's wording (route, parameters, other messages, the numbers and
      // names in the question), so near matches never cross routes or swap an order id.
      p.bands = bandKeys(p.sig, tenantHash, await nearScope(req, { route: scope.route, model: scope.route }), BANDS);
    }
    return p;
  }

  /**
   * Find a fresh or stale answer. Expired-past-grace entries are misses. `minSimilarity` lowers the near-duplicate
   * bar for the degradation ladder's Q&A retrieval ("the closest answer we have"), never for ordinary hits.
   */
  async lookup(p: Prepared, minSimilarity?: number): Promise<CacheHit | undefined> {
    const direct = await this.#get(p.primary);
    if (direct) {
      const match: MatchKind = p.intent ? "intent" : direct.exactHash === p.exact ? "exact" : "canonical";
      return this.#hit(direct, p.primary, match);
    }
    // An explicit intent is an exact contract: no near matches for it, except the ladder's closest-answer retrieval.
    if (!p.sig || p.bands.length === 0 || (p.intent && minSimilarity === undefined)) return undefined;
    const bar = minSimilarity ?? this.config.nearThreshold;
    // Near duplicates: every band key points at one entry; candidates are verified on their full signature.
    const pointers = await Promise.all(p.bands.map((b) => this.kv.get<string>(b).then((v) => v?.value)));
    const candidates = [...new Set(pointers.filter((x): x is string => typeof x === "string" && x.startsWith(`cache:${p.tenantHash}:`)))].slice(0, 4);
    let best: { entry: CacheEntry; key: string; similarity: number } | undefined;
    for (const key of candidates) {
      const entry = await this.#get(key);
      if (!entry?.sig) continue;
      const similarity = jaccardEstimate(p.sig, entry.sig);
      if (similarity >= bar && (!best || similarity > best.similarity)) best = { entry, key, similarity };
    }
    return best ? this.#hit(best.entry, best.key, "near", best.similarity) : undefined;
  }

  /** Store a final answer (call in waitUntil). Answers with tool calls are never stored: acting again is not a replay. */
  async store(p: Prepared, res: CanonicalResponse, target: Target, meta: { taskClass: string; route: string; ttlSeconds: number }): Promise<void> {
    if (res.toolCalls.length > 0 || res.finishReason !== "stop") return;
    const now = this.now();
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
      ...(p.sig ? { sig: p.sig } : {}),
    };
    const ttl = meta.ttlSeconds + this.config.staleGraceSeconds;
    const metadata: EntryMeta = { freshUntil: entry.freshUntil, staleUntil: entry.staleUntil };
    await this.#write(p.primary, entry, ttl, metadata);
    await Promise.all(p.bands.map((b) => this.#write(b, p.primary, ttl)));
  }

  /** Delete a tenant's answers: one intent, or all of them. Returns how many KV keys were removed. */
  async purge(tenant: string, intent?: string): Promise<number> {
    const tenantHash = await hashTenant(tenant);
    let keys: string[];
    if (intent) {
      const key = (await cacheKeys({ messages: [{ role: "user", content: "-" }], stream: false, includeUsage: false }, { tenant, route: "-", model: "-" }, intent)).intent!;
      // Count it only if it was there; delete the edge copy either way.
      keys = (await this.kv.get(key)) ? [key] : [];
      if (this.edge) await this.edge.delete(edgeRequest(key)).catch(() => false);
    } else {
      keys = [...(await this.kv.list(`cache:${tenantHash}:`)), ...(await this.kv.list(`nd:${tenantHash}:`))];
    }
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

/** The Cache API is keyed by URL; this host never resolves, it only names entries. */
function edgeRequest(key: string): Request {
  return new Request(`https://detour-cache.invalid/${encodeURIComponent(key)}`);
}
