// Degrade: when no target answered, may the failure degrade, and which rung of the ladder answers instead?
import { ApiError } from "../api/errors";
import { failureToApiError } from "../api/failure";
import { openIntentCache, type CacheHit } from "../cache/intent-cache";
import { KvStore } from "../cache/store";
import type { CanonicalRequest } from "../canonical";
import { degrade as runLadder, failureMayDegrade, type Degraded, type DegradeInput } from "../degrade/serve";
import { executeJson } from "../engine/execute";
import type { AttemptReport, Failure } from "../engine/types";
import { servedHeaders, traceObject } from "../observability/served";
import type { PipelineDeps } from "./deps";
import { registeredAsHit } from "../intent/registry";
import { historyInputs } from "./history";
import { answer } from "./respond";
import type { Executed } from "./state";

/** Answer a failed live path: the caller's error as is, or the ladder's answer (a rung, or its honest error). */
export async function degrade(state: Executed, deps: PipelineDeps): Promise<Response> {
  const outcome = state.outcome;
  if (outcome.ok) throw new Error("degrade() needs a failure");
  const { failure } = outcome;
  const attempts = [...outcome.attempts];
  const { recorder, breakers, routed } = state;
  // A shed request keeps its own error (load_shed) when the ladder has nothing for it.
  const err = routed.shed ?? failureToApiError(failure, state.plan.route, (s) => recorder.clean(s), breakers.retryAfterSeconds(routed.targets.map((t) => t.target)));
  // The caller's own mistakes and departures are not outages (the error-policy table decides per class).
  if (!failureMayDegrade(failure)) return refuse(state, deps, err, attempts);
  recorder.degrading();
  const result = await runLadder(ladderInput(state, deps, failure, err, attempts));
  return result.rung === "error" ? honestError(state, deps, err, attempts, result) : rungAnswer(state, deps, attempts, result);
}

/** The caller's error, with the served headers (and the trace when asked). */
function refuse(state: Executed, deps: PipelineDeps, err: ApiError, attempts: AttemptReport[]): Response {
  const s = state.recorder.served(undefined, undefined, attempts);
  state.recorder.log(s, { status: err.status, error_code: err.code });
  const body = { ...state.inbound.errorBody(err, state.requestId), ...(state.wantTrace ? { detour: traceObject(s) } : {}) };
  return deps.platform.json(body, err.status, { ...servedHeaders(s), ...err.headers });
}

function ladderInput(state: Executed, deps: PipelineDeps, failure: Failure, err: ApiError, attempts: AttemptReport[]): DegradeInput {
  const { request, plan, notes, config, tenant } = state;
  const { cache, prepared, hit, decision, registered } = state.cache;
  const intent = state.intent ?? registered?.name;
  const kv = deps.platform.env.DETOUR_KV;
  const scope = { tenant, route: plan.route, ...(intent ? { intent } : {}) };
  return {
    req: request,
    route: plan.route,
    taskClass: state.classification.taskClass,
    ...(intent ? { intent } : {}),
    cfg: state.route?.degrade ?? config.degrade,
    failure,
    ...(err.headers["retry-after"] ? { retryAfterSeconds: Number(err.headers["retry-after"]) } : {}),
    now: deps.app.clock.now(),
    ...(kv ? { kv: new KvStore(kv, { timeoutMs: config.cache.kvTimeoutMs, clock: deps.app.clock }) } : {}),
    ...(cache && prepared ? { cached: async () => hit ?? (await cache.lookup(prepared)) ?? registeredHit(state, deps) } : registered ? { cached: async () => registeredHit(state, deps) } : {}),
    ...(kv && decision.reason !== "no-store" && config.cache.enabled
      ? {
          // Q&A retrieval reads the cache even for requests it would not store (a chat question, say).
          closest: async () => {
            const reader = cache ?? openIntentCache(kv, config.cache, deps.app);
            return reader.lookup(prepared ?? (await reader.prepare(request, scope)), config.cache.qaThreshold);
          },
        }
      : {}),
    ...historyInputs(state, deps),
    reduced: (reduced) => runReduced(state, reduced, attempts),
    notes,
  };
}

/** The operator's registered answer for the intent this question matched, as a saved answer (src/intent/registry.ts). */
function registeredHit(state: Executed, deps: PipelineDeps): CacheHit | undefined {
  const r = state.cache.registered;
  return r ? registeredAsHit(r, state.plan.route, state.classification.taskClass, deps.app.clock.now()) : undefined;
}

/** The ladder's reduced request, once, on the route's targets without retries; its attempts join the trace. */
async function runReduced(state: Executed, reduced: CanonicalRequest, attempts: AttemptReport[]) {
  const retryless = state.routed.targets.map((t) => ({ ...t, policy: { ...t.policy, maxRetries: 0 } }));
  const left = state.plan.deadlineMs - (state.engine.clock.now() - state.recorder.startedAt);
  if (left <= 0) return undefined;
  const opts = { deadlineMs: Math.min(10_000, left), signal: state.http.signal };
  const out = await executeJson({ ...reduced, stream: false, includeUsage: false }, retryless, state.engine, opts);
  attempts.push(...out.attempts.map((a) => ({ ...a, message: `reduced: ${a.message ?? ""}`.trim() })));
  return out.ok ? { response: out.value, target: out.target } : undefined;
}

/** Nothing on the ladder answered: the honest error says what still works and when to come back. */
function honestError(state: Executed, deps: PipelineDeps, err: ApiError, attempts: AttemptReport[], result: Extract<Degraded, { rung: "error" }>): Response {
  const s = state.recorder.served(undefined, "degraded", attempts, { degraded: `error; reason=${result.reason}` });
  state.recorder.log(s, { status: err.status, error_code: err.code });
  const degraded = { mode: "degraded", rung: "error", reason: result.reason, message: result.message, retry_after: result.retryAfterSeconds };
  const honest = new ApiError(err.status, err.type, err.code, `${result.message} Details: ${err.message}`, err.param, err.headers);
  const body = { ...state.inbound.errorBody(honest, state.requestId), detour: { ...(state.wantTrace ? traceObject(s) : {}), degraded } };
  return deps.platform.json(body, err.status, { ...servedHeaders(s), ...err.headers, "retry-after": String(result.retryAfterSeconds) });
}

/** A rung answered (reduced request, cache, template, rules): serve it, marked degraded. */
function rungAnswer(state: Executed, deps: PipelineDeps, attempts: AttemptReport[], result: Exclude<Degraded, { rung: "error" }>): Response {
  const { recorder } = state;
  const hit = state.cache.hit;
  if (result.rung === "cache") {
    const used = result.hit;
    recorder.cacheLabel = used?.similarity !== undefined ? `stale; match=${used.match}; similarity=${used.similarity.toFixed(2)}` : "stale";
  }
  const shown = result.rung === "cache" ? (result.hit ?? hit) : undefined;
  const who = result.target ?? (shown ? { provider: { id: shown.entry.provider }, model: { id: shown.entry.model } } : { provider: { id: "detour" }, model: { id: result.rung } });
  // The reduced request was a live, billed call: the tenant's spend counts it like any answer.
  if (result.rung === "reduced" && result.target) recorder.commitUsage(result.target, result.response.usage);
  const s = recorder.served(who, result.mode, attempts, { degraded: `${result.rung}; reason=${result.body.reason}` });
  recorder.log(s, { status: 200 });
  const detourExtra = { degraded: { ...result.body, ...(result.ageSeconds !== undefined ? { age_seconds: result.ageSeconds } : {}) } };
  return answer(state, deps, result.response, who, s, detourExtra);
}
