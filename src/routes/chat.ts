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
import type { Bindings } from "../env";
import { continueStream, executeJson, executeStream, type EngineDeps } from "../engine/execute";
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
  const engine = engineDeps(deps, c.env);
  const tRouted = deps.clock.now();

  const served = (target: Target | undefined, targetIndex: number, attempts: Served["attempts"]): Served => {
    const now = deps.clock.now();
    return {
      requestId,
      route: plan.route,
      ...(target ? { provider: target.provider.id, model: target.model.id, mode: targetIndex === 0 ? "primary" : "failover" } : {}),
      attempts: attempts.map((a) => (a.message ? { ...a, message: clean(a.message) } : a)),
      timings: { routingMs: tRouted - t0, upstreamMs: now - tRouted, totalMs: now - t0 },
    };
  };
  const logBase = { request_id: requestId, tenant: c.get("caller").tenant, method: "POST", path: c.req.path, route: plan.route, stream: request.stream };
  const attemptsForLog = (s: Served) =>
    s.attempts.map((a) => ({ provider: a.provider, outcome: a.outcome, ...(a.errorClass ? { error_class: a.errorClass } : {}), ...(a.status ? { status: a.status } : {}), ms: Math.round(a.ms) }));

  if (!request.stream) {
    const outcome = await executeJson(request, plan.targets, engine, { deadlineMs: plan.deadlineMs, signal: c.req.raw.signal });
    if (!outcome.ok) {
      const s = served(undefined, -1, outcome.attempts);
      const err = failureToApiError(outcome.failure, plan.route, clean);
      deps.log({ ...logBase, status: err.status, attempts: attemptsForLog(s), error_code: err.code, ms: s.timings.totalMs });
      return c.json(
        { ...err.toJSON(), ...(wantTrace ? { detour: traceObject(s) } : {}) },
        err.status as 400,
        { ...servedHeaders(s), ...err.headers },
      );
    }
    const s = served(outcome.target, outcome.targetIndex, outcome.attempts);
    const meta = { id: `chatcmpl-${requestId}`, created: Math.floor(deps.clock.now() / 1000), model: `${outcome.target.provider.id}/${outcome.target.model.id}` };
    deps.log({ ...logBase, status: 200, provider: s.provider!, model: s.model!, mode: s.mode!, attempts: attemptsForLog(s), ms: s.timings.totalMs });
    return c.json(toChatCompletion(outcome.value, meta, wantTrace ? { detour: traceObject(s) } : {}), 200, servedHeaders(s));
  }

  const outcome = await executeStream(request, plan.targets, engine, { deadlineMs: plan.deadlineMs, signal: c.req.raw.signal });
  if (!outcome.ok) {
    // Nothing was sent yet: a failed stream is an ordinary error response.
    const s = served(undefined, -1, outcome.attempts);
    const err = failureToApiError(outcome.failure, plan.route, clean);
    deps.log({ ...logBase, status: err.status, attempts: attemptsForLog(s), error_code: err.code, ms: s.timings.totalMs });
    return c.json({ ...err.toJSON(), ...(wantTrace ? { detour: traceObject(s) } : {}) }, err.status as 400, { ...servedHeaders(s), ...err.headers });
  }
  const s = served(outcome.target, outcome.targetIndex, outcome.attempts);
  const meta = { id: `chatcmpl-${requestId}`, created: Math.floor(deps.clock.now() / 1000), model: `${outcome.target.provider.id}/${outcome.target.model.id}` };
  const streamBody = renderChatStream(continueStream(outcome.value, deps.clock), meta, {
    includeUsage: request.includeUsage,
    ...(wantTrace ? { finalExtra: () => ({ detour: traceObject(s) }) } : {}),
    onEnd: ({ error }) =>
      deps.log({
        ...logBase,
        status: 200,
        provider: s.provider!,
        model: s.model!,
        mode: s.mode!,
        attempts: attemptsForLog(s),
        ...(error ? { stream_error: error.errorClass } : {}),
        ms: deps.clock.now() - t0,
      }),
  });
  return new Response(streamBody, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      ...servedHeaders(s),
    },
  });
}

function secretOf(env: Bindings, name: string): string | undefined {
  const v = env[name];
  return typeof v === "string" && v !== "" ? v : undefined;
}

function engineDeps(deps: AppDeps, env: Bindings): EngineDeps {
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
  };
}
