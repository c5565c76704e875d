/**
 * Per-tenant limits: requests and tokens per minute over a sliding 60 s window, and a spend cap per UTC calendar
 * month. A denial carries the reason and how long until a retry can succeed, so the API answers a clear 429 with an
 * honest `Retry-After`.
 *
 * Accounting happens in two steps, because the real usage is known only after the response:
 * - `admit` counts the request when it is let in, so concurrent requests see each other (counting at the response
 *   would let a burst of 1000 parallel calls through a 60/min limit before the first one finished);
 * - `commit` adds the actual tokens and cost once the response is done. Tokens and spend can therefore overshoot by
 *   what is in flight — the usual trade-off for a limit checked before the cost is known.
 *
 * Under a spend cap, `reserve` holds each admitted request's estimate until its commit, or until the hold lapses when
 * the commit never comes (src/resilience/spend-holds.ts).
 *
 * State is per-second buckets (only seconds with traffic, at most 60) plus the month's spend and its holds: bounded, plain JSON for
 * the TenantLimiter Durable Object. Pure, so limits are testable without the object: `now` is an argument; functions
 * return new state.
 */
import * as z from "../zod";
import type { Tier } from "../config/tier";
import { addHold, heldAt, liveHolds, releaseHold, type HeldSpend, type Hold } from "./spend-holds";

/** A tenant's limits; an absent field is no limit. */
export const TenantLimits = z.strictObject({
  requestsPerMinute: z.optional(z.number().check(z.int(), z.positive())),
  tokensPerMinute: z.optional(z.number().check(z.int(), z.positive())),
  /** US dollars per UTC calendar month; 0 blocks all paid traffic. */
  monthlySpendUsd: z.optional(z.number().check(z.gte(0))),
});
export type TenantLimits = z.infer<typeof TenantLimits>;

/** Defaults per tier: premium is unlimited, standard is rate-limited, free is rate-limited and capped at $5/month. */
export const TIER_LIMITS: Readonly<Record<Tier, Readonly<TenantLimits>>> = Object.freeze({
  premium: Object.freeze({}),
  standard: Object.freeze({ requestsPerMinute: 600 }),
  free: Object.freeze({ requestsPerMinute: 60, monthlySpendUsd: 5 }),
});

/** The tier's defaults with a tenant's own limits laid over them (a field set on the tenant wins). */
export function limitsFor(tier: Tier, overrides: TenantLimits = {}): TenantLimits {
  return { ...TIER_LIMITS[tier], ...overrides };
}

/** Sliding window length: the limits are "per minute". */
export const WINDOW_SECONDS = 60;

/** One second of a tenant's traffic; `second` is the epoch second (ms / 1000, floored). */
export interface LimitBucket { second: number; requests: number; tokens: number }

/** Everything the limiter remembers about one tenant. */
export interface LimiterState {
  /** Seconds with traffic in the last minute, oldest first. */
  buckets: LimitBucket[];
  /** The UTC month `spendUsd` belongs to, "YYYY-MM". */
  month: string;
  spendUsd: number;
  /**
   * Estimates of requests let in under a spend cap and not yet committed, in buckets by when they lapse
   * (src/resilience/spend-holds.ts): `check` counts them, so a concurrent burst cannot pass the cap before the first
   * answer is known; `commit` swaps a request's hold for its actual cost; a hold whose commit never comes lapses.
   */
  held?: HeldSpend[];
  /** Before holds lapsed: one undated total. Read only by `restore`, never written. */
  reservedUsd?: number;
}

/** What a request is expected to use (check), or did use (commit). */
export interface Usage { tokens: number; costUsd: number }

/** Which limit denied a request. */
export type LimitReason = "rate_limit" | "token_limit" | "spend_cap";

/** What the limiter knows of the month's spend: committed, and held by requests still in flight. */
export interface SpendReport { month: string; spendUsdThisMonth: number; heldUsd: number }

/**
 * A verdict; `retryAfterSeconds` is 0 when allowed and at least 1 when not. From the limiter object under a spend cap
 * it also carries the month's spend before this request (`spend`, so an isolate can check the cap itself when the
 * object is unreachable) and, when allowed, the handle of this request's hold (`hold`, passed back at its commit).
 */
