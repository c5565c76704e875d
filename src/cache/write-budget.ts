/**
 * The per-tenant cache write budget (`cache.tenantWritesPerMinute`), held across isolates. Each stored answer costs
 * 2–4 KV writes, so a caller who can force stores (varied intents, varied questions) can run up the KV bill; the
 * budget caps that per tenant and minute.
 *
 * A count kept only in isolate memory multiplies the budget by the number of isolates serving the tenant. Counting
 * every write in a Durable Object would be exact but add one RPC per store. Instead the tenant's TenantLimiter object
 * hands out **leases** of `leaseSize(budget)` writes (a twentieth of the budget, at least 1) for the current minute,
 * never more than the budget in total; an isolate spends its lease locally and asks again only when it is used up. So
 * the whole fleet stores at most the budget per minute, at one DO request per lease (≤ 20 per tenant and minute at
 * full use). A lease an isolate does not spend is lost for the minute — the budget can be under-used, never exceeded.
 *
 * When the object is unbound or does not answer (the call is bounded), the isolate falls back to counting alone, as
 * before: a cache write is never worth failing or delaying a request over. Pure ledger below; the I/O is passed in.
 */

/** The object's ledger: writes granted in one minute. */
export interface WriteLedger {
  minute: number;
  granted: number;
}

/** Writes per lease: a twentieth of the budget, at least 1. */
export const leaseSize = (budget: number): number => Math.max(1, Math.ceil(budget / 20));

/** Grant up to `want` writes for `now`'s minute without passing `budget` in that minute (the object's side). */
export function grantWrites(ledger: WriteLedger, now: number, budget: number, want: number): { granted: number; ledger: WriteLedger } {
  const minute = Math.floor(now / 60_000);
  const used = ledger.minute === minute ? ledger.granted : 0;
  const granted = Math.max(0, Math.min(Math.floor(want), Math.floor(budget) - used));
  return { granted, ledger: { minute, granted: used + granted } };
}

/** Ask the tenant's object for up to `want` writes in `now`'s minute; resolves to how many it granted. */
export type WriteLeaser = (now: number, budget: number, want: number) => Promise<number>;

/** The RPC the TenantLimiter object offers for it. */
export interface WriteBudgetStub {
  leaseCacheWrites(now: number, budget: number, want: number): Promise<number>;
}

/**
 * The isolate's side: may this tenant store one more answer now? `memo` is the isolate's write memo (AppDeps
 * .cacheWrites), holding `lease:<tenant>:<minute>` = writes left in the current lease (-1: the object said the
 * budget is spent) and `budget:<tenant>:<minute>` = the fallback count.
 */
export async function mayWrite(memo: Map<string, number>, tenantHash: string, now: number, budget: number, lease?: WriteLeaser): Promise<boolean> {
  const minute = Math.floor(now / 60_000);
  if (budget <= 0) return false;
  if (lease) {
    const key = `lease:${tenantHash}:${minute}`;
    const left = memo.get(key) ?? 0;
    if (left > 0) return memo.set(key, left - 1), true;
    if (left < 0) return false; // spent fleet-wide this minute: no further object calls until the next one
    try {
      const granted = await lease(now, budget, leaseSize(budget));
      memo.set(key, granted > 0 ? granted - 1 : -1);
      return granted > 0;
    } catch {
      // The object is unreachable: count in this isolate alone, as without it.
    }
  }
  const key = `budget:${tenantHash}:${minute}`;
  const used = memo.get(key) ?? 0;
  if (used >= budget) return false;
  memo.set(key, used + 1);
  return true;
}
