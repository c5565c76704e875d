/**
 * The DETOUR_CONFIG schema: the single source of config types. Every field has a default where a default is safe, so
 * the smallest useful config is one provider and one route. README "Configuration" documents each field; keep both
 * in step.
 */
import * as z from "zod";
import { CacheConfig, RouteCache } from "../cache/policy";
import { DegradeConfig } from "../degrade/ladder";
import { ValidateConfig } from "../validate/route";
import { ReadinessConfig, ShadowConfig } from "../readiness/config";
import { BreakerConfig } from "../resilience/breaker";
import { TaskClass } from "../routing/classify";
import { DEFAULT_MODEL_QUALITY, ModelQuality, RoutingPolicy } from "../routing/policy";
import { RetryBudgetConfig, ThrottleConfig } from "../resilience/budget";
import { TenantLimits } from "../resilience/limits";
import { HealthConfig } from "../resilience/health";
import { InflightConfig } from "../resilience/inflight";
import { CanaryConfig, ProbeConfig } from "../resilience/probe";
import { ResponsesConfig } from "../inbound/responses-store-config";

const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/i, "use letters, digits, '.', '_' or '-' (no '/')");

export const Price = z
  .object({
    /** USD per million input tokens. */
    input: z.number().nonnegative(),
    /** USD per million output tokens. */
    output: z.number().nonnegative(),
  })
  .strict();

export const ModelConfig = z
  .object({
    id: z.string().min(1),
    contextWindow: z.number().int().positive().default(8192),
    /** Largest output this model can produce; also the max_tokens sent to vendors that require one. */
    maxOutputTokens: z.number().int().positive().default(4096),
    tools: z.boolean().default(false),
    json: z.boolean().default(false),
    vision: z.boolean().default(false),
    /** 1 (small, cheap) … 5 (frontier): the routing policy's quality floors per task class compare against this. */
    quality: ModelQuality.default(DEFAULT_MODEL_QUALITY),
    price: Price.optional(),
  })
  .strict();
export type ModelConfig = z.infer<typeof ModelConfig>;

export const ProviderKind = z.enum(["openai", "anthropic", "gemini", "workers-ai", "simulated"]);
export type ProviderKind = z.infer<typeof ProviderKind>;

/** Behaviour of a `simulated` provider: deterministic text, real SSE, tunable speed. */
export const SimulatedProfile = z
  .object({
    /** Delay before the first byte, ms. */
    latencyMs: z.number().int().nonnegative().default(0),
    /** Delay between stream chunks, ms. */
    chunkDelayMs: z.number().int().nonnegative().default(0),
    /** Words per stream chunk. */
    wordsPerChunk: z.number().int().positive().default(3),
    /** Short label the simulated text starts with, so answers show which provider served them. */
    voice: z.string().default("simulated"),
  })
  .strict();
export type SimulatedProfile = z.infer<typeof SimulatedProfile>;

export const Timeouts = z
  .object({
    /** Per attempt: the vendor must send response headers (and, for streams, a first event) within this. */
    firstByteMs: z.number().int().positive().optional(),
    /** Per stream chunk: the longest silence allowed between events once a stream has started. */
    stallMs: z.number().int().positive().optional(),
    /** Whole request, all attempts and backoff included. */
    deadlineMs: z.number().int().positive().optional(),
  })
  .strict();

export const RetryPolicy = z
  .object({
    /** Extra tries on the same target for retryable errors (so attempts per target = 1 + maxRetries). */
    maxRetries: z.number().int().min(0).max(5).optional(),
    /** Full-jitter backoff: sleep a random time in [0, min(maxDelayMs, baseDelayMs · 2^n)]. */
    baseDelayMs: z.number().int().nonnegative().optional(),
    maxDelayMs: z.number().int().nonnegative().optional(),
    /** A vendor's Retry-After is honoured up to this; longer waits move on to the next target instead. */
    retryAfterCapMs: z.number().int().nonnegative().optional(),
  })
  .strict();

/**
 * What Detour will read from one vendor response: a broken vendor or a wrong `baseUrl` must not exhaust the isolate's
 * 128 MB (README "Security model"). Over a cap, the attempt fails as `malformed` and Detour fails over.
 */
