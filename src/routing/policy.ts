/**
 * The routing policy (issue 4): per tier how healthy a provider must be, whether requests may be hedged and when they
 * are shed; per task class how targets are ordered and the least model quality it accepts. Pure config: `plan`
 * (src/routing/plan.ts) reads it, nothing here decides anything.
 *
 * Every field has a default, so `RoutingPolicy.parse({})` is the documented policy:
 *
 * | tier     | minHealth | hedge | shed at pressure |
 * |----------|-----------|-------|------------------|
 * | premium  | 0.8       | yes   | never            |
 * | standard | 0.5       | no    | ≥ 0.9            |
 * | free     | 0.2       | no    | ≥ 0.5            |
 *
 * | class                                 | strategy | quality floor |
 * |---------------------------------------|----------|---------------|
 * | classification, extraction, rewrite   | cheapest | 1             |
 * | summarization, chat                   | ordered  | 2             |
 * | code, reasoning                       | reliable | 3             |
 */
import * as z from "../zod";
import type { TaskClass } from "./classify";

/** A model's quality on a 1 (small, cheap) … 5 (frontier) scale, set by the operator per model. */
export const ModelQuality = z.number().check(z.int(), z.gte(1), z.lte(5));
export type ModelQuality = z.infer<typeof ModelQuality>;

/** The quality of a model that does not state one: the middle of the scale, so it passes the default floors. */
export const DEFAULT_MODEL_QUALITY = 3;

/** A model's quality; the schema defaults it, the fallback covers models built by hand (tests, scripts). */
export function modelQuality(model: { quality?: number | undefined }): number {
  return model.quality ?? DEFAULT_MODEL_QUALITY;
}

/** How much a route's requests matter: must-succeed is never shed and gets a warm standby; can-delay is shed first. */
export const Criticality = z.enum(["must-succeed", "can-degrade", "can-delay"]);
export type Criticality = z.infer<typeof Criticality>;

/**
 * How a class's eligible targets are ordered: `cheapest` by estimated cost, `reliable` by health score, `ordered` as
 * the route lists them.
 */
export const Strategy = z.enum(["cheapest", "reliable", "ordered"]);
export type Strategy = z.infer<typeof Strategy>;

function tierPolicy(d: { minHealth: number; hedge: boolean; shed: number | false }) {
  return z.prefault(z.strictObject({
    /** Providers whose health score is below this are skipped for this tier (a half-open breaker excepted). */
    minHealth: z._default(z.number().check(z.gte(0), z.lte(1)), d.minHealth),
    /** May this tier's requests be hedged (a second attempt started when the first is slower than its p95)? */
    hedge: z._default(z.boolean(), d.hedge),
    /** Shed this tier's requests when routing pressure reaches this share (0–1); `false` never sheds. */
    shed: z._default(z.union([z.number().check(z.gte(0), z.lte(1)), z.literal(false)]), d.shed),
  }), {});
}

function classPolicy(d: { strategy: Strategy; qualityFloor: number }) {
  return z.prefault(z.strictObject({
    strategy: z._default(Strategy, d.strategy),
    /** Models whose quality is below this are never tried for this class (except as a last-resort fallback). */
    qualityFloor: z._default(ModelQuality, d.qualityFloor),
  }), {});
}

const cheap = { strategy: "cheapest", qualityFloor: 1 } as const;
const steady = { strategy: "ordered", qualityFloor: 2 } as const;
const hard = { strategy: "reliable", qualityFloor: 3 } as const;

/** Per-class settings; a class left out keeps its own default (not a generic one), so overriding one key is safe. */
const Classes = z.prefault(z.strictObject({
    // Low-risk classes: a small model does them well, so spend as little as possible.
    classification: classPolicy(cheap),
    extraction: classPolicy(cheap),
    rewrite: classPolicy(cheap),
    // The operator's configured order already encodes a preference; keep it, minus unhealthy targets.
    summarization: classPolicy(steady),
    chat: classPolicy(steady),
    // Complex work stays on the most reliable path: a failed or weak answer costs more than the tokens.
    code: classPolicy(hard),
    reasoning: classPolicy(hard),
  } satisfies Record<TaskClass, unknown>), {});

export const RoutingPolicy = z.strictObject({
  tiers: z.prefault(z.strictObject({
      premium: tierPolicy({ minHealth: 0.8, hedge: true, shed: false }),
      standard: tierPolicy({ minHealth: 0.5, hedge: false, shed: 0.9 }),
      free: tierPolicy({ minHealth: 0.2, hedge: false, shed: 0.5 }),
    }), {}),
  classes: Classes,
  /** Criticality of a route that does not set one. */
  criticality: z._default(Criticality, "can-degrade"),
  /** Must-succeed routes append the most reliable model not already planned as a warm standby. */
  standby: z._default(z.boolean(), true),
  hedging: z.prefault(z.strictObject({
      /** At most this share of requests may be hedged (The Tail at Scale keeps it to a few per cent). */
      maxHedgeShare: z._default(z.number().check(z.gte(0), z.lte(1)), 0.1),
      /** The hedge delay is the first target's observed p95, clamped to [minDelayMs, maxDelayMs]. */
      minDelayMs: z._default(z.number().check(z.int(), z.nonnegative()), 50),
      maxDelayMs: z._default(z.number().check(z.int(), z.nonnegative()), 5000),
    }).check(z.refine((h) => h.minDelayMs <= h.maxDelayMs, { message: "minDelayMs must not exceed maxDelayMs", path: ["minDelayMs"] })), {}),
});
export type RoutingPolicy = z.infer<typeof RoutingPolicy>;

/** The documented defaults, parsed once. */
export const DEFAULT_ROUTING_POLICY: RoutingPolicy = RoutingPolicy.parse({});
