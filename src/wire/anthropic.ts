/**
 * Anthropic Messages as the vendor sends it: a `Message` object, the SSE event sequence (message_start, ping,
 * content_block_start/delta/stop per block, message_delta, message_stop) and error bodies
 * `{type: "error", error: {type, message}, request_id}`. The fields follow the official SDK's types.
 */
import { sseEvent } from "./sse";

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation: null;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  inference_geo: null;
  output_tokens_details: null;
  server_tool_use: null;
  service_tier: "standard";
  speed: null;
}

/** Usage as the API reports it (no caching, standard tier). */
export function anthropicUsage(input: number, output: number): AnthropicUsage {
  return {
    input_tokens: input,
    output_tokens: output,
    cache_creation: null,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    inference_geo: null,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: "standard",
    speed: null,
  };
}

/** One content block of an answer; `pieces` is how its text (or tool input JSON) streams. */
export type AnthropicBlock =
  | { type: "text"; text: string; pieces: string[] }
  | { type: "tool_use"; id: string; name: string; input: unknown; pieces: string[] };

export interface AnthropicAnswer {
  id: string;
  model: string;
  blocks: AnthropicBlock[];
  /** end_turn, max_tokens, tool_use, refusal… */
  stopReason: string;
  usage: AnthropicUsage;
}

function blockOf(b: AnthropicBlock) {
  return b.type === "text"
    ? { type: "text" as const, text: b.text, citations: null }
    : { type: "tool_use" as const, id: b.id, name: b.name, input: b.input, caller: { type: "direct" as const } };
}

/** The `Message` object of a non-streamed answer. */
export function anthropicMessage(a: AnthropicAnswer) {
  return {
    id: a.id,
    type: "message" as const,
    role: "assistant" as const,
    model: a.model,
    content: a.blocks.map(blockOf),
    stop_reason: a.stopReason,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: a.usage,
  };
}

/** The SSE events of a streamed answer, in the API's order. */
export function anthropicEvents(a: AnthropicAnswer): string[] {
  const ev = (data: { type: string; [field: string]: unknown }) => sseEvent(data.type, data);
  const start = anthropicMessage(a);
  const out = [
    ev({ type: "message_start", message: { ...start, content: [], stop_reason: null, usage: { ...a.usage, output_tokens: 1 } } }),
    ev({ type: "ping" }),
  ];
  a.blocks.forEach((b, index) => {
    const empty = b.type === "text" ? { ...blockOf(b), text: "" } : { ...blockOf(b), input: {} };
    out.push(ev({ type: "content_block_start", index, content_block: empty }));
    // The API opens each tool's input with an empty partial_json, then streams the JSON text in pieces.
    const deltas =
      b.type === "text"
        ? b.pieces.map((text) => ({ type: "text_delta", text }))
        : ["", ...b.pieces].map((partial_json) => ({ type: "input_json_delta", partial_json }));
    for (const delta of deltas) out.push(ev({ type: "content_block_delta", index, delta }));
    out.push(ev({ type: "content_block_stop", index }));
  });
  const u = a.usage;
  out.push(
    ev({
      type: "message_delta",
      delta: { stop_reason: a.stopReason, stop_sequence: null, stop_details: null, container: null },
      usage: {
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
        cache_creation_input_tokens: u.cache_creation_input_tokens,
        cache_read_input_tokens: u.cache_read_input_tokens,
        output_tokens_details: null,
        server_tool_use: null,
      },
    }),
  );
  out.push(ev({ type: "message_stop" }));
  return out;
}

/** Status → Anthropic `error.type` (docs: "HTTP errors"). */
const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

/** The `error.type` Anthropic sends with `status`. */
export function anthropicErrorType(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

/** The error body; `requestId` is echoed in the body as the API does (and belongs in a `request-id` header too). */
export function anthropicErrorBody(type: string, message: string, requestId?: string): string {
  return JSON.stringify({ type: "error", error: { type, message }, ...(requestId !== undefined ? { request_id: requestId } : {}) });
}

/** Bodies that are not Anthropic's shape, for malformed-answer drills. */
export function anthropicMalformed(id: string) {
  return {
    syntaxJson: `{"id":"${id}","type":"message","role":"assistant","content":[{"type":"text","text":`,
    shapeJson: { id, type: "message", content: "not a list of blocks" },
    syntaxEvent: "event: message_start\ndata: {not json\n\n",
    shapeEvent: sseEvent("content_block_delta", { type: "content_block_delta", index: "zero", delta: "not a delta" }),
  };
}
