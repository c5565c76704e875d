/**
 * A circuit breaker per provider, as a pure state machine with Resilience4j's states and semantics (sliding window,
 * minimum calls, failure- and slow-call-rate thresholds, half-open probe permits) plus Envoy's consecutive-failure
 * trip, so a dead provider opens fast even at low traffic. Open time doubles per consecutive trip up to a cap, with
 * jitter so isolates do not probe in lockstep, and shrinks again after healthy periods.
 *
 * Pure: `now` and `random` are arguments, nothing reads a clock or env, and `BreakerState` is plain
 * JSON so the Durable Object can persist it as is. Functions never mutate their input; they return new state (only
 * `recordInto` changes state in place: a `beginRecord` working copy, one per batch of outcomes).
 */
import { countsForBreaker, ignoredByHealth } from "../engine/errors";
import type { BreakerConfig } from "./breaker-config";
import { markOutcome, noteAsk, probeFailureCounts, probeRefused, tenantsAllowTrip } from "./tenants";

/** The settings have their own file; re-exported so the breaker stays one import for its callers. */
export { BreakerConfig } from "./breaker-config";
export type * from "./breaker-types";
/** Admission as a snapshot sees it (no permits): its own file, re-exported here. */
export { admitLocally, effectiveState, verdictOf, type BreakerStateView, type BreakerVerdict } from "./breaker-verdict";
import { verdictOf } from "./breaker-verdict";
import type { AdmitDecision, BreakerOp, BreakerState, BreakerStateName, BreakerWindow, Outcome, Transition, TransitionReason } from "./breaker-types";

const FAILED = 1;
const SLOW = 2;

/** A fresh CLOSED breaker. The window's type adapts to the config on first use. */
export function initialBreaker(now: number): BreakerState {
  return {
    state: "CLOSED",
    since: now,
    openUntil: null,
    trips: 0,
    lastTripAt: null,
    decayFrom: null,
    window: { type: "count", outcomes: [] },
    consecutiveFailures: 0,
    tenants: [],
    permits: [],
    probeSuccesses: 0,
    probeSlow: 0,
    transitions: {},
  };
}

/** Open time of trip k (1-based): min(maxOpenMs, openMs·2^(k−1)) · (1 + jitter·(2·random − 1)), in ms. */
export function openDuration(cfg: BreakerConfig, trip: number, random: number): number {
  const base = Math.min(cfg.maxOpenMs, cfg.openMs * 2 ** Math.min(Math.max(trip, 1) - 1, 60));
  const r = Math.min(1, Math.max(0, random));
  return Math.max(0, Math.round(base * (1 + cfg.openJitter * (2 * r - 1))));
}

/** What the sliding window holds at a moment; rates are 0 when it is empty. */
export interface WindowStats { calls: number; failures: number; slow: number; failureRate: number; slowRate: number }

/** The window's counts and rates at `now` (for trip decisions and /status). */
export function windowStats(state: BreakerState, cfg: BreakerConfig, now: number): WindowStats {
  let calls = 0;
  let failures = 0;
  let slow = 0;
  const w = state.window;
  if (w.type !== cfg.window.type) return { calls, failures, slow, failureRate: 0, slowRate: 0 };
  if (w.type === "count") {
    for (let i = Math.max(0, w.outcomes.length - cfg.window.size); i < w.outcomes.length; i++) {
      const code = w.outcomes[i]!;
      calls++;
      if (code & FAILED) failures++;
      if (code & SLOW) slow++;
    }
  } else {
    const oldest = Math.floor(now / 1000) - cfg.window.size;
    for (const b of w.buckets) {
      if (b.second <= oldest) continue;
      calls += b.calls;
      failures += b.failures;
      slow += b.slow;
    }
  }
  // Division, not `failures >= threshold · calls`: 0.3 · 10 is 3.0000000000000004 in floating point.
  return { calls, failures, slow, failureRate: calls ? failures / calls : 0, slowRate: calls ? slow / calls : 0 };
}