export const UpstreamLimits = z
  .object({
    /** Largest 2xx JSON body read, bytes. */
    maxBodyBytes: z.number().int().min(1024).max(10_000_000).default(10_000_000),
    /** Largest part of an error body read to find the vendor's message, bytes; the rest is ignored. */
    maxErrorBodyBytes: z.number().int().min(256).max(10_000_000).default(65_536),
    /** Longest SSE line, and longest single SSE event, in decoded characters (one per byte for ASCII). */
    maxSseLineBytes: z.number().int().min(1024).max(1_000_000).default(1_000_000),
  })
  .strict();
export type UpstreamLimits = z.infer<typeof UpstreamLimits>;

export const ProviderConfig = z
  .object({
    id: Id,
    kind: ProviderKind,
    /** The vendor's API root as its official SDK takes it (see README). Not used by workers-ai and simulated. */
    baseUrl: z.string().url().optional(),
    /** Name of the secret holding this provider's API key. The key itself never appears in config. */
    apiKeySecret: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, "must be a secret name like OPENAI_API_KEY, not the key itself")
      .optional(),
    /** Extra request headers (non-secret), e.g. `anthropic-version` or an org id. */
    headers: z.record(z.string(), z.string()).default({}),
    models: z.array(ModelConfig).min(1),
    simulated: SimulatedProfile.optional(),
    timeouts: Timeouts.default({}),
    /** Caps on what Detour reads from this vendor (bodies, SSE lines). */
    limits: UpstreamLimits.prefault({}),
    /** Breaker settings for this provider only, merged over `resilience.breaker` (validated there). */
    breaker: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if ((p.kind === "openai" || p.kind === "anthropic" || p.kind === "gemini") && !p.baseUrl) {
      ctx.addIssue({ code: "custom", path: ["baseUrl"], message: `a ${p.kind} provider needs baseUrl` });
    }
    if (p.baseUrl && !/^https?:\/\//.test(p.baseUrl)) {
      ctx.addIssue({ code: "custom", path: ["baseUrl"], message: "baseUrl must be http(s)" });
    }
    const seen = new Set<string>();
    p.models.forEach((m, i) => {
      if (seen.has(m.id)) ctx.addIssue({ code: "custom", path: ["models", i, "id"], message: `duplicate model ${m.id}` });
      seen.add(m.id);
    });
  });
export type ProviderConfig = z.infer<typeof ProviderConfig>;

export const RouteConfig = z
  .object({
    /** `provider/model` pairs, tried in order. */
    targets: z.array(z.string().regex(/^[^/]+\/.+$/, "a target is 'provider/model'")).min(1),
    description: z.string().optional(),
    retry: RetryPolicy.default({}),
    timeouts: Timeouts.default({}),
    /** The task class of every request on this route (else x-detour-task, else the classifier). */
    taskClass: TaskClass.optional(),
    /** must-succeed: never shed, warm standby; can-degrade: the default; can-delay: shed first under pressure. */
    criticality: z.enum(["must-succeed", "can-degrade", "can-delay"]).optional(),
    cache: RouteCache.optional(),
    /** This route's degradation ladder, replacing the top-level `degrade`. */
    degrade: DegradeConfig.optional(),
    /** This route's output checks (docs/validation.md "Route-level checks"), replacing the top-level `validate`. */
    validate: ValidateConfig.optional(),
    /** Mirror a sample of this route's primary-served requests to candidate fallbacks (docs/readiness.md). */
    shadow: ShadowConfig.optional(),
    /** Failover targets whose measured equivalence is below this stay behind better-prepared ones (docs/readiness.md). */
    requireReadiness: z.number().min(0).max(1).optional(),
  })
  .strict();
export type RouteConfig = z.infer<typeof RouteConfig>;

/**
 * CORS for browser apps (README "CORS"). Off unless present. A browser app holds its gateway key in the page, so give
 * it a per-tenant key with tight limits (`tenants.byTenant`), never a key shared with servers.
 */
