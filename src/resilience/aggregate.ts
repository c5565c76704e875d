/**
 * Two-tier health aggregation (`resilience.aggregation: "location"`, docs/scale.md "Global health"): what a location
 * object forwards to its provider's global object, and which breaker state it serves its isolates. Pure: `now` is
 * passed in, the types are plain JSON.
 *
 * A forwarded window is the location's outcomes since its last forward, merged into groups of like samples (same
 * model, outcome, tenant, check; times rounded to two significant digits, so at most 5 % off). Every count the
 * global object keeps is additive (breaker window, health buckets, latency histograms, counters), so it applies a
 * group of `n` as `n` samples at once and the sum over locations is what one object seeing everything would hold.
 */
import type { OutcomeSample } from "../breakers/types";
import type { BreakerStateName } from "./breaker-types";

/** `n` samples alike enough to count as one (the first one's fields, times rounded). */
export interface SampleGroup {
  s: OutcomeSample;
  n: number;
}

/** Outcomes waiting to be forwarded: groups by their key (insertion order is arrival order). */
export interface ForwardWindow {
  /** Callers' clock when the first sample arrived. */
  since: number;
  groups: Record<string, SampleGroup>;
}

/** The global object's breaker state as a location object last heard it (callers' clock). */
export interface GlobalView {
  state: BreakerStateName;
  since: number;
  openUntil: number | null;
  /** When the location received it. */
  at: number;
}

/** Two significant digits (1,234 → 1,200; 87 → 87): successes of similar latency share one group. */
export function coarse(ms: number): number {
  if (ms < 100) return Math.round(ms);
  const scale = 10 ** (Math.floor(Math.log10(ms)) - 1);
  return Math.round(ms / scale) * scale;
}

/** Add a batch to the window (a new window when there is none). Probes stay one sample each: they decide half-open. */
export function addSamples(window: ForwardWindow | null, samples: OutcomeSample[], now: number): ForwardWindow {
  const w: ForwardWindow = window ?? { since: now, groups: {} };
  for (const sample of samples) {
    const s: OutcomeSample = {
      ...sample,
      durationMs: coarse(sample.durationMs),
      latencyMs: coarse(sample.latencyMs),
      ...(sample.ttftMs !== undefined ? { ttftMs: coarse(sample.ttftMs) } : {}),
      ...(sample.outputTokens !== undefined ? { outputTokens: coarse(sample.outputTokens) } : {}),
    };
    const key = s.probe
      ? `probe:${Object.keys(w.groups).length}`
      : JSON.stringify([s.model, s.errorClass, s.tenant, s.check, s.failover, s.refusal, s.durationMs, s.latencyMs, s.ttftMs, s.outputTokens]);
    const g = w.groups[key];
    if (g) {
      g.n++;
      g.s.at = Math.max(g.s.at, s.at);
    } else w.groups[key] = { s, n: 1 };
  }
  return w;
}

/** How many samples a window holds. */
export function windowSamples(w: ForwardWindow | null): number {
  return w ? Object.values(w.groups).reduce((a, g) => a + g.n, 0) : 0;
}

/** How strict a state is for admission: the location serves the stricter of its own and the global one. */
const STRICTNESS: Record<BreakerStateName, number> = { DISABLED: 0, CLOSED: 0, HALF_OPEN: 1, OPEN: 2, FORCED_OPEN: 3 };

/**
 * Does the global state override the location's? Only a global view heard within `maxAgeMs` counts: a global object
 * the location cannot reach must not hold its isolates on an old OPEN (the location's own breaker still guards them).
 */
export function globalOverrides(local: BreakerStateName, global: GlobalView | null | undefined, now: number, maxAgeMs: number): global is GlobalView {
  return !!global && now - global.at <= maxAgeMs && STRICTNESS[global.state] > STRICTNESS[local];
}

/** How long a global view stays authoritative at a location: a few forward periods. */
export function globalMaxAgeMs(forwardMs: number): number {
  return Math.max(5 * forwardMs, 5_000);
}