function emptyWindow(cfg: BreakerConfig): BreakerWindow {
  return cfg.window.type === "count" ? { type: "count", outcomes: [] } : { type: "time", buckets: [] };
}

function addToWindow(s: BreakerState, cfg: BreakerConfig, code: number, now: number, n = 1): void {
  if (s.window.type !== cfg.window.type) s.window = emptyWindow(cfg); // the config changed type: start over
  const w = s.window;
  if (w.type === "count") {
    for (let i = 0; i < Math.min(n, cfg.window.size); i++) w.outcomes.push(code);
    if (w.outcomes.length > cfg.window.size) w.outcomes.splice(0, w.outcomes.length - cfg.window.size);
    return;
  }
  const second = Math.floor(now / 1000);
  w.buckets = w.buckets.filter((b) => b.second > second - cfg.window.size);
  let last = w.buckets[w.buckets.length - 1];
  // A clock that stepped back lands in the newest bucket rather than reordering the ring.
  if (!last || last.second < second) w.buckets.push((last = { second, calls: 0, failures: 0, slow: 0 }));
  last.calls += n;
  if (code & FAILED) last.failures += n;
  if (code & SLOW) last.slow += n;
}

function move(s: BreakerState, to: BreakerStateName, now: number, reason: TransitionReason, out: Transition[]): void {
  const from = s.state;
  if (from === to) return;
  s.state = to;
  s.since = now;
  const key = `${from}->${to}`;
  s.transitions[key] = (s.transitions[key] ?? 0) + 1;
  out.push({ from, to, at: now, reason });
}

/** Forget the current period: window, streak, probes. Every state change but HALF_OPEN → HALF_OPEN starts clean. */
function clearPeriod(s: BreakerState, window: BreakerWindow): void {
  s.window = window;
  s.consecutiveFailures = 0;
  s.tenants = [];
  s.probeAsks = [];
  s.probeFailedBy = [];
  s.permits = [];
  s.probeSuccesses = 0;
  s.probeSlow = 0;
}

type Reason = TransitionReason;

function trip(s: BreakerState, cfg: BreakerConfig, now: number, random: number, reason: Reason, out: Transition[]) {
  s.trips++;
  s.lastTripAt = now;
  s.openUntil = now + openDuration(cfg, s.trips, random);
  s.decayFrom = null;
  clearPeriod(s, emptyWindow(cfg));
  move(s, "OPEN", now, reason, out);
}

function close(s: BreakerState, window: BreakerWindow, now: number, reason: Reason, out: Transition[]) {
  s.openUntil = null;
  s.decayFrom = s.trips > 0 ? now : null;
  clearPeriod(s, window);
  move(s, "CLOSED", now, reason, out);
}

/** Apply every time-driven change due at `now` to `s` (mutating a private copy). */
function advance(s: BreakerState, cfg: BreakerConfig, now: number, out: Transition[]): void {
  if (s.state === "OPEN" && s.openUntil !== null && now >= s.openUntil) {
    s.openUntil = null;
    clearPeriod(s, s.window);
    move(s, "HALF_OPEN", now, "open_elapsed", out);
  }
  if (s.state === "HALF_OPEN") s.permits = s.permits.filter((t) => now < t + cfg.probeTimeoutMs);
  if (s.state === "CLOSED" && s.trips > 0 && s.decayFrom !== null && now >= s.decayFrom + cfg.healthyDecayMs) {
    const steps = Math.min(s.trips, Math.floor((now - s.decayFrom) / cfg.healthyDecayMs));
    s.trips -= steps;
    s.decayFrom = s.trips > 0 ? s.decayFrom + steps * cfg.healthyDecayMs : null;
  }
}

/**
 * When the next time-driven change falls due (OPEN → HALF_OPEN, a probe permit's reclaim, a healthy-decay step), for
 * the Durable Object's alarm; undefined when only traffic or an operator can change the state.
 */
