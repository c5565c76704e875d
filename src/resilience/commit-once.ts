/**
 * Usage commits, applied once and re-sent when lost.
 *
 * A request's usage reaches its tenant's TenantLimiter object as one or more commits (src/pipeline/record.ts: a billed
 * attempt that failed, then the answer or the release). A commit call can fail after the object applied it — the
 * answer was lost, the call timed out — so a commit is only safe to send again when the object can tell a copy from
 * a new commit. Hence:
 *
 * - **Each commit carries an id** (a random per-request id plus the commit's sequence; not the caller's
 *   `x-request-id`, which a caller could reuse to have spend dropped as a duplicate). The object applies an id at most
 *   once and answers a copy with the usage as it stands, applying nothing (`alreadyApplied`, `rememberApplied`).
 * - **Ids are remembered for a bounded window**: `rememberMs` after the commit (the caller passes
 *   `tenants.reservationGraceMs`, which the re-send schedule must fit inside), clamped to [1 s, 1 h], and at most
 *   `MAX_APPLIED_COMMITS` per tenant. Past either bound an id is forgotten; a copy arriving after that would count
 *   twice. Neither can happen to Detour's own re-sends: they all start within `resendSpanMs` of the first call, which
 *   is shorter than the window, and a tenant would need more than MAX_APPLIED_COMMITS commits inside one re-send
 *   schedule (over 3,000 a second at the defaults, more than one object serves) to push a live id out. Times are
 *   the callers' clocks, as for holds, so skew between isolates moves a window by the skew (milliseconds).
 * - **A failed commit is re-sent** `retries` times, after `backoffMs`, then twice that, … (`resendDelays`), each try
 *   bounded by `resilience.doTimeoutMs` like the first. The whole schedule must fit in `tenants.reservationGraceMs`
 *   (so a re-send normally arrives before the request's hold lapses) and in the 30 s Workers gives `waitUntil` work
 *   after a response. A re-send that still arrives after its hold lapsed counts its cost and releases nothing
 *   (src/resilience/spend-holds.ts).
 *
 * Pure: the clock and the call are arguments; the object's storage is behind `AppliedCommitStore`.
 */
import * as z from "../zod";

/** `tenants.commitResend`: how often, and how soon, a failed usage commit is sent again. */
export const CommitResendConfig = z.strictObject({
  /** Re-sends after the first call fails; 0 sends each commit once (the behaviour before re-sends). */
  retries: z._default(
    z.number().check(z.int("tenants.commitResend.retries must be a whole number"), z.gte(0, "tenants.commitResend.retries must be at least 0 (0 turns re-sending off)"), z.lte(5, "tenants.commitResend.retries must be at most 5: a limiter still failing after that is down, and the isolate keeps the spend")),
    2,
  ),
  /** Wait before the first re-send; each later one waits twice the one before. */
  backoffMs: z._default(
    z.number().check(z.int("tenants.commitResend.backoffMs must be a whole number of ms"), z.gte(50, "tenants.commitResend.backoffMs must be at least 50 ms (a hiccup needs a moment to pass)"), z.lte(10_000, "tenants.commitResend.backoffMs must be at most 10000 ms")),
    500,
  ),
});
export type CommitResendConfig = z.infer<typeof CommitResendConfig>;

/** How long Workers lets `waitUntil` work run after the response: a re-send scheduled past it would be cancelled. */
export const WAIT_UNTIL_MS = 30_000;

/** The waits before each re-send, in ms: `backoffMs`, doubled for each one after. */
export function resendDelays(c: CommitResendConfig): number[] {
  return Array.from({ length: c.retries }, (_, i) => c.backoffMs * 2 ** i);
}

/** The longest from the first call's start to the last try's end, when every call takes its whole `callMs`. */
export function resendSpanMs(c: CommitResendConfig, callMs: number): number {
  return (c.retries + 1) * callMs + resendDelays(c).reduce((a, b) => a + b, 0);
}

/**
 * Why a re-send schedule does not fit (for the config's error), or undefined when it does: it must end before the
 * request's hold lapses (`graceMs` past its deadline) and before Workers cancels the isolate's background work.
 */
export function resendScheduleProblem(c: CommitResendConfig, callMs: number, graceMs: number): string | undefined {
  const span = resendSpanMs(c, callMs);
  const how = `the re-send schedule's ${c.retries + 1} tries (each up to resilience.doTimeoutMs ${callMs} ms) and waits (${resendDelays(c).join(" + ") || "none"} ms) take up to ${span} ms`;
  if (span > graceMs) return `${how}, longer than tenants.reservationGraceMs (${graceMs} ms), so a re-send could arrive after its request's hold lapsed; lower retries or backoffMs, or raise reservationGraceMs`;
  if (span > WAIT_UNTIL_MS) return `${how}, longer than the ${WAIT_UNTIL_MS} ms Workers lets background work run after a response, so the last re-sends would be cancelled; lower retries or backoffMs`;
  return undefined;
}

