/**
 * TenantLimiter: one Durable Object per tenant (`idFromName(tenant)`), a thin shell over the pure limiter in
 * src/resilience/limits.ts. One object per tenant gives a single writer, so `check` and the request count it takes are
 * atomic across every isolate — the reason this is a DO and not KV (no compare-and-set) or isolate memory (per-isolate
 * counts would multiply the limit by the number of isolates).
 *
 * Time: callers pass their `now` (the worker's clock, injectable in tests). No alarm is needed: the window prunes
 * itself on every write, the month rolls over on the first call of the new month, and a spend hold whose commit never
 * came stops counting once its time has passed (src/resilience/spend-holds.ts) and is dropped at the next write.
 *
 * Commits are applied once: each carries an id, remembered in a SQLite table for a bounded window
 * (./applied-commits.ts), so an isolate may re-send a commit whose answer it lost (src/resilience/commit-once.ts).
 */
import { DurableObject } from "cloudflare:workers";
import {
  admit,
  check,
  commit,
  initialLimiter,
  reserve,
  restore,
  spendAt,
  TenantLimits,
  usage,
  type LimitDecision,
  type LimiterState,
  type Usage,
  type UsageReport,
} from "../src/resilience/limits";
import { grantWrites, type WriteLedger } from "../src/cache/write-budget";
import { alreadyApplied, commitOnceOf, rememberApplied, type CommitOnce } from "../src/resilience/commit-once";
import { DEFAULT_HOLD_MS, holdMsOf, type Hold } from "../src/resilience/spend-holds";
import { SqlAppliedCommits } from "./applied-commits";

/** A commit's answer: the usage after it; `duplicate` when its id was applied before and nothing was applied now. */
export type CommitReport = UsageReport & { duplicate?: true };

export class TenantLimiter extends DurableObject<Env> {
  #s: LimiterState = initialLimiter(Date.now());
  /**
   * Cache writes leased this minute (src/cache/write-budget.ts). Memory only, on purpose: persisting it would cost a
   * storage write per lease, and an object is evicted only after it has been idle, so a reset can at most grant one
   * more minute's budget in a minute that was quiet anyway.
   */
  #cacheWrites: WriteLedger = { minute: -1, granted: 0 };
  /** The commit ids applied in the last window (./applied-commits.ts). */
  #applied: SqlAppliedCommits;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#applied = new SqlAppliedCommits(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<LimiterState>("state");
      // A state stored before holds lapsed keeps its old reservations as one hold that lapses from now.
      if (stored) this.#s = restore(stored, Date.now(), DEFAULT_HOLD_MS);
    });
  }

  /**
   * Decide whether a request may go ahead and, when it may, count it at once, so the next concurrent request sees it.
   * `limits` come from the caller's config (tier defaults merged with the tenant's own) and are validated here too,
   * because a bad limit would otherwise silently mean "no limit".
   *
   * Under a spend cap the estimate is held until the request commits, so concurrent requests see each other, or until
   * `holdMs` passes (the request's deadline plus `tenants.reservationGraceMs`; clamped, so no hold is forever). The
   * answer then carries the month's spend before this request and the hold's handle for the commit.
   */
  async check(limits: TenantLimits, now: number, estimate: Usage, holdMs?: number): Promise<LimitDecision> {
    const parsed = TenantLimits.parse(limits);
    const decision = check(this.#s, parsed, now, estimate);
    if (parsed.monthlySpendUsd === undefined) {
      if (decision.allowed) {
        this.#s = admit(this.#s, now);
        await this.#persist();
      }
      return decision;
    }
    const spend = spendAt(this.#s, now);
    if (!decision.allowed) return { ...decision, spend };
    const held = reserve(admit(this.#s, now), now, estimate.costUsd, holdMsOf(holdMs));
    this.#s = held.state;
    await this.#persist();
    return { ...decision, spend, ...(held.hold ? { hold: held.hold } : {}) };
  }

  /**
   * Record a finished call's actual tokens and cost, releasing its hold (`release`, the handle `check` gave; one that
   * lapsed releases nothing); returns the usage after it. With `once` (its id and how long to remember it), a commit
   * whose id was applied within its window is not applied again: the answer is the usage as it stands, marked
   * `duplicate`. The commit and its id are stored in one transaction. Without `once` (an isolate of an older version)
   * it is applied as before.
   */
  async commit(now: number, actual: Usage, release?: Hold, once?: CommitOnce): Promise<CommitReport> {
    const o = commitOnceOf(once);
    if (!o) {
      this.#s = commit(this.#s, now, actual, release);
      await this.#persist();
      return usage(this.#s, now);
    }
    if (alreadyApplied(this.#applied, o, now)) return { ...usage(this.#s, now), duplicate: true };
    const next = commit(this.#s, now, actual, release);
    this.ctx.storage.transactionSync(() => {
      rememberApplied(this.#applied, o, now);
      this.ctx.storage.kv.put("state", next);
    });
    this.#s = next;
    return usage(this.#s, now);
  }

  /** Lease up to `want` cache writes for `now`'s minute, never more than `budget` in it; returns how many. */
  async leaseCacheWrites(now: number, budget: number, want: number): Promise<number> {
    if (![now, budget, want].every((n) => typeof n === "number" && Number.isFinite(n) && n >= 0)) return 0;
    const g = grantWrites(this.#cacheWrites, now, budget, want);
    this.#cacheWrites = g.ledger;
    return g.granted;
  }

  /** Requests and tokens in the last minute, spend this month and live holds (for /status-like reporting). Read-only. */
  async usage(now: number): Promise<UsageReport> {
    return usage(this.#s, now);
  }

  async #persist(): Promise<void> {
    await this.ctx.storage.put("state", this.#s);
  }
}