export function nextWakeAt(state: BreakerState, cfg: BreakerConfig): number | undefined {
  switch (state.state) {
    case "OPEN":
      return state.openUntil ?? undefined;
    case "HALF_OPEN":
      return state.permits.length ? Math.min(...state.permits) + cfg.probeTimeoutMs : undefined;
    case "CLOSED":
      return state.trips > 0 && state.decayFrom !== null ? state.decayFrom + cfg.healthyDecayMs : undefined;
    default:
      return undefined;
  }
}

/** New state plus the transitions that produced it (empty when the state did not change name). */
export interface Step {
  state: BreakerState;
  transitions: Transition[];
}

/**
 * A private working copy of `state` for `recordInto`: everything the state machine changes in place is cloned; the
 * tenant log is shared, because it is only ever replaced by a new array (./tenants.ts), never changed in place.
 */
export function beginRecord(state: BreakerState): BreakerState {
  if (state.tenants === undefined) return structuredClone(state);
  const s: BreakerState = structuredClone({ ...state, tenants: [] as NonNullable<BreakerState["tenants"]> });
  s.tenants = state.tenants;
  return s;
}

/** Time-driven transitions only. Returns the same object when nothing is due, so a hot-path caller pays no copy. */
export function tick(state: BreakerState, cfg: BreakerConfig, now: number): Step {
  const wake = nextWakeAt(state, cfg);
  if (wake === undefined || now < wake) return { state, transitions: [] };
  const s = structuredClone(state);
  const out: Transition[] = [];
  advance(s, cfg, now, out);
  return { state: s, transitions: out };
}

/**
 * May a call go to this provider now? CLOSED admits; OPEN past `openUntil` becomes HALF_OPEN, which grants at most
 * `cfg.probes` concurrent permits (the caller must report the call with `probe: true`). `tenant` (a fingerprint) lets a
 * tenant whose own probe failed yield the next permit to another tenant that is asking (./tenants.ts).
 */
export function admit(
  state: BreakerState,
  cfg: BreakerConfig,
  now: number,
  tenant?: string,
): Step & { decision: AdmitDecision } {
  const { state: ticked, transitions } = tick(state, cfg, now);
  const v = verdictOf(ticked.state); // tick has already moved a due OPEN to HALF_OPEN
  if (v.verdict === "admit") return { state: ticked, decision: { allowed: true, reason: v.reason }, transitions };
  if (v.verdict === "deny") return { state: ticked, decision: { allowed: false, reason: v.reason }, transitions };
  const s = tenant === undefined ? ticked : { ...ticked, probeAsks: noteAsk(ticked.probeAsks ?? [], tenant, now, cfg.probeTimeoutMs) };
  if (probeRefused(s, tenant, now, cfg.probeTimeoutMs)) return { state: s, decision: { allowed: false, reason: "probe_denied" }, transitions };
  if (s.permits.length < cfg.probes) {
    const granted = { ...s, permits: [...s.permits, now] };
    return { state: granted, decision: { allowed: true, reason: "probe" }, transitions };
  }
  return { state: s, decision: { allowed: false, reason: "probe_denied" }, transitions };
}

/**
 * Record a call's outcome. CLOSED: it enters the window and may trip the breaker. HALF_OPEN: only probe outcomes
 * count; one failure re-opens (with a longer open time), `probeSuccesses` good ones close, unless the share of slow
 * probes reaches `slowCallRateThreshold`. OPEN and the operator states ignore outcomes: they are late results of calls
 * admitted before the trip, and would otherwise leak the outage that opened the breaker into the next period.
 */
export function record(
  state: BreakerState,
  cfg: BreakerConfig,
  outcome: Outcome,
  now: number,
  random: number,
): Step {
  const s = beginRecord(state);
  return { state: s, transitions: recordInto(s, cfg, outcome, 1, now, random) };
}

