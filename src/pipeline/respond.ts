// Respond: turn the live answer (JSON, or a committed stream) into the caller's response, and record it.
import type { CanonicalResponse, Usage } from "../canonical";
import { continueStream } from "../engine/stream";
import { ClientGoneError } from "../engine/stop";
import type { CommittedStream, Outcome } from "../engine/types";
import type { AnswerMeta } from "../inbound/types";
import { traceObject, type Served } from "../observability/served";
import { estimateInputTokens } from "../routing/classify";
import { costOf } from "../routing/route-request";
import { collecting, respondWith, sseResponse } from "./answer-http";
import type { PipelineDeps } from "./deps";
import type { Answerer } from "./record";
import type { Classified, Executed, Resolved } from "./state";

type Answered<T> = Extract<Outcome<T>, { ok: true }>;

/** Answer with the live outcome: a JSON answer at once, a committed stream as SSE that records itself when it ends. */
export function respond(state: Executed, deps: PipelineDeps): Response {
  const outcome = state.outcome;
  if (!outcome.ok) throw new Error("respond() needs an answer; failures go through degrade()");
  return state.request.stream ? respondStream(state, deps, outcome as Answered<CommittedStream>) : respondJson(state, deps, outcome as Answered<CanonicalResponse>);
}

function respondJson(state: Executed, deps: PipelineDeps, outcome: Answered<CanonicalResponse>): Response {
  const { recorder, request, classification } = state;
  const res = outcome.value;
  const target = outcome.target;
  recorder.store(res, target);
  recorder.commitUsage(target, res.usage);
  const costUsd = costOf(target, res.usage, classification.estimatedInputTokens, request.maxTokens);
  const s = recorder.served(target, recorder.mode(outcome.attempts, target), outcome.attempts, {
    ...(costUsd !== undefined ? { costUsd } : {}),
    ...(outcome.hedged ? { hedged: true } : {}),
    // Vendors report the model that actually answered; say so when it is not the one asked for.
    ...(res.model && res.model !== target.model.id && !res.model.startsWith(`${target.model.id}-`) ? { upstreamModel: res.model } : {}),
  });
  recorder.log(s, { status: 200 });
  return answer(state, deps, res, target, s);
}

function respondStream(state: Executed, deps: PipelineDeps, outcome: Answered<CommittedStream>): Response {
  const { recorder, request, classification } = state;
  const { clock } = deps.app;
  const committed = outcome.value;
  const estimatedCost = costOf(committed.target, undefined, classification.estimatedInputTokens, request.maxTokens);
  const s = recorder.served(committed.target, recorder.mode(outcome.attempts, committed.target), outcome.attempts, {
    ...(estimatedCost !== undefined ? { costUsd: estimatedCost } : {}),
    ...(outcome.hedged ? { hedged: true } : {}),
  });
  // The engine reports the committed attempt when the stream settles; what is left here is usage and the log line.
  const events = collecting(continueStream(committed, clock), (res) => recorder.store(res, committed.target), committed.target.model.id);
  // x-detour-cost-usd went out with the headers, before any token: for streams it is an estimate. The real cost,
  // from the usage the vendor reports at the end, is in the final chunk's `detour` object and in the log line.
  const realCost = (usage: Usage | undefined) => costOf(committed.target, usage, classification.estimatedInputTokens, request.maxTokens);
  const body = state.inbound.toStream(events, metaFor(state, deps, committed.target), {
    clean: (m) => recorder.clean(m),
    finalExtra: (usage) => {
      const cost = realCost(usage);
      const trace = state.wantTrace ? traceObject(s) : {};
      const costs = cost !== undefined ? { cost_usd: cost, cost_estimated: usage === undefined, header_cost_usd_estimate: estimatedCost } : {};
      return state.wantTrace || cost !== undefined ? { detour: { ...trace, ...costs } } : {};
    },
    // A caller who stops reading is gone: call the upstream off (its attempt then settles as cancelled).
    onCancel: () => committed.abort(new ClientGoneError()),
    onEnd: ({ error, usage, clientGone }) => {
      recorder.commitUsage(committed.target, usage ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } : undefined);
      const cost = realCost(usage);
      recorder.log(s, { status: 200, ...(error ? { stream_error: clientGone ? "client_gone" : error.errorClass } : {}), ...(cost !== undefined ? { cost_usd: cost } : {}), ms: clock.now() - recorder.startedAt });
    },
  });
  return sseResponse(body, s);
}

/** A finished answer (live, cached or degraded), as JSON or replayed as a stream, with the served headers. */
export function answer(state: Resolved, deps: PipelineDeps, res: CanonicalResponse, who: Answerer, s: Served, detourExtra?: Record<string, unknown>): Response {
  const opts = { stream: state.request.stream, wantTrace: state.wantTrace, ...(detourExtra ? { detourExtra } : {}) };
  return respondWith(deps.platform.json, state.inbound, res, metaFor(state, deps, who), s, opts);
}

function metaFor(state: Resolved, deps: PipelineDeps, who: Answerer): AnswerMeta {
  return {
    id: `${state.inbound.idPrefix}${state.requestId}`,
    created: Math.floor(deps.app.clock.now() / 1000),
    model: `${who.provider.id}/${who.model.id}`,
    request: state.request,
    // Classification has already estimated this request's input (the same function); a count once is enough.
    inputTokens: (state as Partial<Classified>).classification?.estimatedInputTokens ?? estimateInputTokens(state.request),
  };
}
