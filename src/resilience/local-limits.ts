/**
 * The per-isolate stand-in for the TenantLimiter object: the same per-minute limits (requests and tokens per minute,
 * the same sliding window as src/resilience/limits.ts), counted over this isolate's own traffic. Every request the
 * isolate lets in is counted here too, so when the object is slow or down the fallback starts from the last minute
 * it saw rather than from zero.
 *
 * What it trades: each isolate enforces the whole limit over its own share of the traffic, so while the object is
 * unreachable a tenant spread over many isolates can exceed its limit by up to that factor — bounded, never
 * unlimited. The monthly spend cap needs the object's month-long total and is not checked locally.
 *
 * Memory is bounded: at most `maxTenants` tenants (the least recently seen is forgotten first), each at most 60
 * one-second buckets. Pure: `now` is an argument.
 */
import { admit, check, commit, initialLimiter, type LimitDecision, type LimiterState, type TenantLimits, type Usage } from "./limits";

/** Tenants remembered per isolate by default. */
export const DEFAULT_LOCAL_TENANTS = 10_000;

export class LocalLimits {
  #tenants = new Map<string, LimiterState>();

  constructor(private readonly maxTenants = DEFAULT_LOCAL_TENANTS) {}

  /** The per-minute verdict for this isolate's view of the tenant (the spend cap is left to the object). */
  check(tenant: string, limits: TenantLimits, now: number, estimate: Usage): LimitDecision {
    const { monthlySpendUsd: _spend, ...perMinute } = limits;
    return check(this.#state(tenant, now), perMinute, now, estimate);
  }

  /** Count one request let in (by the object or by this fallback). */
  admit(tenant: string, now: number): void {
    this.#set(tenant, admit(this.#state(tenant, now), now));
  }

  /** Add a finished request's actual tokens. */
  commit(tenant: string, now: number, actual: Usage): void {
    this.#set(tenant, commit(this.#state(tenant, now), now, { tokens: actual.tokens, costUsd: 0 }));
  }

  /** How many tenants are remembered (for tests of the bound). */
  get size(): number {
    return this.#tenants.size;
  }

  #state(tenant: string, now: number): LimiterState {
    return this.#tenants.get(tenant) ?? initialLimiter(now);
  }

  #set(tenant: string, state: LimiterState): void {
    // Re-insert so the map's order is least recently used first.
    this.#tenants.delete(tenant);
    this.#tenants.set(tenant, state);
    if (this.#tenants.size > this.maxTenants) this.#tenants.delete(this.#tenants.keys().next().value!);
  }
}