/** `record` on a private working copy, in place. */
function recordOne(s: BreakerState, cfg: BreakerConfig, outcome: Outcome, now: number, random: number, out: Transition[]): void {
  advance(s, cfg, now, out);
  const probeInHalfOpen = s.state === "HALF_OPEN" && outcome.probe === true;
  // Oldest first: the oldest grant is the likeliest to be this report, and the likeliest to be reclaimed otherwise.
  if (probeInHalfOpen) s.permits.shift();
  // Caller and operator faults (errors.ts's `countsForBreaker`) would fail on a healthy provider: neither a failure
  // nor a success.
  if (ignoredByHealth(outcome.errorClass)) return;

  const failed = countsForBreaker(outcome.errorClass);
  const slow = outcome.durationMs >= cfg.slowCallMs;
  if (s.state === "CLOSED") {
    closedOutcome(s, cfg, failed, slow, outcome.tenant, 1, now, random, out);
  } else if (probeInHalfOpen) {
    if (failed && probeFailureCounts(s, outcome.tenant, cfg.minTenantsToTrip, now, cfg.probeTimeoutMs)) {
      trip(s, cfg, now, random, "probe_failed", out);
    } else if (failed) {
      s.probeFailedBy = [...(s.probeFailedBy ?? []), outcome.tenant!]; // others' probes decide; the permit is back
    } else {
      s.probeSuccesses++;
      if (slow) s.probeSlow++;
      if (s.probeSuccesses >= cfg.probeSuccesses) {
        const tooSlow = s.probeSlow / s.probeSuccesses >= cfg.slowCallRateThreshold;
        if (tooSlow) trip(s, cfg, now, random, "probes_slow", out);
        else close(s, emptyWindow(cfg), now, "probes_succeeded", out);
      }
    }
  }
}

/** `n` like outcomes enter a CLOSED breaker's window, then the trip rules judge it once. */
function closedOutcome(s: BreakerState, cfg: BreakerConfig, failed: boolean, slow: boolean, tenant: string | undefined, n: number, now: number, random: number, out: Transition[]): void {
  addToWindow(s, cfg, (failed ? FAILED : 0) | (slow ? SLOW : 0), now, n);
  s.consecutiveFailures = failed ? s.consecutiveFailures + n : 0;
  // Which tenants failed or were served is what the tenant rule reads; a window's worth of marks says it all.
  for (let i = 0; i < Math.min(n, cfg.window.type === "count" ? cfg.window.size : 64); i++) s.tenants = markOutcome(s.tenants ?? [], cfg.window, { t: tenant ?? "", f: failed ? 1 : 0, at: now });
  const w = windowStats(s, cfg, now);
  const full = w.calls >= cfg.minimumCalls;
  // Failure trips need several tenants' failures while others are served (./tenants.ts); slow trips are not gated.
  const byTenants = (streak?: number) => tenantsAllowTrip(s.tenants!, cfg.minTenantsToTrip, streak);
  if (full && w.failureRate >= cfg.failureRateThreshold && byTenants()) trip(s, cfg, now, random, "failure_rate", out);
  else if (full && w.slowRate >= cfg.slowCallRateThreshold) trip(s, cfg, now, random, "slow_call_rate", out);
  else if (s.consecutiveFailures >= cfg.consecutiveFailures && byTenants(s.consecutiveFailures)) trip(s, cfg, now, random, "consecutive_failures", out);
}

/**
 * `n` like outcomes at once (a location object's forwarded window, src/resilience/aggregate.ts): the same as `n`
 * calls of `record` for a CLOSED breaker — like outcomes only move its rates and streak one way, so judging once at
 * the end trips exactly when some prefix would have — and as one `record` in any other state, where only probes
 * count (those are never grouped).
 */
export function recordMany(state: BreakerState, cfg: BreakerConfig, outcome: Outcome, n: number, now: number, random: number): Step {
  const s = beginRecord(state);
  return { state: s, transitions: recordInto(s, cfg, outcome, n, now, random) };
}

