/**
 * Hedged requests (Dean & Barroso, "The Tail at Scale"): when the first attempt has not produced its first byte by
 * the provider's observed p95, start the next target too, take the first good answer and cancel the other. At most
 * one hedge per request, and hedges stay under a share of traffic (`HedgeBudget`), so hedging cannot double load
 * during an incident.
 */
import { TIMER_CANCELLED, type Clock } from "./clock";
import type { HedgeOptions, Outcome, PlannedTarget } from "./types";

export type { HedgeOptions };

/** Isolate-wide share of requests that hedged, over a sliding minute. */
export class HedgeBudget {
  #requests: number[] = [];
  #hedges: number[] = [];
  constructor(
    private readonly maxShare: number,
    private readonly windowMs = 60_000,
  ) {}

  request(now: number): void {
    this.#requests.push(now);
    this.#trim(now);
  }

  /** Take a hedge if the share allows; records it when it does. */
  take(now: number): boolean {
    this.#trim(now);
    // +1: the first hedge of a quiet isolate is allowed when the share would permit one in maxShare⁻¹ requests.
    if (this.#hedges.length + 1 > this.maxShare * Math.max(this.#requests.length, 1 / this.maxShare)) return false;
    this.#hedges.push(now);
    return true;
  }

  #trim(now: number): void {
    const cut = now - this.windowMs;
    while (this.#requests.length && this.#requests[0]! < cut) this.#requests.shift();
    while (this.#hedges.length && this.#hedges[0]! < cut) this.#hedges.shift();
    if (this.#requests.length > 100_000) this.#requests.splice(0, this.#requests.length - 100_000);
  }
}

/**
 * Run `run(plan)`; if it has not settled after `afterMs`, also run `run(plan.slice(1))` and return whichever
 * succeeds first. The loser is aborted through its signal; a loser that already produced a value is handed to
 * `dispose` (a committed stream must be closed). A run that no hedge can ever race (no hedging, or a one-target plan —
 * most requests) gets no signal: nothing would ever abort it, and a controller plus a combined signal per request
 * is measurable CPU on the hot path.
 */
export async function hedged<T>(
  plan: PlannedTarget[],
  hedge: HedgeOptions | undefined,
  clock: Clock,
  run: (plan: PlannedTarget[], signal: AbortSignal | undefined, hedge: boolean) => Promise<Outcome<T>>,
  dispose: (value: T) => void,
): Promise<Outcome<T> & { hedged: boolean }> {
  if (!hedge || plan.length < 2) return { ...(await run(plan, undefined, false)), hedged: false };
  const first = new AbortController();
  const p1 = run(plan, first.signal, false);
  const timer = new AbortController();
  const fired = clock.sleep(hedge.afterMs, timer.signal).then(
    () => true,
    () => false,
  );
  const early = await Promise.race([p1.then(() => "done" as const), fired.then((f) => (f ? ("hedge" as const) : ("done" as const)))]);
  timer.abort(TIMER_CANCELLED);
  if (early === "done" || !hedge.allow()) return { ...(await p1), hedged: false };

  const second = new AbortController();
  const p2 = run(plan.slice(1), second.signal, true);
  const settle = async (winner: Outcome<T>, loser: Promise<Outcome<T>>, loserCtl: AbortController) => {
    loserCtl.abort(new Error("hedge lost"));
    const l = await loser;
    if (l.ok) dispose(l.value);
    return { ...winner, attempts: [...winner.attempts, ...l.attempts.map((a) => ({ ...a }))], hedged: true };
  };
  const tagged = <R>(p: Promise<R>, which: 1 | 2) => p.then((o) => ({ o, which }));
  const firstDone = await Promise.race([tagged(p1, 1), tagged(p2, 2)]);
  if (firstDone.o.ok) return firstDone.which === 1 ? settle(firstDone.o, p2, second) : settle(firstDone.o, p1, first);
  // The first to finish failed: the other is the answer, good or bad.
  const other = await (firstDone.which === 1 ? p2 : p1);
  const attempts = firstDone.which === 1 ? [...firstDone.o.attempts, ...other.attempts] : [...other.attempts, ...firstDone.o.attempts];
  return { ...other, attempts, hedged: true };
}
