/**
 * An adapter that throws before it sent anything failed on the caller's input (a schema too deep for its recursive
 * conversion, a value it cannot map), not on the provider: that is `unconvertible`, which never counts against the
 * provider's breaker. Only a throw after the first send may be the provider's (`network` and the rest).
 */
import type { CallContext, Target } from "../providers/types";
import { UpstreamError } from "./errors";

/** A call context that remembers whether the adapter sent anything (HTTP fetch or the Workers AI binding). */
export interface TrackedContext {
  ctx: CallContext;
  /** The attempt's failure as the engine should see it: `unconvertible` when nothing had been sent yet. */
  classify(err: unknown, target: Target): unknown;
}

/** Wrap `ctx` so that a failure before the first send is told apart from one after it. */
export function trackSend(ctx: CallContext): TrackedContext {
  let sent = false;
  const fetch: typeof ctx.fetch = (...args) => {
    sent = true;
    return ctx.fetch(...args);
  };
  const ai = ctx.ai;
  const tracked: CallContext = {
    ...ctx,
    fetch,
    ...(ai ? { ai: { run: (...args: Parameters<typeof ai.run>) => ((sent = true), ai.run(...args)) } } : {}),
  };
  return {
    ctx: tracked,
    classify(err, target) {
      if (sent || err instanceof UpstreamError || ctx.signal.aborted) return err;
      const what = err instanceof Error ? err.message : String(err);
      return new UpstreamError("unconvertible", `${target.provider.id} could not convert this request: ${what}`);
    },
  };
}
