/**
 * The routing plan (issue 4): which targets a request tries, in what order, and why. Pure: the
 * classification, the caller's tier, the route's criticality and candidates, a health lookup and the policy go in; an
 * ordered list with a reason per target, the targets skipped and why, a hedge decision and a shed decision come out.
 *
 * Steps, each leaving a reason for the trace:
 * 1. Capability: context window (input + requested output), max output, tools, JSON, vision. A model that cannot
 *    take the request is never tried, not even as a fallback.
 * 2. Health: an open, forced-open or disabled breaker is skipped, and so is a provider this isolate suspects of hanging
 *    (`suspect`); a score below the tier's `minHealth` is skipped for
 *    that tier; a half-open breaker stays, after the healthy targets. Unknown health counts as healthy at 0.9.
 * 3. Quality floor of the task class.
 * 4. Order by the class strategy (cheapest / reliable / ordered).
 * 5. Nothing left → every capable model, health ignored (`fallback: no healthy target`); else must-succeed routes
 *    append a warm standby.
 * Then hedging (tier, ≥ 2 targets, an observed p95) and shedding (pressure against the tier's threshold).
 *
 * A health skip is never permanent: a score may exclude a target only on enough recent evidence (`excludable`), and
 * a target skipped for health still gets a canary share of requests (`canary`): one drawn request in 1/share tries it
 * first, so evidence that it healed keeps arriving (docs/health-score.md "Never a permanent skip").
 */
import type { Tier } from "../config/tier";
import type { Target } from "../providers/types";
import { verdictOf, type BreakerStateName } from "../resilience/breaker";
import type { Classification } from "./classify";
import { type Criticality, modelQuality, type RoutingPolicy, type Strategy } from "./policy";

/** What `plan` needs to know about a target's live health; `undefined` when nothing is known yet. */
export interface TargetHealth {
  /**
   * The breaker's effective state at the plan's `now` (`effectiveState` in src/resilience/breaker.ts: an OPEN breaker
   * past its open time is HALF_OPEN). Its admission verdict (`verdictOf`) decides skip or probe.
   */
  state: BreakerStateName;
  /** Health score in [0, 1] (docs/health-score.md). */
  score: number;
  rateLimitRate: number;
  ttftP95Ms: number | null;
  latencyP95Ms: number | null;
  /**
   * This isolate sees several of the provider's calls in flight far past its normal latency (src/resilience/inflight.ts):
   * passed over like an open breaker until it answers in normal time again or its cool-down ends.
   */
  suspect?: boolean;
  /**
   * May a score below the tier's `minHealth` skip this target? False on thin recent evidence (a handful of failures
   * on little traffic). Absent: yes.
   */
  excludable?: boolean;
}

export interface PlanInput {
  classification: Classification;
  tier: Tier;
  criticality: Criticality;
  /** The route's targets in configured order, then any extra models the route allows. Duplicates are dropped. */
  candidates: Target[];
  health: (target: Target) => TargetHealth | undefined;
  policy: RoutingPolicy;
  /** Streaming requests hedge on p95 TTFT, others on p95 latency. Default false. */
  stream?: boolean;
  /** Share of recent requests that were hedged, when the caller tracks it; at `maxHedgeShare` hedging stops. */
  hedgeShare?: number;
  /** Caller's clock, ms. Not read by today's rules; part of the signature so time-based rules stay pure. */
  now: number;
  /** Canary share and this request's draw in [0, 1) (the caller's `random()`); absent: no canaries. */
  canary?: { share: number; draw: number };
}

export interface PlannedEntry {
  target: Target;
  reason: string;
  /** Estimated cost of the request on this target, USD; 0 when the model has no price (see `priced`). */
  estimatedCostUsd: number;
  priced: boolean;
}

export interface RoutingPlan {
  ordered: PlannedEntry[];
  skipped: { target: Target; reason: string }[];
  /**
   * A target was left out because it is unavailable (breaker or tier health), not because routing preferred
   * another for capability or quality: whatever answers is then a failover.
   */
  passedOver: boolean;
  hedge: { allowed: boolean; afterMs?: number; reason: string };
  /** Share in [0, 1] of the capable targets that are unavailable, rate-limited or nearly dead. */
  pressure: number;
  shed: { shed: boolean; reason?: string };
  /** This request is a canary for a target skipped for health: it goes first, the healthy targets after it. */
  canary?: { target: Target; reason: string };
}