export interface LimitDecision { allowed: boolean; reason?: LimitReason; retryAfterSeconds: number; spend?: SpendReport; hold?: Hold }

/** The tenant's usage: the last minute, the current month, and what requests in flight hold against the cap. */
export interface UsageReport extends SpendReport { requestsLastMinute: number; tokensLastMinute: number; heldReservations: number }

/** "2026-11": the UTC calendar month of `now` (ms). */
export function monthKey(now: number): string {
  const d = new Date(now);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** Start of the UTC month after the one holding `now`, in ms. */
export function nextMonthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** A tenant with no usage, in the month of `now`. */
export function initialLimiter(now: number): LimiterState {
  return { buckets: [], month: monthKey(now), spendUsd: 0 };
}

/**
 * A stored state from before holds lapsed: its undated `reservedUsd` becomes one hold lapsing `holdMs` after `now`
 * (the object's load), so a reservation stuck in the old total is given back too.
 */
export function restore(state: LimiterState, now: number, holdMs: number): LimiterState {
  const { reservedUsd, ...rest } = state;
  if (!(reservedUsd && reservedUsd > 0)) return rest;
  return { ...rest, held: addHold(rest.held, now, reservedUsd, holdMs).held };
}

/**
 * The spend that counts at `now`: 0 once a new month has begun, and the holds that have not lapsed. Months compare
 * as strings ("2026-11" < "2026-12"), and a clock that stepped back into the previous month keeps the current spend
 * rather than resurrecting old totals.
 */
function currentSpend(state: LimiterState, now: number): { month: string; spendUsd: number; held: HeldSpend[] } {
  const month = monthKey(now);
  return month > state.month ? { month, spendUsd: 0, held: [] } : { month: state.month, spendUsd: state.spendUsd, held: liveHolds(state.held, now) };
}

/** The month's spend and live holds at `now`, as the limiter reports them. */
export function spendAt(state: LimiterState, now: number): SpendReport {
  const { month, spendUsd, held } = currentSpend(state, now);
  return { month, spendUsdThisMonth: spendUsd, heldUsd: heldAt(held, now).usd };
}

/** Buckets inside the window ending at `now`: the current second and the 59 before it. */
function inWindow(state: LimiterState, now: number): LimitBucket[] {
  const oldest = Math.floor(now / 1000) - WINDOW_SECONDS;
  return state.buckets.filter((b) => b.second > oldest);
}

/**
 * Seconds until the window has room: walk the buckets oldest first, as each leaves the window (60 s after its second
 * began) its amount is freed, until `used − freed + need ≤ limit`. Infinity when even an empty window would not fit.
 */
function secondsUntilRoom(buckets: LimitBucket[], now: number, used: number, need: number, limit: number, pick: (b: LimitBucket) => number): number {
  if (need > limit) return Infinity;
  let freed = 0;
  for (const b of buckets) {
    freed += pick(b);
    if (used - freed + need <= limit) return Math.max(1, Math.ceil(((b.second + WINDOW_SECONDS) * 1000 - now) / 1000));
  }
  return WINDOW_SECONDS; // unreachable when used + need > limit ≥ need, kept as a safe answer
}

/**
 * May this request go ahead? Checked in order of how long a denial lasts: the spend cap first (no amount of waiting
 * within the month helps), then the per-minute limits, reporting whichever needs the longer wait since both must
 * clear. Read-only: a caller that goes ahead calls `admit`, then `commit` after the response.
 *
 * A request whose estimate alone exceeds `tokensPerMinute` can never fit; it is denied with a full window's wait.
 */
export function check(state: LimiterState, limits: TenantLimits, now: number, estimate: Usage): LimitDecision {
  const cap = limits.monthlySpendUsd;
  if (cap !== undefined) {
    const { spendUsd, held } = currentSpend(state, now);
    // Rounded to a millionth of a cent, so 4.9 + 0.1 spent in steps does not read as 5.000000000000001 > 5.
    if (Math.round((spendUsd + heldAt(held, now).usd + Math.max(0, estimate.costUsd)) * 1e8) / 1e8 > cap) {
      return { allowed: false, reason: "spend_cap", retryAfterSeconds: Math.max(1, Math.ceil((nextMonthStart(now) - now) / 1000)) };
    }
  }
  const buckets = inWindow(state, now);
  let worst: LimitDecision = { allowed: true, retryAfterSeconds: 0 };
  const rpm = limits.requestsPerMinute;
  if (rpm !== undefined) {
    const used = buckets.reduce((n, b) => n + b.requests, 0);
    if (used + 1 > rpm) worst = { allowed: false, reason: "rate_limit", retryAfterSeconds: secondsUntilRoom(buckets, now, used, 1, rpm, (b) => b.requests) };
  }
  const tpm = limits.tokensPerMinute;
  if (tpm !== undefined) {
    const used = buckets.reduce((n, b) => n + b.tokens, 0);
    const need = Math.max(0, estimate.tokens);
    if (used + need > tpm) {
      const wait = Math.min(WINDOW_SECONDS, secondsUntilRoom(buckets, now, used, need, tpm, (b) => b.tokens));
      if (wait > worst.retryAfterSeconds) worst = { allowed: false, reason: "token_limit", retryAfterSeconds: wait };
    }
  }
  return worst;
}

/** Add to the bucket for `now`, dropping buckets that left the window; a clock that stepped back uses the newest. */
function bump(state: LimiterState, now: number, requests: number, tokens: number): LimitBucket[] {
  const kept = inWindow(state, now);
  const second = Math.floor(now / 1000);
  const last = kept[kept.length - 1];
  if (last && last.second >= second) kept[kept.length - 1] = { ...last, requests: last.requests + requests, tokens: last.tokens + tokens };
  else kept.push({ second, requests, tokens });
  return kept;
}

/** Count one admitted request in the window (call when `check` allowed it and the request goes ahead). */
export function admit(state: LimiterState, now: number): LimiterState {
  const { month, spendUsd, held } = currentSpend(state, now);
  return withHeld({ month, spendUsd, buckets: bump(state, now, 1, 0) }, held);
}

/**
 * Hold `usd` of the month's cap for a request just let in, until its `commit` releases it or `holdMs` passes
 * (src/resilience/spend-holds.ts); returns the hold's handle for that commit (none for a request that costs nothing).
 */
export function reserve(state: LimiterState, now: number, usd: number, holdMs: number): { state: LimiterState; hold?: Hold } {
  const { month, spendUsd, held } = currentSpend(state, now);
  const added = addHold(held, now, Math.max(0, usd), holdMs);
  return { state: withHeld({ buckets: state.buckets, month, spendUsd }, added.held), ...(added.hold ? { hold: added.hold } : {}) };
}

/**
 * Record a finished call's actual tokens (in the window) and cost (in the month of `now`; a new month resets), and
 * release its hold (`release`, the handle `reserve` gave; absent for a request's other commits). A hold that already
 * lapsed releases nothing, so a late commit counts its cost once and gives nothing back twice.
 */
export function commit(state: LimiterState, now: number, actual: Usage, release?: unknown): LimiterState {
  const { month, spendUsd, held } = currentSpend(state, now);
  const tokens = Math.max(0, actual.tokens);
  const buckets = tokens > 0 ? bump(state, now, 0, tokens) : inWindow(state, now);
  return withHeld({ buckets, month, spendUsd: spendUsd + Math.max(0, actual.costUsd) }, release === undefined ? held : releaseHold(held, now, release));
}

function withHeld(state: LimiterState, held: HeldSpend[]): LimiterState {
  return held.length > 0 ? { ...state, held } : state;
}

/** Requests and tokens in the last minute, spend this month and what live holds keep back, at `now`. */
export function usage(state: LimiterState, now: number): UsageReport {
  const buckets = inWindow(state, now);
  const { month, spendUsd, held } = currentSpend(state, now);
  const h = heldAt(held, now);
  return {
    requestsLastMinute: buckets.reduce((n, b) => n + b.requests, 0),
    tokensLastMinute: buckets.reduce((n, b) => n + b.tokens, 0),
    month,
    spendUsdThisMonth: spendUsd,
    heldUsd: h.usd,
    heldReservations: h.count,
  };
}
