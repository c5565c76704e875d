/**
 * POST /v1/chat/completions — the straight line of DESIGN.md:
 * parse → resolve → classify → cache → execute → (degrade) → respond → record.
 */
import type { Context } from "hono";
import { readJsonBody } from "../api/body";
import { ApiError, badRequest } from "../api/errors";
import { failureToApiError } from "../api/failure";
import { parseChatCompletion } from "../api/openai-request";
import { renderChatStream } from "../api/openai-response";
import type { AppDeps, AppEnv } from "../app-types";
import { RequestBreakers } from "../breakers/request";
import { openIntentCache, type CacheHit, type IntentCache, type Prepared } from "../cache/intent-cache";
import { cacheDecision, parseCacheControl } from "../cache/policy";
import { KvStore } from "../cache/store";
import { degrade } from "../degrade/serve";
import type { Failure } from "../engine/execute";
import { continueStream, executeJson, executeStream, type EngineDeps } from "../engine/execute";
import type { Bindings } from "../env";
import type { RequestLog } from "../observability/log";
import { redact } from "../observability/redact";
import { servedHeaders, traceObject, type Served, type ServedMode } from "../observability/served";
import { providerFor } from "../providers/registry";
import { simulatedFetch } from "../providers/simulated";
import type { Target } from "../providers/types";
import { classify } from "../routing/classify";
import { faultFor, parseChaosHeader, type Fault } from "../chaos/faults";
import { chaosFetch } from "../chaos/inject";
import { isAdminToken } from "../middleware/auth";
import { chaosStub } from "./admin-faults";
import { parseDeadlineHeader, resolvePlan } from "../routing/resolve";
import type { DetourConfig } from "../config/schema";
import type { LimitDecision } from "../resilience/limits";
import { expectedOutputTokens } from "../routing/plan";
import { costOf, limitError, routeRequest, tenantLimits, type LimiterStub, type RoutedRequest } from "../routing/route-request";
import { collecting, respondWith, sseResponse } from "./respond";

