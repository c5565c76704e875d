/**
 * Time, injected. Production uses the platform timers; tests pass a clock whose sleeps are recorded and return at
 * once, so no test ever waits on a real timer and timing tests are exact.
 */
export interface Clock {
  now(): number;
  /** Resolve after `ms`, or reject with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Optional fast path for a cancellable timer: call `fn` after `ms`, or never once the returned function is called.
   * The platform clock has it (a plain setTimeout); without it `armTimer` falls back to `sleep` with an abort signal,
   * which costs an AbortController and an abort event per timer — and the engine arms one per attempt and per chunk.
   */
  after?(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/**
 * The reason a cancelled timer's sleep is aborted with. Shared and made once: `abort()` with no reason makes a new
 * DOMException (a stack capture) per call, and every attempt cancels several timers. Nothing reads it.
 */
export const TIMER_CANCELLED = new Error("timer cancelled");

/** Call `fn` after `ms` on `clock` (its `after`, else a cancellable `sleep`); call the returned function to cancel. */
export function after(clock: Clock, ms: number, fn: () => void): () => void {
  if (clock.after) return clock.after(ms, fn);
  const cancel = new AbortController();
  clock.sleep(ms, cancel.signal).then(fn, () => {});
  return () => cancel.abort(TIMER_CANCELLED);
}

/** Abort `controller` with `reason` after `ms` on `clock`; call the returned function to cancel. */
export function armTimer(clock: Clock, ms: number, controller: AbortController, reason: () => Error): () => void {
  return after(clock, ms, () => controller.abort(reason()));
}

/** Never settles unless `signal` aborts, then rejects with its reason (a hang; a long timer would overflow setTimeout). */
export function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return;
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** `p`, or a rejection after `ms` on `clock` (the timer is cancelled once `p` settles). */
export async function withTimeout<T>(p: Promise<T>, ms: number, clock: Pick<Clock, "sleep">): Promise<T> {
  const cancel = new AbortController();
  try {
    return await Promise.race([p, clock.sleep(ms, cancel.signal).then(() => Promise.reject(new Error(`no answer within ${ms} ms`)))]);
  } finally {
    cancel.abort(TIMER_CANCELLED);
  }
}
