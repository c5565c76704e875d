/**
 * What may be cached, for how long: one pure decision per request. Defaults follow the issue: stable
 * transformations, extraction, classification, canonical summaries and FAQ answers (an explicit intent) are
 * cacheable; tool calls (they may have side effects), explicit `temperature > 0` unless the route opts in, and
 * time-sensitive classes are not.
 */
import { z } from "zod";
import type { CanonicalRequest } from "../canonical";
import { DEFAULT_NEAR_THRESHOLD } from "./keys";

const Class = z.enum(["classification", "extraction", "rewrite", "summarization", "chat", "code", "reasoning"]);

export const CacheConfig = z
  .object({
    enabled: z.boolean().default(true),
    /** Classes whose answers are cached without an explicit intent. */
    cacheableClasses: z.array(Class).default(["classification", "extraction", "rewrite", "summarization"]),
    /** Classes never cached, even with an intent (answers that go stale with the world). */
    timeSensitiveClasses: z.array(Class).default([]),
    /** Fresh lifetime per class, seconds; `intentTtlSeconds` for answers keyed by an explicit intent. */
    ttlSeconds: z.partialRecord(Class, z.number().int().positive()).default({}),
    defaultTtlSeconds: z.number().int().positive().default(3600),
    intentTtlSeconds: z.number().int().positive().default(86_400),
    /** After its TTL an entry is kept this long more, served only (labelled stale) when the live path fails. */
    staleGraceSeconds: z.number().int().nonnegative().default(86_400),
    /** Near-duplicate matching: a candidate is a hit only at or above this estimated similarity. */
    near: z.boolean().default(true),
    nearThreshold: z.number().min(0.3).max(1).default(DEFAULT_NEAR_THRESHOLD),
    /** The degradation ladder's Q&A retrieval serves the closest saved answer at or above this similarity. */
    qaThreshold: z.number().min(0.1).max(1).default(0.25),
    /** Cache requests that set temperature > 0 (their answers are meant to vary). */
    allowTemperature: z.boolean().default(false),
    /** Per-colo Cache API copy in front of KV, seconds (also bounds how long a purge takes to reach every colo). */
    edgeTtlSeconds: z.number().int().min(0).max(3600).default(60),
    /**
     * Longest wait for one KV or Cache API call on the request path (cache lookups, degradation templates, the chaos
     * version flag); then the request goes on without it (cache bypassed, noted in the trace).
     */
    kvTimeoutMs: z.number().int().min(10).max(10_000).default(300),
  })
  .strict();
export type CacheConfig = z.infer<typeof CacheConfig>;

/** A route's own cache switches. */
export const RouteCache = z
  .object({
    enabled: z.boolean().optional(),
    allowTemperature: z.boolean().optional(),
    /** A fixed intent for every request on this route (e.g. an FAQ endpoint). */
    intent: z.string().min(1).max(200).optional(),
  })
  .strict();
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
