/**
 * What crosses the wire between the worker and the ProviderHealth Durable Object (RPC arguments and results must be
 * structured-clonable plain data).
 */
import type { AttemptReport } from "../engine/types";
import type { BreakerConfig, BreakerOp, BreakerStateName } from "../resilience/breaker";
import type { HealthConfig, HealthSummary } from "../resilience/health";
import type { ScoreParts } from "../resilience/score";

/** The settings a ProviderHealth object runs with; sent on every call so a config change applies at once. */
export interface HealthSettings {
  breaker: BreakerConfig;
  health: HealthConfig;
}

/**
 * One finished attempt as the provider's object receives it (in a batch): the engine's `AttemptReport`, cut to plain
 * wire data, stamped with the caller's clock, and with its durations named for the breaker and health.
 */
export type OutcomeSample = Pick<AttemptReport, "model" | "errorClass" | "ttftMs" | "outputTokens" | "refusal" | "failover" | "tenant"> & {
  /** Caller's clock, ms. */
  at: number;
  /** Until the first byte for streams (what the breaker's slow-call rule should judge), whole call for JSON. */
  durationMs: number;
  /** Whole call, for health latency percentiles. */
  latencyMs: number;
  probe: boolean;
};

/** Monotonic counters since the object was created, for /metrics. */
export interface ProviderCounters {
  /** outcome ("ok" or an error class) → count. */
  requests: Record<string, number>;
  failovers: number;
  /** Latency histogram counts per slot of LATENCY_BOUNDS_MS (overflow last), successes only; /metrics accumulates. */
  latencyBuckets: number[];
  latencySumMs: number;
  latencyCount: number;
}

/** Everything routing and operators need to know about one breaker key (provider, or provider@region). */
export interface ProviderSnapshot {
  key: string;
  state: BreakerStateName;
  since: number;
  openUntil: number | null;
  trips: number;
  probesInFlight: number;
  score: number;
  scoreParts: ScoreParts;
  health: HealthSummary;
  window: { calls: number; failures: number; slow: number; failureRate: number; slowRate: number };
  /** The same health, per model of this provider. */
  models: Record<string, { health: HealthSummary; score: number }>;
  /** "FROM->TO" → count. */
  transitions: Record<string, number>;
  counters: ProviderCounters;
  /** Object's clock when the snapshot was taken. */
  at: number;
}

export type { BreakerOp };
