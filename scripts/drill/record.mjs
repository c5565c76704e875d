// One request's record: what the report needs from an answer (served or not, how, how fast), nothing of its content.
import { MODES, round1 } from "./common.mjs";

/**
 * A 200 whose body parsed and whose stream (if any) ended with [DONE] is served; its mode is Detour's x-detour-mode
 * (primary when absent); anything else is mode "error". `r` is what client.chat resolved with.
 */
export function recordOf(i, phaseIndex, phase, req, sentAt, r, keepTraces = false) {
  const served = r.status === 200 && !r.invalidBody && r.streamEnd !== "error_event" && r.streamEnd !== "aborted" && r.streamEnd !== "none" && !r.aborted;
  const mode = served ? (MODES.includes(r.mode) ? r.mode : r.mode ?? "primary") : "error";
  return {
    i,
    phase,
    phaseIndex,
    t: round1(sentAt),
    cls: req.cls,
    stream: req.stream,
    repeat: req.repeat,
    status: r.status,
    mode,
    served,
    provider: r.provider,
    model: r.model,
    bodyModel: r.bodyModel,
    cache: r.cache,
    degraded: r.degraded,
    costUsd: r.costHeader,
    hedged: r.hedged,
    latencyMs: r.latencyMs !== undefined ? round1(r.latencyMs) : undefined,
    ttfbMs: r.ttfbMs !== undefined ? round1(r.ttfbMs) : undefined,
    usage: r.usage,
    streamEnd: r.streamEnd,
    streamError: r.streamError,
    errorCode: r.errorCode,
    clientError: r.clientError,
    clientRetried: r.clientRetried,
    invalidBody: r.invalidBody,
    attempts: r.trace?.attempts?.map(attemptOf),
    expect: req.expect,
    answer: req.cls === "classification" ? r.answer : undefined,
    ...(req.tenant !== undefined ? { tenant: req.tenant } : {}),
    ...(req.kind !== undefined ? { kind: req.kind } : {}),
    ...(keepTraces && r.trace ? { trace: r.trace } : {}),
  };
}

/** One attempt of the answer's trace, with only the fields it has. */
function attemptOf(a) {
  return {
    provider: a.provider,
    outcome: a.outcome,
    ...(a.reason ? { reason: a.reason } : {}),
    ...(a.error_class ? { error: a.error_class } : {}),
    ...(a.status ? { status: a.status } : {}),
    ...(a.probe ? { probe: true } : {}),
    ms: a.ms,
  };
}
