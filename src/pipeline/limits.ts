// Limits: is this tenant within its request, token and spend limits (one bounded Durable Object call when any apply)?
import { ApiError } from "../api/errors";
import { withTimeout } from "../engine/clock";
import type { Target } from "../providers/types";
import type { LimitDecision } from "../resilience/limits";
import { LocalLimits } from "../resilience/local-limits";
import type { Hold } from "../resilience/spend-holds";
import { expectedOutputTokens } from "../routing/plan";
import { costOf, limitError, tenantLimits } from "../routing/route-request";
import type { PipelineDeps } from "./deps";
import { usageCommitter } from "./usage-commit";
import { fallbackLimits } from "./limits-fallback";
import type { Limited, Routed } from "./state";

/** This isolate's own count of every tenant's last minute: the fallback when the limiter object is slow or down. */
export const isolateLimits = new LocalLimits();

/**
 * Check the tenant's limits against this request's estimate (at the first target's price); throw a 429 when over.
 * Counters need one writer, so the check is one object call, bounded by `resilience.doTimeoutMs`. When the object
 * does not answer in time (or fails), the per-isolate bucket (src/resilience/local-limits.ts) enforces the same
 * per-minute limits and the spend cap as far as this isolate knows it (./limits-fallback.ts) — never unlimited, never
 * a hang — and the trace says which one decided and what it checked. Under a cap the estimate is held (by the object,
 * or locally by the fallback) for the request's deadline plus `tenants.reservationGraceMs`, so a commit that never
 * comes cannot hold the budget longer. The actual usage is committed by the recorder once the answer is known, to both
 * (./usage-commit.ts: applied once by the object, re-sent when a call fails).
 */
export async function limits(state: Routed, deps: PipelineDeps, local: LocalLimits = isolateLimits): Promise<Limited> {
  const { config, tenant, caller, classification: cls, request, notes, recorder } = state;
  const { clock } = deps.app;
  const applying = tenantLimits(config, tenant, caller.tier);
  const limiter = Object.keys(applying).length > 0 ? deps.platform.limiter(tenant) : undefined;
  // A shed request calls no vendor and spends nothing: the ladder answers it or it gets its 503.
  if (!limiter || state.routed.shed) return state;
  const capped = applying.monthlySpendUsd !== undefined;
  const targets = state.routed.targets.map((t) => t.target);
  if (capped) refuseUnpriced(targets);
  const first = targets[0]!;
  // The dearest target the request may end on: failover must not be a way past the cap.
  const costUsd = Math.max(0, ...targets.map((t) => costOf(t, undefined, cls.estimatedInputTokens, request.maxTokens) ?? 0));
  const estimate = { tokens: cls.estimatedInputTokens + expectedOutputTokens(first, request.maxTokens), costUsd };
  const timeoutMs = config.resilience.doTimeoutMs;
  const holdMs = state.plan.deadlineMs + config.tenants.reservationGraceMs;
  let decision: LimitDecision;
  let hold: Hold | undefined; // the object's hold on this request's estimate, released at its commit
  let localHold: Hold | undefined; // the fallback's, when the object did not answer
  try {
    decision = await withTimeout(limiter.check(applying, clock.now(), estimate, capped ? holdMs : undefined), timeoutMs, clock);
    hold = decision.hold;
    if (decision.spend) local.learn(tenant, clock.now(), decision.spend);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    ({ decision, hold: localHold } = fallbackLimits(local, { tenant, limits: applying, now: clock.now(), estimate, holdMs, unknownSpend: config.tenants.unknownSpend, why }, notes));
  }
  if (!decision.allowed) throw limitError(decision);
  local.admit(tenant, clock.now());
  const commit = usageCommitter({ tenant, limiter, local, clock, config, ...(hold ? { hold } : {}), ...(localHold ? { localHold } : {}) });
  recorder.commitsUsage((target, usage, release) => {
    const costUsd = costOf(target, usage, cls.estimatedInputTokens, request.maxTokens) ?? 0;
    const tokens = usage ? usage.inputTokens + usage.outputTokens : 0;
    return commit({ tokens, costUsd }, release);
  }, cls.estimatedInputTokens);
  return { ...state, limiter };
}

/**
 * A tenant with a spend cap may only reach models whose cost Detour can count: an unpriced model would cost 0 and
 * walk past the cap. Simulated providers cost nothing, so they need no price.
 */
function refuseUnpriced(targets: Target[]): void {
  const unpriced = targets.find((t) => !t.model.price && t.provider.kind !== "simulated");
  if (!unpriced) return;
  const name = `${unpriced.provider.id}/${unpriced.model.id}`;
  throw new ApiError(
    400,
    "invalid_request_error",
    "unpriced_model",
    `This tenant has a monthly spend cap, and '${name}' has no price in this gateway's config, so its cost could not be counted. Ask the operator to set providers[].models[].price for it, or use a priced route.`,
    "model",
  );
}
