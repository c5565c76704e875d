/**
 * The attempt loop: tries each planned target in order, retrying retryable failures on the same target with
 * full-jitter backoff (or the vendor's Retry-After, up to a cap), under a per-attempt first-byte timeout and a
 * whole-request deadline. What to do after a failure is decided only by `decisionFor` (src/engine/errors.ts).
 * Every attempt is reported through `deps.onAttempt` as it settles.
 */
import type { Target } from "../providers/types";
import { decisionFor, UpstreamError } from "./errors";
import { ClientGoneError, DeadlineError, isClientGone, toUpstreamError } from "./stop";
import { RequestTimers } from "./timers";
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

/**
 * One run's shared state: its timers (./timers.ts: the deadline and each attempt's first-byte timeout and in-flight
 * checks share one platform timer), why it stopped (deadline or client gone), the attempt in flight, and what was tried.
 */
class Run<T> {
  readonly attempts: AttemptReport[] = [];
  readonly lastErrors: { target: Target; error: UpstreamError }[] = [];
  readonly skipped: { target: Target; reason: string }[] = [];
  readonly timers: RequestTimers;
  kept = false;
  /** Why the run stopped (a `DeadlineError` or `ClientGoneError`); undefined while it runs. */
  #stop: Error | undefined;
  /** The attempt in flight (a committed stream's until release): a stop aborts it. */
  #current: InFlight | undefined;
  /** Made only when the run sleeps (a backoff): a stop wakes it. */
  #sleep: AbortController | undefined;
  readonly #onClientAbort = () => this.#halt(new ClientGoneError());

  constructor(
    private readonly deps: EngineDeps,
    private readonly opts: LoopOptions<T>,
    private readonly planLength: number,
  ) {
    this.timers = new RequestTimers(deps.clock);
    this.timers.add(opts.deadlineMs, () => this.#halt(new DeadlineError()));
    if (opts.signal?.aborted) this.#onClientAbort();
    opts.signal?.addEventListener("abort", this.#onClientAbort, { once: true });
  }

  /** Stop the run: the attempt in flight (or the backoff sleep) ends with `reason`. The first reason stays. */
  #halt(reason: Error): void {
    if (this.#stop) return;
    this.#stop = reason;
    this.#current?.abort(reason);
    this.#sleep?.abort(reason);
  }

  release(): void {
    this.timers.close();
    this.opts.signal?.removeEventListener("abort", this.#onClientAbort);
  }

  stopped(): Failure | undefined {
    if (!this.#stop) return undefined;
    return isClientGone(this.#stop) ? { kind: "aborted" } : { kind: "deadline" };
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
      // A deadline that passed while the breaker was asked fires here, before another attempt starts.
      this.timers.arm();
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
      this.#sleep ??= new AbortController();
      this.timers.arm();
      try {
        await deps.clock.sleep(delay, this.#sleep.signal);
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
  #watch(pt: PlannedTarget, ti: number, flight: InFlight): { settle(ok: boolean): void } {
    const ms = pt.slowAfterMs;
    if (!this.deps.inflight || ms === undefined) return UNWATCHED;
    const abandon =
      ti < this.planLength - 1
        ? (why: string) => flight.abort(new UpstreamError("slow", `${pt.target.provider.id} sent nothing for ${ms} ms and ${why}: moving on`))
        : undefined;
    const watch = this.deps.inflight.start(pt.target, ms, abandon, pt.slowFromHistory === true);
    // Judged on this request's own timer (the runtime lets no other request abort this one's I/O): first at the floor
    // or its slow time, then every `recheckMs`, so a suspicion that others' slow calls raise reaches it quickly.
    const { timers } = this;
    let cancel = timers.add(watch.firstCheckMs, function tick() {
      watch.overdue();
      if (cancel !== STOPPED) cancel = timers.add(watch.recheckMs, tick);
    });
    return {
      settle: (ok) => {
        cancel();
        cancel = STOPPED;
        watch.settle(ok);
      },
    };
  }

  /** One attempt: its outcome when it ends the run (an answer, or the caller gone), else its error. */
  async once(pt: PlannedTarget, ti: number, attempt: AttemptFn<T>, probe: boolean, waitedMs: number): Promise<{ outcome: Outcome<T> } | { error: UpstreamError }> {
    const { clock } = this.deps;
    const flight = (this.#current = new InFlight());
    const { controller } = flight;
    const cancelFirstByte = this.timers.add(pt.policy.firstByteMs, () =>
      flight.abort(new UpstreamError("timeout", `${pt.target.provider.id} sent no first byte within ${pt.policy.firstByteMs} ms`)),
    );
    const started = clock.now();
    const watch = this.#watch(pt, ti, flight);
    this.timers.arm();
    const line = (outcome: "ok" | "error") => entry(pt, outcome, clock.now() - started, waitedMs, this.opts.isHedge, probe);
    let sawFirstByte = false;
    const firstByte = () => {
      if (sawFirstByte) return;
      sawFirstByte = true;
      cancelFirstByte();
      watch.settle(true);
    };
    try {
      const value = await Promise.race([attempt(pt, controller.signal, controller, { probe, startedAt: started, firstByte }), flight.aborted]);
      firstByte();
      const r = { ...line("ok"), ...(this.opts.extras?.(value) ?? {}) };
      // A committed stream reports itself when it settles (continueStream); only its trace line is written now.
      if (this.opts.keepAlive) this.attempts.push(r);
      else this.report(pt, r);
      this.deps.governor?.outcome(pt.target, undefined);
      if (this.opts.keepAlive) {
        // The stream lives on past the loop: the deadline and client link stay armed (and abort it) until it ends.
        this.kept = true;
        this.opts.keepAlive(() => {
          this.release();
          this.#current = undefined;
        });
      } else {
        this.#current = undefined;
      }
      return { outcome: { ok: true, value, target: pt.target, targetIndex: ti, attempts: this.attempts } };
    } catch (raw) {
      cancelFirstByte();
      if (!sawFirstByte) watch.settle(false);
      this.#current = undefined;
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

/**
 * One attempt's abort: its controller (the vendor call's signal) and a promise that rejects when it is aborted from
 * outside the attempt (a timer, the deadline, the caller, the in-flight watch), raced against the attempt so a call
 * that ignores its signal cannot hold the run. Rejected directly rather than through an abort listener.
 */
class InFlight {
  readonly controller = new AbortController();
  #reject!: (reason: unknown) => void;
  readonly aborted = new Promise<never>((_, reject) => (this.#reject = reject));

  abort(reason: Error): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
    this.#reject(this.controller.signal.reason);
  }
}

/** A cancelled repetition (`#watch`'s marker). */
const STOPPED = () => {};

/** A watch that does nothing (no tracker, or no threshold for this target). */
const UNWATCHED = { settle: () => {} };

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
