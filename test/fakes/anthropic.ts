/**
 * A fake api.anthropic.com `POST /v1/messages`. It checks what the real API checks (path, auth and version headers,
 * required body fields, no unknown fields, tool_use/tool_result pairing) and answers in the real wire format: a
 * `Message` object, or the SSE event sequence with `event:` names. Response objects are typed with the official
 * @anthropic-ai/sdk types so the shapes cannot drift from the vendor's.
 */
import type {
  Message,
  RawMessageStreamEvent,
  StopReason,
  TextBlock,
  ToolUseBlock,
  Usage,
} from "@anthropic-ai/sdk/resources/messages/messages";
import { type FakeScript, splitText, sseResponse, untilAborted } from "./script";

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

/** Body keys `MessageCreateParams` accepts, plus the sampling knobs API version 2023-06-01 takes. */
const BODY_KEYS = new Set([
  "model", "max_tokens", "messages", "cache_control", "container", "diagnostics", "inference_geo", "metadata",
  "output_config", "service_tier", "speed", "stop_sequences", "stream", "system", "thinking", "tool_choice", "tools",
  "temperature", "top_p", "top_k",
]);

const STOP: Record<NonNullable<FakeScript["finishReason"]>, StopReason> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  content_filter: "refusal",
};

let seq = 0;
const requestId = () => `req_fake${(++seq).toString().padStart(6, "0")}`;

function errorResponse(status: number, message: string, extraHeaders: Record<string, string> = {}, type?: string): Response {
  const errorType = type ?? ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  const rid = requestId();
  return Response.json(
    { type: "error", error: { type: errorType, message }, request_id: rid },
    { status, headers: { "request-id": rid, ...extraHeaders } },
  );
}

type Body = Record<string, unknown>;
type WireMessage = { role: unknown; content: unknown };

const blocksOf = (content: unknown): Body[] => (Array.isArray(content) ? (content as Body[]) : []);

