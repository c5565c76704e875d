/**
 * The attempt loop: tries each planned target in order, retrying retryable failures on the same target with
 * full-jitter backoff (or the vendor's Retry-After, up to a cap), under a per-attempt first-byte timeout and a
 * whole-request deadline. What to do after a failure is decided only by `decisionFor` (src/engine/errors.ts).
 * Every attempt is reported through `deps.onAttempt` as it settles.
 */
import type { Target } from "../providers/types";
import { armTimer, TIMER_CANCELLED, untilAborted } from "./clock";
import { decisionFor, UpstreamError } from "./errors";
import { ClientGoneError, DeadlineError, isClientGone, toUpstreamError } from "./stop";
import type { AttemptReport, EngineDeps, Failure, Outcome, PlannedTarget, RunOptions } from "./types";

/** What an attempt function gets besides its target and signal. */
export interface AttemptMeta {
  probe: boolean;
  startedAt: number;
  /**
   * The attempt's first content arrived though it is not done yet (a stream buffered for validation): the first-byte
   * timeout and the in-flight watch end here, as they would at a commit.
   */
  firstByte: () => void;
}

export interface LoopOptions<T> extends RunOptions {
  /** Streams: the request's deadline and client link stay armed past the loop; `release` ends them. */
  keepAlive?: (release: () => void) => void;
  isHedge?: boolean;
  /** What only the answer knows (tokens, refusal), added to a successful attempt's report. */
  extras?: (value: T) => Partial<AttemptReport>;
}

export type AttemptFn<T> = (pt: PlannedTarget, signal: AbortSignal, controller: AbortController, meta: AttemptMeta) => Promise<T>;

/** Run the plan: the first target that answers wins; see the file comment for retries and failover. */
export async function runAttempts<T>(plan: PlannedTarget[], deps: EngineDeps, opts: LoopOptions<T>, attempt: AttemptFn<T>): Promise<Outcome<T>> {
  const run = new Run(deps, opts, plan.length);
  try {
    for (let ti = 0; ti < plan.length; ti++) {
      const out = await run.target(plan[ti]!, ti, attempt);
      if (out) return out;
    }
    return { ok: false, failure: { kind: "exhausted", errors: run.lastErrors, skipped: run.skipped }, attempts: run.attempts };
  } finally {
    if (!run.kept) run.release();
  }
}

/** One run's shared state: the request-wide abort controller, the deadline, and what was tried. */
class Run<T> {
  readonly attempts: AttemptReport[] = [];
  readonly lastErrors: { target: Target; error: UpstreamError }[] = [];
  readonly skipped: { target: Target; reason: string }[] = [];
  readonly request = new AbortController();
  kept = false;
  readonly #cancelDeadline: () => void;
  readonly #onClientAbort = () => this.request.abort(new ClientGoneError());

