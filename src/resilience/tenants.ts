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
  return [...fresh, mark].slice(-cap);
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