/** What the real API would refuse with a 400, or undefined. Consecutive same-role turns are combined first, as the API does. */
function invalidBody(body: Body): string | undefined {
  for (const k of ["model", "max_tokens", "messages"]) if (!(k in body)) return `${k}: Field required`;
  for (const k of Object.keys(body)) if (!BODY_KEYS.has(k)) return `${k}: Extra inputs are not permitted`;
  if (typeof body.model !== "string") return "model: Input should be a valid string";
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 0) return "max_tokens: Input should be a valid integer";
  if (!Array.isArray(body.messages) || body.messages.length === 0) return "messages: at least one message is required";
  const turns: { role: string; blocks: Body[] }[] = [];
  for (const [i, raw] of (body.messages as WireMessage[]).entries()) {
    if (raw.role !== "user" && raw.role !== "assistant") return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const blocks = typeof raw.content === "string" ? [{ type: "text", text: raw.content }] : blocksOf(raw.content);
    if (blocks.length === 0) return `messages.${i}: all messages must have non-empty content`;
    const last = turns[turns.length - 1];
    if (last?.role === raw.role) last.blocks.push(...blocks);
    else turns.push({ role: raw.role, blocks });
  }
  for (const [i, t] of turns.entries()) {
    const prevUses = new Set(blocksOf(turns[i - 1]?.blocks).filter((b) => b.type === "tool_use").map((b) => b.id));
    for (const b of t.blocks) {
      if (b.type === "tool_result" && !prevUses.has(b.tool_use_id)) {
        return `messages.${i}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
    const next = turns[i + 1];
    if (t.role === "assistant" && next) {
      const results = new Set(next.blocks.filter((b) => b.type === "tool_result").map((b) => b.tool_use_id));
      const missing = t.blocks.filter((b) => b.type === "tool_use" && !results.has(b.id)).map((b) => String(b.id));
      if (missing.length > 0) {
        return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
      }
    }
  }
  return undefined;
}

function usageOf(script: FakeScript): Usage {
  const u = script.usage ?? { inputTokens: 12, outputTokens: 7 };
  return {
    input_tokens: u.inputTokens,
    output_tokens: u.outputTokens,
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

function parts(script: FakeScript) {
  const toolCalls = (script.toolCalls ?? []).map((c, i) => ({ ...c, id: c.id ?? `toolu_fake${String(i).padStart(2, "0")}` }));
  const text = script.text ?? (toolCalls.length > 0 ? "" : "Hello from fake");
  const stopReason = STOP[script.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop")];
  return { toolCalls, text, stopReason };
}

function messageOf(script: FakeScript, model: string, id: string): Message {
  const { toolCalls, text, stopReason } = parts(script);
  const content: (TextBlock | ToolUseBlock)[] = [];
  if (text !== "") content.push({ type: "text", text, citations: null });
  for (const c of toolCalls) {
    content.push({ type: "tool_use", id: c.id, name: c.name, input: JSON.parse(c.arguments), caller: { type: "direct" } });
  }
  return {
    id,
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: usageOf(script),
  };
}

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const ev = (e: RawMessageStreamEvent) => sse(e.type, e);

/** The real event order: message_start, ping, per block start/deltas/stop, message_delta, message_stop. */
function streamEvents(script: FakeScript, model: string, id: string): string[] {
  const { toolCalls, text, stopReason } = parts(script);
  const n = script.chunks ?? 3;
  const start = messageOf(script, model, id);
  const out: string[] = [];
  if (script.malformed) out.push("event: message_start\ndata: {not json\n\n");
  out.push(ev({ type: "message_start", message: { ...start, content: [], stop_reason: null, usage: { ...start.usage, output_tokens: 1 } } }));
  out.push(sse("ping", { type: "ping" }));
  let index = 0;
  if (text !== "") {
    out.push(ev({ type: "content_block_start", index, content_block: { type: "text", text: "", citations: null } }));
    for (const piece of splitText(text, n)) {
      out.push(ev({ type: "content_block_delta", index, delta: { type: "text_delta", text: piece } }));
    }
    out.push(ev({ type: "content_block_stop", index }));
    index++;
  }
  for (const c of toolCalls) {
    out.push(ev({ type: "content_block_start", index, content_block: { type: "tool_use", id: c.id, name: c.name, input: {}, caller: { type: "direct" } } }));
    // The API opens each tool's input with an empty partial_json, then streams the JSON text in pieces.
    for (const piece of ["", ...splitText(c.arguments, n)]) {
      out.push(ev({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: piece } }));
    }
    out.push(ev({ type: "content_block_stop", index }));
    index++;
  }
  const u = start.usage;
  out.push(
    ev({
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null, stop_details: null, container: null },
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

/** Answer `request` as api.anthropic.com would, following `script`. */
export async function fakeAnthropic(request: Request, script: FakeScript): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname !== "/v1/messages") return errorResponse(404, "Not Found");
  if (request.method !== "POST") return errorResponse(405, "Method Not Allowed", {}, "invalid_request_error");
  if (!request.headers.get("x-api-key")) return errorResponse(401, "x-api-key header is required");
  if (!request.headers.get("anthropic-version")) return errorResponse(400, "anthropic-version: header is required");
  let body: Body;
  try {
    const parsed: unknown = await request.json();
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
    body = parsed as Body;
  } catch {
    return errorResponse(400, "There was an error parsing the body of your request as JSON.");
  }
  const invalid = invalidBody(body);
  if (invalid) return errorResponse(400, invalid);

  if (script.hang) return untilAborted(request.signal);
  if (script.status !== undefined) {
    const message = script.errorMessage ?? `fake ${ERROR_TYPES[script.status] ?? "error"}`;
    return errorResponse(script.status, message, script.headers, script.errorCode);
  }
  const model = script.model ?? (body.model as string);
  const id = `msg_fake${(++seq).toString().padStart(6, "0")}`;
  if (body.stream === true) {
    const res = sseResponse(streamEvents(script, model, id), script, request.signal);
    res.headers.set("request-id", requestId());
    res.headers.set("cache-control", "no-cache");
    return res;
  }
  const headers = { "request-id": requestId(), ...script.headers };
  if (script.malformed) return Response.json({ id, type: "message", content: "not a list of blocks" }, { headers });
  return Response.json(messageOf(script, model, id), { headers });
}
