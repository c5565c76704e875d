/**
 * The one logger: structured JSON lines, `{"level":…,"msg":…,…fields}`, one per event. Every line passes through the
 * key patterns of `redact` before it is written, so a vendor message or a header echoed into a field cannot leak a
 * key; callers still log only what an operator needs (never prompts, answers or secrets).
 *
 * Where a deps object is at hand (requests, routes) the logger comes from `deps.log`, so tests capture it; code that
 * runs outside a request (the isolate-wide breaker view) uses the module-level `log`.
 */
import { redact } from "./redact";

export type LogLevel = "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Where finished lines go: the platform console, by level (Workers Logs tags each line with it). */
export type LogSink = (level: LogLevel, line: string) => void;

const consoleSink: LogSink = (level, line) => {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
};

/** A logger writing one JSON line per call to `sink` (the console unless a test passes its own). */
export function jsonLogger(sink: LogSink = consoleSink): Logger {
  const write = (level: LogLevel) => (msg: string, fields?: LogFields) => sink(level, redact(JSON.stringify({ level, msg, ...fields })));
  return { info: write("info"), warn: write("warn"), error: write("error") };
}

/** The default logger, for code with no deps object; requests and routes use `deps.log` (the same logger in production). */
export const log: Logger = jsonLogger();

/** The request's one line: `{"level":"info","msg":"request",…}`, the format dashboards and drills parse. */
export function logRequest(logger: Logger, line: RequestLog): void {
  logger.info("request", { ...line });
}

/**
 * One structured JSON line per request. Never the prompt, the answer, or any key: only what an operator needs to
 * find a request and see how it was served.
 */
export interface RequestLog {
  request_id: string;
  tenant?: string;
  method: string;
  path: string;
  status: number;
  route?: string;
  provider?: string;
  model?: string;
  mode?: string;
  stream?: boolean;
  attempts?: { provider: string; outcome: string; error_class?: string; skip_reason?: string; status?: number; ms: number }[];
  error_code?: string;
  /** For `invalid_config`: every issue of DETOUR_CONFIG / DETOUR_API_KEYS / DETOUR_ADMIN_TOKEN, with its path. */
  issues?: string[];
  task_class?: string;
  cache?: string;
  degraded?: string;
  /** Set for streams that ended with an error event after the first byte. */
  stream_error?: string;
  /** The answer's cost at the served model's price: for streams, from the usage the vendor reported at the end. */
  cost_usd?: number;
  ms: number;
}

