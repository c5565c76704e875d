/**
 * The error taxonomy and its one policy table. Every failure of an attempt becomes an `UpstreamError` with one
 * `ErrorClass`, and everything Detour decides from a class — what the engine does next, whether the breaker and
 * health count it, whether adaptive throttling sees overload, how the degradation ladder words it and whether it may
 * degrade at all, and the HTTP status a caller gets when it is the final failure — is a column of `POLICY` below, read
 * through the small accessors after it. A new class is added in the union and in that table; the compiler then
 * insists on every decision. This file imports nothing, so any layer may read it.
 */

export type ErrorClass =
  /** 429 from the vendor. */
  | "rate_limited"
  /** 5xx from the vendor. */
  | "server_error"
  /** 408 from the vendor, or no first byte within the attempt's time-to-first-byte budget. */
  | "timeout"
  /** Connection refused/reset, DNS, TLS: fetch itself threw. */
  | "network"
  /** A body or SSE event we could not parse, or that broke the vendor's own schema. */
  | "malformed"
  /** A 2xx completion with no text and no tool calls. */
  | "empty"
  /**
   * A 2xx completion that breaks the caller's contract: JSON that misses the schema, a tool call whose arguments do
   * not fit its parameters (src/validate/). Looks like a success, is a provider failure.
   */
  | "invalid_output"
  /** The stream ended without its terminal event. */
  | "stream_cut"
  /** No stream event within the per-chunk stall budget. */
  | "stall"
  /**
   * Abandoned before its first byte: in flight far longer than the provider's normal latency while its provider is
   * suspect (src/resilience/inflight.ts). A slow call against the provider, never seen by the caller.
   */
  | "slow"
  /** The prompt does not fit this model; a larger-context target may take it. */
  | "context_length"
  /** The vendor says the request itself is invalid (400/422 other than context length). */
  | "bad_request"
  /** 401/403 from the vendor: the operator's key for this provider is missing or wrong. */
  | "upstream_auth"
  /** 404 from the vendor: the configured model or path does not exist there. */
  | "model_not_found"
  /** The provider needs a secret or binding that is not configured. */
  | "misconfigured"
  /** The caller went away or its deadline passed mid-attempt: says nothing about the provider. */
  | "cancelled"
  /** Detour could not build the vendor request from the caller's input (the adapter threw before anything was sent). */
  | "unconvertible";

/** What the engine does after an attempt failed with a given class. */
export type Decision =
  /** Try the same target again (within the retry budget), then move on. */
  | "retry"
  /** Do not retry this target; try the next one. */
  | "next_target"
  /** Stop: the caller's request is at fault and every target would refuse it. */
  | "report";

/** Which health rate an error class feeds besides the error rate (`resilience/health.ts`). */
export type HealthSignal = "timeout" | "rate_limited";

/**
 * Why the live path failed, as the degradation ladder names it in its banner (`degrade/serve.ts`). A failure reads as
 * "rate_limited", "timeout" or "invalid_output" only when every error says so; anything else is "providers_down".
 */
export type DegradeReason = "rate_limited" | "timeout" | "invalid_output" | "providers_down";

/** Everything decided from one error class. */
export interface ErrorPolicy {
  /** What the engine does next (`engine/execute.ts`). */
  decision: Decision;
  /**
   * Says something about the provider's health: a breaker failure and a health error. When false the outcome is a
   * caller or operator fault that would fail on a perfectly healthy provider, and breakers and health drop it
   * entirely (it is not counted as a success either).
   */
  countsForBreaker: boolean;
  /** The provider is overloaded: counts as a rejection for client-side adaptive throttling (`engine/governor.ts`). */
  overload: boolean;
  /** The extra health rate this class feeds, if any (`timeouts` for silence, `rateLimited` for 429s). */
  healthSignal: HealthSignal | null;
  /**
   * How the degradation ladder words this failure, or null when a failure of this class must never degrade: the
   * caller's own mistake or departure is not an outage, and no stand-in answer replaces an honest error for it.
   */
  degradeReason: DegradeReason | null;
  /**
   * Lack of capacity rather than a broken provider: a smaller request may fit, so the ladder's "reduced" rung
   * applies.
   */
  capacity: boolean;
  /** HTTP status the caller gets when every final error has this class (mixed classes get 503). */
  status: number;
}

