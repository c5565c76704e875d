/**
 * One request's routing decision at the edge: feeds the pure `plan` (src/routing/plan.ts) with the isolate's breaker
 * and health snapshots, turns its answer into the engine's planned targets, hedge options and trace, and applies the
 * tenant's limits. Policy lives in plan.ts and policy.ts; this file only wires it.
 */
import { ApiError } from "../api/errors";
import type { BreakerView } from "../breakers/view";
import type { Tier } from "../config/tier";
import type { DetourConfig } from "../config/schema";
import type { AttemptReport as AttemptLog, HedgeOptions, PlannedTarget } from "../engine/types";
import type { Target } from "../providers/types";
import { effectiveState } from "../resilience/breaker";
import { slowThreshold, type InflightTracker } from "../resilience/inflight";
import { limitsFor, type LimitDecision, type TenantLimits, type Usage } from "../resilience/limits";
import type { Hold } from "../resilience/spend-holds";
import type { CommitOnce } from "../resilience/commit-once";
import type { Classification } from "./classify";
import { estimateCostUsd, expectedOutputTokens, plan, UNKNOWN_HEALTH, type RoutingPlan, type TargetHealth } from "./plan";
import type { ResolvedPlan } from "./resolve";
import { orderByReadiness } from "./readiness-order";
import { readinessIn, readinessKey } from "../readiness/store";

export interface RoutedRequest {
  targets: PlannedTarget[];
  /** Targets routing left out, as trace lines. */
  skipped: AttemptLog[];
  hedge: HedgeOptions | undefined;
  /** For the trace: why each target is where it is. */
  trace: Record<string, unknown>;
  plan: RoutingPlan;
  /**
   * Load shedding refused the request: no target is called (`targets` is empty), but the degradation ladder still
   * answers what it can without a vendor, and this is the error when it cannot (503 `load_shed`, Retry-After).
   */
  shed?: ApiError;
}

export function routeRequest(input: {
  resolved: ResolvedPlan;
  config: DetourConfig;
  classification: Classification;
  tier: Tier;
  stream: boolean;
  view: BreakerView;
  keyFor: (t: Target) => string;
  now: number;
  hedgeShare: number;
  takeHedge: () => boolean;
  /** The isolate's in-flight tracker: suspect providers are passed over, attempts get a slow threshold. */
  inflight?: InflightTracker;
  /** One draw per request for the canary share; Math.random when the caller injects none. */
  random?: () => number;
}): RoutedRequest {
  const { resolved, config } = input;
  const route = config.routes[resolved.route];
  const criticality = route?.criticality ?? config.routing.criticality;
  const inflight = config.resilience.inflight.enabled ? input.inflight : undefined;
  const suspect = (t: Target) => inflight?.suspect(input.keyFor(t), input.now) === true;
  const health = (t: Target): TargetHealth | undefined => {
    const snap = input.view.get(input.keyFor(t));
    if (!snap) return suspect(t) ? { ...UNKNOWN_HEALTH, suspect: true } : undefined;
    const m = snap.models[t.model.id];
    return {
      ...(suspect(t) ? { suspect: true } : {}),
      // An open breaker whose time is up is a probe candidate: planned like half-open, and admission decides.
      state: effectiveState(snap, input.now),
      score: m?.score ?? snap.score,
      rateLimitRate: snap.health.rateLimitRate,
      ttftP95Ms: m?.health.ttft.p95 ?? snap.health.ttft.p95,
      latencyP95Ms: m?.health.latency.p95 ?? snap.health.latency.p95,
      ...((m?.excludable ?? snap.excludable) === false ? { excludable: false } : {}),
    };
  };
  const planned = plan({
    classification: input.classification,
    tier: input.tier,
    criticality,
    candidates: resolved.targets.map((t) => t.target),
    health,
    policy: config.routing,
    stream: input.stream,
    hedgeShare: input.hedgeShare,
    now: input.now,
    canary: { share: config.resilience.canary.share, draw: (input.random ?? Math.random)() },
  });
  // requireReadiness: failovers not proven by shadow traffic move behind those that are (readiness-order.ts).
  const target = (t: Target) => `${t.provider.id}/${t.model.id}`;
  const byReadiness = orderByReadiness(planned.ordered, route?.requireReadiness, (t) => readinessIn(input.view.get(readinessKey(t.provider.id)), resolved.route, target(t)));
  const p = { ...planned, ordered: byReadiness.ordered };
  // Shed: no vendor call, but not a bare error either — with every target down the ladder (cache, templates, rules)
  // may still answer, and it costs the vendors nothing.
  const shed = p.shed.shed
    ? new ApiError(503, "api_error", "load_shed", `Detour is shedding load to keep higher-priority traffic flowing (${p.shed.reason}). Retry shortly.`, null, { "retry-after": "5" })
    : undefined;
  const policyOf = new Map(resolved.targets.map((t) => [t.target, t.policy] as const));
  const slowAfter = (t: Target): { slowAfterMs?: number; slowFromHistory?: boolean } => {
    if (!inflight) return {};
    const snap = input.view.get(input.keyFor(t));
    const h = snap?.models[t.model.id]?.health ?? snap?.health;
    const history = h ? { ttftP99Ms: h.ttft.p99, latencyP99Ms: h.latency.p99, tokensPerSecond: h.tokensPerSecond } : undefined;
    const { ms, fromHistory } = slowThreshold(config.resilience.inflight, history, { stream: input.stream, maxOutputTokens: input.classification.needs.maxOutputTokens });
    return { slowAfterMs: ms, ...(fromHistory ? { slowFromHistory: true } : {}) };
  };
  const targets = shed ? [] : p.ordered.map((e) => ({ target: e.target, policy: policyOf.get(e.target) ?? resolved.targets[0]!.policy, ...slowAfter(e.target) }));
  if (targets.length === 0 && !shed) {
    throw new ApiError(
      400,
      "invalid_request_error",
      "no_capable_model",
      `No model on '${resolved.route}' can take this request: ${p.skipped.map((s) => `${s.target.provider.id}/${s.target.model.id} ${s.reason}`).join("; ")}.`,
      "model",
    );
  }
  // The hedge share protects healthy providers from doubled load; against a provider judged sick it only delays help.
  // Asked when the hedge timer fires, `afterMs` after routing: is the first target suspect by then?
  const first = p.ordered[0]?.target;
  const hedgeAt = input.now + (p.hedge.afterMs ?? 0);
  const allow = () => (first !== undefined && inflight?.suspect(input.keyFor(first), hedgeAt) === true) || input.takeHedge();
  const hedge = !shed && p.hedge.allowed && p.hedge.afterMs !== undefined ? { afterMs: p.hedge.afterMs, allow } : undefined;
  const skips = [...(shed ? p.ordered.map((e) => ({ target: e.target, reason: `load_shed: ${p.shed.reason}` })) : []), ...p.skipped];
  return {
    targets,
    skipped: skips.map((s) => ({ provider: s.target.provider.id, model: s.target.model.id, outcome: "skipped" as const, skipReason: s.reason, ms: 0 })),
    hedge,
    ...(shed ? { shed } : {}),
    plan: p,
    trace: {
      task_class: input.classification.taskClass,
      class_source: input.classification.source,
      tier: input.tier,
      criticality,
      estimated_input_tokens: input.classification.estimatedInputTokens,
      order: p.ordered.map((e) => ({ target: `${e.target.provider.id}/${e.target.model.id}`, reason: e.reason, ...(e.priced ? { estimated_cost_usd: round6(e.estimatedCostUsd) } : {}) })),
      skipped: p.skipped.map((s) => ({ target: `${s.target.provider.id}/${s.target.model.id}`, reason: s.reason })),
      hedge: p.hedge.reason,
      ...(p.canary ? { canary: `${p.canary.target.provider.id}/${p.canary.target.model.id}` } : {}),
      pressure: Number(p.pressure.toFixed(2)),
      ...(byReadiness.demoted.length ? { below_readiness: byReadiness.demoted.map((e) => target(e.target)) } : {}),
    },
  };
}