/** Unknown health: the same neutral prior the health score blends cold providers towards. */
export const UNKNOWN_HEALTH: TargetHealth = { state: "CLOSED", score: 0.9, rateLimitRate: 0, ttftP95Ms: null, latencyP95Ms: null };
/** Output tokens assumed when the caller sets no cap: most answers are far below a model's maximum. */
export const DEFAULT_EXPECTED_OUTPUT = 1024;
/** For pressure, a target with this share of 429s or more counts as saturated. */
export const PRESSURE_RATE_LIMIT = 0.2;
/** For pressure, a target scoring below this counts as unavailable whatever the tier. */
export const PRESSURE_MIN_SCORE = 0.2;

/** Why a suspect provider was passed over, as the trace reads it. */
export const SUSPECT_REASON = "suspect: calls in flight far slower than normal";

/** The breaker refuses every call: the target is skipped, and it is never a standby. */
const blocked = (h: TargetHealth) => verdictOf(h.state).verdict === "deny";
/** The breaker lets only probes through: the target keeps its place and admission decides per request. */
const probing = (h: TargetHealth) => verdictOf(h.state).verdict === "probe";

/** USD for `inputTokens` in and `outputTokens` out at the model's per-million prices; undefined without a price. */
export function estimateCostUsd(target: Target, inputTokens: number, outputTokens: number): number | undefined {
  const price = target.model.price;
  if (!price) return undefined;
  return (inputTokens * price.input + outputTokens * price.output) / 1_000_000;
}

/** The output tokens a request may use on a model: the caller's cap, else the model's maximum up to 1024. */
export function expectedOutputTokens(target: Target, maxOutputTokens: number | undefined): number {
  return maxOutputTokens ?? Math.min(target.model.maxOutputTokens, DEFAULT_EXPECTED_OUTPUT);
}

/** Why a model cannot take the request, or undefined when it can. */
export function capabilityGap(target: Target, c: Pick<Classification, "estimatedInputTokens" | "needs">): string | undefined {
  const m = target.model;
  const total = c.estimatedInputTokens + expectedOutputTokens(target, c.needs.maxOutputTokens);
  if (total > m.contextWindow) return `skipped: context ${total} > ${m.contextWindow}`;
  if ((c.needs.maxOutputTokens ?? 0) > m.maxOutputTokens) return `skipped: max output ${c.needs.maxOutputTokens} > ${m.maxOutputTokens}`;
  if (c.needs.tools && !m.tools) return "skipped: no tools";
  if (c.needs.json && !m.json) return "skipped: no json";
  if (c.needs.vision && !m.vision) return "skipped: no vision";
  return undefined;
}

/** One capable candidate with everything ordering needs. */
interface Row {
  target: Target;
  /** Position in `candidates`: the configured order. */
  index: number;
  health: TargetHealth;
  quality: number;
  cost: number | undefined;
}

