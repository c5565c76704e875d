/**
 * History behind the dashboard: per-minute points (the last 24 h at most) and an incident timeline, kept by each
 * ProviderHealth object so every operator sees the same picture whichever isolate answers. Pure: plain-JSON state in,
 * new state out, `now` passed in. The object's storage glue is ./history-store.ts.
 *
 * Two kinds of series share one shape of ring:
 * - a provider key's minutes (outcomes of its calls: rates, latency/TTFT percentiles, tokens/s, failovers, and the
 *   breaker state at the end of the minute), accumulated with the health window's own bucket code;
 * - a route's minutes (how its answers were served: primary / failover / cache / stale / degraded / error, cost,
 *   hedges, shed requests), kept by the object named `route:<name>`.
 */
import type { OutcomeSample } from "../breakers/types";
import type { BreakerStateName, Transition } from "../resilience/breaker-types";
import { healthWorkingCopy, initialHealth, recordHealthInto, summarize, type HealthConfig, type HealthState } from "../resilience/health";
import type { ServedMode } from "../observability/served";

export const MINUTE_MS = 60_000;
/** 24 h of minutes: the most points a series keeps. */
export const MAX_POINTS = 1440;
/** The timeline keeps this many events per object, newest last. */
export const MAX_EVENTS = 200;

/** One minute of one provider key. Rates are 0..1 of `calls`; times in ms; null without data. */
export interface ProviderPoint {
  /** Minute start, ms. */
  t: number;
  calls: number;
  errorRate: number;
  timeoutRate: number;
  rateLimitRate: number;
  refusalRate: number;
  invalidRate: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  ttftP95: number | null;
  tokensPerSecond: number | null;
  failovers: number;
  state: BreakerStateName;
}

/** How a route's answer was served: README "Response headers" `x-detour-mode`, or `error` for no answer. */
export type RouteMode = ServedMode | "error";
export const ROUTE_MODES: readonly RouteMode[] = ["primary", "failover", "cache", "stale", "degraded", "error"];

/** One request's outcome on a route, as the Recorder reports it. */
export interface RouteOutcome {
  at: number;
  mode: RouteMode;
  costUsd?: number;
  hedged?: boolean;
  /** Refused by load shedding (counted as an `error` too). */
  shed?: boolean;
}

/** One minute of one route. */
export interface RoutePoint {
  t: number;
  modes: Record<RouteMode, number>;
  costUsd: number;
  hedged: number;
  shed: number;
}

/** One line of the incident timeline. */
export interface TimelineEvent {
  at: number;
  kind: "breaker" | "operator" | "drill";
  /** The breaker key (provider or provider@region) or `route:<name>` it happened to. */
  key: string;
  from?: BreakerStateName;
  to?: BreakerStateName;
  /** A transition's reason, an operator's action, or "started" / "stopped" / "expires" for drills. */
  what: string;
  /** A drill's fault id and kind, for drills. */
  detail?: string;
}

export interface HistoryState {
  /** Closed minutes, oldest first, at most MAX_POINTS and none older than 24 h before the newest. */
  points: (ProviderPoint | RoutePoint)[];
  /** The provider minute being filled (the health window's bucket code, one bucket wide). */
  current: { health: HealthState; failovers: number } | null;
  /** The route minute being filled. */
  route: RoutePoint | null;
  events: TimelineEvent[];
  /** The breaker state the timeline last saw, so a transition found by comparison is told once. */
  seen: BreakerStateName | null;
}

export function initialHistory(): HistoryState {
  return { points: [], current: null, route: null, events: [], seen: null };
}

/** One bucket of one minute: what the health window's bucket code needs to accumulate a provider minute. */
const MINUTE: HealthConfig = { bucketMs: MINUTE_MS, buckets: 1, recentHalfLifeMs: MINUTE_MS, minCallsToExclude: 1, restoreBelow: 0 };

const minuteOf = (at: number) => Math.floor(at / MINUTE_MS) * MINUTE_MS;

