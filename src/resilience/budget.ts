/**
 * Two brakes that stop Detour from amplifying a vendor's overload, kept per provider:
 *
 * - A **retry budget** (Finagle's RetryBudget, the SRE book's per-client budget): retries over a rolling window stay
 *   below `ratio` × the requests in it, with a small floor so a quiet provider can still retry at all. During a 5xx
 *   storm this caps the load Detour sends at (1 + ratio) × the offered load instead of (1 + retries per request) ×.
 * - **Client-side adaptive throttling** (SRE book, "Handling Overload"): each client rejects requests locally with
 *   probability max(0, (requests − K·accepts) / (requests + 1)), so when the backend accepts too little of what is
 *   sent, most of the excess never leaves Detour, and the probability falls back to 0 once accepts recover.
 *
 * Both states are rolling per-second buckets (one `{second, …}` object per second that saw traffic, oldest first), so
 * memory is bounded by the window's length in seconds whatever the traffic, and the state is plain JSON for Durable
 * Object storage. Pure: `now` and `random` are arguments; functions return new state, never mutate.
 */
import * as z from "../zod";

/** Longest window either brake accepts: bounds the buckets kept when a record call is given no config. */
export const MAX_WINDOW_MS = 600_000;
const windowMs = (fallback: number) => z._default(z.number().check(z.int(), z.gte(1000), z.lte(MAX_WINDOW_MS)), fallback);

/** Retry budget settings; `RetryBudgetConfig.parse({})` is the SRE default (10 % of requests, at least 10 a minute). */
export const RetryBudgetConfig = z.strictObject({
  /** Retries allowed per request in the window (0.1 → one retry per ten requests). */
  ratio: z._default(z.number().check(z.gte(0), z.lte(1)), 0.1),
  windowMs: windowMs(60_000),
  /** Retries always allowed per window, so a provider seeing 3 requests a minute can still retry a blip. */
  minRetriesPerWindow: z._default(z.number().check(z.int(), z.gte(0)), 10),
});
export type RetryBudgetConfig = z.infer<typeof RetryBudgetConfig>;

/** Adaptive throttling settings; K = 2 and a 2-minute window are the SRE book's values. */
export const ThrottleConfig = z.strictObject({
  /**
   * Accepts multiplier. Below K·accepts requests nothing is throttled; K = 2 lets up to half the requests fail
   * before throttling starts (less aggressive, more wasted work), K → 1 throttles at the first rejection.
   */
  k: z._default(z.number().check(z.gte(1)), 2),
  windowMs: windowMs(120_000),
  /**
   * No local rejection below this many requests in the window: at low traffic two failures would already reject
   * two thirds of calls, and the breaker is the better judge of a provider seen that rarely.
   */
  minRequests: z._default(z.number().check(z.int(), z.gte(0)), 20),
});
export type ThrottleConfig = z.infer<typeof ThrottleConfig>;

/** One second of retry-budget traffic; `second` is the epoch second (ms / 1000, floored). */
export interface RetryBucket { second: number; requests: number; retries: number }
/** Retry budget state: buckets oldest first, only seconds that saw traffic. */
export interface RetryBudgetState { buckets: RetryBucket[] }

/** One second of throttle traffic: attempts made, and how many the backend accepted. */
export interface ThrottleBucket { second: number; requests: number; accepts: number }
/** Adaptive throttling state: buckets oldest first. */
export interface ThrottleState { buckets: ThrottleBucket[] }

/** An empty retry budget. */
export function initialRetryBudget(): RetryBudgetState {
  return { buckets: [] };
}

/** An empty throttle (probability 0). */
export function initialThrottle(): ThrottleState {
  return { buckets: [] };
}

const seconds = (ms: number) => Math.ceil(ms / 1000);

/**
 * Add to the bucket for `now`, dropping buckets older than `keepS` seconds. Copies the touched bucket and the array
 * so the input state is never changed. A clock that stepped back lands in the newest bucket rather than reordering.
 */
function bump<B extends { second: number }>(
  buckets: readonly B[], now: number, keepS: number, fresh: (second: number) => B, add: (b: B) => B,
): B[] {
  const second = Math.floor(now / 1000);
  // Buckets are oldest first (a new one is only ever appended for a later second): the expired ones are a prefix.
  let first = 0;
  while (first < buckets.length && buckets[first]!.second <= second - keepS) first++;
  const kept = buckets.slice(first);
  const last = kept[kept.length - 1];
  if (last && last.second >= second) kept[kept.length - 1] = add(last);
  else kept.push(add(fresh(second)));
  return kept;
}

/**
 * Sums of two counts over the buckets inside the window ending at `now` (the current second and the ones before it),
 * in one pass.
 */
function totals<B extends { second: number }, K extends keyof B>(buckets: readonly B[], now: number, windowMs: number, a: K, b: K): [number, number] {
  const oldest = Math.floor(now / 1000) - seconds(windowMs);
  let x = 0;
  let y = 0;
  for (const bucket of buckets) {
    if (bucket.second > oldest) {
      x += bucket[a] as number;
      y += bucket[b] as number;
    }
  }
  return [x, y];
}