  constructor(
    private readonly deps: EngineDeps,
    private readonly opts: LoopOptions<T>,
    private readonly planLength: number,
  ) {
    this.#cancelDeadline = armTimer(deps.clock, opts.deadlineMs, this.request, () => new DeadlineError());
    if (opts.signal?.aborted) this.#onClientAbort();
    opts.signal?.addEventListener("abort", this.#onClientAbort, { once: true });
  }

  release(): void {
    this.#cancelDeadline();
    this.opts.signal?.removeEventListener("abort", this.#onClientAbort);
  }

  stopped(): Failure | undefined {
    if (!this.request.signal.aborted) return undefined;
    return isClientGone(this.request.signal.reason) ? { kind: "aborted" } : { kind: "deadline" };
  }

  report(pt: PlannedTarget, r: AttemptReport): void {
    this.attempts.push(r);
    this.deps.onAttempt?.(pt.target, r);
  }

  skip(pt: PlannedTarget, reason: string): undefined {
    this.report(pt, { provider: pt.target.provider.id, model: pt.target.model.id, outcome: "skipped", skipReason: reason, ms: 0 });
    this.skipped.push({ target: pt.target, reason });
    return undefined;
  }

  /** This target is done with `error`: move on to the next one. */
  giveUp(pt: PlannedTarget, error: UpstreamError): undefined {
    this.lastErrors.push({ target: pt.target, error });
    return undefined;
  }

  /** Every attempt on one target: an outcome ends the run, undefined moves on to the next target. */
  async target(pt: PlannedTarget, ti: number, attempt: AttemptFn<T>): Promise<Outcome<T> | undefined> {
    const { deps } = this;
    const admission = deps.admit ? await deps.admit(pt.target) : { allowed: true, reason: "closed", probe: false };
    if (!admission.allowed) return this.skip(pt, admission.reason);
    const gate = deps.governor?.firstAttempt(pt.target);
    if (gate && !gate.allowed) return this.skip(pt, gate.reason ?? "throttled");
    // A half-open breaker admits a fixed number of trial calls: a probe is never retried on the same target.
    const maxRetries = admission.probe ? 0 : pt.policy.maxRetries;
    let waitedMs = 0;
    for (let n = 0; n <= maxRetries; n++) {
      const gone = this.stopped();
      if (gone) return { ok: false, failure: gone, attempts: this.attempts };
      const step = await this.once(pt, ti, attempt, admission.probe, waitedMs);
      if ("outcome" in step) return step.outcome;
      const err = step.error;
      const decision = decisionFor(err.errorClass);
      if (decision === "report") return { ok: false, failure: { kind: "caller", error: err }, attempts: this.attempts };
      if (decision === "next_target" || n === maxRetries) return this.giveUp(pt, err);
      if (deps.governor && !deps.governor.mayRetry(pt.target)) {
        // The provider's retry budget is spent: retrying now would amplify its overload.
        this.attempts[this.attempts.length - 1]!.message = `${err.message} (retry budget spent: moving on)`;
        return this.giveUp(pt, err);
      }
      // The vendor wants longer than we will wait: another target is the faster answer.
      if (err.retryAfterMs !== undefined && err.retryAfterMs > pt.policy.retryAfterCapMs) return this.giveUp(pt, err);
      const delay = err.retryAfterMs ?? Math.floor(deps.random() * Math.min(pt.policy.maxDelayMs, pt.policy.baseDelayMs * 2 ** n));
      try {
        await deps.clock.sleep(delay, this.request.signal);
      } catch {
        const g = this.stopped();
        if (g) return { ok: false, failure: g, attempts: this.attempts };
      }
      waitedMs = delay;
    }
    return undefined;
  }

  /**
   * Register the attempt with the in-flight tracker and judge it at its slow time. It may be abandoned (with the
   * `slow` class) only while another target of the plan could start instead: the last target is waited for.
   */
  #watch(pt: PlannedTarget, ti: number, controller: AbortController): { settle(ok: boolean): void } {
    const ms = pt.slowAfterMs;
    if (!this.deps.inflight || ms === undefined) return UNWATCHED;
    const abandon =
      ti < this.planLength - 1
        ? () => controller.abort(new UpstreamError("slow", `${pt.target.provider.id} sent nothing for ${ms} ms and its calls in flight are slow: moving on`))
        : undefined;
    const watch = this.deps.inflight.start(pt.target, ms, abandon);
    // Judged on this request's own timer (the runtime lets no other request abort this one's I/O): first at the floor
    // or its slow time, then every `recheckMs`, so a suspicion that others' slow calls raise reaches it quickly.
    const cancel = every(this.deps.clock, watch.firstCheckMs, watch.recheckMs, () => watch.overdue());
    return {
      settle: (ok) => {
        cancel();
        watch.settle(ok);
      },
    };
  }

  /** One attempt: its outcome when it ends the run (an answer, or the caller gone), else its error. */
  async once(pt: PlannedTarget, ti: number, attempt: AttemptFn<T>, probe: boolean, waitedMs: number): Promise<{ outcome: Outcome<T> } | { error: UpstreamError }> {
    const { clock } = this.deps;
    const controller = new AbortController();
    const unlink = link(this.request.signal, controller);
    const cancelFirstByte = armTimer(clock, pt.policy.firstByteMs, controller, () =>
      new UpstreamError("timeout", `${pt.target.provider.id} sent no first byte within ${pt.policy.firstByteMs} ms`),
    );
    const started = clock.now();
    const watch = this.#watch(pt, ti, controller);
    const line = (outcome: "ok" | "error") => entry(pt, outcome, clock.now() - started, waitedMs, this.opts.isHedge, probe);
    let sawFirstByte = false;
    const firstByte = () => {
      if (sawFirstByte) return;
      sawFirstByte = true;
      cancelFirstByte();
      watch.settle(true);
    };
    try {
      const value = await Promise.race([attempt(pt, controller.signal, controller, { probe, startedAt: started, firstByte }), untilAborted(controller.signal)]);
      firstByte();
      const r = { ...line("ok"), ...(this.opts.extras?.(value) ?? {}) };
      // A committed stream reports itself when it settles (continueStream); only its trace line is written now.
      if (this.opts.keepAlive) this.attempts.push(r);
      else this.report(pt, r);
      this.deps.governor?.outcome(pt.target, undefined);
      if (this.opts.keepAlive) {
        // The stream lives on past the loop: the deadline and client link stay armed until it ends.
        this.kept = true;
        this.opts.keepAlive(() => {
          this.release();
          unlink();
        });
      } else {
        unlink();
      }
      return { outcome: { ok: true, value, target: pt.target, targetIndex: ti, attempts: this.attempts } };
    } catch (raw) {
      cancelFirstByte();
      if (!sawFirstByte) watch.settle(false);
      unlink();
      const gone = this.stopped();
      const err = gone
        ? gone.kind === "deadline"
          ? new UpstreamError("timeout", "request deadline passed")
          : new UpstreamError("cancelled", "client went away")
        : toUpstreamError(raw instanceof UpstreamError ? raw : controller.signal.aborted ? controller.signal.reason : raw, pt.target);
      const r: AttemptReport = { ...line("error"), errorClass: err.errorClass, ...(err.status ? { status: err.status } : {}), message: err.message, ...(err.check ? { check: err.check } : {}) };
      // The caller's deadline or departure says nothing about the provider (a probe permit is handed back, neutrally).
      this.report(pt, gone ? { ...r, cancelled: true } : r);
      if (gone) return { outcome: { ok: false, failure: gone, attempts: this.attempts } };
      this.deps.governor?.outcome(pt.target, err.errorClass);
      return { error: err };
    }
  }
}

/** `every`'s marker for a stopped repetition. */
const STOPPED = () => {};

/** A watch that does nothing (no tracker, or no threshold for this target). */
const UNWATCHED = { settle: () => {} };

/** Call `fn` after `firstMs` on `clock`, then every `everyMs`; the returned function stops it. */
function every(clock: EngineDeps["clock"], firstMs: number, everyMs: number, fn: () => void): () => void {
  if (clock.after) {
    const after = clock.after.bind(clock);
    let stop = after(firstMs, function tick() {
      fn();
      if (stop !== STOPPED) stop = after(everyMs, tick);
    });
    return () => {
      stop();
      stop = STOPPED;
    };
  }
  const cancel = new AbortController();
  const tick = (ms: number) =>
    clock.sleep(ms, cancel.signal).then(
      () => {
        fn();
        if (!cancel.signal.aborted) tick(everyMs);
      },
      () => {},
    );
  tick(firstMs);
  return () => cancel.abort(TIMER_CANCELLED);
}

function entry(pt: PlannedTarget, outcome: "ok" | "error", ms: number, waitedMs: number, isHedge = false, probe = false): AttemptReport {
  const l: AttemptReport = { provider: pt.target.provider.id, model: pt.target.model.id, outcome, ms };
  if (waitedMs > 0) l.waitedMs = waitedMs;
  if (isHedge) l.hedge = true;
  if (probe) l.probe = true;
  return l;
}

/** A signal that aborts when either does (undefined when neither is given). */
export function anySignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  return a && b ? AbortSignal.any([a, b]) : (a ?? b);
}

/** Abort `child` when `parent` aborts; returns an unlink function. */
function link(parent: AbortSignal, child: AbortController): () => void {
  if (parent.aborted) {
    child.abort(parent.reason);
    return () => {};
  }
  const on = () => child.abort(parent.reason);
  parent.addEventListener("abort", on, { once: true });
  return () => parent.removeEventListener("abort", on);
}
