/**
 * An optional per-stage timer for the chat pipeline, used by `npm run bench` (scripts/lib/stage-bench.mjs) to report
 * CPU µs per request by stage. Off in production: `staged` is then one check of an unset variable per stage, so it
 * costs nothing measurable. Nothing in the worker ever turns it on.
 */
export type StageName = "setup" | "parse" | "resolve" | "classify" | "chaos" | "cache" | "route" | "limits" | "execute" | "respond";

let timer: ((stage: StageName) => void) | undefined;

/** Install (or, with undefined, remove) the timer. Only benchmarks call this. */
export function setStageTimer(fn: ((stage: StageName) => void) | undefined): void {
  timer = fn;
}

/** Mark the end of `stage` and pass its result through: `const parsed = staged("parse", await parse(…))`. */
export function staged<T>(stage: StageName, result: T): T {
  if (timer !== undefined) timer(stage);
  return result;
}
