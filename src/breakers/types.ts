/**
 * What crosses the wire between the worker and the ProviderHealth Durable Object (RPC arguments and results must be
 * structured-clonable plain data).
 */
import type { ErrorClass } from "../engine/errors";
import type { AttemptReport } from "../engine/types";
import type { BreakerConfig, BreakerOp, BreakerStateName } from "../resilience/breaker";
import type { ProviderConfig } from "../config/schema";
import type { HealthConfig, HealthSummary } from "../resilience/health";
import type { ProbeConfig } from "../resilience/probe";
import type { ScoreParts } from "../resilience/score";
import type { ReadinessSummary } from "../readiness/score";

/**
 * What the object needs to probe its provider while the breaker is open: the probe settings, the provider's config
 * (its adapter kind, base URL, headers, and the *name* of its key's secret — never the key) and which of its models to
 * ask.
 */
export interface ProbeSettings extends ProbeConfig {
  provider: ProviderConfig;
  model: string;
}

/** The settings a ProviderHealth object runs with; sent on every call so a config change applies at once. */
export interface HealthSettings {
  breaker: BreakerConfig;
  health: HealthConfig;
  /** Absent (settings from an older worker): the object does not probe. */
  probe?: ProbeSettings;
  /**
   * `resilience.aggregation: "location"`: an object whose key is not `parent` is a location object; it forwards its
   * outcomes to the object named `parent` every `forwardMs` (src/resilience/aggregate.ts). Absent: one tier.
   */
  aggregate?: { parent: string; forwardMs: number };
}

/**
 * One finished attempt as the provider's object receives it (in a batch): the engine's `AttemptReport`, cut to plain
 * wire data, stamped with the caller's clock, and with its durations named for the breaker and health.
 */
export type OutcomeSample = Pick<AttemptReport, "model" | "errorClass" | "ttftMs" | "outputTokens" | "refusal" | "failover" | "tenant" | "check"> & {
  /** Caller's clock, ms. */
  at: number;
  /** Until the first byte for streams (what the breaker's slow-call rule should judge), whole call for JSON. */
  durationMs: number;
  /** Whole call, for health latency percentiles. */
  latencyMs: number;
  probe: boolean;
};

/** The last active probe the object sent (callers' clock), for /status and drills. */
export interface ProbeResult {
  at: number;
  ms: number;
  model: string;
  /** Absent when the provider answered. */
  errorClass?: ErrorClass;
  /** The drill fault that failed it, when one did. */
  chaos?: string;
}

/** Monotonic counters since the object was created, for /metrics. */
export interface ProviderCounters {
  /** outcome ("ok" or an error class) → count. */
  requests: Record<string, number>;
  /** model → failed output check → count (`invalid_output` answers; absent in counters stored before it existed). */
  validation?: Record<string, Record<string, number>>;
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
  /** The object's last active probe of this provider (null: none since it was created). */
  lastProbe?: ProbeResult | null;
  score: number;
  /**
   * May a low score exclude this provider from a tier (`minHealth`)? False while the recent evidence is thin, so a
   * handful of failures on little traffic never locks a provider out (src/resilience/score.ts `excludable`).
   */
  excludable?: boolean;
  scoreParts: ScoreParts;
  health: HealthSummary;
  window: { calls: number; failures: number; slow: number; failureRate: number; slowRate: number };
  /** The same health, per model of this provider. */
  models: Record<string, { health: HealthSummary; score: number; excludable?: boolean }>;
  /** "FROM->TO" → count. */
  transitions: Record<string, number>;
  counters: ProviderCounters;
  /** Shadow readiness of this provider's models as a route's candidate fallback: route → target → summary. */
  readiness?: Record<string, Record<string, ReadinessSummary>>;
  /** Object's clock when the snapshot was taken. */
  at: number;
  /**
   * A location object's tiers (`resilience.aggregation: "location"`): its own breaker's state, and the global
   * object's as last heard (null: not yet). `state` above is the stricter of the two.
   */
  tiers?: { local: BreakerStateName; global: { state: BreakerStateName; at: number } | null };
}

export type { BreakerOp };
