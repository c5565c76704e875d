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
  task_class?: string;
  cache?: string;
  degraded?: string;
  /** Set for streams that ended with an error event after the first byte. */
  stream_error?: string;
  ms: number;
}

export type Logger = (line: RequestLog) => void;

export const consoleLogger: Logger = (line) => console.log(JSON.stringify({ level: "info", msg: "request", ...line }));
