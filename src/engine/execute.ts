/**
 * The attempt loop: tries each planned target in order, retrying retryable failures on the same target with
 * full-jitter backoff (or the vendor's Retry-After, up to a cap), under a per-attempt first-byte timeout and a
 * whole-request deadline. What to do after a failure is decided only by `decisionFor` (src/engine/errors.ts).
 *
 * Streams commit only after the upstream's first content event: until then a failure fails over invisibly; after it
 * the caller has bytes and the stream must end with an explicit error (see `continueStream`).
 */
import type { CanonicalRequest, CanonicalResponse, StreamEvent } from "../canonical";
import type { CallContext, Provider, Target } from "../providers/types";
import { armTimer, untilAborted, type Clock } from "./clock";
import { hedged, type HedgeOptions } from "./hedge";
import { decisionFor, UpstreamError, type ErrorClass } from "./errors";

export interface AttemptPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  retryAfterCapMs: number;
  firstByteMs: number;
  stallMs: number;
}

export interface PlannedTarget {
  target: Target;
  policy: AttemptPolicy;
}

/** Whether a target may be tried now (the breaker's say). `probe` marks a half-open trial call. */
export interface Admission {
  allowed: boolean;
  /** Why: "closed", "probe", or why not ("breaker_open", "probe_denied", "forced_open", "disabled"). */
  reason: string;
  probe: boolean;
}

/** What one finished attempt tells the breaker and health score. */
export interface AttemptSample {
  errorClass?: ErrorClass;
  durationMs: number;
  probe: boolean;
}

export interface EngineDeps {
  clock: Clock;
  /** [0, 1); injected so backoff jitter is reproducible in tests. */
  random: () => number;
  providerFor(target: Target): Provider;
  contextFor(target: Target, signal: AbortSignal): CallContext;
  /** Breaker admission, asked once per target before its first attempt. Absent: always admitted. */
  admit?(target: Target): Admission | Promise<Admission>;
  /**
   * Every attempt's outcome, for breakers and health. A committed stream's own outcome is reported by whoever
   * finishes reading it (it is not known here).
   */
  onAttempt?(target: Target, sample: AttemptSample): void;
  /** Retry budget and adaptive throttling (src/engine/governor.ts). Absent: neither applies. */
  governor?: {
    firstAttempt(target: Target): { allowed: boolean; reason?: string };
    mayRetry(target: Target): boolean;
    outcome(target: Target, errorClass: ErrorClass | undefined): void;
  };
}

/** One line of the trace: what one attempt did. */
export interface AttemptLog {
  provider: string;
  model: string;
  /** "skipped": not tried, because its breaker said no (`skipReason`). */
  outcome: "ok" | "error" | "skipped";
  skipReason?: string;
  /** This attempt was a half-open probe. */
  probe?: boolean;
  /** This attempt belongs to the hedge started after the first target was slow. */
  hedge?: boolean;
  errorClass?: ErrorClass;
  status?: number;
  ms: number;
  /** Backoff slept before this attempt, ms. */
  waitedMs?: number;
  message?: string;
}

export type Failure =
  /** The vendor said the caller's request is invalid; no target would take it. */
  | { kind: "caller"; error: UpstreamError }
  /** The whole-request deadline passed. */
  | { kind: "deadline" }
  /** The client went away. */
  | { kind: "aborted" }
  /** Every target failed. `errors` holds each target's last error. */
  | { kind: "exhausted"; errors: { target: Target; error: UpstreamError }[]; skipped: { target: Target; reason: string }[] };

export type Outcome<T> =
  | { ok: true; value: T; target: Target; targetIndex: number; attempts: AttemptLog[]; hedged?: boolean }
  | { ok: false; failure: Failure; attempts: AttemptLog[]; hedged?: boolean };

export interface RunOptions {
  deadlineMs: number;
  /** The client's signal: aborting it ends every attempt. */
  signal?: AbortSignal;
  /** Hedge the first target with the next one (src/engine/hedge.ts). */
  hedge?: HedgeOptions;
}

