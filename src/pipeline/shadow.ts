// Shadow: is this request mirrored to the route's candidate fallbacks, and how did each compare with the primary?
/**
 * Runs after execute, on the caller's path only to decide (src/readiness/sampling.ts): a few comparisons and one
 * draw. The mirrored calls run after the response (`later`, i.e. ctx.waitUntil) once the primary's answer is complete
 * (a stream: when it ends), so they never delay, change or bill the caller's answer. A target is skipped while its
 * breaker is open in this isolate's view. Each call goes through the target's own adapter and the same fetch edge as
 * live traffic (drill faults included), but never through the caller's recorder, breakers, cache or tenant limits;
 * its comparison (src/readiness/compare.ts) goes to the target's ProviderHealth object (src/readiness/store.ts).
 */
import type { CanonicalResponse } from "../canonical";
import { breakerKey } from "../breakers/request";
import { armTimer, withTimeout } from "../engine/clock";
import { providerFor } from "../providers/registry";
import type { Target } from "../providers/types";
import { compare } from "../readiness/compare";
import { chooseShadow } from "../readiness/sampling";
import type { ShadowSample, Verdict } from "../readiness/score";
import { readinessKey } from "../readiness/store";
import { admitLocally } from "../resilience/breaker";
import { costOf } from "../routing/route-request";
import type { PipelineDeps } from "./deps";
import { engineFor } from "./execute";
import type { Executed } from "./state";

/** Decide now; mirror after the response, when the answer came from the primary. */
export function shadow(state: Executed, deps: PipelineDeps): void {
  if (!state.outcome.ok) return;
  const { app } = deps;
  const choice = chooseShadow({
    config: state.config,
    route: state.plan.route,
    cacheControl: state.http.headers.get("cache-control"),
    tenantShadow: state.caller.shadow,
    draw: app.random(),
    now: app.clock.now(),
  });
  if (!choice.mirror) return;
  const targets = choice.shadow.targets;
  state.recorder.mirrors((res, served, how) => {
    if (how.mode !== "primary") return;
    for (const ref of targets) {
      if (ref === `${served.provider.id}/${served.model.id}`) continue;
      const target = findTarget(state, ref);
      if (target) deps.platform.later(mirror(state, deps, target, res, served, how.latencyMs));
    }
  });
}

/** One mirrored call and its comparison, recorded in the target's object; never throws. */
async function mirror(state: Executed, deps: PipelineDeps, target: Target, primary: CanonicalResponse, primaryTarget: Target, primaryMs: number): Promise<void> {
  const { app, platform } = deps;
  const { config, request, classification } = state;
  const key = breakerKey(config, target.provider.id, platform.where);
  const snap = app.breakerView.get(key);
  if (snap && admitLocally(snap, app.clock.now()).verdict !== "admit") return; // its breaker is open: leave it be
  const started = app.clock.now();
  let sample: ShadowSample;
  const primaryCostUsd = costOf(primaryTarget, primary.usage, classification.estimatedInputTokens, request.maxTokens) ?? 0;
  const controller = new AbortController();
  const disarm = armTimer(app.clock, state.plan.deadlineMs, controller, () => new Error("shadow call passed the route's deadline"));
  try {
    const ctx = engineFor(state, deps).contextFor(target, controller.signal);
    const res = await providerFor(target.provider.kind).complete({ ...request, stream: false, includeUsage: false }, target, ctx);
    const c = compare(request, primary, res, { taskClass: classification.taskClass, thresholds: config.readiness.thresholds });
    const verdict: Verdict = c.equivalent ? "equivalent" : c.valid ? "different" : "invalid";
    const costUsd = costOf(target, res.usage, classification.estimatedInputTokens, request.maxTokens) ?? 0;
    sample = { at: started, verdict, score: c.score, valid: c.valid, latencyMs: app.clock.now() - started, primaryLatencyMs: primaryMs, costUsd, primaryCostUsd };
  } catch {
    sample = { at: started, verdict: "error", score: 0, valid: false, latencyMs: app.clock.now() - started, primaryLatencyMs: primaryMs, costUsd: 0, primaryCostUsd };
  } finally {
    disarm();
  }
  const objectKey = readinessKey(target.provider.id);
  try {
    const stub = platform.readiness(objectKey);
    if (stub) await withTimeout(stub.recordShadow(state.plan.route, `${target.provider.id}/${target.model.id}`, [sample], config.readiness.window), config.resilience.doTimeoutMs, app.clock);
  } catch (err) {
    app.log.warn("shadow readiness report failed", { key: objectKey, error: err instanceof Error ? err.message : String(err) });
  }
}

function findTarget(state: Executed, ref: string): Target | undefined {
  const slash = ref.indexOf("/");
  const provider = state.config.providers.find((p) => p.id === ref.slice(0, slash));
  const model = provider?.models.find((m) => m.id === ref.slice(slash + 1));
  return provider && model ? { provider, model } : undefined;
}
