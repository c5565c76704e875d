/**
 * Spend reservations ("holds") under a monthly cap, and when they lapse.
 *
 * A request let in under a cap holds its estimated cost until its commit swaps the hold for the actual cost
 * (src/resilience/limits.ts). A commit can fail to arrive — the isolate is evicted, the object call times out — so
 * every hold lapses on its own `holdMs` after it was made: the caller passes the longest its request can run (its
 * deadline) plus a grace for the commit's own trip (`tenants.reservationGraceMs`). Lapsing is lazy: holds past their
 * time are simply not counted, and are dropped from state on the next write. No alarm is needed.
 *
 * Holds are kept in buckets by expiry time, on a grid of `holdMs / HOLD_SLOTS` (at least a second), so a tenant's
 * state stays bounded — about HOLD_SLOTS buckets per hold length, whatever the concurrency — and plain JSON. A
 * commit releases exactly its own hold from its bucket; a commit that arrives after the bucket lapsed releases
 * nothing (the hold is already gone, so nothing is given back twice), and no bucket ever goes below zero.
 *
 * Pure: `now` is an argument; functions return new arrays.
 */

/** One bucket of holds that lapse together at `until` (epoch ms). */
export interface HeldSpend { until: number; usd: number; count: number }

/** The handle of one request's hold, passed back at its commit to release it. */
export interface Hold { until: number; usd: number }

/** Shortest and longest hold a limiter accepts; outside this a caller's value is clamped. */
export const MIN_HOLD_MS = 1_000;
export const MAX_HOLD_MS = 86_400_000;
/**
 * The hold when a caller names none (an isolate of an older version): the default longest request
 * (`defaults.maxDeadlineMs`, 120 s) plus the default grace (`tenants.reservationGraceMs`, 60 s).
 */
export const DEFAULT_HOLD_MS = 180_000;
/** Buckets per hold length: expiries are rounded up to `holdMs / HOLD_SLOTS` (at least 1 s). */
export const HOLD_SLOTS = 120;

/** A caller's hold length, made safe: a number in [MIN_HOLD_MS, MAX_HOLD_MS], DEFAULT_HOLD_MS when not a number. */
export function holdMsOf(holdMs: unknown): number {
  if (typeof holdMs !== "number" || !Number.isFinite(holdMs)) return DEFAULT_HOLD_MS;
  return Math.min(MAX_HOLD_MS, Math.max(MIN_HOLD_MS, Math.round(holdMs)));
}

const round9 = (x: number) => Math.round(x * 1e9) / 1e9;

/** The buckets still holding at `now` (a bucket lapses at its `until`). */
export function liveHolds(held: readonly HeldSpend[] | undefined, now: number): HeldSpend[] {
  return (held ?? []).filter((b) => b.until > now);
}

/** Dollars held at `now`, and by how many requests. */
export function heldAt(held: readonly HeldSpend[] | undefined, now: number): { usd: number; count: number } {
  let usd = 0;
  let count = 0;
  for (const b of liveHolds(held, now)) {
    usd += b.usd;
    count += b.count;
  }
  return { usd: round9(usd), count };
}

/** Hold `usd` from `now` for `holdMs` (clamped by `holdMsOf`); no hold for a request that costs nothing. */
export function addHold(held: readonly HeldSpend[] | undefined, now: number, usd: number, holdMs: number): { held: HeldSpend[]; hold?: Hold } {
  const live = liveHolds(held, now);
  if (!(usd > 0)) return { held: live };
  const ms = holdMsOf(holdMs);
  const step = Math.max(1000, Math.ceil(ms / HOLD_SLOTS / 1000) * 1000);
  const until = Math.ceil((now + ms) / step) * step;
  const i = live.findIndex((b) => b.until === until);
  if (i >= 0) live[i] = { until, usd: round9(live[i]!.usd + usd), count: live[i]!.count + 1 };
  else {
    live.push({ until, usd, count: 1 });
    live.sort((a, b) => a.until - b.until);
  }
  return { held: live, hold: { until, usd } };
}

/**
 * Give back one request's hold at its commit. A hold that already lapsed (its bucket is gone) or a handle that is not
 * a hold releases nothing; a bucket is dropped when its last hold is released and never goes below zero.
 */
export function releaseHold(held: readonly HeldSpend[] | undefined, now: number, hold: unknown): HeldSpend[] {
  const live = liveHolds(held, now);
  if (!isHold(hold)) return live;
  const i = live.findIndex((b) => b.until === hold.until);
  if (i < 0) return live;
  const b = live[i]!;
  const usd = round9(b.usd - hold.usd);
  if (b.count <= 1 || usd <= 0) live.splice(i, 1);
  else live[i] = { until: b.until, usd, count: b.count - 1 };
  return live;
}

function isHold(x: unknown): x is Hold {
  if (typeof x !== "object" || x === null) return false;
  const { until, usd } = x as Record<string, unknown>;
  return typeof until === "number" && Number.isFinite(until) && typeof usd === "number" && Number.isFinite(usd) && usd >= 0;
}
