/**
 * The DETOUR_CONFIG schema: the single source of config types. Every field has a default where a default is safe, so
 * the smallest useful config is one provider and one route. README "Configuration" documents each field; keep both
 * in step.
 */
import * as z from "../zod";
import { CacheConfig, RouteCache } from "../cache/policy";
import { DegradeConfig } from "../degrade/ladder";
import { ValidateConfig } from "../validate/route";
import { ReadinessConfig, ShadowConfig } from "../readiness/config";
import { BreakerConfig } from "../resilience/breaker";
import { TaskClass } from "../routing/classify";
import { DEFAULT_MODEL_QUALITY, ModelQuality, RoutingPolicy } from "../routing/policy";
import { RetryBudgetConfig, ThrottleConfig } from "../resilience/budget";
import { TenantLimits } from "../resilience/limits";
import { CommitResendConfig, resendScheduleProblem } from "../resilience/commit-once";
import { HealthConfig } from "../resilience/health";
import { InflightConfig } from "../resilience/inflight";
import { CanaryConfig, ProbeConfig } from "../resilience/probe";
import { ResponsesConfig } from "../inbound/responses-store-config";

const Id = z.string().check(
  z.minLength(1),
  z.maxLength(64),
  z.regex(/^[a-z0-9][a-z0-9_.-]*$/i, "use letters, digits, '.', '_' or '-' (no '/')"),
);

export const Price = z.strictObject({
  /** USD per million input tokens. */
  input: z.number().check(z.nonnegative()),
  /** USD per million output tokens. */
  output: z.number().check(z.nonnegative()),
});

export const ModelConfig = z.strictObject({
  id: z.string().check(z.minLength(1)),
  contextWindow: z._default(z.number().check(z.int(), z.positive()), 8192),
  /** Largest output this model can produce; also the max_tokens sent to vendors that require one. */
  maxOutputTokens: z._default(z.number().check(z.int(), z.positive()), 4096),
  tools: z._default(z.boolean(), false),
  json: z._default(z.boolean(), false),
  vision: z._default(z.boolean(), false),
  /** 1 (small, cheap) … 5 (frontier): the routing policy's quality floors per task class compare against this. */
  quality: z._default(ModelQuality, DEFAULT_MODEL_QUALITY),
  price: z.optional(Price),
});
export type ModelConfig = z.infer<typeof ModelConfig>;

export const ProviderKind = z.enum(["openai", "anthropic", "gemini", "workers-ai", "simulated"]);
export type ProviderKind = z.infer<typeof ProviderKind>;

/** Behaviour of a `simulated` provider: deterministic text, real SSE, tunable speed. */
export const SimulatedProfile = z.strictObject({
  /** Delay before the first byte, ms. */
  latencyMs: z._default(z.number().check(z.int(), z.nonnegative()), 0),
  /** Delay between stream chunks, ms. */
  chunkDelayMs: z._default(z.number().check(z.int(), z.nonnegative()), 0),
  /** Words per stream chunk. */
  wordsPerChunk: z._default(z.number().check(z.int(), z.positive()), 3),
  /** Short label the simulated text starts with, so answers show which provider served them. */
  voice: z._default(z.string(), "simulated"),
});
export type SimulatedProfile = z.infer<typeof SimulatedProfile>;

export const Timeouts = z.strictObject({
  /** Per attempt: the vendor must send response headers (and, for streams, a first event) within this. */
  firstByteMs: z.optional(z.number().check(z.int(), z.positive())),
  /** Per stream chunk: the longest silence allowed between events once a stream has started. */
  stallMs: z.optional(z.number().check(z.int(), z.positive())),
  /** Whole request, all attempts and backoff included. */
  deadlineMs: z.optional(z.number().check(z.int(), z.positive())),
});