// ── Retry budget ────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Count one original request (not a retry: retries are `recordRetry`, and counting them here too would let a storm
 * grow its own budget). Pass the config to keep only the buckets its window needs; without it, `MAX_WINDOW_MS` worth.
 */
export function recordRequest(state: RetryBudgetState, now: number, cfg?: Pick<RetryBudgetConfig, "windowMs">): RetryBudgetState {
  const keep = seconds(cfg?.windowMs ?? MAX_WINDOW_MS);
  return { buckets: bump(state.buckets, now, keep, (second) => ({ second, requests: 0, retries: 0 }), (b) => ({ ...b, requests: b.requests + 1 })) };
}

/** Count one retry that was sent (call only after `canRetry` allowed it). */
export function recordRetry(state: RetryBudgetState, now: number, cfg?: Pick<RetryBudgetConfig, "windowMs">): RetryBudgetState {
  const keep = seconds(cfg?.windowMs ?? MAX_WINDOW_MS);
  return { buckets: bump(state.buckets, now, keep, (second) => ({ second, requests: 0, retries: 0 }), (b) => ({ ...b, retries: b.retries + 1 })) };
}

/** Why a retry was allowed or not; shown in the trace as the reason a retry was skipped. */
export type RetryReason = "within_ratio" | "min_floor" | "budget_exhausted";

/** A retry-budget verdict, with the counts behind it (for `x-detour-trace` and /status). */
export interface RetryDecision {
  allowed: boolean;
  reason: RetryReason;
  /** Retries and requests in the window, and the limit retries must stay under: max(min floor, ratio × requests). */
  retries: number;
  requests: number;
  limit: number;
}

/** May one more retry be sent now? Allowed while retries in the window < max(minRetriesPerWindow, ratio × requests). */
export function canRetry(state: RetryBudgetState, cfg: RetryBudgetConfig, now: number): RetryDecision {
  const [requests, retries] = totals(state.buckets, now, cfg.windowMs, "requests", "retries");
  // Rounded: 0.1 × 30 is 3.0000000000000004 in floating point, which would let a fourth retry through.
  const byRatio = Math.round(cfg.ratio * requests * 1e9) / 1e9;
  const limit = Math.max(cfg.minRetriesPerWindow, byRatio);
  const reason: RetryReason = retries < byRatio ? "within_ratio" : retries < cfg.minRetriesPerWindow ? "min_floor" : "budget_exhausted";
  return { allowed: reason !== "budget_exhausted", reason, retries, requests, limit };
}

// ── Adaptive throttling ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * Count one attempt and whether the backend accepted it. A request that `shouldThrottle` rejected locally must be
 * recorded too, as not accepted (the SRE book counts requests at the application layer, above the throttle): that
 * keeps the probability up while the backend stays overloaded instead of letting it decay because nothing was sent.
 * "Accepted" means the vendor had capacity to answer: overload classes (rate_limited, server_error, timeout, network)
 * are rejections, while a bad_request or context_length is an accept — the backend was well enough to say no.
 */
export function recordAttempt(state: ThrottleState, now: number, accepted: boolean, cfg?: Pick<ThrottleConfig, "windowMs">): ThrottleState {
  const keep = seconds(cfg?.windowMs ?? MAX_WINDOW_MS);
  const inc = accepted ? 1 : 0;
  return { buckets: bump(state.buckets, now, keep, (second) => ({ second, requests: 0, accepts: 0 }), (b) => ({ ...b, requests: b.requests + 1, accepts: b.accepts + inc })) };
}

/** Requests, accepts and reject probability over the window at `now` (for /status and metrics). */
export interface ThrottleStats { requests: number; accepts: number; rejectProbability: number }

/** The window's counts and the resulting probability. */
export function throttleStats(state: ThrottleState, cfg: ThrottleConfig, now: number): ThrottleStats {
  const [requests, accepts] = totals(state.buckets, now, cfg.windowMs, "requests", "accepts");
  // The +1 keeps the probability below 1, so some requests always go through and can observe a recovery.
  const rejectProbability = requests < (cfg.minRequests ?? 0) ? 0 : Math.max(0, (requests - cfg.k * accepts) / (requests + 1));
  return { requests, accepts, rejectProbability };
}

/** max(0, (requests − K·accepts) / (requests + 1)) over the window at `now`. */
export function rejectProbability(state: ThrottleState, cfg: ThrottleConfig, now: number): number {
  return throttleStats(state, cfg, now).rejectProbability;
}

/** True when this request should be rejected locally: `random` (uniform in [0, 1)) falls below the probability. */
export function shouldThrottle(state: ThrottleState, cfg: ThrottleConfig, now: number, random: number): boolean {
  return random < rejectProbability(state, cfg, now);
}
