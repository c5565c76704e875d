/**
 * What a ProviderHealth object keeps and how it reads out: the stored shape, the monotonic counters for /metrics,
 * and the snapshot every RPC answers with. Split from provider-health.ts so the object's file holds its behaviour.
 */
import type { HealthSettings, OutcomeSample, ProbeResult, ProviderCounters, ProviderSnapshot } from "../src/breakers/types";
import { windowStats, type BreakerState } from "../src/resilience/breaker";
import type { ForwardWindow, GlobalView } from "../src/resilience/aggregate";
import { LATENCY_BOUNDS_MS, slotFor, summarize, type HealthState } from "../src/resilience/health";
import { excludable, healthScore } from "../src/resilience/score";
import type { ReadinessBook } from "../src/readiness/score";
import { readinessOf } from "../src/readiness/store";

export interface Stored {
  breaker: BreakerState;
  /** The provider as a whole, and each of its models (routing ranks models; the breaker guards the provider). */
  health: HealthState;
  models: Record<string, HealthState>;
  counters: ProviderCounters;
  settings: HealthSettings | null;
  key: string;
  /** Callers' clock minus the platform clock, at the last call. */
  offset: number;
  /** Callers' clock time the pending alarm was set for. */
  wakeAt: number | null;
  /** When the last active probe started (callers' clock), and how it went. */
  lastProbeAt?: number | null;
  lastProbe?: ProbeResult | null;
  /** Shadow comparisons of this provider's models as candidate fallbacks (src/readiness/store.ts). */
  readiness?: ReadinessBook;
  /** A location object's outcomes not yet forwarded to the global object, and when it last forwarded. */
  forward?: ForwardWindow | null;
  lastForwardAt?: number | null;
  /** A location object: the global object's breaker as last heard. */
  global?: GlobalView | null;
  /** The global object: each location's last forward (callers' clock), for /status. */
  locations?: Record<string, number>;
}

export const emptyCounters = (): ProviderCounters => ({
  requests: {},
  failovers: 0,
  latencyBuckets: new Array(LATENCY_BOUNDS_MS.length + 1).fill(0),
  latencySumMs: 0,
  latencyCount: 0,
});

/** Count `n` like samples into the monotonic counters. */
export function countSample(c: ProviderCounters, sample: OutcomeSample, n = 1): void {
  const outcome = sample.errorClass ?? "ok";
  c.requests[outcome] = (c.requests[outcome] ?? 0) + n;
  if (sample.check) {
    const perModel = ((c.validation ??= {})[sample.model] ??= {});
    perModel[sample.check] = (perModel[sample.check] ?? 0) + n;
  }
  if (sample.failover && !sample.errorClass) c.failovers += n;
  if (!sample.errorClass) {
    c.latencyBuckets[slotFor(sample.latencyMs)]! += n;
    c.latencySumMs += sample.latencyMs * n;
    c.latencyCount += n;
  }
}

export function snapshotOf(s: Stored, now: number): ProviderSnapshot {
  const settings = s.settings!;
  const b = s.breaker;
  const health = summarize(s.health, settings.health, now);
  const { score, parts } = healthScore(health, b.state);
  return {
    key: s.key,
    state: b.state,
    since: b.since,
    openUntil: b.openUntil,
    trips: b.trips,
    probesInFlight: b.permits.length,
    lastProbe: s.lastProbe ?? null,
    score,
    excludable: excludable(health, b.state, settings.health),
    scoreParts: parts,
    health,
    window: windowStats(b, settings.breaker, now),
    models: Object.fromEntries(
      Object.entries(s.models).map(([m, h]) => {
        const summary = summarize(h, settings.health, now);
        return [m, { health: summary, score: healthScore(summary, b.state).score, excludable: excludable(summary, b.state, settings.health) }];
      }),
    ),
    transitions: { ...b.transitions },
    counters: structuredClone(s.counters),
    ...(s.readiness ? { readiness: readinessOf(s.readiness) } : {}),
    at: now,
  };
}