/** Non-streaming completion across the planned targets (hedged when `opts.hedge` says so). */
export async function executeJson(
  req: CanonicalRequest,
  plan: PlannedTarget[],
  deps: EngineDeps,
  opts: RunOptions,
): Promise<Outcome<CanonicalResponse>> {
  const attempt = async (pt: PlannedTarget, signal: AbortSignal) => {
    const res = await deps.providerFor(pt.target).complete(req, pt.target, deps.contextFor(pt.target, signal));
    if ((res.content === null || res.content.trim() === "") && res.toolCalls.length === 0) {
      throw new UpstreamError("empty", `${pt.target.provider.id} returned an empty completion`);
    }
    return res;
  };
  const { hedged: didHedge, ...out } = await hedged(
    plan,
    opts.hedge,
    deps.clock,
    (p, signal, isHedge) => runAttempts(p, deps, { ...opts, signal: anySignal(opts.signal, signal), isHedge }, attempt),
    () => {},
  );
  return didHedge ? { ...out, hedged: true } : out;
}

/** A stream that has been committed to: its first content events and the rest. */
export interface CommittedStream {
  /** Events read before committing (at least one content or finish event). */
  prefix: StreamEvent[];
  iterator: AsyncIterator<StreamEvent>;
  /** Aborts the upstream call (client gone, stall). */
  abort(reason: Error): void;
  /** Ends the request deadline timer and listeners. */
  release(): void;
  policy: AttemptPolicy;
  target: Target;
  /** The committed attempt is a half-open probe: its final outcome decides the breaker. */
  probe: boolean;
  /** When the attempt started (clock ms), for the stream's total duration. */
  startedAt: number;
}

/** Streaming completion: resolves once a target produced its first content event. */
export async function executeStream(
  req: CanonicalRequest,
  plan: PlannedTarget[],
  deps: EngineDeps,
  opts: RunOptions,
): Promise<Outcome<CommittedStream>> {
  const go = async (p: PlannedTarget[], runSignal: AbortSignal, isHedge: boolean): Promise<Outcome<CommittedStream>> => {
    let release = () => {};
    const outcome = await runAttempts(
      p,
      deps,
      { ...opts, signal: anySignal(opts.signal, runSignal), isHedge, keepAlive: (r) => (release = r) },
      async (pt, signal, attemptController, meta) => {
        const iterable = await deps.providerFor(pt.target).stream(req, pt.target, deps.contextFor(pt.target, signal));
        const iterator = iterable[Symbol.asyncIterator]();
        const prefix: StreamEvent[] = [];
        // Read until the first event a caller would see as content; a cut or error before it is still invisible.
        for (;;) {
          const step = await iterator.next();
          if (step.done) {
            const sawFinish = prefix.some((e) => e.type === "finish");
            throw sawFinish
              ? new UpstreamError("empty", `${pt.target.provider.id} streamed an empty completion`)
              : new UpstreamError("stream_cut", `${pt.target.provider.id} ended the stream before any content`);
          }
          prefix.push(step.value);
          const e = step.value;
          if ((e.type === "text" && e.text !== "") || e.type === "toolCall") break;
          if (e.type === "finish") {
            throw new UpstreamError("empty", `${pt.target.provider.id} streamed an empty completion`);
          }
        }
        return {
          prefix,
          iterator,
          abort: (reason: Error) => attemptController.abort(reason),
          release: () => release(),
          policy: pt.policy,
          target: pt.target,
          probe: meta.probe,
          startedAt: meta.startedAt,
        } satisfies CommittedStream;
      },
    );
    if (!outcome.ok) release();
    return outcome;
  };
  const { hedged: didHedge, ...out } = await hedged(plan, opts.hedge, deps.clock, go, (loser) => {
    // Both committed: close the slower stream's upstream.
    loser.abort(new Error("hedge lost"));
    loser.iterator.return?.().catch(() => {});
    loser.release();
  });
  return didHedge ? { ...out, hedged: true } : out;
}

/**
 * Yield a committed stream's events, enforcing the stall budget between events and the stream's own grammar.
 * Throws `UpstreamError` (`stall`, `stream_cut`, or the vendor's error) when the stream fails after commit; the caller
 * turns that into an explicit SSE error event.
 */