export const RetryPolicy = z.strictObject({
  /** Extra tries on the same target for retryable errors (so attempts per target = 1 + maxRetries). */
  maxRetries: z.optional(z.number().check(z.int(), z.gte(0), z.lte(5))),
  /** Full-jitter backoff: sleep a random time in [0, min(maxDelayMs, baseDelayMs · 2^n)]. */
  baseDelayMs: z.optional(z.number().check(z.int(), z.nonnegative())),
  maxDelayMs: z.optional(z.number().check(z.int(), z.nonnegative())),
  /** A vendor's Retry-After is honoured up to this; longer waits move on to the next target instead. */
  retryAfterCapMs: z.optional(z.number().check(z.int(), z.nonnegative())),
});

/**
 * What Detour will read from one vendor response: a broken vendor or a wrong `baseUrl` must not exhaust the isolate's
 * 128 MB (README "Security model"). Over a cap, the attempt fails as `malformed` and Detour fails over.
 */
export const UpstreamLimits = z.strictObject({
  /** Largest 2xx JSON body read, bytes. */
  maxBodyBytes: z._default(z.number().check(z.int(), z.gte(1024), z.lte(10_000_000)), 10_000_000),
  /** Largest part of an error body read to find the vendor's message, bytes; the rest is ignored. */
  maxErrorBodyBytes: z._default(z.number().check(z.int(), z.gte(256), z.lte(10_000_000)), 65_536),
  /** Longest SSE line, and longest single SSE event, in decoded characters (one per byte for ASCII). */
  maxSseLineBytes: z._default(z.number().check(z.int(), z.gte(1024), z.lte(1_000_000)), 1_000_000),
});
export type UpstreamLimits = z.infer<typeof UpstreamLimits>;

export const ProviderConfig = z.strictObject({
  id: Id,
  kind: ProviderKind,
  /** The vendor's API root as its official SDK takes it (see README). Not used by workers-ai and simulated. */
  baseUrl: z.optional(z.url()),
  /** Name of the secret holding this provider's API key. The key itself never appears in config. */
  apiKeySecret: z.optional(z.string().check(z.regex(/^[A-Z_][A-Z0-9_]*$/, "must be a secret name like OPENAI_API_KEY, not the key itself"))),
  /** Extra request headers (non-secret), e.g. `anthropic-version` or an org id. */
  headers: z._default(z.record(z.string(), z.string()), {}),
  models: z.array(ModelConfig).check(z.minLength(1)),
  simulated: z.optional(SimulatedProfile),
  timeouts: z._default(Timeouts, {}),
  /** Caps on what Detour reads from this vendor (bodies, SSE lines). */
  limits: z.prefault(UpstreamLimits, {}),
  /** Breaker settings for this provider only, merged over `resilience.breaker` (validated there). */
  breaker: z.optional(z.record(z.string(), z.unknown())),
}).check(z.superRefine((p, ctx) => {
    if ((p.kind === "openai" || p.kind === "anthropic" || p.kind === "gemini") && !p.baseUrl) {
      ctx.addIssue({ code: "custom", path: ["baseUrl"], message: `${p.kind === "openai" || p.kind === "anthropic" ? "an" : "a"} ${p.kind} provider needs baseUrl` });
    }
    if (p.baseUrl && !/^https?:\/\//.test(p.baseUrl)) {
      ctx.addIssue({ code: "custom", path: ["baseUrl"], message: "baseUrl must be http(s)" });
    }
    const seen = new Set<string>();
    p.models.forEach((m, i) => {
      if (seen.has(m.id)) ctx.addIssue({ code: "custom", path: ["models", i, "id"], message: `duplicate model ${m.id}` });
      seen.add(m.id);
    });
  }));
export type ProviderConfig = z.infer<typeof ProviderConfig>;