/** The one table. Kept as columns in rows so a reviewer sees a class's whole policy at once. */
const POLICY: Record<ErrorClass, ErrorPolicy> = {
  rate_limited:    { decision: "retry",       countsForBreaker: true,  overload: true,  healthSignal: "rate_limited", degradeReason: "rate_limited",   capacity: true,  status: 429 },
  server_error:    { decision: "retry",       countsForBreaker: true,  overload: true,  healthSignal: null,           degradeReason: "providers_down", capacity: false, status: 503 },
  // Asking a vendor that stayed silent for a whole first-byte timeout again doubles the caller's wait: at the defaults
  // two 30 s waits filled the 60 s deadline and the fallback was never tried (a 504). Move on at once, as for `slow`.
  timeout:         { decision: "next_target", countsForBreaker: true,  overload: true,  healthSignal: "timeout",      degradeReason: "timeout",        capacity: true,  status: 503 },
  network:         { decision: "retry",       countsForBreaker: true,  overload: false, healthSignal: null,           degradeReason: "providers_down", capacity: false, status: 503 },
  malformed:       { decision: "retry",       countsForBreaker: true,  overload: false, healthSignal: null,           degradeReason: "providers_down", capacity: false, status: 503 },
  empty:           { decision: "retry",       countsForBreaker: true,  overload: false, healthSignal: null,           degradeReason: "providers_down", capacity: false, status: 503 },
  // Another model is likelier to keep the contract than the same one asked again: move on at once.
  invalid_output:  { decision: "next_target", countsForBreaker: true,  overload: false, healthSignal: null,           degradeReason: "invalid_output", capacity: false, status: 502 },
  stream_cut:      { decision: "retry",       countsForBreaker: true,  overload: false, healthSignal: null,           degradeReason: "providers_down", capacity: false, status: 503 },
  stall:           { decision: "retry",       countsForBreaker: true,  overload: true,  healthSignal: "timeout",      degradeReason: "timeout",        capacity: true,  status: 503 },
  // Retrying a provider judged hung would wait on it again: the next target starts at once.
  slow:            { decision: "next_target", countsForBreaker: true,  overload: true,  healthSignal: "timeout",      degradeReason: "timeout",        capacity: true,  status: 503 },
  // Another target with a larger context window may take it; if none does, the caller must shorten the prompt.
  context_length:  { decision: "next_target", countsForBreaker: false, overload: false, healthSignal: null,           degradeReason: null,             capacity: false, status: 400 },
  // Operator faults: another provider may still serve, and the outage they cause is real, so they may degrade.
  upstream_auth:   { decision: "next_target", countsForBreaker: false, overload: false, healthSignal: null,           degradeReason: "providers_down", capacity: false, status: 503 },
  model_not_found: { decision: "next_target", countsForBreaker: false, overload: false, healthSignal: null,           degradeReason: "providers_down", capacity: false, status: 503 },
  misconfigured:   { decision: "next_target", countsForBreaker: false, overload: false, healthSignal: null,           degradeReason: "providers_down", capacity: false, status: 503 },
  // Every target would refuse it.
  bad_request:     { decision: "report",      countsForBreaker: false, overload: false, healthSignal: null,           degradeReason: null,             capacity: false, status: 400 },
  // Nobody is waiting for an answer any more (499: nginx's "client closed request").
  cancelled:       { decision: "report",      countsForBreaker: false, overload: false, healthSignal: null,           degradeReason: null,             capacity: false, status: 499 },
  // Nothing reached the vendor: the caller's input broke an adapter's conversion (the request parser's limits catch
  // the known cases first). The input is at fault, so the request stops here rather than trying every vendor.
  unconvertible:   { decision: "report",      countsForBreaker: false, overload: false, healthSignal: null,           degradeReason: null,             capacity: false, status: 400 },
};

/** The whole policy of one class (read-only). */
export function policyOf(errorClass: ErrorClass): Readonly<ErrorPolicy> {
  return POLICY[errorClass];
}

/** What the engine does after an attempt failed with this class. */
export function decisionFor(errorClass: ErrorClass): Decision {
  return POLICY[errorClass].decision;
}

/** True when an outcome with this class is a failure of the provider; undefined (a success) is false. */
export function countsForBreaker(errorClass: ErrorClass | undefined): boolean {
  return errorClass !== undefined && POLICY[errorClass].countsForBreaker;
}