/** The answer's cost: actual usage at the served model's price, else the plan's estimate. */
export function costOf(target: Target, usage: { inputTokens: number; outputTokens: number } | undefined, inputEstimate: number, maxTokens: number | undefined): number | undefined {
  const cost = usage
    ? estimateCostUsd(target, usage.inputTokens, usage.outputTokens)
    : estimateCostUsd(target, inputEstimate, expectedOutputTokens(target, maxTokens));
  return cost === undefined ? undefined : round6(cost);
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The limits that apply to a tenant: tier defaults, then config's tier overrides, then the tenant's own. */
export function tenantLimits(config: DetourConfig, tenant: string, tier: Tier): TenantLimits {
  return { ...limitsFor(tier, config.tenants.tiers[tier] ?? {}), ...(config.tenants.byTenant[tenant] ?? {}) };
}

export interface LimiterStub {
  /** `holdMs`: under a spend cap, how long the estimate is held if no commit comes (src/resilience/spend-holds.ts). */
  check(limits: TenantLimits, now: number, estimate: Usage, holdMs?: number): Promise<LimitDecision>;
  /**
   * `release`: the hold `check` gave, on the request's one commit that gives it back; `once`: the commit's id, so a
   * re-sent copy is applied once (src/resilience/commit-once.ts).
   */
  commit(now: number, actual: Usage, release?: Hold, once?: CommitOnce): Promise<unknown>;
}

/** A 429 for a tenant over its limits, saying which and when to come back. */
export function limitError(decision: LimitDecision): ApiError {
  const what =
    decision.reason === "spend_cap"
      ? "This tenant has reached its monthly spend cap"
      : decision.reason === "token_limit"
        ? "This tenant has used its tokens for this minute"
        : "This tenant has sent too many requests this minute";
  return new ApiError(429, "rate_limit_error", decision.reason === "spend_cap" ? "spend_cap_reached" : "tenant_rate_limited", `${what}; retry in ${decision.retryAfterSeconds} s.`, null, {
    "retry-after": String(decision.retryAfterSeconds),
  });
}