/** Decide where a request goes. See the module comment for the rules. */
export function plan(input: PlanInput): RoutingPlan {
  const { classification: c, tier, criticality, policy } = input;
  const tierPolicy = policy.tiers[tier];
  const classPolicy = policy.classes[c.taskClass];
  const skipped: RoutingPlan["skipped"] = [];
  const capable: Row[] = [];
  const seen = new Set<string>();
  for (const [index, target] of input.candidates.entries()) {
    const key = `${target.provider.id}/${target.model.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const gap = capabilityGap(target, c);
    if (gap) {
      skipped.push({ target, reason: gap });
      continue;
    }
    const cost = estimateCostUsd(target, c.estimatedInputTokens, expectedOutputTokens(target, c.needs.maxOutputTokens));
    capable.push({ target, index, health: input.health(target) ?? UNKNOWN_HEALTH, quality: modelQuality(target.model), cost });
  }

  const healthy: Row[] = [];
  const held = new Map<Row, string>(); // capable but skipped for health or quality: the standby and fallback pool
  const unavailable = new Set<Row>();
  const lowScore = new Set<Row>(); // skipped for the tier's minHealth alone: canary candidates
  for (const row of capable) {
    const gap = healthOrQualityGap(row, tier, tierPolicy.minHealth, c.taskClass, classPolicy.qualityFloor);
    if (!gap) {
      healthy.push(row);
      continue;
    }
    held.set(row, gap.reason);
    if (gap.unavailable) unavailable.add(row);
    if (gap.lowScore) lowScore.add(row);
  }

  const entry = (row: Row, reason: string): PlannedEntry => ({
    target: row.target,
    reason,
    estimatedCostUsd: row.cost ?? 0,
    priced: row.cost !== undefined,
  });
  // A half-open target keeps its place: recovery needs probe traffic, and the breaker's permits already bound it.
  let ordered: PlannedEntry[] = sortBy(classPolicy.strategy, healthy).map((row, i) =>
    entry(row, reasonFor(classPolicy.strategy, row, i) + (probing(row.health) ? "; half-open: probe" : "") + thinEvidence(row, tierPolicy.minHealth)),
  );
  let canary: RoutingPlan["canary"];
  const candidate = [...lowScore].sort((a, b) => a.index - b.index)[0];
  if (candidate && ordered.length > 0 && input.canary && input.canary.draw < input.canary.share) {
    // First, so it is really called; a failure fails over to the healthy order behind it.
    const reason = `canary: ${held.get(candidate)!.replace(/^skipped: /, "")}, share ${input.canary.share}`;
    ordered = [entry(candidate, reason), ...ordered];
    held.delete(candidate);
    canary = { target: candidate.target, reason };
  }

  if (ordered.length === 0 && held.size > 0) {
    // Better a degraded provider than a certain failure: every capable model, the least broken first.
    const pool = [...held.keys()].sort((a, b) => stateRank(a) - stateRank(b) || byReliability(a, b));
    ordered = pool.map((row) => entry(row, "fallback: no healthy target"));
    held.clear();
  } else if (criticality === "must-succeed" && policy.standby) {
    // Ignores the tier threshold and quality floor on purpose: for a must-succeed route any answer beats none. A
    // blocked breaker would refuse the call anyway, so it is not a standby.
    const standby = [...held.keys()].filter((r) => !blocked(r.health)).sort(byReliability)[0];
    if (standby) {
      ordered.push(entry(standby, "warm standby"));
      held.delete(standby);
    }
  }
  for (const [row, reason] of held) skipped.push({ target: row.target, reason });
  const passedOver = [...held.keys()].some((row) => unavailable.has(row));
  // In configured order, as an operator reads the route.
  skipped.sort((a, b) => input.candidates.indexOf(a.target) - input.candidates.indexOf(b.target));

  const pressure = pressureOf(capable);
  return { ordered, skipped, passedOver, hedge: hedgeFor(input, ordered, tierPolicy.hedge), pressure, shed: shedFor(input, pressure), ...(canary ? { canary } : {}) };
}

/** Trace note for a target kept although its score is below the tier's threshold: the evidence is too thin to skip it. */
function thinEvidence(row: Row, minHealth: number): string {
  return row.health.score < minHealth && row.health.excludable === false && !probing(row.health) ? `; health ${down(row.health.score)} < ${minHealth} on thin evidence: kept` : "";
}

function healthOrQualityGap(
  row: Row,
  tier: Tier,
  minHealth: number,
  taskClass: string,
  floor: number,
): { reason: string; unavailable: boolean; lowScore?: boolean } | undefined {
  const { score } = row.health;
  const breaker = verdictOf(row.health.state);
  // The breaker's own denial reason, so the trace reads the same whichever layer skipped the target.
  if (breaker.verdict === "deny") return { reason: breaker.reason, unavailable: true };
  if (row.health.suspect) return { reason: SUSPECT_REASON, unavailable: true };
  // A half-open breaker's score is capped at 0.5 by construction, which says nothing about the provider; it stays
  // in the plan and the breaker decides whether this request may be a probe.
  // Thin recent evidence (`excludable` false) cannot skip it: nothing would then send it traffic to prove it healthy.
  if (breaker.verdict !== "probe" && score < minHealth && row.health.excludable !== false) {
    return { reason: `skipped: health ${down(score)} < ${minHealth} (${tier})`, unavailable: true, lowScore: true };
  }
  if (row.quality < floor) return { reason: `skipped: quality ${row.quality} < ${floor} (${taskClass})`, unavailable: false };
  return undefined;
}

/** Descending score, then quality, then configured order. */
function byReliability(a: Row, b: Row): number {
  return b.health.score - a.health.score || b.quality - a.quality || a.index - b.index;
}

/** Ascending cost (unpriced last), then descending score, then configured order. */
function byCost(a: Row, b: Row): number {
  if (a.cost === undefined || b.cost === undefined) {
    if (a.cost !== b.cost) return a.cost === undefined ? 1 : -1;
  } else if (a.cost !== b.cost) return a.cost - b.cost;
  return b.health.score - a.health.score || a.index - b.index;
}

function sortBy(strategy: Strategy, rows: Row[]): Row[] {
  const compare = strategy === "cheapest" ? byCost : strategy === "reliable" ? byReliability : (a: Row, b: Row) => a.index - b.index;
  return [...rows].sort(compare);
}

function reasonFor(strategy: Strategy, row: Row, i: number): string {
  if (strategy === "cheapest") return (i === 0 ? "cheapest_healthy" : "next_cheapest") + (row.cost === undefined ? " (no price)" : "");
  if (strategy === "reliable") return `${i === 0 ? "most_reliable" : "next_reliable"} (score ${down(row.health.score)})`;
  return `configured_order #${row.index + 1}`;
}

/** Fallback order: closed, then half-open, then blocked breakers (which will most likely refuse). */
function stateRank(row: Row): number {
  return probing(row.health) || row.health.suspect ? 1 : blocked(row.health) ? 2 : 0;
}

function pressureOf(capable: Row[]): number {
  // No capable target is a capability failure, not load: report no pressure so the caller's error says why.
  if (capable.length === 0) return 0;
  const strained = capable.filter(
    ({ health: h }) => verdictOf(h.state).verdict !== "admit" || h.suspect === true || h.rateLimitRate >= PRESSURE_RATE_LIMIT || h.score < PRESSURE_MIN_SCORE,
  ).length;
  return strained / capable.length;
}

function hedgeFor(input: PlanInput, ordered: PlannedEntry[], tierHedges: boolean): RoutingPlan["hedge"] {
  const { hedging } = input.policy;
  if (!tierHedges) return { allowed: false, reason: `tier ${input.tier} does not hedge` };
  const first = ordered[0];
  if (!first || ordered.length < 2) {
    return { allowed: false, reason: `nothing to hedge to: ${ordered.length} target${ordered.length === 1 ? "" : "s"}` };
  }
  // The share keeps hedges from doubling load on healthy providers; against a suspect first target it only delays help.
  const firstSuspect = input.health(first.target)?.suspect === true;
  if (!firstSuspect && input.hedgeShare !== undefined && input.hedgeShare >= hedging.maxHedgeShare) {
    return { allowed: false, reason: `hedge budget spent: ${round(input.hedgeShare)} ≥ ${hedging.maxHedgeShare}` };
  }
  const metric = input.stream ? "TTFT" : "latency";
  const h = input.health(first.target);
  const p95 = input.stream ? h?.ttftP95Ms : h?.latencyP95Ms;
  const name = `${first.target.provider.id}/${first.target.model.id}`;
  if (p95 === null || p95 === undefined) return { allowed: false, reason: `no p95 ${metric} observed for ${name}` };
  const afterMs = Math.min(hedging.maxDelayMs, Math.max(hedging.minDelayMs, Math.round(p95)));
  const clamped = afterMs === Math.round(p95) ? "" : `, clamped to ${afterMs}ms`;
  return { allowed: true, afterMs, reason: `after p95 ${metric} of ${name}: ${Math.round(p95)}ms${clamped}` };
}

function shedFor(input: PlanInput, pressure: number): RoutingPlan["shed"] {
  if (input.criticality === "must-succeed") return { shed: false };
  const { tiers } = input.policy;
  // can-delay work yields at the free tier's threshold even for premium callers, or earlier if its own tier sheds sooner.
  const limits: { at: number; who: string }[] = [];
  const own = tiers[input.tier].shed;
  if (own !== false) limits.push({ at: own, who: input.tier });
  if (input.criticality === "can-delay" && tiers.free.shed !== false) limits.push({ at: tiers.free.shed, who: "can-delay" });
  const hit = limits.filter((l) => pressure >= l.at).sort((a, b) => a.at - b.at)[0];
  return hit ? { shed: true, reason: `pressure ${round(pressure)} ≥ ${hit.at} (${hit.who})` } : { shed: false };
}

/** Two decimals, rounded down, so a value shown below a threshold never prints equal to it. */
function down(x: number): number {
  return Math.floor(x * 100 + 1e-9) / 100;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
