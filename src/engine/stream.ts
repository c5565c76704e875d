/**
 * Streaming completions. A stream commits only after the upstream's first content event: until then a failure fails
 * over invisibly; after it the caller has bytes and the stream must end with an explicit error (see
 * `continueStream`). A stream the caller's schema or tools must judge is read whole first (./buffered.ts). A committed
 * stream reports its own attempt when it settles: finished, failed after commit, or
 * cancelled by the caller.
 */
import type { CanonicalRequest, StreamEvent } from "../canonical";
import { checksFor } from "../validate/builtin";
import { anySignal, runAttempts } from "./attempts";
import { finished, readWhole } from "./buffered";
import { armTimer, untilAborted, type Clock } from "./clock";
import { trackSend } from "./convert";
import { emptyIsExplained } from "./empty";
import { UpstreamError } from "./errors";
import { hedged } from "./hedge";
import { streamJudge } from "./judged";
import { ClientGoneError, isClientGone, toUpstreamError } from "./stop";
import type { AttemptReport, CommittedStream, EngineDeps, Outcome, PlannedTarget, RunOptions, StreamSettled } from "./types";

/** Streaming completion: resolves once a target produced its first content event. */
export async function executeStream(
  req: CanonicalRequest,
  plan: PlannedTarget[],
  deps: EngineDeps,
  opts: RunOptions,
): Promise<Outcome<CommittedStream>> {
  // A caller who asked for a schema or tools gets only a stream that is complete and valid (./buffered.ts), unless
  // the route passes such streams through; any other stream commits at its first content and is judged as it goes
  // (./judged.ts).
  const builtin = checksFor(req);
  const all = [...builtin, ...(opts.checks ?? [])];
  const whole = builtin.length > 0 && opts.streamValidation !== "passthrough";
  const afterCommit = !whole && all.length > 0 ? { afterCommit: { req, checks: all } } : {};
  const go = async (p: PlannedTarget[], runSignal: AbortSignal | undefined, isHedge: boolean): Promise<Outcome<CommittedStream>> => {
    let release = () => {};
    const outcome = await runAttempts<CommittedStream>(
      p,
      deps,
      { ...opts, signal: anySignal(opts.signal, runSignal), isHedge, keepAlive: (r) => (release = r) },
      async (pt, signal, attemptController, meta) => {
        const call = trackSend(deps.contextFor(pt.target, signal));
        const iterable = await deps.providerFor(pt.target).stream(req, pt.target, call.ctx).catch((err: unknown) => {
          throw call.classify(err, pt.target);
        });
        const upstream = iterable[Symbol.asyncIterator]();
        const prefix = whole
          ? await readWhole(req, all, { iterator: upstream, target: pt.target, policy: pt.policy, clock: deps.clock, abort: (e) => attemptController.abort(e), firstByte: meta.firstByte })
          : await readToFirstContent(upstream, pt.target.provider.id, req);
        const iterator = whole ? finished(upstream) : upstream;
        const committedAt = deps.clock.now();
        return {
          prefix,
          iterator,
          abort: (reason: Error) => attemptController.abort(reason),
          release: () => release(),
          settle: settleOnce(deps, pt, { ...meta, committedAt, isHedge }, attemptController.signal),
          policy: pt.policy,
          target: pt.target,
          probe: meta.probe,
          startedAt: meta.startedAt,
          ...afterCommit,
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
 * Read until the first event a caller would see as content; a cut or error before it is still invisible. A finish
 * before any content commits too when the caller's own stop/max_tokens explains the empty answer (./empty.ts): that
 * stream is passed through as the vendor sent it.
 */
async function readToFirstContent(iterator: AsyncIterator<StreamEvent>, providerId: string, req: CanonicalRequest): Promise<StreamEvent[]> {
  const prefix: StreamEvent[] = [];
  for (;;) {
    const step = await iterator.next();
    if (step.done) {
      const sawFinish = prefix.some((e) => e.type === "finish");
      throw sawFinish
        ? new UpstreamError("empty", `${providerId} streamed an empty completion`)
        : new UpstreamError("stream_cut", `${providerId} ended the stream before any content`);
    }
    prefix.push(step.value);
    const e = step.value;
    if ((e.type === "text" && e.text !== "") || e.type === "toolCall") return prefix;
    if (e.type === "finish") {
      if (emptyIsExplained(req, e.finishReason)) return prefix;
      throw new UpstreamError("empty", `${providerId} streamed an empty completion`);
    }
  }
}

/** The committed attempt's one report, sent when the stream settles (the first call wins). */
function settleOnce(
  deps: EngineDeps,
  pt: PlannedTarget,
  at: { probe: boolean; startedAt: number; committedAt: number; isHedge: boolean },
  attemptSignal: AbortSignal,
): (end: StreamSettled) => void {
  let done = false;
  return (end) => {
    if (done) return;
    done = true;
    const now = deps.clock.now();
    const cancelled = end.cancelled === true || isClientGone(attemptSignal.reason);
    const errorClass = cancelled ? "cancelled" : end.error?.errorClass;
    const report: AttemptReport = {
      provider: pt.target.provider.id,
      model: pt.target.model.id,
      outcome: errorClass ? "error" : "ok",
      ...(errorClass ? { errorClass } : {}),
      ...(cancelled ? { cancelled: true } : {}),
      ...(end.error?.status ? { status: end.error.status } : {}),
      ...(end.error && !cancelled ? { message: end.error.message } : {}),
      ...(end.error?.check && !cancelled ? { check: end.error.check } : {}),
      ...(at.probe ? { probe: true } : {}),
      ...(at.isHedge ? { hedge: true } : {}),
      // The breaker's slow-call rule judges the time to first content; health sees the whole stream.
      ms: at.committedAt - at.startedAt,
      ttftMs: at.committedAt - at.startedAt,
      latencyMs: now - at.startedAt,
      ...(end.outputTokens !== undefined ? { outputTokens: end.outputTokens } : {}),
    };
    deps.onAttempt?.(pt.target, report);
  };
}

/**
 * Yield a committed stream's events, enforcing the stall budget between events and the stream's own grammar.
 * Throws `UpstreamError` (`stall`, `stream_cut`, or the vendor's error) when the stream fails after commit; the caller
 * turns that into an explicit SSE error event. Settles the stream's report however it ends (a consumer that stops
 * reading early is a caller that left).
 */
export async function* continueStream(stream: CommittedStream, clock: Clock): AsyncGenerator<StreamEvent> {
  let finished = false;
  let outputTokens: number | undefined;
  let failure: UpstreamError | undefined;
  let completed = false;
  // A pass-through stream that still owes output checks passes its events through a judge (./judged.ts).
  const judge = stream.afterCommit ? streamJudge(stream.afterCommit, stream.target.model.id) : undefined;
  const judged = (events: StreamEvent[]): StreamEvent[] => {
    try {
      return judge ? events.flatMap((e) => judge.push(e)) : events;
    } catch (err) {
      throw (failure = judgedFailure(stream, err));
    }
  };
  const seen = (e: StreamEvent) => {
    if (e.type === "finish") finished = true;
    if (e.type === "usage") outputTokens = e.usage.outputTokens;
  };
  try {
    for (const e of judged(stream.prefix)) {
      seen(e);
      yield e;
    }
    for (;;) {
      const step = await nextWithin(stream, clock).catch((err: unknown) => {
        throw (failure = err as UpstreamError);
      });
      if (step.done) break;
      for (const e of judged([step.value])) {
        seen(e);
        yield e;
      }
    }
    if (judge) {
      let rest: StreamEvent[];
      try {
        rest = judge.end();
      } catch (err) {
        throw (failure = judgedFailure(stream, err));
      }
      for (const e of rest) {
        seen(e);
        yield e;
      }
    }
    if (!finished) {
      throw (failure = new UpstreamError("stream_cut", `${stream.target.provider.id} ended the stream without finishing it`));
    }
    completed = true;
  } finally {
    const tokens = outputTokens !== undefined ? { outputTokens } : {};
    if (completed) stream.settle(tokens);
    else if (failure) stream.settle({ error: failure, ...tokens });
    else {
      // The consumer stopped reading: the caller is gone, so stop the upstream fetch and its reader too.
      stream.abort(new ClientGoneError());
      stream.iterator.return?.().catch(() => {});
      stream.settle({ cancelled: true, ...tokens });
    }
    stream.release();
  }
}

/** A failed after-commit check: stop the upstream (no more tokens to pay for) and hand on the `invalid_output` error. */
function judgedFailure(stream: CommittedStream, err: unknown): UpstreamError {
  const e = toUpstreamError(err, stream.target);
  stream.abort(e);
  stream.iterator.return?.().catch(() => {});
  return e;
}

/** The next upstream event, or an `UpstreamError` when none came within the stall budget or the upstream failed. */
async function nextWithin(stream: CommittedStream, clock: Clock): Promise<IteratorResult<StreamEvent>> {
  const stallController = new AbortController();
  const cancel = armTimer(clock, stream.policy.stallMs, stallController, () =>
    new UpstreamError("stall", `${stream.target.provider.id} sent nothing for ${stream.policy.stallMs} ms`),
  );
  try {
    return await Promise.race([stream.iterator.next(), untilAborted(stallController.signal)]);
  } catch (err) {
    const e = toUpstreamError(err, stream.target);
    stream.abort(e);
    throw e;
  } finally {
    cancel();
  }
}