export const RouteConfig = z.strictObject({
  /** `provider/model` pairs, tried in order. */
  targets: z.array(z.string().check(z.regex(/^[^/]+\/.+$/, "a target is 'provider/model'"))).check(z.minLength(1)),
  description: z.optional(z.string()),
  retry: z._default(RetryPolicy, {}),
  timeouts: z._default(Timeouts, {}),
  /** The task class of every request on this route (else x-detour-task, else the classifier). */
  taskClass: z.optional(TaskClass),
  /** must-succeed: never shed, warm standby; can-degrade: the default; can-delay: shed first under pressure. */
  criticality: z.optional(z.enum(["must-succeed", "can-degrade", "can-delay"])),
  cache: z.optional(RouteCache),
  /** This route's degradation ladder, replacing the top-level `degrade`. */
  degrade: z.optional(DegradeConfig),
  /** This route's output checks (docs/validation.md "Route-level checks"), replacing the top-level `validate`. */
  validate: z.optional(ValidateConfig),
  /** Mirror a sample of this route's primary-served requests to candidate fallbacks (docs/readiness.md). */
  shadow: z.optional(ShadowConfig),
  /** Failover targets whose measured equivalence is below this stay behind better-prepared ones (docs/readiness.md). */
  requireReadiness: z.optional(z.number().check(z.gte(0), z.lte(1))),
});
export type RouteConfig = z.infer<typeof RouteConfig>;

/**
 * CORS for browser apps (README "CORS"). Off unless present. A browser app holds its gateway key in the page, so give
 * it a per-tenant key with tight limits (`tenants.byTenant`), never a key shared with servers.
 */
export const CorsConfig = z.strictObject({
  /** Exact origins allowed to call (`https://app.example`), or `["*"]` for any origin. */
  origins: z.array(
      z.string().check(z.refine((o) => o === "*" || /^https?:\/\/[^/\s]+$/.test(o), {
        message: "an origin is scheme://host[:port] with no path or trailing slash (https://app.example), or \"*\"",
      })),
    ).check(z.minLength(1, "list at least one origin, or remove `cors` to turn CORS off")),
  /** Request headers a browser may send; absent: whatever the preflight asks for (the SDKs send x-stainless-*). */
  allowHeaders: z.optional(z.array(z.string().check(z.regex(/^[A-Za-z0-9-]+$/, "a header name")))),
  /** How long a browser may cache a preflight answer. */
  maxAgeSeconds: z._default(z.number().check(z.int(), z.gte(0), z.lte(86_400)), 600),
  /** Send `Access-Control-Allow-Credentials: true` (cookies); not allowed with the `*` origin. */
  credentials: z._default(z.boolean(), false),
}).check(z.refine((c) => !(c.credentials && c.origins.includes("*")), {
    path: ["credentials"],
    message: "credentials cannot be used with the \"*\" origin: list the exact origins",
  }));
export type CorsConfig = z.infer<typeof CorsConfig>;