export async function* continueStream(stream: CommittedStream, clock: Clock): AsyncGenerator<StreamEvent> {
  let finished = false;
  try {
    for (const e of stream.prefix) {
      if (e.type === "finish") finished = true;
      yield e;
    }
    for (;;) {
      const stallController = new AbortController();
      const cancel = armTimer(clock, stream.policy.stallMs, stallController, () =>
        new UpstreamError("stall", `${stream.target.provider.id} sent nothing for ${stream.policy.stallMs} ms`),
      );
      let step: IteratorResult<StreamEvent>;
      try {
        step = await Promise.race([stream.iterator.next(), untilAborted(stallController.signal)]);
      } catch (err) {
        const e = toUpstreamError(err, stream.target);
        stream.abort(e);
        throw e;
      } finally {
        cancel();
      }
      if (step.done) break;
      if (step.value.type === "finish") finished = true;
      yield step.value;
    }
    if (!finished) {
      throw new UpstreamError("stream_cut", `${stream.target.provider.id} ended the stream without finishing it`);
    }
  } finally {
    stream.release();
  }
}

function toUpstreamError(err: unknown, target: Target): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (err instanceof DeadlineError) return new UpstreamError("timeout", "the request deadline passed");
  if (err instanceof ClientGoneError) return new UpstreamError("timeout", "the client went away");
  return new UpstreamError("network", `${target.provider.id}: ${err instanceof Error ? err.message : String(err)}`);
}

class DeadlineError extends Error {}
class ClientGoneError extends Error {}

