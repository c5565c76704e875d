/**
 * Running a request across its planned targets: `executeJson` here, streams in ./stream.ts, the attempt loop (retry,
 * failover, timeouts, deadline) in ./attempts.ts, hedging in ./hedge.ts. Shared types live in ./types.ts.
 */
import type { CanonicalRequest, CanonicalResponse } from "../canonical";
import { anySignal, runAttempts } from "./attempts";
import { trackSend } from "./convert";
import { emptyIsExplained } from "./empty";
import { UpstreamError } from "./errors";
import { hedged } from "./hedge";
import type { EngineDeps, Outcome, PlannedTarget, RunOptions } from "./types";
import { checksFor, validate } from "../validate/builtin";

export { continueStream, executeStream } from "./stream";
export type { AttemptPolicy, AttemptReport, CommittedStream, EngineDeps, Failure, Outcome, PlannedTarget, RunOptions } from "./types";

/** Non-streaming completion across the planned targets (hedged when `opts.hedge` says so). */
export async function executeJson(
  req: CanonicalRequest,
  plan: PlannedTarget[],
  deps: EngineDeps,
  opts: RunOptions,
): Promise<Outcome<CanonicalResponse>> {
  // Prepared once (schemas compiled), applied to every target's answer.
  const checks = [...checksFor(req), ...(opts.checks ?? [])];
  const attempt = async (pt: PlannedTarget, signal: AbortSignal) => {
    const call = trackSend(deps.contextFor(pt.target, signal));
    const res = await deps.providerFor(pt.target).complete(req, pt.target, call.ctx).catch((err: unknown) => {
      throw call.classify(err, pt.target);
    });
    const empty = (res.content === null || res.content.trim() === "") && res.toolCalls.length === 0;
    // An empty answer the caller's own stop/max_tokens explains is the answer (./empty.ts), not a provider fault.
    if (empty && !emptyIsExplained(req, res.finishReason)) {
      throw new UpstreamError("empty", `${pt.target.provider.id} returned an empty completion`);
    }
    // An answer that breaks the caller's contract fails this attempt: the next target is tried, and the bad answer
    // never becomes the served (or cached) one.
    const failed = validate(req, res, checks);
    if (failed) throw new UpstreamError("invalid_output", failed.reason, { check: failed.check });
    return res;
  };
  // What only the answer knows goes into its attempt's one report.
  const extras = (res: CanonicalResponse) => ({
    ...(res.usage ? { outputTokens: res.usage.outputTokens } : {}),
    ...(res.finishReason === "content_filter" ? { refusal: true } : {}),
  });
  const { hedged: didHedge, ...out } = await hedged(
    plan,
    opts.hedge,
    deps.clock,
    (p, signal, isHedge) => runAttempts(p, deps, { ...opts, signal: anySignal(opts.signal, signal), isHedge, extras }, attempt),
    () => {},
  );
  return didHedge ? { ...out, hedged: true } : out;
}
