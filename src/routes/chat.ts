/**
 * POST /v1/chat/completions — the straight line of DESIGN.md: parse → resolve → execute → respond → record.
 */
import type { Context } from "hono";
import { readJsonBody } from "../api/body";
import { badRequest } from "../api/errors";
import { failureToApiError } from "../api/failure";
import { parseChatCompletion } from "../api/openai-request";
import { renderChatStream, toChatCompletion } from "../api/openai-response";
import type { AppDeps, AppEnv } from "../app-types";
import { RequestBreakers } from "../breakers/request";
import type { Failure } from "../engine/execute";
import { continueStream, executeJson, executeStream, type EngineDeps } from "../engine/execute";
import type { Bindings } from "../env";
import type { RequestLog } from "../observability/log";
import { redact } from "../observability/redact";
import { servedHeaders, traceObject, type Served } from "../observability/served";
import { providerFor } from "../providers/registry";
import { simulatedFetch } from "../providers/simulated";
import type { Target } from "../providers/types";
import { parseDeadlineHeader, resolvePlan } from "../routing/resolve";

export async function chatCompletions(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get("deps");
  const { config } = c.get("loaded");
  const requestId = c.get("requestId");
  const t0 = c.get("startedAt");
  const body = await readJsonBody(c.req.raw, config.limits.maxBodyBytes);
  const { model, request } = parseChatCompletion(body);
  if (request.messages.length > config.limits.maxMessages) {
    throw badRequest(`Too many messages (${request.messages.length}); this gateway takes at most ${config.limits.maxMessages}.`, "messages");
  }
  const plan = resolvePlan(model, config, parseDeadlineHeader(c.req.header("x-detour-deadline-ms") ?? null));
  const wantTrace = c.req.header("x-detour-trace") === "1";
  const secrets = config.providers.map((p) => (p.apiKeySecret ? secretOf(c.env, p.apiKeySecret) : undefined));
  const clean = (s: string) => redact(s, secrets);
  const cf = (c.req.raw as { cf?: { continent?: string; colo?: string } }).cf;
  const breakers = new RequestBreakers(config, c.env, { ...(cf?.continent ? { continent: cf.continent } : {}), ...(cf?.colo ? { colo: cf.colo } : {}) }, deps.clock, (p) => background(c, p), deps.breakerView);
  const engine = engineDeps(deps, c.env, breakers);
  const tRouted = deps.clock.now();

  const served = (target: Target | undefined, targetIndex: number, attempts: Served["attempts"]): Served => {
    const now = deps.clock.now();
    return {
      requestId,
      route: plan.route,
      ...(target ? { provider: target.provider.id, model: target.model.id, mode: targetIndex === 0 ? "primary" : "failover" } : {}),
      attempts: attempts.map((a) => (a.message ? { ...a, message: clean(a.message) } : a)),
      timings: { routingMs: tRouted - t0, breakerMs: breakers.stats.admitMs, upstreamMs: now - tRouted, totalMs: now - t0 },
      notes: breakers.notes,
      breakerCalls: breakers.stats.awaitedCalls,
    };
  };
  const log = (s: Served, fields: Partial<RequestLog> & { status: number }) =>
    deps.log({
      request_id: requestId,
      tenant: c.get("caller").tenant,
      method: "POST",
      path: c.req.path,
      route: plan.route,
      stream: request.stream,
      ...(s.provider ? { provider: s.provider, model: s.model!, mode: s.mode! } : {}),
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
  const fail = (failure: Failure, attempts: Served["attempts"]) => {
    breakers.flush();
    const s = served(undefined, -1, attempts);
    const err = failureToApiError(failure, plan.route, clean, breakers.retryAfterSeconds(plan.targets.map((t) => t.target)));
    log(s, { status: err.status, error_code: err.code });
    return c.json({ ...err.toJSON(), ...(wantTrace ? { detour: traceObject(s) } : {}) }, err.status as 400, { ...servedHeaders(s), ...err.headers });
  };
  const meta = (target: Target) => ({ id: `chatcmpl-${requestId}`, created: Math.floor(deps.clock.now() / 1000), model: `${target.provider.id}/${target.model.id}` });

  if (!request.stream) {
    const outcome = await executeJson(request, plan.targets, engine, { deadlineMs: plan.deadlineMs, signal: c.req.raw.signal });
    if (!outcome.ok) return fail(outcome.failure, outcome.attempts);
    const res = outcome.value;
    breakers.annotateLast(outcome.target, {
      ...(res.usage ? { outputTokens: res.usage.outputTokens } : {}),
      ...(res.finishReason === "content_filter" ? { refusal: true } : {}),
      ...(outcome.targetIndex > 0 ? { failover: true } : {}),
    });
    breakers.flush();
    const s = served(outcome.target, outcome.targetIndex, outcome.attempts);
    log(s, { status: 200 });
    return c.json(toChatCompletion(res, meta(outcome.target), wantTrace ? { detour: traceObject(s) } : {}), 200, servedHeaders(s));
  }

  const outcome = await executeStream(request, plan.targets, engine, { deadlineMs: plan.deadlineMs, signal: c.req.raw.signal });
  // Nothing was sent yet: a stream that never started is an ordinary error response.
  if (!outcome.ok) return fail(outcome.failure, outcome.attempts);
  const committed = outcome.value;
  const committedAt = deps.clock.now();
  const s = served(outcome.target, outcome.targetIndex, outcome.attempts);
  const streamBody = renderChatStream(continueStream(committed, deps.clock), meta(outcome.target), {
    includeUsage: request.includeUsage,
    ...(wantTrace ? { finalExtra: () => ({ detour: traceObject(s) }) } : {}),
    onEnd: ({ error, usage, clientGone }) => {
      const end = deps.clock.now();
      // A client that left says nothing about the provider: report it as an ignored class so a probe permit is freed.
      breakers.onAttempt(
        committed.target,
        { ...(error ? { errorClass: clientGone ? "bad_request" : error.errorClass } : {}), durationMs: committedAt - committed.startedAt, probe: committed.probe },
        {
          latencyMs: end - committed.startedAt,
          ttftMs: committedAt - committed.startedAt,
          ...(usage ? { outputTokens: usage.outputTokens } : {}),
          ...(outcome.targetIndex > 0 && !error ? { failover: true } : {}),
        },
      );
      breakers.flush();
      log(s, { status: 200, ...(error ? { stream_error: clientGone ? "client_gone" : error.errorClass } : {}), ms: end - t0 });
    },
  });
  return new Response(streamBody, {
    status: 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", ...servedHeaders(s) },
  });
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

function engineDeps(deps: AppDeps, env: Bindings, breakers: RequestBreakers): EngineDeps {
  const sleep = (ms: number, signal: AbortSignal) => deps.clock.sleep(ms, signal);
  return {
    clock: deps.clock,
    random: deps.random,
    providerFor: (t) => providerFor(t.provider.kind),
    contextFor: (t, signal) => ({
      fetch: t.provider.kind === "simulated" ? simulatedFetch(t.provider, sleep) : deps.fetch,
      signal,
      apiKey: t.provider.apiKeySecret ? secretOf(env, t.provider.apiKeySecret) : undefined,
      ...(env.AI ? { ai: env.AI } : {}),
      now: deps.clock.now,
    }),
    admit: breakers.admit,
    onAttempt: breakers.onAttempt,
  };
}