export async function chatCompletions(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get("deps");
  const { config } = c.get("loaded");
  const requestId = c.get("requestId");
  const tenant = c.get("caller").tenant;
  const t0 = c.get("startedAt");
  const body = await readJsonBody(c.req.raw, config.limits.maxBodyBytes);
  const { model, request } = parseChatCompletion(body);
  if (request.messages.length > config.limits.maxMessages) {
    throw badRequest(`Too many messages (${request.messages.length}); this gateway takes at most ${config.limits.maxMessages}.`, "messages");
  }
  const plan = resolvePlan(model, config, parseDeadlineHeader(c.req.header("x-detour-deadline-ms") ?? null));
  const route = config.routes[plan.route];
  const intentHeader = c.req.header("x-detour-intent");
  if (intentHeader !== undefined && (intentHeader.trim() === "" || intentHeader.length > 200)) {
    throw new ApiError(400, "invalid_request_error", "invalid_intent", "x-detour-intent must be 1-200 characters (an FAQ id, a document fingerprint…).", "x-detour-intent");
  }
  const intent = intentHeader?.trim() || route?.cache?.intent;
  const cls = classify(request, { ...(route?.taskClass ? { routeClass: route.taskClass } : {}), ...(c.req.header("x-detour-task") ? { header: c.req.header("x-detour-task")! } : {}) });
  const wantTrace = c.req.header("x-detour-trace") === "1";
  const secrets = config.providers.map((p) => (p.apiKeySecret ? secretOf(c.env, p.apiKeySecret) : undefined));
  const clean = (s: string) => redact(s, secrets);
  const cf = (c.req.raw as { cf?: { continent?: string; colo?: string } }).cf;
  const later = (p: Promise<unknown>) => background(c, p);
  const breakers = new RequestBreakers(config, c.env, { ...(cf?.continent ? { continent: cf.continent } : {}), ...(cf?.colo ? { colo: cf.colo } : {}) }, deps.clock, later, deps.breakerView);
  const notes = breakers.notes;

  // --- chaos: the active drill faults (isolate copy), and a one-request fault for admins only ---
  const faults = c.env.CHAOS ? await deps.faultView.current(() => chaosStub(c.env), deps.clock.now(), later, notes) : [];
  let requestFault: Fault | undefined;
  const chaosHeader = c.req.header("x-detour-chaos");
  if (chaosHeader !== undefined) {
    if (!(await isAdminToken(c.req.header("x-detour-admin-token"), c.env.DETOUR_ADMIN_TOKEN))) {
      throw new ApiError(403, "authentication_error", "chaos_forbidden", "x-detour-chaos needs 'x-detour-admin-token: <DETOUR_ADMIN_TOKEN>': callers cannot inject faults.", "x-detour-chaos");
    }
    try {
      requestFault = parseChaosHeader(chaosHeader, deps.clock.now());
    } catch (err) {
      throw badRequest((err as Error).message, "x-detour-chaos");
    }
  }
  const chaos = (t: Target): Fault | undefined => {
    const draw = deps.random();
    if (requestFault) return (requestFault.provider === "*" || requestFault.provider === t.provider.id) && draw < requestFault.rate ? requestFault : undefined;
    return faults.length ? faultFor(faults, t.provider.id, plan.route, deps.clock.now(), draw) : undefined;
  };
  const engine = engineDeps(deps, c.env, breakers, chaos, notes, config);

  // --- cache: read before going live (a fresh hit answers), keep a stale one for the ladder ---
  const decision = cacheDecision({ req: request, taskClass: cls.taskClass, intent, config: config.cache, route: route?.cache, cacheControl: parseCacheControl(c.req.header("cache-control")) });
  const cache = c.env.DETOUR_KV && (decision.read || decision.write) ? openIntentCache(c.env.DETOUR_KV, config.cache, deps) : undefined;
  let cacheLabel = cache ? (decision.read ? "miss" : "revalidate") : "bypass";
  if (!cache && decision.reason !== "cacheable") notes.push(`cache bypass: ${decision.reason}`);
  let prepared: Prepared | undefined;
  let hit: CacheHit | undefined;
  if (cache) {
    try {
      prepared = await cache.prepare(request, { tenant, route: plan.route, ...(intent ? { intent } : {}) });
      if (decision.read) hit = await cache.lookup(prepared);
    } catch (err) {
      // KV trouble never fails a request: go live without the cache, and say so.
      notes.push(`cache unavailable (${err instanceof Error ? err.message : String(err)}); bypassing it`);
      cacheLabel = "bypass";
      prepared = undefined;
    }
  }
  const tRouted = deps.clock.now();
  let routedRef: RoutedRequest | undefined;

  // Defined before routing runs (a fresh cache hit answers before it), filled once it has.
  const routedSkips = (): Served["attempts"] => (routedRef ? routedRef.skipped : []);
  const routingTrace = () => routedRef?.trace;
  const served = (target: Target | { provider: { id: string }; model: { id: string } } | undefined, mode: ServedMode | undefined, attempts: Served["attempts"], extra: Partial<Served> = {}): Served => {
    const now = deps.clock.now();
    return {
      requestId,
      route: plan.route,
      ...(target ? { provider: target.provider.id, model: target.model.id } : {}),
      ...(mode ? { mode } : {}),
      attempts: [...routedSkips(), ...attempts].map((a) => (a.message ? { ...a, message: clean(a.message) } : a)),
      routing: routingTrace(),
      timings: { routingMs: tRouted - t0, breakerMs: breakers.stats.admitMs, upstreamMs: now - tRouted, totalMs: now - t0 },
      notes,
      breakerCalls: breakers.stats.awaitedCalls,
      cache: cacheLabel,
      ...extra,
    };
  };
  const log = (s: Served, fields: Partial<RequestLog> & { status: number }) =>
    deps.log({
      request_id: requestId,
      tenant,
      method: "POST",
      path: c.req.path,
      route: plan.route,
      stream: request.stream,
      task_class: cls.taskClass,
      ...(s.provider ? { provider: s.provider, model: s.model! } : {}),
      ...(s.mode ? { mode: s.mode } : {}),
      ...(s.cache ? { cache: s.cache } : {}),
      ...(s.degraded ? { degraded: s.degraded } : {}),
      attempts: s.attempts.map((a) => ({
        provider: a.provider,
        outcome: a.outcome,
        ...(a.errorClass ? { error_class: a.errorClass } : {}),
        ...(a.skipReason ? { skip_reason: a.skipReason } : {}),
        ...(a.status ? { status: a.status } : {}),
        ms: Math.round(a.ms),
      })),
      ms: s.timings.totalMs,
      ...fields,
    });
  const meta = (provider: string, modelId: string) => ({ id: `chatcmpl-${requestId}`, created: Math.floor(deps.clock.now() / 1000), model: `${provider}/${modelId}` });
  const opts = { stream: request.stream, includeUsage: request.includeUsage, wantTrace };
  const store = (res: Parameters<IntentCache["store"]>[1], target: Target) => {
    if (cache && prepared && decision.write) {
      const p = prepared;
      later(cache.store(p, res, target, { taskClass: cls.taskClass, route: plan.route, ttlSeconds: decision.ttlSeconds }).catch((err) => notes.push(`cache write failed: ${String(err)}`)));
    }
  };

  if (hit?.state === "fresh") {
    cacheLabel = `hit; match=${hit.match}${hit.similarity !== undefined ? `; similarity=${hit.similarity.toFixed(2)}` : ""}`;
    const s = served({ provider: { id: hit.entry.provider }, model: { id: hit.entry.model } }, "cache", [], { cache: cacheLabel });
    log(s, { status: 200 });
    return respondWith(c, hit.entry.response, meta(hit.entry.provider, hit.entry.model), s, { ...opts, detourExtra: { cache: { match: hit.match, age_seconds: hit.ageSeconds, ...(hit.similarity !== undefined ? { similarity: hit.similarity } : {}) } } });
  }

  // --- route: the pure plan orders and filters the route's targets for this tier and task class ---
  const hedgeBudget = deps.hedgeBudget(config.routing.hedging.maxHedgeShare);
  hedgeBudget.request(deps.clock.now());
  const caller = c.get("caller");
  await breakers.warm(plan.targets.map((t) => t.target));
  const routed = routeRequest({
    resolved: plan,
    config,
    classification: cls,
    tier: caller.tier,
    stream: request.stream,
    view: deps.breakerView,
    keyFor: (t) => breakers.key(t),
    now: deps.clock.now(),
    hedgeShare: 0,
    takeHedge: () => hedgeBudget.take(deps.clock.now()),
  });
  routedRef = routed;
  const targets = routed.targets;
  const first = targets[0]!.target;

  // --- tenant limits: counters need one writer, so this is one awaited Durable Object call when limits apply ---
  const limits = tenantLimits(config, tenant, caller.tier);
  const limiter = c.env.TENANT_LIMITER && Object.keys(limits).length > 0 ? (c.env.TENANT_LIMITER.get(c.env.TENANT_LIMITER.idFromName(tenant)) as unknown as LimiterStub) : undefined;
  if (limiter) {
    const estimate = {
      tokens: cls.estimatedInputTokens + expectedOutputTokens(first, request.maxTokens),
      costUsd: costOf(first, undefined, cls.estimatedInputTokens, request.maxTokens) ?? 0,
    };
    let decision: LimitDecision | undefined;
    try {
      decision = await limiter.check(limits, deps.clock.now(), estimate);
    } catch (err) {
      notes.push(`tenant limits unreachable (${err instanceof Error ? err.message : String(err)}); failing open`);
    }
    if (decision && !decision.allowed) throw limitError(decision);
  }
  const commitUsage = (target: Target, usage: { inputTokens: number; outputTokens: number } | undefined) => {
    if (!limiter) return;
    const costUsd = costOf(target, usage, cls.estimatedInputTokens, request.maxTokens) ?? 0;
    later(limiter.commit(deps.clock.now(), { tokens: usage ? usage.inputTokens + usage.outputTokens : 0, costUsd }).catch(() => {}));
  };

  const fail = async (failure: Failure, attempts: Served["attempts"]): Promise<Response> => {
    const err = failureToApiError(failure, plan.route, clean, breakers.retryAfterSeconds(targets.map((t) => t.target)));
    // The caller's own mistakes and departures are not outages: no degraded answer stands in for them.
    if (failure.kind === "caller" || failure.kind === "aborted" || (err.status === 400 && err.code === "context_length_exceeded")) {
      breakers.flush();
      const s = served(undefined, undefined, attempts);
      log(s, { status: err.status, error_code: err.code });
      return c.json({ ...err.toJSON(), ...(wantTrace ? { detour: traceObject(s) } : {}) }, err.status as 400, { ...servedHeaders(s), ...err.headers });
    }
    const cfg = route?.degrade ?? config.degrade;
    const result = await degrade({
      req: request,
      route: plan.route,
      taskClass: cls.taskClass,
      ...(intent ? { intent } : {}),
      cfg,
      failure,
      ...(err.headers["retry-after"] ? { retryAfterSeconds: Number(err.headers["retry-after"]) } : {}),
      now: deps.clock.now(),
      ...(c.env.DETOUR_KV ? { kv: new KvStore(c.env.DETOUR_KV) } : {}),
      ...(cache && prepared ? { cached: async () => hit ?? (await cache.lookup(prepared!)) } : {}),
      ...(c.env.DETOUR_KV && decision.reason !== "no-store" && config.cache.enabled
        ? {
            // Q&A retrieval reads the cache even for requests it would not store (a chat question, say).
            closest: async () => {
              const reader = cache ?? openIntentCache(c.env.DETOUR_KV, config.cache, deps);
              const p = prepared ?? (await reader.prepare(request, { tenant, route: plan.route, ...(intent ? { intent } : {}) }));
              return reader.lookup(p, config.cache.qaThreshold);
            },
          }
        : {}),
      reduced: async (reduced) => {
        const retryless = targets.map((t) => ({ ...t, policy: { ...t.policy, maxRetries: 0 } }));
        const out = await executeJson({ ...reduced, stream: false, includeUsage: false }, retryless, engine, { deadlineMs: Math.min(10_000, plan.deadlineMs), signal: c.req.raw.signal });
        attempts.push(...(out.attempts.map((a) => ({ ...a, message: `reduced: ${a.message ?? ""}`.trim() }))));
        return out.ok ? { response: out.value, target: out.target } : undefined;
      },
      notes,
    });
    breakers.flush();
    if (result.rung === "error") {
      const retryAfter = result.retryAfterSeconds;
      const s = served(undefined, "degraded", attempts, { degraded: `error; reason=${result.reason}` });
      log(s, { status: err.status, error_code: err.code });
      const degradedBody = { mode: "degraded", rung: "error", reason: result.reason, message: result.message, retry_after: retryAfter };
      return c.json(
        { error: { ...err.toJSON().error, message: `${result.message} Details: ${err.message}` }, detour: { ...(wantTrace ? traceObject(s) : {}), degraded: degradedBody } },
        err.status as 503,
        { ...servedHeaders(s), ...err.headers, "retry-after": String(retryAfter) },
      );
    }
    if (result.rung === "cache") cacheLabel = "stale";
    const who = result.target ?? (result.rung === "cache" && hit ? { provider: { id: hit.entry.provider }, model: { id: hit.entry.model } } : { provider: { id: "detour" }, model: { id: result.rung } });
    const s = served(who, result.mode, attempts, { degraded: `${result.rung}; reason=${result.body.reason}` });
    log(s, { status: 200 });
    return respondWith(c, result.response, meta(who.provider.id, who.model.id), s, { ...opts, detourExtra: { degraded: { ...result.body, ...(result.ageSeconds !== undefined ? { age_seconds: result.ageSeconds } : {}) } } });
  };

  if (!request.stream) {
    const outcome = await executeJson(request, targets, engine, { deadlineMs: plan.deadlineMs, signal: c.req.raw.signal, ...(routed.hedge ? { hedge: routed.hedge } : {}) });
    if (!outcome.ok) return fail(outcome.failure, outcome.attempts);
    const res = outcome.value;
    breakers.annotateLast(outcome.target, {
      ...(res.usage ? { outputTokens: res.usage.outputTokens } : {}),
      ...(res.finishReason === "content_filter" ? { refusal: true } : {}),
      ...(outcome.target !== first ? { failover: true } : {}),
    });
    breakers.flush();
    store(res, outcome.target);
    commitUsage(outcome.target, res.usage);
    const costUsd = costOf(outcome.target, res.usage, cls.estimatedInputTokens, request.maxTokens);
    const s = served(outcome.target, modeOf(outcome.attempts, routed.plan.passedOver, outcome.target), outcome.attempts, {
      ...(costUsd !== undefined ? { costUsd } : {}),
      ...(outcome.hedged ? { hedged: true } : {}),
      // Vendors report the model that actually answered; say so when it is not the one asked for.
      ...(res.model && res.model !== outcome.target.model.id && !res.model.startsWith(`${outcome.target.model.id}-`) ? { upstreamModel: res.model } : {}),
    });
    log(s, { status: 200 });
    return respondWith(c, res, meta(outcome.target.provider.id, outcome.target.model.id), s, opts);
  }

  const outcome = await executeStream(request, targets, engine, { deadlineMs: plan.deadlineMs, signal: c.req.raw.signal, ...(routed.hedge ? { hedge: routed.hedge } : {}) });
  // Nothing was sent yet: a stream that never started degrades like a JSON request.
  if (!outcome.ok) return fail(outcome.failure, outcome.attempts);
  const committed = outcome.value;
  const committedAt = deps.clock.now();
  const estimatedCost = costOf(outcome.target, undefined, cls.estimatedInputTokens, request.maxTokens);
  const s = served(outcome.target, modeOf(outcome.attempts, routed.plan.passedOver, outcome.target), outcome.attempts, {
    ...(estimatedCost !== undefined ? { costUsd: estimatedCost } : {}),
    ...(outcome.hedged ? { hedged: true } : {}),
  });
  const events = collecting(continueStream(committed, deps.clock), (res) => store(res, committed.target), committed.target.model.id);
  const streamBody = renderChatStream(events, meta(outcome.target.provider.id, outcome.target.model.id), {
    includeUsage: request.includeUsage,
    ...(wantTrace ? { finalExtra: () => ({ detour: traceObject(s) }) } : {}),
    onEnd: ({ error, usage, clientGone }) => {
      const end = deps.clock.now();
      // A client that left says nothing about the provider: "cancelled" is ignored by breakers and frees a probe permit.
      breakers.onAttempt(
        committed.target,
        { ...(error ? { errorClass: clientGone ? "cancelled" : error.errorClass } : {}), durationMs: committedAt - committed.startedAt, probe: committed.probe },
        {
          latencyMs: end - committed.startedAt,
          ttftMs: committedAt - committed.startedAt,
          ...(usage ? { outputTokens: usage.outputTokens } : {}),
          ...(outcome.target !== first && !error ? { failover: true } : {}),
        },
      );
      breakers.flush();
      commitUsage(committed.target, usage ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } : undefined);
      log(s, { status: 200, ...(error ? { stream_error: clientGone ? "client_gone" : error.errorClass } : {}), ms: end - t0 });
    },
  });
  return sseResponse(streamBody, s);
}

