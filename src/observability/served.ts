/**
 * How an answer was served, told to the caller: `x-detour-*` headers, `server-timing`, and the optional `detour`
 * trace object. One place, so the contract in README "Response headers" has one implementation.
 */
import type { AttemptReport } from "../engine/types";

/** README "Response headers": how the answer was produced. */
export type ServedMode = "primary" | "failover" | "cache" | "stale" | "degraded";

export interface Timings {
  routingMs: number;
  /** Waiting on breakers (Durable Object calls); ~0 when every breaker is CLOSED and the snapshot is warm. */
  breakerMs?: number;
  upstreamMs: number;
  totalMs: number;
}

export interface Served {
  requestId: string;
  route: string;
  provider?: string;
  model?: string;
  mode?: ServedMode;
  attempts: AttemptReport[];
  timings: Timings;
  /** Things the caller should know about how this was decided (e.g. breakers failing open). */
  notes?: string[];
  /** Durable Object round trips this request waited for. */
  breakerCalls?: number;
  /** `x-detour-cache`: hit (with match and similarity) | miss | stale | bypass. */
  cache?: string;
  /** `x-detour-degraded`: `<rung>; reason=<why>`. */
  degraded?: string;
  /** Why targets were ordered and skipped (the routing plan), for the trace. */
  routing?: Record<string, unknown>;
  /** `x-detour-cost-usd`: the answer's cost at the served model's price. */
  costUsd?: number;
  /** The request was hedged. */
  hedged?: boolean;
  /** The model the vendor says answered, when it is not the one configured (a vendor swapping models). */
  upstreamModel?: string;
}

export function servedHeaders(s: Served): Record<string, string> {
  const h: Record<string, string> = {
    "x-request-id": s.requestId,
    "x-detour-attempts": String(s.attempts.filter((a) => a.outcome !== "skipped").length),
    "server-timing": serverTiming(s.timings),
  };
  const put = (name: string, v: string | undefined) => {
    const safe = headerSafe(v);
    if (safe !== undefined) h[name] = safe;
  };
  put("x-detour-provider", s.provider);
  put("x-detour-model", s.model);
  put("x-detour-mode", s.mode);
  put("x-detour-cache", s.cache);
  put("x-detour-degraded", s.degraded);
  if (s.costUsd !== undefined) h["x-detour-cost-usd"] = s.costUsd.toFixed(6);
  if (s.hedged) h["x-detour-hedged"] = "1";
  // The vendor's own word: CR/LF or a character above 0xFF here would make `Headers` throw after the answer was paid.
  put("x-detour-upstream-model", s.upstreamModel);
  return h;
}

/**
 * A value fit for a response header: printable ASCII, 1 to 128 characters, or undefined (the header is dropped).
 * Applied to every value that can come from a vendor, the cache or config, never repaired: a mangled model name
 * would mislead more than no header.
 */
export function headerSafe(v: string | undefined): string | undefined {
  return v !== undefined && /^[\x20-\x7e]{1,128}$/.test(v) ? v : undefined;
}

export function serverTiming(t: Timings): string {
  const f = (n: number) => Math.max(0, n).toFixed(1);
  const breaker = t.breakerMs !== undefined ? `, breaker;dur=${f(t.breakerMs)}` : "";
  return `routing;dur=${f(t.routingMs)}${breaker}, upstream;dur=${f(t.upstreamMs)}, total;dur=${f(t.totalMs)}`;
}

/** The `detour` object added to the body when the caller sent `x-detour-trace: 1`. */
export function traceObject(s: Served) {
  return {
    request_id: s.requestId,
    route: s.route,
    ...(s.mode ? { mode: s.mode } : {}),
    ...(s.provider ? { provider: s.provider, model: s.model } : {}),
    attempts: s.attempts.map((a) => ({
      provider: a.provider,
      model: a.model,
      outcome: a.outcome,
      ...(a.skipReason ? { reason: a.skipReason } : {}),
      ...(a.probe ? { probe: true } : {}),
      ...(a.errorClass ? { error_class: a.errorClass } : {}),
      ...(a.status ? { status: a.status } : {}),
      ms: Math.round(a.ms),
      ...(a.waitedMs ? { backoff_ms: a.waitedMs } : {}),
      ...(a.message ? { message: a.message } : {}),
      ...(a.check ? { check: a.check } : {}),
    })),
    timings_ms: {
      routing: s.timings.routingMs,
      ...(s.timings.breakerMs !== undefined ? { breaker: Number(s.timings.breakerMs.toFixed(2)) } : {}),
      upstream: s.timings.upstreamMs,
      total: s.timings.totalMs,
    },
    ...(s.breakerCalls !== undefined ? { breaker_do_calls: s.breakerCalls } : {}),
    ...(s.cache ? { cache: s.cache } : {}),
    ...(s.degraded ? { degraded: s.degraded } : {}),
    ...(s.routing ? { routing: s.routing } : {}),
    ...(s.costUsd !== undefined ? { cost_usd: s.costUsd } : {}),
    ...(s.hedged ? { hedged: true } : {}),
    ...(s.notes?.length ? { notes: s.notes } : {}),
  };
}