/** The schedule when `tenants.commitResend` is not set: two re-sends, after 500 ms and then 1,000 ms. */
export const DEFAULT_COMMIT_RESEND: CommitResendConfig = Object.freeze({ retries: 2, backoffMs: 500 });

/**
 * The schedule in force: the operator's (validated to fit), or the default with as many re-sends as fit in both
 * bounds — so a config that was valid before re-sends existed (a 1 s grace, say) stays valid, with fewer re-sends.
 */
export function resendScheduleOf(set: CommitResendConfig | undefined, callMs: number, graceMs: number): CommitResendConfig {
  if (set) return set;
  let c = DEFAULT_COMMIT_RESEND;
  while (c.retries > 0 && resendScheduleProblem(c, callMs, graceMs)) c = { ...c, retries: c.retries - 1 };
  return c;
}

/** Every try failed; `tries` is how many calls were made, `last` the last one's error. */
export class CommitLost extends Error {
  constructor(
    readonly tries: number,
    readonly last: unknown,
  ) {
    super(last instanceof Error ? last.message : String(last));
    this.name = "CommitLost";
  }
}

/**
 * Call `send`; when it fails, wait each of `delays` on `clock` and call it again, until one succeeds. Resolves with
 * its answer and how many calls it took; rejects with `CommitLost` once every try failed. `send` must be safe to
 * repeat (its commit carries an id the object applies once).
 */
export async function sendWithResend<T>(send: () => Promise<T>, delays: readonly number[], clock: { sleep(ms: number): Promise<void> }): Promise<{ value: T; tries: number }> {
  let last: unknown;
  for (let i = 0; i <= delays.length; i++) {
    if (i > 0) await clock.sleep(delays[i - 1]!);
    try {
      return { value: await send(), tries: i + 1 };
    } catch (err) {
      last = err;
    }
  }
  throw new CommitLost(delays.length + 1, last);
}

/** What a commit carries so the object applies it once: its id, and how long to remember it. */
export interface CommitOnce {
  id: string;
  rememberMs: number;
}

/** Shortest and longest an object remembers an applied id; a caller's value is clamped into this. */
export const MIN_REMEMBER_MS = 1_000;
export const MAX_REMEMBER_MS = 3_600_000;
/** When a caller names no length: the default `tenants.reservationGraceMs`. */
export const DEFAULT_REMEMBER_MS = 60_000;
/** Most ids a tenant's object remembers; past it, those whose memory lapses soonest are forgotten first. */
export const MAX_APPLIED_COMMITS = 10_000;

const COMMIT_ID = /^[A-Za-z0-9:_-]{1,100}$/;

/**
 * A caller's `CommitOnce`, made safe: undefined when there is no usable id (an isolate of an older version, which
 * sends none: its commit is applied as before), else the id and its window clamped to [MIN, MAX]_REMEMBER_MS.
 */
export function commitOnceOf(x: unknown): CommitOnce | undefined {
  if (typeof x !== "object" || x === null) return undefined;
  const { id, rememberMs } = x as Record<string, unknown>;
  if (typeof id !== "string" || !COMMIT_ID.test(id)) return undefined;
  const ms = typeof rememberMs === "number" && Number.isFinite(rememberMs) ? Math.round(rememberMs) : DEFAULT_REMEMBER_MS;
  return { id, rememberMs: Math.min(MAX_REMEMBER_MS, Math.max(MIN_REMEMBER_MS, ms)) };
}

/** Where an object keeps the ids it applied (SQLite in the TenantLimiter: durable-objects/applied-commits.ts). */
export interface AppliedCommitStore {
  /** When `id` stops being remembered (epoch ms), or undefined when it is not. */
  until(id: string): number | undefined;
  remember(id: string, until: number): void;
  /** Forget every id whose time is at or before `now`. */
  forgetLapsed(now: number): void;
  /** Forget the `n` ids whose time comes soonest. */
  forgetSoonest(n: number): void;
  readonly size: number;
}

/** Was this commit applied already, within its window? */
export function alreadyApplied(store: AppliedCommitStore, once: CommitOnce, now: number): boolean {
  const until = store.until(once.id);
  return until !== undefined && until > now;
}

/** Remember a commit just applied, dropping lapsed ids and, over `max`, those that lapse soonest. */
export function rememberApplied(store: AppliedCommitStore, once: CommitOnce, now: number, max = MAX_APPLIED_COMMITS): void {
  store.forgetLapsed(now);
  store.remember(once.id, now + once.rememberMs);
  if (store.size > max) store.forgetSoonest(store.size - max);
}
