/**
 * The engine's shared vocabulary: what routing hands it (planned targets and their attempt policy), what the breaker
 * says before an attempt (`Admission`), what every attempt reports (`AttemptReport`), and how a run ends (`Outcome`,
 * `Failure`). Earlier stages import these from here, never from the engine's implementation files.
 */
import type { CanonicalRequest, StreamEvent } from "../canonical";
import type { CallContext, Provider, Target } from "../providers/types";
import type { OutputCheck } from "../validate/types";
import type { Clock } from "./clock";
import type { ErrorClass, UpstreamError } from "./errors";

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
  /**
   * After this long without an answer (JSON) or first content (stream) an attempt counts as slow and its provider is
   * judged (src/resilience/inflight.ts `slowThreshold`). Absent: no in-flight detection for this target.
   */
  slowAfterMs?: number;
  /** `slowAfterMs` comes from the provider's history (not the no-history default): a lone attempt may be judged on it. */
  slowFromHistory?: boolean;
}

/** One attempt as the in-flight tracker sees it (`EngineDeps.inflight`). */
export interface InflightWatch {
  /** Judge the attempt's provider now (abandoning this attempt when the provider is suspect and it waited long enough). */
  overdue(): void;
  /** The attempt ended before committing to its caller: answered (`ok`) or failed. */
  settle(ok: boolean): void;
  /** When to judge the attempt first (≤ its slow time), ms; then again every `recheckMs` until it settles. */
  firstCheckMs: number;
  recheckMs: number;
}

/** Whether a target may be tried now (the breaker's say). `probe` marks a half-open trial call. */
export interface Admission {
  allowed: boolean;
  /** Why: "closed", "probe", or why not ("breaker_open", "probe_denied", "forced_open", "disabled"). */
  reason: string;
  probe: boolean;
}

/**
 * What one attempt did: a line of the trace and the log, and (through the request's breakers) one outcome for the
 * provider's breaker, health and metrics. The engine reports each one as it settles — a committed stream when the
 * stream settles — so a failure reaches ProviderHealth while the request is still running.
 */
export interface AttemptReport {
  provider: string;
  model: string;
  /** "skipped": not tried, because its breaker (or routing, or throttling) said no (`skipReason`). */
  outcome: "ok" | "error" | "skipped";
  skipReason?: string;
  /** This attempt was a half-open probe. */
  probe?: boolean;
  /** This attempt belongs to the hedge started after the first target was slow. */
  hedge?: boolean;
  errorClass?: ErrorClass;
  status?: number;
  /** Until the answer (JSON) or the first content event (stream), ms: what the breaker's slow-call rule judges. */
  ms: number;
  /** Backoff slept before this attempt, ms. */
  waitedMs?: number;
  message?: string;
  /** `invalid_output`: the output check the answer failed (`message` says why). */
  check?: string;
  /**
   * The caller's departure or deadline ended this attempt: it says nothing about the provider. Breakers hear of it
   * only to get a probe permit back.
   */
  cancelled?: boolean;
  /** Whole call, ms (a stream: until it settled); absent means `ms`. */
  latencyMs?: number;
  /** Streams: time to the first content event, ms. */
  ttftMs?: number;
  outputTokens?: number;
  /** The answer was a content-filter refusal. */
  refusal?: boolean;
  /** This answer came after something on the way was passed over (set by the recorder, see `modeOf`). */
  failover?: boolean;
  /**
   * Fingerprint of the caller's tenant (a short hash, never a key), on the copy the recorder hands to the breakers,
   * so one tenant's failures alone cannot trip a breaker for everyone (src/resilience/tenants.ts).
   */
  tenant?: string;
}

export interface EngineDeps {
  clock: Clock;
  /** [0, 1); injected so backoff jitter is reproducible in tests. */
  random: () => number;
  providerFor(target: Target): Provider;
  contextFor(target: Target, signal: AbortSignal): CallContext;
  /** Breaker admission, asked once per target before its first attempt. Absent: always admitted. */
  admit?(target: Target): Admission | Promise<Admission>;
  /** Every attempt, as it settles (skips included; a committed stream when the stream ends). */
  onAttempt?(target: Target, report: AttemptReport): void;
  /**
   * In-flight slow detection (src/resilience/inflight.ts). `abandon` is given only when another target could start
   * instead; it aborts the attempt with the `slow` class. Absent: attempts wait for their first-byte timeout.
   */
  inflight?: {
    start(target: Target, slowAfterMs: number, abandon?: (why: string) => void, historic?: boolean): InflightWatch;
  };
  /** Retry budget and adaptive throttling (src/engine/governor.ts). Absent: neither applies. */
  governor?: {
    firstAttempt(target: Target): { allowed: boolean; reason?: string };
    mayRetry(target: Target): boolean;
    outcome(target: Target, errorClass: ErrorClass | undefined): void;
  };
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
  | { ok: true; value: T; target: Target; targetIndex: number; attempts: AttemptReport[]; hedged?: boolean }
  | { ok: false; failure: Failure; attempts: AttemptReport[]; hedged?: boolean };

export interface HedgeOptions {
  /** Start the hedge after this long without an answer (first byte, for streams). */
  afterMs: number;
  /** Asked when the hedge would start; false keeps the request unhedged (budget spent). */
  allow: () => boolean;
}

export interface RunOptions {
  deadlineMs: number;
  /** The client's signal: aborting it ends every attempt. */
  signal?: AbortSignal;
  /** Hedge the first target with the next one (src/engine/hedge.ts). */
  hedge?: HedgeOptions;
  /** The route's own output checks (src/validate/route.ts), run after the built-in ones on every answer. */
  checks?: readonly OutputCheck[];
  /**
   * A stream with a contract (schema, tools): `"buffer"` (default) holds it until complete and valid; `"passthrough"`
   * commits at its first content and judges it after commit (./judged.ts). Plain-text streams always pass through.
   */
  streamValidation?: "buffer" | "passthrough";
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
  /** Reports the committed attempt once it settled (called by `continueStream`; later calls do nothing). */
  settle(end: StreamSettled): void;
  policy: AttemptPolicy;
  target: Target;
  /** The committed attempt is a half-open probe: its final outcome decides the breaker. */
  probe: boolean;
  /** When the attempt started (clock ms), for the stream's total duration. */
  startedAt: number;
  /** Output checks still owed after commit (a pass-through stream with checks); `continueStream` runs them. */
  afterCommit?: AfterCommitChecks;
}

/** The output checks a committed pass-through stream still owes the caller (judged in ./judged.ts). */
export interface AfterCommitChecks {
  req: CanonicalRequest;
  checks: readonly OutputCheck[];
}

/** How a committed stream ended: finished (no `error`), failed after commit, or cancelled by the caller. */
export interface StreamSettled {
  error?: UpstreamError;
  cancelled?: boolean;
  outputTokens?: number;
}
