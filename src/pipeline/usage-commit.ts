// Usage commit: how a request's actual usage reaches its tenant's limiter — counted by this isolate at once, applied by the object once, re-sent when a call fails.
import type { DetourConfig } from "../config/schema";
import { withTimeout, type Clock } from "../engine/clock";
import { CommitLost, resendDelays, resendScheduleOf, sendWithResend } from "../resilience/commit-once";
import type { Usage } from "../resilience/limits";
import type { LocalLimits } from "../resilience/local-limits";
import type { Hold } from "../resilience/spend-holds";
import type { LimiterStub } from "../routing/route-request";

export interface CommitContext {
  tenant: string;
  limiter: LimiterStub;
  local: LocalLimits;
  clock: Clock;
  config: DetourConfig;
  /** The object's hold on the request's estimate, released by its one releasing commit. */
  hold?: Hold;
  /** The fallback's local hold, when the object did not answer the check. */
  localHold?: Hold;
}

/** A commit the object took: after how many calls, and whether it had already applied it (an earlier answer lost). */
export interface CommitSent {
  tries: number;
  duplicate: boolean;
}

/** Every call of a commit failed: the object never heard of this spend (this isolate's view still counts it). */
export class UsageCommitLost extends Error {
  constructor(
    readonly tries: number,
    readonly usage: Usage,
    message: string,
  ) {
    super(message);
    this.name = "UsageCommitLost";
  }
}

/**
 * The recorder's usage commit for one request (src/pipeline/record.ts calls it per commit: a billed failure, then the
 * answer or the release). Each commit is counted in this isolate's view first (`local.commit`, so the fallback knows
 * of it at once), then sent to the object with an id — a random id made here per request, plus the commit's sequence
 * — so the object applies it once however often it arrives. A call that fails or passes `resilience.doTimeoutMs` is
 * re-sent on `tenants.commitResend`'s schedule (src/resilience/commit-once.ts); it runs in the recorder's `later`
 * (waitUntil), never in the caller's way. Once the object has it, this isolate stops counting it as its own
 * (`local.confirm`); when every try fails it resolves nothing and rejects with `UsageCommitLost`, and the local view
 * keeps the spend.
 */
export function usageCommitter(c: CommitContext): (actual: Usage, release: boolean) => Promise<CommitSent> {
  const { tenant, limiter, local, clock, config } = c;
  const timeoutMs = config.resilience.doTimeoutMs;
  const graceMs = config.tenants.reservationGraceMs;
  const delays = resendDelays(resendScheduleOf(config.tenants.commitResend, timeoutMs, graceMs));
  // Not the request id: a caller may send its own x-request-id, and reusing one must never make spend a duplicate.
  const base = crypto.randomUUID();
  let seq = 0;
  return async (actual, release) => {
    const once = { id: `${base}:${seq++}`, rememberMs: graceMs };
    local.commit(tenant, clock.now(), actual, release ? c.localHold : undefined);
    const hold = release ? c.hold : undefined;
    try {
      const sent = await sendWithResend(() => withTimeout(limiter.commit(clock.now(), actual, hold, once), timeoutMs, clock), delays, clock);
      local.confirm(tenant, clock.now(), actual.costUsd, sent.value);
      return { tries: sent.tries, duplicate: isDuplicate(sent.value) };
    } catch (err) {
      if (err instanceof CommitLost) throw new UsageCommitLost(err.tries, actual, err.message);
      throw err;
    }
  };
}

function isDuplicate(report: unknown): boolean {
  return typeof report === "object" && report !== null && (report as { duplicate?: unknown }).duplicate === true;
}