/** Close the minute being filled when `now` has moved past it (so a quiet object's last minute still shows). */
export function closeMinutes(h: HistoryState, state: BreakerStateName, now: number): { history: HistoryState; closed: (ProviderPoint | RoutePoint)[] } {
  const closed: (ProviderPoint | RoutePoint)[] = [];
  let { current, route } = h;
  const start = current?.health.buckets[0]?.start;
  if (current && (start === undefined || start < minuteOf(now))) {
    if (start !== undefined) closed.push(providerPoint(current, state, start));
    current = null;
  }
  if (route && route.t < minuteOf(now)) {
    closed.push(route);
    route = null;
  }
  if (closed.length === 0) return { history: h, closed };
  return { history: { ...h, current, route, points: trim([...h.points, ...closed]) }, closed };
}

/**
 * Add a batch of provider outcomes. Samples come a moment after they happened (batched by the isolate), so each one
 * goes to its own minute while that minute is still the one being filled; one older than that only counts in health.
 */
export function recordOutcomes(h: HistoryState, samples: OutcomeSample[], state: BreakerStateName, now: number): { history: HistoryState; closed: (ProviderPoint | RoutePoint)[] } {
  let history = h;
  const closed: (ProviderPoint | RoutePoint)[] = [];
  // The minute being filled is copied when this batch first adds to it, then filled in place: not copied per sample.
  let owned: HistoryState["current"] = null;
  for (const s of [...samples].sort((a, b) => a.at - b.at)) {
    const res = closeMinutes(history, state, s.at);
    closed.push(...res.closed);
    const current = res.history.current ?? { health: initialHealth(), failovers: 0 };
    const start = current.health.buckets[0]?.start;
    if (start !== undefined && minuteOf(s.at) < start) continue;
    const mine: NonNullable<HistoryState["current"]> = owned && current === owned ? owned : { health: healthWorkingCopy(current.health), failovers: current.failovers };
    recordHealthInto(mine.health, MINUTE, {
      ...(s.errorClass ? { errorClass: s.errorClass } : {}),
      latencyMs: s.latencyMs,
      ...(s.ttftMs !== undefined ? { ttftMs: s.ttftMs } : {}),
      ...(s.outputTokens !== undefined ? { outputTokens: s.outputTokens } : {}),
      ...(s.refusal ? { refusal: true } : {}),
    }, s.at);
    // Caller faults leave the health bucket empty; the minute starts with the first sample that counts.
    if (mine.health.buckets.length === 0) {
      history = res.history;
      continue;
    }
    if (s.failover && !s.errorClass) mine.failovers++;
    owned = mine;
    history = res.history.current === mine ? res.history : { ...res.history, current: mine };
  }
  const res = closeMinutes(history, state, now);
  return { history: res.history, closed: [...closed, ...res.closed] };
}

/** Add a batch of route outcomes, each to its own minute while that minute is the one being filled. */
export function recordRoute(h: HistoryState, outcomes: RouteOutcome[], now: number): { history: HistoryState; closed: (ProviderPoint | RoutePoint)[] } {
  let history = h;
  const closed: (ProviderPoint | RoutePoint)[] = [];
  // As for provider minutes: the route's minute is copied once per batch, then counted in place.
  let owned: RoutePoint | null = null;
  for (const o of [...outcomes].sort((a, b) => a.at - b.at)) {
    const res = closeMinutes(history, "CLOSED", o.at);
    closed.push(...res.closed);
    const cur = res.history.route;
    if (cur && minuteOf(o.at) < cur.t) continue;
    const p: RoutePoint = cur && cur === owned ? owned : cur ? { ...cur, modes: { ...cur.modes } } : emptyRoutePoint(minuteOf(o.at));
    p.modes[o.mode]++;
    p.costUsd += o.costUsd ?? 0;
    if (o.hedged) p.hedged++;
    if (o.shed) p.shed++;
    owned = p;
    history = res.history.route === p ? res.history : { ...res.history, route: p };
  }
  const res = closeMinutes(history, "CLOSED", now);
  return { history: res.history, closed: [...closed, ...res.closed] };
}

