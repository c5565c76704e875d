/**
 * An inbound wire format: how one caller API (OpenAI Chat Completions, Anthropic Messages, OpenAI Responses) maps to
 * the canonical request, and how the canonical answer, stream and errors map back. The pipeline (src/routes/chat.ts)
 * runs the same stages for every format; only the two ends differ, and each format keeps both ends in its own file.
 */
import type { ApiError } from "../api/errors";
import type { CanonicalRequest, CanonicalResponse, StreamEvent, Usage } from "../canonical";
import type { UpstreamError } from "../engine/errors";

/** What an answer's wire body needs besides the canonical answer. */
export interface AnswerMeta {
  /** This answer's id in the format's own style (`chatcmpl-…`, `msg_…`, `resp_…`). */
  id: string;
  /** Unix seconds. */
  created: number;
  /** `provider/model` that answered. */
  model: string;
  /** The caller's request, for formats that echo parts of it (Responses echoes tools, format, limits). */
  request: CanonicalRequest;
  /** Detour's estimate, for formats that announce input tokens before usage is known (Anthropic's message_start). */
  inputTokens: number;
}

export interface StreamRenderOptions {
  /** Added to the last event (the trace, when asked for; the real cost, from the usage the stream reported). */
  finalExtra?: (usage: Usage | undefined) => Record<string, unknown>;
  /** Redacts configured secrets from a failure's message before it reaches the caller (vendor text can echo a key). */
  clean?: (s: string) => string;
  /** Called once when the stream ends: `error` is set when it ended with an error event. */
  onEnd?: (result: { error?: UpstreamError; usage?: Usage; chars: number; clientGone?: boolean }) => void;
  /** Called at once when the client cancels the body, before the events are returned (which waits for a pending read). */
  onCancel?: () => void;
}

export interface ParsedBody {
  model: string;
  request: CanonicalRequest;
}

export interface InboundFormat {
  /** For logs and docs: `openai-chat`, `anthropic-messages`, `openai-responses`. */
  readonly name: string;
  /** Prefix of the ids this format gives its answers. */
  readonly idPrefix: string;
  /** The request field that holds the conversation (for the too-many-messages error). */
  readonly messagesParam: string;
  /**
   * Validate a parsed JSON body → canonical request plus the `model` the caller named; throws a 400 `ApiError`. May
   * be async: the Responses API reads a stored conversation it continues (./responses-store.ts).
   */
  parse(body: unknown, maxJsonDepth: number): ParsedBody | Promise<ParsedBody>;
  /** A finished answer as this format's JSON body; `extra` (the `detour` object) is added at its top level. */
  toJson(res: CanonicalResponse, meta: AnswerMeta, extra: Record<string, unknown>): unknown;
  /** Canonical stream events as this format's SSE body. */
  toStream(events: AsyncIterable<StreamEvent>, meta: AnswerMeta, opts: StreamRenderOptions): ReadableStream<Uint8Array>;
  /** An error as this format's error body (the status is the error's own). */
  errorBody(err: ApiError, requestId?: string): Record<string, unknown>;
}