/**
 * `failover` when something unavailable was passed over on the way to the answer: routing left a target out for its
 * breaker or health (`passedOver`, decided in plan.ts), or the engine met an error, an open breaker or throttling on
 * another target. Retries on the target that finally answered, and routing's choices by capability or quality, are
 * not a failover.
 */
function modeOf(attempts: Served["attempts"], passedOver: boolean, served: Target): ServedMode {
  if (passedOver) return "failover";
  const elsewhere = attempts.filter((a) => a.provider !== served.provider.id || a.model !== served.model.id);
  return elsewhere.some((a) => a.outcome === "error" || a.outcome === "skipped") ? "failover" : "primary";
}

function background(c: Context<AppEnv>, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    // No execution context (app.request in a unit test): let it run unawaited.
    p.catch(() => {});
  }
}

function secretOf(env: Bindings, name: string): string | undefined {
  const v = env[name];
  return typeof v === "string" && v !== "" ? v : undefined;
}

function engineDeps(
  deps: AppDeps,
  env: Bindings,
  breakers: RequestBreakers,
  chaos: (t: Target) => Fault | undefined,
  notes: string[],
  config: DetourConfig,
): EngineDeps {
  const gov = deps.governor(config);
  const sleep = (ms: number, signal: AbortSignal) => deps.clock.sleep(ms, signal);
  const fetchFor = (t: Target): typeof fetch => {
    const base = t.provider.kind === "simulated" ? simulatedFetch(t.provider, sleep) : deps.fetch;
    const fault = chaos(t);
    if (!fault) return base;
    // Chaos applies at the provider-fetch edge, so every other layer sees an ordinary failure.
    notes.push(`chaos: ${fault.kind} injected on ${t.provider.id} (fault ${fault.id})`);
    return chaosFetch(base, fault, t.provider.kind, deps.clock);
  };
  return {
    clock: deps.clock,
    random: deps.random,
    providerFor: (t) => providerFor(t.provider.kind),
    contextFor: (t, signal) => ({
      fetch: fetchFor(t),
      signal,
      apiKey: t.provider.apiKeySecret ? secretOf(env, t.provider.apiKeySecret) : undefined,
      ...(env.AI ? { ai: env.AI } : {}),
      now: deps.clock.now,
    }),
    admit: breakers.admit,
    onAttempt: breakers.onAttempt,
    governor: {
      firstAttempt: (t) => gov.firstAttempt(t.provider.id, deps.clock.now(), deps.random()),
      mayRetry: (t) => gov.mayRetry(t.provider.id, deps.clock.now()),
      outcome: (t, errorClass) => gov.outcome(t.provider.id, deps.clock.now(), errorClass),
    },
  };
}