export function emptyRoutePoint(t: number): RoutePoint {
  return { t, modes: { primary: 0, failover: 0, cache: 0, stale: 0, degraded: 0, error: 0 }, costUsd: 0, hedged: 0, shed: 0 };
}

/** Transitions the breaker reported (with their reasons). */
export function noteTransitions(h: HistoryState, key: string, transitions: Transition[]): HistoryState {
  if (transitions.length === 0) return h;
  const events = transitions.map((t): TimelineEvent => ({ at: t.at, kind: "breaker", key, from: t.from, to: t.to, what: t.reason }));
  return { ...h, events: cap([...h.events, ...events]), seen: transitions[transitions.length - 1]!.to };
}

/** A state change found by comparison (time-driven or admission steps): told once, with the reason its edge implies. */
export function noteState(h: HistoryState, key: string, state: BreakerStateName, since: number): HistoryState {
  if (h.seen === null) return { ...h, seen: state };
  if (h.seen === state) return h;
  const event: TimelineEvent = { at: since, kind: "breaker", key, from: h.seen, to: state, what: impliedReason(h.seen, state) };
  return { ...h, events: cap([...h.events, event]), seen: state };
}

function impliedReason(from: BreakerStateName, to: BreakerStateName): string {
  if (from === "OPEN" && to === "HALF_OPEN") return "open_elapsed";
  if (from === "HALF_OPEN" && to === "CLOSED") return "probes_succeeded";
  if (from === "HALF_OPEN" && to === "OPEN") return "probe_failed";
  return "changed";
}

/** Any other event (an operator's action, a drill). */
export function noteEvent(h: HistoryState, event: TimelineEvent): HistoryState {
  return { ...h, events: cap([...h.events, event]) };
}

/** The points of the last `minutes` (closed ones and the minute being filled), and the events up to `now`. */
export function view(h: HistoryState, state: BreakerStateName, now: number, minutes: number): { points: (ProviderPoint | RoutePoint)[]; events: TimelineEvent[] } {
  const from = minuteOf(now) - (Math.max(1, Math.min(MAX_POINTS, minutes)) - 1) * MINUTE_MS;
  const open: (ProviderPoint | RoutePoint)[] = [];
  const start = h.current?.health.buckets[0]?.start;
  if (h.current && start !== undefined) open.push(providerPoint(h.current, state, start));
  if (h.route) open.push(h.route);
  return { points: [...h.points, ...open].filter((p) => p.t >= from && p.t <= now), events: h.events.filter((e) => e.at <= now) };
}

function providerPoint(cur: { health: HealthState; failovers: number }, state: BreakerStateName, start: number): ProviderPoint {
  const s = summarize(cur.health, MINUTE, start);
  return {
    t: start,
    calls: s.calls,
    errorRate: s.errorRate,
    timeoutRate: s.timeoutRate,
    rateLimitRate: s.rateLimitRate,
    refusalRate: s.refusalRate,
    invalidRate: s.semanticFailureRate,
    p50: round(s.latency.p50),
    p95: round(s.latency.p95),
    p99: round(s.latency.p99),
    ttftP95: round(s.ttft.p95),
    tokensPerSecond: s.tokensPerSecond === null ? null : Math.round(s.tokensPerSecond * 10) / 10,
    failovers: cur.failovers,
    state,
  };
}

const round = (x: number | null) => (x === null ? null : Math.round(x));

/** Keep at most MAX_POINTS, none older than 24 h before the newest. */
function trim<T extends { t: number }>(points: T[]): T[] {
  const newest = points[points.length - 1]?.t ?? 0;
  const kept = points.filter((p) => p.t > newest - MAX_POINTS * MINUTE_MS);
  return kept.length > MAX_POINTS ? kept.slice(kept.length - MAX_POINTS) : kept;
}

function cap(events: TimelineEvent[]): TimelineEvent[] {
  const sorted = events.sort((a, b) => a.at - b.at);
  return sorted.length > MAX_EVENTS ? sorted.slice(sorted.length - MAX_EVENTS) : sorted;
}
