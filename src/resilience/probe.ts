/**
 * Active probing of an open breaker: while a provider's breaker is OPEN (or HALF_OPEN with a free permit), its
 * ProviderHealth object sends one minimal real completion every `intervalMs`, so a healed provider closes within
 * seconds instead of waiting out its open time for a caller's request to probe it.
 *
 * Why a completion and not a model list: a vendor's list endpoint often answers while inference is down, so the only
 * honest probe is the thing that failed, made as cheap as possible (one token, "ping").
 *
 * Cost: one 1-token completion (a few input tokens, one output token) per open provider key per `intervalMs`, only
 * while the breaker is open; nothing while it is closed. With the default 2 s that is at most 30 calls a minute per
 * open provider (per region, with regional breakers).
 *
 * Pure: `now` and the state are arguments. What a probe's answer does to the breaker is `probeAnswered` in
 * ./breaker.ts; this file says when to probe and what to send.
 */
import * as z from "../zod";
import type { CanonicalRequest } from "../canonical";
import type { BreakerConfig, BreakerState } from "./breaker";

/** `resilience.probe`: active probing of open breakers (docs/breakers.md "Active probing"). */
export const ProbeConfig = z.strictObject({
  /** Probe open breakers at all. Off: an open breaker waits for its open time and a caller's request to probe. */
  enabled: z._default(z.boolean(), true),
  /** Time between probes of one open breaker; shorter finds a healed provider sooner and costs more calls. */
  intervalMs: z._default(z.number().check(z.int(), z.gte(500), z.lte(300_000)), 2000),
  /** A probe that has not answered within this counts as failed (a hung provider is not healed). */
  timeoutMs: z._default(z.number().check(z.int(), z.gte(100), z.lte(60_000)), 5000),
});
export type ProbeConfig = z.infer<typeof ProbeConfig>;

/** Defaults, for callers that build settings by hand. */
export const DEFAULT_PROBE: ProbeConfig = ProbeConfig.parse({});

/** Is there anything for a probe to prove: OPEN, or HALF_OPEN with a permit to spare? */
function probeable(state: BreakerState, breaker: BreakerConfig): boolean {
  return state.state === "OPEN" || (state.state === "HALF_OPEN" && state.permits.length < breaker.probes);
}

/**
 * When the next probe of this breaker is due, or undefined when none should be sent (probing off, breaker closed or
 * held by an operator). The first probe comes one interval after the breaker opened, then one interval after the
 * last probe started.
 */
export function nextProbeAt(state: BreakerState, breaker: BreakerConfig, cfg: ProbeConfig, lastProbeAt: number | null): number | undefined {
  if (!cfg.enabled || !probeable(state, breaker)) return undefined;
  const from = lastProbeAt !== null && lastProbeAt >= state.since ? lastProbeAt : state.since;
  return from + cfg.intervalMs;
}

/** Should a probe start at `now`? */
export function probeDue(state: BreakerState, breaker: BreakerConfig, cfg: ProbeConfig, lastProbeAt: number | null, now: number): boolean {
  const at = nextProbeAt(state, breaker, cfg, lastProbeAt);
  return at !== undefined && now >= at;
}

/** The probe itself: the smallest completion a vendor will serve. */
export function probeRequest(): CanonicalRequest {
  return { messages: [{ role: "user", content: "ping" }], maxTokens: 1, stream: false, includeUsage: false };
}

/**
 * `resilience.canary`: the other half of recovery, for providers whose breaker is closed but whose score skips them
 * for a tier. A share of requests tries such a provider first (src/routing/plan.ts), so evidence that it healed keeps
 * arriving. Each canary that fails costs its request one failover.
 */
export const CanaryConfig = z.strictObject({
  /** Share of requests (0..1) that carry a canary when a target is skipped for health; 0 turns canaries off. */
  share: z._default(z.number().check(z.gte(0), z.lte(1)), 0.05),
});
export type CanaryConfig = z.infer<typeof CanaryConfig>;
