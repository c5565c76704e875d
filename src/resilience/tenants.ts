/**
 * Tenant-safe trips: one tenant's requests alone must not open a provider's breaker for everyone while other tenants
 * are being served. The breaker keeps a short log of which tenant (a fingerprint, never a key) each countable outcome
 * came from; a trip — rate-based or consecutive — needs failures from at least `minTenantsToTrip` distinct tenants
 * whenever a tenant that is not failing has a success in the window. With only one tenant in the traffic (or none
 * named, as from an older worker), nothing tells one tenant's fault from the provider's, and the ordinary rules trip.
 *
 * Pure: plain JSON in, plain JSON out, no clock reads.
 */

/** One countable outcome in the breaker's window: who (tenant fingerprint, "" when unknown), failed or not, when. */
export interface TenantMark {
  t: string;
  /** 1 failed, 0 succeeded. */
  f: 0 | 1;
  at: number;
}

/** The log never holds more than this many marks, whatever the window's size (bounds the persisted state). */
export const MAX_TENANT_MARKS = 500;

/** `log` plus one mark, keeping only the last `size` marks (count windows) or those younger than `maxAgeMs`. */
export function addMark(log: readonly TenantMark[], mark: TenantMark, keep: { size?: number; maxAgeMs?: number }): TenantMark[] {
  const cap = Math.min(keep.size ?? MAX_TENANT_MARKS, MAX_TENANT_MARKS);
  const fresh = keep.maxAgeMs === undefined ? log : log.filter((m) => m.at > mark.at - keep.maxAgeMs!);
  if (cap < 1) return [...fresh, mark].slice(-cap);
  // One copy, not two: the Durable Object adds a mark per outcome sample, to a log of up to 500.
  const out = fresh.slice(Math.max(0, fresh.length + 1 - cap));
  out.push(mark);
  return out;
}

/** `log` plus `mark`, bounded by the breaker's window: its last `size` calls, or its last `size` seconds. */
export function markOutcome(log: readonly TenantMark[], window: { type: "count" | "time"; size: number }, mark: TenantMark): TenantMark[] {
  return addMark(log, mark, window.type === "count" ? { size: window.size } : { maxAgeMs: window.size * 1000 });
}

/**
 * May the breaker trip on this evidence? `streak`: for the consecutive-failure rule, how many of the newest marks are
 * the streak (those are the failures judged); absent, the rate rule judges every failure in the log. Every mark in
 * `log` is considered for "someone else is being served".
 */
export function tenantsAllowTrip(log: readonly TenantMark[], minTenants: number, streak?: number): boolean {
  if (minTenants <= 1) return true;
  const judged = streak === undefined ? log : log.slice(-streak);
  const failing = new Set(judged.filter((m) => m.f === 1).map((m) => m.t));
  if (failing.size >= minTenants) return true;
  const othersServed = log.some((m) => m.f === 0 && !failing.has(m.t));
  return !othersServed;
}

/** A tenant that asked for a half-open probe permit, and when (granted or not). */
export interface ProbeAsk {
  t: string;
  at: number;
}

/** What a half-open breaker remembers about tenants (fields of `BreakerState`; absent in state saved before them). */
export interface HalfOpenTenants {
  probeAsks?: ProbeAsk[];
  probeFailedBy?: string[];
}

/** At most this many distinct askers are remembered per half-open period. */
const MAX_ASKERS = 16;

/** `asks` with `tenant`'s newest ask at `now`, dropping asks older than `maxAgeMs`. */
export function noteAsk(asks: readonly ProbeAsk[], tenant: string, now: number, maxAgeMs: number): ProbeAsk[] {
  return [...asks.filter((a) => a.t !== tenant && a.at > now - maxAgeMs), { t: tenant, at: now }].slice(-MAX_ASKERS);
}

/** Tenants other than those in `failed` that asked for a probe within `maxAgeMs`. */
function otherAskers(asks: readonly ProbeAsk[], failed: ReadonlySet<string>, now: number, maxAgeMs: number): boolean {
  return asks.some((a) => !failed.has(a.t) && a.at > now - maxAgeMs);
}

/**
 * Half-open: does `tenant`'s failed probe re-open the breaker? Not while it is one of fewer than `minTenants`
 * tenants whose probes failed in this period and another tenant is asking for a probe: that tenant gets the next
 * permit instead (see `probeRefused`). A provider failing every asker, or the only tenant asking, re-opens at once.
 */
export function probeFailureCounts(half: HalfOpenTenants, tenant: string | undefined, minTenants: number, now: number, maxAgeMs: number): boolean {
  if (minTenants <= 1 || tenant === undefined) return true;
  const failed = new Set([...(half.probeFailedBy ?? []), tenant]);
  return failed.size >= minTenants || !otherAskers(half.probeAsks ?? [], failed, now, maxAgeMs);
}

/** Half-open: is `tenant` refused a probe permit because its own probe failed and another tenant is asking? */
export function probeRefused(half: HalfOpenTenants, tenant: string | undefined, now: number, maxAgeMs: number): boolean {
  const failedBy = half.probeFailedBy ?? [];
  if (tenant === undefined || !failedBy.includes(tenant)) return false;
  return otherAskers(half.probeAsks ?? [], new Set(failedBy), now, maxAgeMs);
}