export const DetourConfig = z.strictObject({
  providers: z.array(ProviderConfig).check(z.minLength(1)),
  routes: z.record(z.string().check(z.regex(/^[^/]+$/, "route names cannot contain '/'")), RouteConfig),
  /** Route used when a request names none of the routes but `model` is `auto`; defaults to "auto". */
  defaults: z._default(z.strictObject({
      retry: z._default(RetryPolicy, {}),
      timeouts: z._default(Timeouts, {}),
      /** Ceiling for a caller's x-detour-deadline-ms. */
      maxDeadlineMs: z._default(z.number().check(z.int(), z.positive()), 120_000),
    }), { retry: {}, timeouts: {}, maxDeadlineMs: 120_000 }),
  limits: z._default(z.strictObject({
      /** Request bodies larger than this are refused with 413 before parsing. */
      maxBodyBytes: z._default(z.number().check(z.int(), z.positive()), 1_000_000),
      maxMessages: z._default(z.number().check(z.int(), z.positive()), 1000),
      /**
       * How deep a request body may nest (objects/arrays, counted from its top level): deeper bodies get a 400
       * before any adapter converts them. Vendor adapters convert schemas recursively; this keeps them safe.
       */
      maxJsonDepth: z._default(z.number().check(z.int(), z.gte(8), z.lte(1000)), 64),
    }), { maxBodyBytes: 1_000_000, maxMessages: 1000, maxJsonDepth: 64 }),
  /** Serve real providers without DETOUR_API_KEYS. Off by default: an open gateway spends your vendor credit. */
  allowAnonymous: z._default(z.boolean(), false),
  /**
   * Let simulated providers answer requests that do not come from loopback or local dev (a public demo). Off by
   * default, so a deployed worker with an empty DETOUR_CONFIG refuses instead of serving made-up answers.
   */
  allowSimulated: z._default(z.boolean(), false),
  /** CORS for browser apps; off when absent (README "CORS"). */
  cors: z.optional(CorsConfig),
  /** SLA routing: tiers, task-class strategies, hedging (docs/routing.md). */
  routing: z.prefault(RoutingPolicy, {}),
  /** Retries per provider stay under this share of its requests (isolate-wide). */
  retryBudget: z.prefault(RetryBudgetConfig, {}),
  /** Client-side adaptive throttling per provider (the SRE book's formula, K = k). */
  throttle: z.prefault(ThrottleConfig, {}),
  /** Per-tenant limits: by tier (over the built-in tier defaults), then by tenant. */
  tenants: z.prefault(z.strictObject({
      tiers: z._default(
        z.strictObject({ premium: z.optional(TenantLimits), standard: z.optional(TenantLimits), free: z.optional(TenantLimits) }),
        {},
      ),
      byTenant: z._default(z.record(z.string(), TenantLimits), {}),
      /**
       * Under a spend cap, how long past its deadline a request's reserved estimate is held when its commit never
       * comes (the isolate was evicted, the commit call failed); then it lapses (docs/routing.md "Tenant limits").
       */
      reservationGraceMs: z._default(
        z.number().check(z.int(), z.gte(1000, "tenants.reservationGraceMs must be at least 1000 ms (the commit's own trip)"), z.lte(3_600_000, "tenants.reservationGraceMs must be at most 3600000 ms (an hour): a lost reservation holds the budget that long")),
        60_000,
      ),
      /**
       * The limiter is unreachable and this isolate has no report of a capped tenant's month: "refuse" (503, the
       * default: the cap cannot be checked) or "local" (count this isolate's own spend only) (docs/routing.md).
       */
      unknownSpend: z._default(z.enum(["refuse", "local"]), "refuse"),
      /**
       * A usage commit whose call to the limiter failed is sent again `retries` times, after `backoffMs` and then
       * doubling; the object applies each commit once (src/resilience/commit-once.ts, docs/routing.md). Absent: 2
       * re-sends from 500 ms, fewer when they would not fit in `reservationGraceMs` (`resendScheduleOf`).
       */
      commitResend: z.optional(CommitResendConfig),
    }), {}),
  /** Intent cache (docs/storage.md, README "Intent cache"). */
  cache: z.prefault(CacheConfig, {}),
  /** Degradation ladder for every route without its own. */
  degrade: z.prefault(DegradeConfig, {}),
  /** Output checks for every route without its own `validate` (docs/validation.md "Route-level checks"). */
  validate: z.optional(ValidateConfig),
  /** Shadow traffic for every route without its own `shadow`; absent (the default): off (docs/readiness.md). */
  shadow: z.optional(ShadowConfig),
  /** OpenAI Responses API storage: previous_response_id, item_reference, GET/DELETE (docs/inbound-apis.md). */
  responses: z.prefault(ResponsesConfig, {}),
  /** The comparator's thresholds per answer class and the readiness window (docs/readiness.md). */
  readiness: z.prefault(ReadinessConfig, {}),
  resilience: z.prefault(z.strictObject({
      /** Circuit breaker defaults for every provider (docs/breakers.md). */
      breaker: z._default(z.record(z.string(), z.unknown()), {}),
      health: z.prefault(HealthConfig, {}),
      /** Active probing of open breakers from their ProviderHealth object (docs/breakers.md "Active probing"). */
      probe: z.prefault(ProbeConfig, {}),
      /** A share of requests tries a provider skipped for health first (docs/health-score.md "Never a permanent skip"). */
      canary: z.prefault(CanaryConfig, {}),
      /**
       * One breaker per provider ("off"), or per provider and the caller's continent / Cloudflare colo, because
       * vendor outages are often regional.
       */
      regional: z._default(z.enum(["off", "continent", "colo"]), "off"),
      /** How old an isolate's snapshot of a breaker may get before it is refreshed in the background. */
      snapshotTtlMs: z._default(z.number().check(z.int(), z.gte(100), z.lte(60_000)), 1000),
      /** Longest wait for the breaker Durable Object when a probe permit must be won; then fail open. */
      doTimeoutMs: z._default(z.number().check(z.int(), z.gte(10), z.lte(10_000)), 500),
      /**
       * Successful outcomes are batched per isolate and sent at most this often (failures and probes go at once).
       * 0 sends every request's outcomes immediately.
       */
      reportFlushMs: z._default(z.number().check(z.int(), z.gte(0), z.lte(60_000)), 1000),
      /** In-flight slow detection: hangs and brownouts judged while calls wait (docs/breakers.md). */
      inflight: z.prefault(InflightConfig, {}),
      /**
       * Where isolates report: one object per provider ("global", the default), or their location's object, which
       * forwards its merged window to the provider's global object every `forwardMs` and serves the stricter of
       * the two breakers (docs/scale.md "Global health", docs/breakers.md "Aggregation").
       */
      aggregation: z._default(z.enum(["global", "location"]), "global"),
      /** Location mode: how often a location object forwards to the global one (global staleness ≈ this + snapshotTtlMs). */
      forwardMs: z._default(z.number().check(z.int(), z.gte(100, "resilience.forwardMs must be at least 100 ms"), z.lte(60_000)), 1000),
      /** Location mode: an isolate sends failures after this long, or at `failureBatch` failures, not one call each. */
      failureFlushMs: z._default(z.number().check(z.int(), z.gte(0), z.lte(10_000)), 100),
      failureBatch: z._default(z.number().check(z.int(), z.gte(1), z.lte(1000)), 20),
    }), {}),
}).check(z.superRefine((c, ctx) => {
    if (c.resilience.aggregation === "location" && c.resilience.regional !== "off") {
      ctx.addIssue({ code: "custom", path: ["resilience", "aggregation"], message: `aggregation "location" already keeps a breaker per location (feeding the global one); set resilience.regional to "off" (it is "${c.resilience.regional}")` });
    }
    const resend = c.tenants.commitResend && resendScheduleProblem(c.tenants.commitResend, c.resilience.doTimeoutMs, c.tenants.reservationGraceMs);
    if (resend) ctx.addIssue({ code: "custom", path: ["tenants", "commitResend"], message: resend });
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
    // A deadline above the ceiling would be cut to it without a word: say so instead.
    const ceiling = c.defaults.maxDeadlineMs;
    const overCeiling = (ms: number | undefined, path: (string | number)[]) => {
      if (ms !== undefined && ms > ceiling) ctx.addIssue({ code: "custom", path, message: `${ms} is above defaults.maxDeadlineMs (${ceiling}), which caps every deadline; lower it or raise defaults.maxDeadlineMs` });
    };
    overCeiling(c.defaults.timeouts.deadlineMs, ["defaults", "timeouts", "deadlineMs"]);
    c.providers.forEach((p, i) => overCeiling(p.timeouts.deadlineMs, ["providers", i, "timeouts", "deadlineMs"]));
    for (const [name, route] of Object.entries(c.routes)) overCeiling(route.timeouts.deadlineMs, ["routes", name, "timeouts", "deadlineMs"]);
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
        if (slash < 0) return; // already reported: "a target is 'provider/model'"
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
  }));
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
