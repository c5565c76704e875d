/**
 * The error taxonomy. Every failure of an attempt becomes an `UpstreamError` with one `ErrorClass`, and the class alone
 * decides what the engine does next (see `decisionFor`). Keep this the only place that policy lives.
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
  /** The stream ended without its terminal event. */
  | "stream_cut"
  /** No stream event within the per-chunk stall budget. */
  | "stall"
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
  | "cancelled";

/** What the engine does after an attempt failed with a given class. */
export type Decision =
  /** Try the same target again (within the retry budget), then move on. */
  | "retry"
  /** Do not retry this target; try the next one. */
  | "next_target"
  /** Stop: the caller's request is at fault and every target would refuse it. */
  | "report";

const DECISIONS: Record<ErrorClass, Decision> = {
  rate_limited: "retry",
  server_error: "retry",
  timeout: "retry",
  network: "retry",
  malformed: "retry",
  empty: "retry",
  stream_cut: "retry",
  stall: "retry",
  context_length: "next_target",
  upstream_auth: "next_target",
  model_not_found: "next_target",
  misconfigured: "next_target",
  bad_request: "report",
  // Nobody is waiting for an answer any more.
  cancelled: "report",
};

export function decisionFor(errorClass: ErrorClass): Decision {
  return DECISIONS[errorClass];
}

export class UpstreamError extends Error {
  readonly errorClass: ErrorClass;
  /** Vendor HTTP status, when there was one. */
  readonly status: number | undefined;
  /** Delay the vendor asked for (Retry-After / retry-after-ms), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(errorClass: ErrorClass, message: string, opts: { status?: number; retryAfterMs?: number } = {}) {
    super(message);
    this.name = "UpstreamError";
    this.errorClass = errorClass;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
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
