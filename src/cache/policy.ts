/**
 * What may be cached, for how long: one pure decision per request. Defaults follow the issue: stable
 * transformations, extraction, classification, canonical summaries and FAQ answers (an explicit intent) are
 * cacheable; tool calls (they may have side effects), explicit `temperature > 0` unless the route opts in, and
 * time-sensitive classes are not.
 */
import * as z from "../zod";
import type { CanonicalRequest } from "../canonical";
import { DEFAULT_MEANING_THRESHOLD } from "../intent/match";
import { buildLexicon, type Lexicon } from "../intent/meaning";

/** A tenant's (or every tenant's) additions to the shipped English tables in src/intent/lexicon.ts. */
const MatchingTables = z.strictObject({
  /** word or phrase → the concept(s) it means ("nix": "cancel", "pro tier": "subscription"); "" makes it immaterial. */
  synonyms: z._default(z.record(z.string().check(z.minLength(1), z.maxLength(100)), z.string().check(z.maxLength(200))), {}),
  /** More words that never change what a question asks. */
  stopWords: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(50))).check(z.maxLength(1000)), []),
  /** More concepts that are actions (a differing action vetoes a match). */
  actions: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(50))).check(z.maxLength(1000)), []),
});

const Class = z.enum(["classification", "extraction", "rewrite", "summarization", "chat", "code", "reasoning"]);

export const CacheConfig = z.strictObject({
  enabled: z._default(z.boolean(), true),
  /** Classes whose answers are cached without an explicit intent. */
  cacheableClasses: z._default(z.array(Class), ["classification", "extraction", "rewrite", "summarization"]),
  /** Classes never cached, even with an intent (answers that go stale with the world). */
  timeSensitiveClasses: z._default(z.array(Class), []),
  /** Fresh lifetime per class, seconds; `intentTtlSeconds` for answers keyed by an explicit intent. */
  ttlSeconds: z._default(z.partialRecord(Class, z.number().check(z.int(), z.positive())), {}),
  defaultTtlSeconds: z._default(z.number().check(z.int(), z.positive()), 3600),
  intentTtlSeconds: z._default(z.number().check(z.int(), z.positive()), 86_400),
  /** After its TTL an entry is kept this long more, served only (labelled stale) when the live path fails. */
  staleGraceSeconds: z._default(z.number().check(z.int(), z.nonnegative()), 86_400),
  /**
   * Meaning matching (docs/degradation.md "Matching"): a same-meaning candidate is a hit only when its actions,
   * objects and negation agree and its concepts' overlap (Jaccard) reaches this bar; 1 = every differing word is
   * immaterial.
   */
  near: z._default(z.boolean(), true),
  nearThreshold: z._default(z.number().check(z.gte(0.3), z.lte(1)), DEFAULT_MEANING_THRESHOLD),
  /** The degradation ladder's Q&A retrieval bar (the same vetoes apply at any bar). */
  qaThreshold: z._default(z.number().check(z.gte(0.3), z.lte(1)), DEFAULT_MEANING_THRESHOLD),
  /** Synonyms, stop words and actions added to the English tables: for every tenant, and per tenant on top. */
  matching: z.prefault(z.extend(MatchingTables, { byTenant: z._default(z.record(z.string(), MatchingTables), {}) }), {}),
  /**
   * Answers a tenant may store per minute in one isolate (each costs two KV writes), so callers cannot force
   * unbounded writes with random intents or `no-cache`; over it, answers are served but not stored.
   */
  tenantWritesPerMinute: z._default(z.number().check(z.int(), z.gte(0), z.lte(100_000)), 120),
  /** Cache requests that set temperature > 0 (their answers are meant to vary). */
  allowTemperature: z._default(z.boolean(), false),
  /** Per-colo Cache API copy in front of KV, seconds (also bounds how long a purge takes to reach every colo). */
  edgeTtlSeconds: z._default(z.number().check(z.int(), z.gte(0), z.lte(3600)), 60),
  /**
   * Longest wait for one KV or Cache API call on the request path (cache lookups, degradation templates, the chaos
   * version flag); then the request goes on without it (cache bypassed, noted in the trace).
   */
  kvTimeoutMs: z._default(z.number().check(z.int(), z.gte(10), z.lte(10_000)), 300),
});
export type CacheConfig = z.infer<typeof CacheConfig>;

/** A route's own cache switches. */
export const RouteCache = z.strictObject({
  enabled: z.optional(z.boolean()),
  allowTemperature: z.optional(z.boolean()),
  /** A fixed intent for every request on this route (e.g. an FAQ endpoint). */
  intent: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
});
export type RouteCache = z.infer<typeof RouteCache>;

export interface CacheDecision {
  read: boolean;
  write: boolean;
  /** Why, for the trace (`bypass` reasons) — "cacheable" when both are true. */
  reason: string;
  ttlSeconds: number;
}

/** Parse the request's Cache-Control: `no-store` bypasses the cache; `no-cache` skips reading (revalidates). */
export function parseCacheControl(header: string | null | undefined): { noStore: boolean; noCache: boolean } {
  const d = (header ?? "").toLowerCase().split(",").map((x) => x.trim());
  return { noStore: d.includes("no-store"), noCache: d.includes("no-cache") };
}

export function cacheDecision(input: {
  req: CanonicalRequest;
  taskClass: z.infer<typeof Class>;
  intent: string | undefined;
  config: CacheConfig;
  route: RouteCache | undefined;
  cacheControl: { noStore: boolean; noCache: boolean };
}): CacheDecision {
  const { req, taskClass, intent, config, route, cacheControl } = input;
  const ttl = intent ? config.intentTtlSeconds : (config.ttlSeconds[taskClass] ?? config.defaultTtlSeconds);
  const no = (reason: string): CacheDecision => ({ read: false, write: false, reason, ttlSeconds: ttl });
  if (!config.enabled || route?.enabled === false) return no("cache disabled");
  if (cacheControl.noStore) return no("no-store");
  if (req.tools?.length && req.toolChoice !== "none") return no("tools: calls may have side effects");
  if (config.timeSensitiveClasses.includes(taskClass)) return no(`class ${taskClass} is time-sensitive`);
  // An unset temperature means the caller asked for nothing in particular; an explicit > 0 asks for variety.
  if ((req.temperature ?? 0) > 0 && !(route?.allowTemperature ?? config.allowTemperature)) return no("temperature > 0");
  if (!intent && !config.cacheableClasses.includes(taskClass)) return no(`class ${taskClass} is not cacheable`);
  return { read: !cacheControl.noCache, write: true, reason: cacheControl.noCache ? "no-cache: revalidating" : "cacheable", ttlSeconds: ttl };
}

const lexicons = new WeakMap<CacheConfig, Map<string, Lexicon>>();

/** The matching tables for `tenant` (shipped English + config-wide + the tenant's own), built once per config. */
export function lexiconFor(config: CacheConfig, tenant?: string): Lexicon {
  let byTenant = lexicons.get(config);
  if (!byTenant) lexicons.set(config, (byTenant = new Map()));
  const name = tenant !== undefined && Object.hasOwn(config.matching.byTenant, tenant) ? tenant : "";
  let lex = byTenant.get(name);
  if (!lex) {
    const own = name ? config.matching.byTenant[name]! : { synonyms: {}, stopWords: [], actions: [] };
    const all = config.matching;
    lex = buildLexicon({ synonyms: { ...all.synonyms, ...own.synonyms }, stopWords: [...all.stopWords, ...own.stopWords], actions: [...all.actions, ...own.actions] });
    byTenant.set(name, lex);
  }
  return lex;
}
