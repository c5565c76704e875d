/**
 * The breaker's plain-data types: its state (persisted by the ProviderHealth object as is), transitions, admission
 * decisions and outcomes. The state machine over them is src/resilience/breaker.ts, which re-exports these.
 */
import type { ErrorClass } from "../engine/errors";
import type { HalfOpenTenants, TenantMark } from "./tenants";

/** Resilience4j's state names. FORCED_OPEN and DISABLED are operator states that only `operate` leaves. */
export type BreakerStateName = "CLOSED" | "OPEN" | "HALF_OPEN" | "FORCED_OPEN" | "DISABLED";

/** One second of a time window; `second` is the epoch second (ms / 1000, floored). */
export interface SecondBucket { second: number; calls: number; failures: number; slow: number }

/** Count window: one code per call (bit 1 = failed, bit 2 = slow). Time window: per-second counts, oldest first. */
export type BreakerWindow = { type: "count"; outcomes: number[] } | { type: "time"; buckets: SecondBucket[] };

/** Everything a breaker remembers; plain JSON (nulls, no undefined) so it survives storage unchanged. */
export interface BreakerState extends HalfOpenTenants {
  state: BreakerStateName;
  /** When the current state was entered, ms. */
  since: number;
  /** While OPEN: when it may move to HALF_OPEN. Otherwise null. */
  openUntil: number | null;
  /** Consecutive trips not yet forgiven by healthy decay; drives open-time growth. */
  trips: number;
  lastTripAt: number | null;
  /** While CLOSED with trips > 0: the start of the current healthy-decay period. */
  decayFrom: number | null;
  window: BreakerWindow;
  consecutiveFailures: number;
  /** Which tenant each countable outcome of the window came from (./tenants.ts); absent in state saved before it. */
  tenants?: TenantMark[];
  /** Grant times of half-open probe permits not yet reported. */
  permits: number[];
  /** Half-open probes that did not fail, and how many of those were slow. */
  probeSuccesses: number;
  probeSlow: number;
  /** Monotonic counters keyed "FROM->TO", for detour_breaker_transitions_total. */
  transitions: Record<string, number>;
}

/** Why a transition happened: a trip rule, time, the probes' verdict, or the operator's op. */
export type TransitionReason =
  | "failure_rate" | "slow_call_rate" | "consecutive_failures" | "open_elapsed"
  | "probe_failed" | "probes_slow" | "probes_succeeded" | "active_probe" | BreakerOp;

/** One state change, for logs and metrics. */
export interface Transition { from: BreakerStateName; to: BreakerStateName; at: number; reason: TransitionReason }

/**
 * Why a breaker refuses a call. These names show in `x-detour-trace` as the reason a provider was skipped, whichever
 * layer skipped it (routing's plan, the isolate's view, the Durable Object), so they are spelled only here.
 */
export type BreakerDenial = "breaker_open" | "probe_denied" | "forced_open" | "disabled";
/** Why a call was admitted or not. */
export type AdmitReason = "closed" | "probe" | BreakerDenial;
export interface AdmitDecision { allowed: boolean; reason: AdmitReason }

/** A finished call as the breaker sees it. */
export interface Outcome {
  /** The attempt's error class; undefined for a success. */
  errorClass?: ErrorClass;
  durationMs: number;
  /** True when the call ran on a half-open probe permit from `admit`. */
  probe?: boolean;
  /** Fingerprint of the tenant whose request this was (never a key); absent means unknown, one shared tenant. */
  tenant?: string;
}

/** Operator actions (admin API). */
export type BreakerOp = "force_open" | "force_closed" | "disable" | "reset";