export const CorsConfig = z
  .object({
    /** Exact origins allowed to call (`https://app.example`), or `["*"]` for any origin. */
    origins: z
      .array(
        z.string().refine((o) => o === "*" || /^https?:\/\/[^/\s]+$/.test(o), {
          message: "an origin is scheme://host[:port] with no path or trailing slash (https://app.example), or \"*\"",
        }),
      )
      .min(1, "list at least one origin, or remove `cors` to turn CORS off"),
    /** Request headers a browser may send; absent: whatever the preflight asks for (the SDKs send x-stainless-*). */
    allowHeaders: z.array(z.string().regex(/^[A-Za-z0-9-]+$/, "a header name")).optional(),
    /** How long a browser may cache a preflight answer. */
    maxAgeSeconds: z.number().int().min(0).max(86_400).default(600),
    /** Send `Access-Control-Allow-Credentials: true` (cookies); not allowed with the `*` origin. */
    credentials: z.boolean().default(false),
  })
  .strict()
  .refine((c) => !(c.credentials && c.origins.includes("*")), {
    path: ["credentials"],
    message: "credentials cannot be used with the \"*\" origin: list the exact origins",
  });
export type CorsConfig = z.infer<typeof CorsConfig>;

export const DetourConfig = z
  .object({
    providers: z.array(ProviderConfig).min(1),
    routes: z.record(z.string().regex(/^[^/]+$/, "route names cannot contain '/'"), RouteConfig),
    /** Route used when a request names none of the routes but `model` is `auto`; defaults to "auto". */
    defaults: z
      .object({
        retry: RetryPolicy.default({}),
        timeouts: Timeouts.default({}),
        /** Ceiling for a caller's x-detour-deadline-ms. */
        maxDeadlineMs: z.number().int().positive().default(120_000),
      })
      .strict()
      .default({ retry: {}, timeouts: {}, maxDeadlineMs: 120_000 }),
    limits: z
      .object({
        /** Request bodies larger than this are refused with 413 before parsing. */
        maxBodyBytes: z.number().int().positive().default(1_000_000),
        maxMessages: z.number().int().positive().default(1000),
        /**
         * How deep a request body may nest (objects/arrays, counted from its top level): deeper bodies get a 400
         * before any adapter converts them. Vendor adapters convert schemas recursively; this keeps them safe.
         */
        maxJsonDepth: z.number().int().min(8).max(1000).default(64),
      })
      .strict()
      .default({ maxBodyBytes: 1_000_000, maxMessages: 1000, maxJsonDepth: 64 }),
    /** Serve real providers without DETOUR_API_KEYS. Off by default: an open gateway spends your vendor credit. */
    allowAnonymous: z.boolean().default(false),
    /**
     * Let simulated providers answer requests that do not come from loopback or local dev (a public demo). Off by
     * default, so a deployed worker with an empty DETOUR_CONFIG refuses instead of serving made-up answers.
     */
    allowSimulated: z.boolean().default(false),
    /** CORS for browser apps; off when absent (README "CORS"). */
    cors: CorsConfig.optional(),
    /** SLA routing: tiers, task-class strategies, hedging (docs/routing.md). */
    routing: RoutingPolicy.prefault({}),
    /** Retries per provider stay under this share of its requests (isolate-wide). */
    retryBudget: RetryBudgetConfig.prefault({}),
    /** Client-side adaptive throttling per provider (the SRE book's formula, K = k). */
    throttle: ThrottleConfig.prefault({}),
    /** Per-tenant limits: by tier (over the built-in tier defaults), then by tenant. */
    tenants: z
      .object({
        tiers: z.object({ premium: TenantLimits.optional(), standard: TenantLimits.optional(), free: TenantLimits.optional() }).strict().default({}),
        byTenant: z.record(z.string(), TenantLimits).default({}),
      })
      .strict()
      .prefault({}),
    /** Intent cache (docs/storage.md, README "Intent cache"). */
    cache: CacheConfig.prefault({}),
    /** Degradation ladder for every route without its own. */
    degrade: DegradeConfig.prefault({}),
    /** Output checks for every route without its own `validate` (docs/validation.md "Route-level checks"). */
    validate: ValidateConfig.optional(),
    /** Shadow traffic for every route without its own `shadow`; absent (the default): off (docs/readiness.md). */
    shadow: ShadowConfig.optional(),
    /** OpenAI Responses API storage: previous_response_id, item_reference, GET/DELETE (docs/inbound-apis.md). */
    responses: ResponsesConfig.prefault({}),
    /** The comparator's thresholds per answer class and the readiness window (docs/readiness.md). */
    readiness: ReadinessConfig.prefault({}),
    resilience: z
      .object({
        /** Circuit breaker defaults for every provider (docs/breakers.md). */
        breaker: z.record(z.string(), z.unknown()).default({}),
        health: HealthConfig.prefault({}),
        /** Active probing of open breakers from their ProviderHealth object (docs/breakers.md "Active probing"). */
        probe: ProbeConfig.prefault({}),
        /** A share of requests tries a provider skipped for health first (docs/health-score.md "Never a permanent skip"). */
        canary: CanaryConfig.prefault({}),
        /**
         * One breaker per provider ("off"), or per provider and the caller's continent / Cloudflare colo, because
         * vendor outages are often regional.
         */
        regional: z.enum(["off", "continent", "colo"]).default("off"),
        /** How old an isolate's snapshot of a breaker may get before it is refreshed in the background. */
        snapshotTtlMs: z.number().int().min(100).max(60_000).default(1000),
        /** Longest wait for the breaker Durable Object when a probe permit must be won; then fail open. */
        doTimeoutMs: z.number().int().min(10).max(10_000).default(500),
        /**
         * Successful outcomes are batched per isolate and sent at most this often (failures and probes go at once).
         * 0 sends every request's outcomes immediately.
         */
        reportFlushMs: z.number().int().min(0).max(60_000).default(1000),
        /** In-flight slow detection: hangs and brownouts judged while calls wait (docs/breakers.md). */
        inflight: InflightConfig.prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const global = BreakerConfig.safeParse(c.resilience.breaker);
    if (!global.success) {
      for (const i of global.error.issues) ctx.addIssue({ code: "custom", path: ["resilience", "breaker", ...i.path.map((p) => p as string | number)], message: i.message });
    }
    c.providers.forEach((p, pi) => {
      if (!p.breaker) return;
      const merged = BreakerConfig.safeParse({ ...c.resilience.breaker, ...p.breaker });
      if (!merged.success && global.success) {
        for (const i of merged.error.issues) ctx.addIssue({ code: "custom", path: ["providers", pi, "breaker", ...i.path.map((x) => x as string | number)], message: i.message });
      }
    });
    const ids = new Set<string>();
    c.providers.forEach((p, i) => {
      if (ids.has(p.id)) ctx.addIssue({ code: "custom", path: ["providers", i, "id"], message: `duplicate provider ${p.id}` });
      ids.add(p.id);
    });
    const knownShadow = (t: string, path: (string | number)[]) => {
      const [pid = "", ...rest] = t.split("/");
      const p = c.providers.find((x) => x.id === pid);
      if (!p || !p.models.some((m) => m.id === rest.join("/"))) ctx.addIssue({ code: "custom", path, message: `unknown shadow target '${t}' (name a configured provider/model)` });
    };
    (c.shadow?.targets ?? []).forEach((t, i) => knownShadow(t, ["shadow", "targets", i]));
    for (const [name, route] of Object.entries(c.routes)) {
      (route.shadow?.targets ?? []).forEach((t, i) => knownShadow(t, ["routes", name, "shadow", "targets", i]));
      route.targets.forEach((t, i) => {
        const slash = t.indexOf("/");
        const pid = t.slice(0, slash);
        const mid = t.slice(slash + 1);
        const p = c.providers.find((x) => x.id === pid);
        if (!p) {
          ctx.addIssue({ code: "custom", path: ["routes", name, "targets", i], message: `unknown provider '${pid}'` });
        } else if (!p.models.some((m) => m.id === mid)) {
          ctx.addIssue({
            code: "custom",
            path: ["routes", name, "targets", i],
            message: `provider '${pid}' has no model '${mid}'`,
          });
        }
      });
    }
  });
export type DetourConfig = z.infer<typeof DetourConfig>;

/** The effective breaker settings of a provider: its own `breaker` over `resilience.breaker` over the defaults. */
export function breakerConfigFor(config: DetourConfig, provider: ProviderConfig): BreakerConfig {
  // Config objects live as long as the isolate's parsed DETOUR_CONFIG, so parse each provider's settings once.
  let cached = breakerMemo.get(provider);
  if (!cached) {
    cached = BreakerConfig.parse({ ...config.resilience.breaker, ...(provider.breaker ?? {}) });
    breakerMemo.set(provider, cached);
  }
  return cached;
}
const breakerMemo = new WeakMap<ProviderConfig, BreakerConfig>();