async function runAttempts<T>(
  plan: PlannedTarget[],
  deps: EngineDeps,
  opts: RunOptions & { keepAlive?: (release: () => void) => void; isHedge?: boolean },
  attempt: (
    pt: PlannedTarget,
    signal: AbortSignal,
    controller: AbortController,
    meta: { probe: boolean; startedAt: number },
  ) => Promise<T>,
): Promise<Outcome<T>> {
  const { clock } = deps;
  const attempts: AttemptLog[] = [];
  const request = new AbortController();
  const cancelDeadline = armTimer(clock, opts.deadlineMs, request, () => new DeadlineError("deadline"));
  const onClientAbort = () => request.abort(new ClientGoneError("client went away"));
  if (opts.signal?.aborted) onClientAbort();
  opts.signal?.addEventListener("abort", onClientAbort, { once: true });
  const release = () => {
    cancelDeadline();
    opts.signal?.removeEventListener("abort", onClientAbort);
  };
  let keep = false;
  const stopped = (): Failure | undefined => {
    if (!request.signal.aborted) return undefined;
    return request.signal.reason instanceof ClientGoneError ? { kind: "aborted" } : { kind: "deadline" };
  };

  try {
    const lastErrors: { target: Target; error: UpstreamError }[] = [];
    const skipped: { target: Target; reason: string }[] = [];
    for (let ti = 0; ti < plan.length; ti++) {
      const pt = plan[ti]!;
      const admission = deps.admit ? await deps.admit(pt.target) : { allowed: true, reason: "closed", probe: false };
      if (!admission.allowed) {
        attempts.push({ provider: pt.target.provider.id, model: pt.target.model.id, outcome: "skipped", skipReason: admission.reason, ms: 0 });
        skipped.push({ target: pt.target, reason: admission.reason });
        continue;
      }
      const gate = deps.governor?.firstAttempt(pt.target);
      if (gate && !gate.allowed) {
        attempts.push({ provider: pt.target.provider.id, model: pt.target.model.id, outcome: "skipped", skipReason: gate.reason ?? "throttled", ms: 0 });
        skipped.push({ target: pt.target, reason: gate.reason ?? "throttled" });
        continue;
      }
      // A half-open breaker admits a fixed number of trial calls: a probe is never retried on the same target.
      const maxRetries = admission.probe ? 0 : pt.policy.maxRetries;
      let waitedMs = 0;
      for (let n = 0; n <= maxRetries; n++) {
        const gone = stopped();
        if (gone) return { ok: false, failure: gone, attempts };
        const controller = new AbortController();
        const unlink = link(request.signal, controller);
        const cancelFirstByte = armTimer(clock, pt.policy.firstByteMs, controller, () =>
          new UpstreamError("timeout", `${pt.target.provider.id} sent no first byte within ${pt.policy.firstByteMs} ms`),
        );
        const started = clock.now();
        try {
          const value = await Promise.race([
            attempt(pt, controller.signal, controller, { probe: admission.probe, startedAt: started }),
            untilAborted(controller.signal),
          ]);
          cancelFirstByte();
          attempts.push({ ...log(pt, "ok", clock.now() - started, waitedMs, opts.isHedge), ...(admission.probe ? { probe: true } : {}) });
          if (!opts.keepAlive) deps.onAttempt?.(pt.target, { durationMs: clock.now() - started, probe: admission.probe });
          deps.governor?.outcome(pt.target, undefined);
          if (opts.keepAlive) {
            // The stream lives on past this function: the deadline and client link stay armed until it ends.
            keep = true;
            opts.keepAlive(() => {
              release();
              unlink();
            });
          } else {
            unlink();
          }
          return { ok: true, value, target: pt.target, targetIndex: ti, attempts };
        } catch (raw) {
          cancelFirstByte();
          unlink();
          const gone = stopped();
          const err = gone
            ? new UpstreamError("timeout", gone.kind === "deadline" ? "request deadline passed" : "client went away")
            : toUpstreamError(raw instanceof UpstreamError ? raw : controller.signal.aborted ? controller.signal.reason : raw, pt.target);
          attempts.push({
            ...log(pt, "error", clock.now() - started, waitedMs, opts.isHedge),
            errorClass: err.errorClass,
            ...(err.status ? { status: err.status } : {}),
            ...(admission.probe ? { probe: true } : {}),
            message: err.message,
          });
          if (gone) {
            // The caller's deadline or departure says nothing about the provider: a probe permit is handed back as a
            // neutral outcome rather than a failure.
            if (admission.probe) deps.onAttempt?.(pt.target, { errorClass: "cancelled", durationMs: clock.now() - started, probe: true });
            return { ok: false, failure: gone, attempts };
          }
          deps.onAttempt?.(pt.target, { errorClass: err.errorClass, durationMs: clock.now() - started, probe: admission.probe });
          deps.governor?.outcome(pt.target, err.errorClass);
          const decision = decisionFor(err.errorClass);
          if (decision === "report") return { ok: false, failure: { kind: "caller", error: err }, attempts };
          if (decision === "next_target" || n === maxRetries) {
            lastErrors.push({ target: pt.target, error: err });
            break;
          }
          if (deps.governor && !deps.governor.mayRetry(pt.target)) {
            // The provider's retry budget is spent: retrying now would amplify its overload.
            attempts[attempts.length - 1]!.message = `${err.message} (retry budget spent: moving on)`;
            lastErrors.push({ target: pt.target, error: err });
            break;
          }
          // Retry on the same target after a backoff.
          let delay: number;
          if (err.retryAfterMs !== undefined) {
            if (err.retryAfterMs > pt.policy.retryAfterCapMs) {
              // The vendor wants longer than we will wait: another target is the faster answer.
              lastErrors.push({ target: pt.target, error: err });
              break;
            }
            delay = err.retryAfterMs;
          } else {
            delay = Math.floor(deps.random() * Math.min(pt.policy.maxDelayMs, pt.policy.baseDelayMs * 2 ** n));
          }
          try {
            await clock.sleep(delay, request.signal);
          } catch {
            const g = stopped();
            if (g) return { ok: false, failure: g, attempts };
          }
          waitedMs = delay;
        }
      }
    }
    return { ok: false, failure: { kind: "exhausted", errors: lastErrors, skipped }, attempts };
  } finally {
    if (!keep) release();
  }
}

function log(pt: PlannedTarget, outcome: "ok" | "error", ms: number, waitedMs: number, isHedge = false): AttemptLog {
  const l: AttemptLog = { provider: pt.target.provider.id, model: pt.target.model.id, outcome, ms };
  if (waitedMs > 0) l.waitedMs = waitedMs;
  if (isHedge) l.hedge = true;
  return l;
}

/** A signal that aborts when either does. */
function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a ? AbortSignal.any([a, b]) : b;
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