/**
 * `recordMany` on a `beginRecord` working copy, in place; returns the transitions. The Durable Object applies an
 * isolate's batch (~200 outcomes) this way: one copy per batch, not one per outcome.
 */
export function recordInto(s: BreakerState, cfg: BreakerConfig, outcome: Outcome, n: number, now: number, random: number): Transition[] {
  const out: Transition[] = [];
  if (n <= 1 || outcome.probe) {
    recordOne(s, cfg, outcome, now, random, out);
    return out;
  }
  advance(s, cfg, now, out);
  if (s.state !== "CLOSED" || ignoredByHealth(outcome.errorClass)) return out;
  closedOutcome(s, cfg, countsForBreaker(outcome.errorClass), outcome.durationMs >= cfg.slowCallMs, outcome.tenant, n, now, random, out);
  return out;
}

/**
 * The answer of an active probe (the ProviderHealth object's own minimal call, not a caller's request):
 * - OPEN and the probe succeeded: OPEN → HALF_OPEN (`active_probe`), and the success counts as a half-open probe, so
 *   with `probeSuccesses` 1 the breaker closes at once (OPEN → HALF_OPEN → CLOSED); a slow success follows the
 *   half-open slow rule.
 * - OPEN and the probe failed (any error class): nothing changes. The open time is neither extended nor doubled and
 *   `trips` stays, so probing every few seconds cannot push a sick provider's next chance further away; the open time
 *   still runs out as it would without probes.
 * - HALF_OPEN: the probe ran on a permit the caller took with `admit`, so it is recorded as any probe is (a failure
 *   re-opens with the next, longer open time, exactly as a caller's probe would).
 * - Anything else (closed or forced by an operator while the probe ran): the answer is late and ignored.
 */
export function probeAnswered(state: BreakerState, cfg: BreakerConfig, outcome: Omit<Outcome, "probe">, now: number, random: number): Step {
  const { state: ticked, transitions } = tick(state, cfg, now);
  if (ticked.state === "HALF_OPEN") {
    const step = record(ticked, cfg, { ...outcome, probe: true }, now, random);
    return { state: step.state, transitions: [...transitions, ...step.transitions] };
  }
  if (ticked.state !== "OPEN" || outcome.errorClass !== undefined) return { state: ticked, transitions };
  const s = structuredClone(ticked);
  const out: Transition[] = [...transitions];
  s.openUntil = null;
  clearPeriod(s, s.window);
  move(s, "HALF_OPEN", now, "active_probe", out);
  s.permits = [now];
  const step = record(s, cfg, { ...outcome, probe: true }, now, random);
  return { state: step.state, transitions: [...out, ...step.transitions] };
}

/**
 * Operator actions. `force_open` and `disable` deny every call until another op; `force_closed` closes with a fresh
 * window but keeps the trip history (a relapse still backs off longer); `reset` forgets everything but the counters.
 */
export function operate(state: BreakerState, op: BreakerOp, now: number): Step {
  const s = structuredClone(state);
  const out: Transition[] = [];
  const fresh: BreakerWindow =
    s.window.type === "count" ? { type: "count", outcomes: [] } : { type: "time", buckets: [] };
  if (op === "force_open" || op === "disable") {
    s.openUntil = null;
    s.decayFrom = null;
    clearPeriod(s, fresh);
    move(s, op === "disable" ? "DISABLED" : "FORCED_OPEN", now, op, out);
  } else if (op === "force_closed") {
    close(s, fresh, now, op, out);
  } else {
    const r: BreakerState = { ...initialBreaker(now), window: fresh, state: s.state, transitions: s.transitions };
    if (r.state !== "CLOSED") move(r, "CLOSED", now, op, out);
    return { state: r, transitions: out };
  }
  return { state: s, transitions: out };
}