/** True when the outcome is a caller/operator fault that breakers and health must ignore entirely. */
export function ignoredByHealth(errorClass: ErrorClass | undefined): boolean {
  return errorClass !== undefined && !POLICY[errorClass].countsForBreaker;
}

/** True when the class means "the provider is overloaded" (a rejection for adaptive throttling). */
export function isOverload(errorClass: ErrorClass | undefined): boolean {
  return errorClass !== undefined && POLICY[errorClass].overload;
}

/** The extra health rate an outcome feeds (`timeout` / `rate_limited`), or null. */
export function healthSignalOf(errorClass: ErrorClass | undefined): HealthSignal | null {
  return errorClass === undefined ? null : POLICY[errorClass].healthSignal;
}

/** How the degradation ladder words a failure of this class; null when it must never degrade. */
export function degradeReasonOf(errorClass: ErrorClass): DegradeReason | null {
  return POLICY[errorClass].degradeReason;
}

/** May a failure of this class be answered by the degradation ladder at all? */
export function mayDegrade(errorClass: ErrorClass): boolean {
  return POLICY[errorClass].degradeReason !== null;
}

/** Did this class fail for lack of capacity (the ladder's "reduced" rung applies)? */
export function isCapacityLimited(errorClass: ErrorClass): boolean {
  return POLICY[errorClass].capacity;
}

/** HTTP status a caller gets when this class is the final failure. */
export function statusFor(errorClass: ErrorClass): number {
  return POLICY[errorClass].status;
}

/** HTTP status for a set of final errors: their shared status, else 503 (mixed failures are an outage). */
export function statusForAll(classes: readonly ErrorClass[]): number {
  const statuses = new Set(classes.map(statusFor));
  return statuses.size === 1 ? [...statuses][0]! : 503;
}

export class UpstreamError extends Error {
  readonly errorClass: ErrorClass;
  /** Vendor HTTP status, when there was one. */
  readonly status: number | undefined;
  /** Delay the vendor asked for (Retry-After / retry-after-ms), in ms. */
  readonly retryAfterMs: number | undefined;
  /** `invalid_output`: which output check failed (src/validate/). */
  readonly check: string | undefined;

  constructor(errorClass: ErrorClass, message: string, opts: { status?: number; retryAfterMs?: number; check?: string } = {}) {
    super(message);
    this.name = "UpstreamError";
    this.errorClass = errorClass;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
    this.check = opts.check;
  }
}

const CONTEXT_LENGTH_PATTERNS = [
  /context[_ ]length/i,
  /maximum context/i,
  /prompt is too long/i,
  /too many tokens/i,
  /exceeds the maximum number of tokens/i,
  /input (?:is )?too long/i,
];

/** True when a vendor's 400 message says the prompt does not fit the model (OpenAI, Anthropic, Gemini wording). */
export function looksLikeContextLength(message: string, code?: string): boolean {
  if (code === "context_length_exceeded") return true;
  return CONTEXT_LENGTH_PATTERNS.some((re) => re.test(message));
}

/**
 * Parse `retry-after-ms` (OpenAI's) or `Retry-After` (seconds or an HTTP date) into ms.
 * `now` is passed in for the HTTP-date form.
 */
export function parseRetryAfter(headers: Headers, now: number): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const ra = headers.get("retry-after");
  if (ra === null || ra.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.round(Number(ra) * 1000);
  const date = Date.parse(ra);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Map a non-2xx vendor response to its class. `message`/`code` come from the vendor's error body when it had one. */
export function classifyStatus(
  status: number,
  message: string,
  opts: { code?: string; retryAfterMs?: number } = {},
): UpstreamError {
  const o = { status, retryAfterMs: opts.retryAfterMs };
  if (status === 429) return new UpstreamError("rate_limited", message, o);
  if (status === 408) return new UpstreamError("timeout", message, o);
  if (status === 401 || status === 403 || opts.code === "API_KEY_INVALID") return new UpstreamError("upstream_auth", message, o);
  if (status === 404) return new UpstreamError("model_not_found", message, o);
  if (status === 413 || ((status === 400 || status === 422) && looksLikeContextLength(message, opts.code))) {
    return new UpstreamError("context_length", message, o);
  }
  if (status >= 500) return new UpstreamError("server_error", message, o);
  if (status >= 400) return new UpstreamError("bad_request", message, o);
  return new UpstreamError("malformed", `unexpected status ${status}`, o);
}
