/** Types for client.mjs. */

/** What one answer said (readAnswer, chat). */
export interface Answer {
  status: number;
  latencyMs?: number;
  ttfbMs?: number;
  mode?: string;
  provider?: string;
  model?: string;
  cache?: string;
  degraded?: string;
  attemptsHeader?: number;
  costHeader?: number;
  hedged?: true;
  stream?: true;
  contentChars?: number;
  streamEnd?: "done" | "error_event" | "aborted" | "none";
  streamError?: string;
  afterDone?: true;
  badEvents?: number;
  usage?: { in: number; out: number };
  trace?: { attempts?: Array<Record<string, unknown>> } & Record<string, unknown>;
  bodyModel?: string;
  invalidBody?: true;
  aborted?: true;
  errorCode?: string;
  answer?: string;
  clientError?: string;
  clientRetried?: true;
}

export declare function closeClient(): void;
export declare function call(
  method: string,
  url: string,
  body?: unknown,
  headers?: Record<string, string>,
  timeoutMs?: number,
): Promise<{ status: number; json: unknown; text: string }>;
export declare function chat(url: string, req: { body: Record<string, unknown>; headers?: Record<string, string> }, extraHeaders: Record<string, string>): Promise<Answer>;
export declare function readAnswer(
  res: { statusCode: number; headers: Record<string, string | undefined> },
  text: string,
  opts: { latencyMs: number; ttfbMs?: number; stream: boolean; aborted: boolean },
): Answer;
