/**
 * Time, injected. Production uses the platform timers; tests pass a clock whose sleeps are recorded and return at
 * once, so no test ever waits on a real timer (STYLE.md §1).
 */
export interface Clock {
  now(): number;
  /** Resolve after `ms`, or reject with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
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
};

/** Abort `controller` with `reason` after `ms` on `clock`; call the returned function to cancel. */
export function armTimer(clock: Clock, ms: number, controller: AbortController, reason: () => Error): () => void {
  const cancel = new AbortController();
  clock.sleep(ms, cancel.signal).then(
    () => controller.abort(reason()),
    () => {},
  );
  return () => cancel.abort();
}
