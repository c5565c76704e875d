// Limits: is this tenant within its request, token and spend limits (one awaited Durable Object call when any apply)?
import type { LimitDecision } from "../resilience/limits";
import { expectedOutputTokens } from "../routing/plan";
import { costOf, limitError, tenantLimits } from "../routing/route-request";
import type { PipelineDeps } from "./deps";
import type { Limited, Routed } from "./state";

/**
 * Check the tenant's limits against this request's estimate (at the first target's price); throw a 429 when over.
 * Counters need one writer, so the check is one object call; an unreachable limiter fails open and says so. The
 * actual usage is committed by the recorder once the answer is known.
 */
export async function limits(state: Routed, deps: PipelineDeps): Promise<Limited> {
  const { config, tenant, caller, classification: cls, request, notes, recorder } = state;
  const { clock } = deps.app;
  const applying = tenantLimits(config, tenant, caller.tier);
  const limiter = Object.keys(applying).length > 0 ? deps.platform.limiter(tenant) : undefined;
  if (!limiter) return state;
  const first = state.routed.targets[0]!.target;
  const estimate = {
    tokens: cls.estimatedInputTokens + expectedOutputTokens(first, request.maxTokens),
    costUsd: costOf(first, undefined, cls.estimatedInputTokens, request.maxTokens) ?? 0,
  };
  let decision: LimitDecision | undefined;
  try {
    decision = await limiter.check(applying, clock.now(), estimate);
  } catch (err) {
    notes.push(`tenant limits unreachable (${err instanceof Error ? err.message : String(err)}); failing open`);
  }
  if (decision && !decision.allowed) throw limitError(decision);
  recorder.commitsUsage((target, usage) => {
    const costUsd = costOf(target, usage, cls.estimatedInputTokens, request.maxTokens) ?? 0;
    return limiter.commit(clock.now(), { tokens: usage ? usage.inputTokens + usage.outputTokens : 0, costUsd });
  });
  return { ...state, limiter };
}
