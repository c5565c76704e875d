/**
 * TenantLimiter: one Durable Object per tenant (`idFromName(tenant)`), a thin shell over the pure limiter in
 * src/resilience/limits.ts. One object per tenant gives a single writer, so `check` and the request count it takes are
 * atomic across every isolate — the reason this is a DO and not KV (no compare-and-set) or isolate memory (per-isolate
 * counts would multiply the limit by the number of isolates).
 *
 * Time: callers pass their `now` (the worker's clock, injectable in tests). No alarm is needed: the window prunes
 * itself on every write and the month rolls over on the first call of the new month.
 */
import { DurableObject } from "cloudflare:workers";
import {
  admit,
  check,
  commit,
  initialLimiter,
  reserve,
  TenantLimits,
  usage,
  type LimitDecision,
  type LimiterState,
  type Usage,
  type UsageReport,
} from "../src/resilience/limits";
import { grantWrites, type WriteLedger } from "../src/cache/write-budget";

export class TenantLimiter extends DurableObject<Env> {
  #s: LimiterState = initialLimiter(Date.now());
  /**
   * Cache writes leased this minute (src/cache/write-budget.ts). Memory only, on purpose: persisting it would cost a
   * storage write per lease, and an object is evicted only after it has been idle, so a reset can at most grant one
   * more minute's budget in a minute that was quiet anyway.
   */
  #cacheWrites: WriteLedger = { minute: -1, granted: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<LimiterState>("state");
      if (stored) this.#s = stored;
    });
  }

  /**
   * Decide whether a request may go ahead and, when it may, count it at once, so the next concurrent request sees it.
   * `limits` come from the caller's config (tier defaults merged with the tenant's own) and are validated here too,
   * because a bad limit would otherwise silently mean "no limit".
   */
  async check(limits: TenantLimits, now: number, estimate: Usage): Promise<LimitDecision> {
    const decision = check(this.#s, TenantLimits.parse(limits), now, estimate);
    if (decision.allowed) {
      this.#s = admit(this.#s, now);
      // Under a spend cap the estimate is held until the request commits, so concurrent requests see each other.
      if (limits.monthlySpendUsd !== undefined) this.#s = reserve(this.#s, now, estimate.costUsd);
      await this.#persist();
    }
    return decision;
  }

  /** Record a finished call's actual tokens and cost, releasing `releaseUsd` of its reservation; returns the usage after it. */
  async commit(now: number, actual: Usage, releaseUsd = 0): Promise<UsageReport> {
    this.#s = commit(this.#s, now, actual, releaseUsd);
    await this.#persist();
    return usage(this.#s, now);
  }

  /** Lease up to `want` cache writes for `now`'s minute, never more than `budget` in it; returns how many. */
  async leaseCacheWrites(now: number, budget: number, want: number): Promise<number> {
    if (![now, budget, want].every((n) => typeof n === "number" && Number.isFinite(n) && n >= 0)) return 0;
    const g = grantWrites(this.#cacheWrites, now, budget, want);
    this.#cacheWrites = g.ledger;
    return g.granted;
  }

  /** Requests and tokens in the last minute, spend this month (for /status-like reporting). Read-only. */
  async usage(now: number): Promise<UsageReport> {
    return usage(this.#s, now);
  }

  async #persist(): Promise<void> {
    await this.ctx.storage.put("state", this.#s);
  }
}
