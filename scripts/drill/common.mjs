// Names and limits every drill module shares: answer modes, task classes, client limits, the logger.

/** How an answer was served, as Detour's x-detour-mode says; "error" for anything not served. */
export const MODES = ["primary", "failover", "cache", "stale", "degraded", "error"];
/** The task classes the drill's load mixes. */
export const CLASSES = ["classification", "extraction", "chat", "summarization"];
/**
 * A request gets this long before the client gives up on it: past Detour's production deadline (60 s), so a scenario
 * on production timeouts measures what Detour does, not where the drill's client stopped waiting.
 */
export const CLIENT_TIMEOUT_MS = 65_000;
/** Open-loop load still has a ceiling: past this many requests in flight, a scheduled request is dropped (and counted). */
export const MAX_IN_FLIGHT = 400;
/** How often the breaker states are read from /status. */
export const STATUS_POLL_MS = 500;
/** The timeline's time buckets. */
export const BUCKET_MS = 500;

/** Progress goes to stderr, so stdout carries only the summary table. */
export const log = (...a) => console.error("[drill]", ...a);

/** A mistake in the command line or a scenario file: reported as its message alone. */
export class UsageError extends Error {}

/** Not null, not an array: a JSON object. */
export const isObj = (x) => x !== null && typeof x === "object" && !Array.isArray(x);

/** One decimal: what records and reports keep of a time in ms. */
export const round1 = (x) => Math.round(x * 10) / 10;

/** Waits `ms` (never negative). */
export const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
