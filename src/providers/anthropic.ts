/**
 * Anthropic Messages API adapter: `POST {baseUrl}/v1/messages`, pinned to `anthropic-version: 2023-06-01`.
 *
 * Wire shapes follow the official @anthropic-ai/sdk types (resources/messages). What differs from the canonical
 * (OpenAI-like) format, and why this file exists:
 * - system prompts are a top-level `system` field, not messages;
 * - turns must alternate user/assistant, so tool results become `tool_result` blocks in a user turn and consecutive
 *   same-role turns are merged;
 * - `max_tokens` is required;
 * - streams are typed events (message_start, content_block_*, message_delta, message_stop) keyed by block index.
 */
import * as z from "../zod";
import type { CanonicalRequest, CanonicalResponse, ContentPart, FinishReason, Message, StreamEvent, ToolCall } from "../canonical";
import { classifyStatus, UpstreamError } from "../engine/errors";
import { parseJsonEvent, readSse } from "./sse";
import type { HttpAdapter, Target, VendorHttpRequest } from "./types";

const VENDOR = "anthropic";
/** The API version whose request shape this adapter speaks (temperature/top_p are accepted in it). */
export const ANTHROPIC_VERSION = "2023-06-01";

type ImageSource = { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };
type Block =
  | { type: "text"; text: string }
  | { type: "image"; source: ImageSource }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> }
  | { type: "tool_result"; tool_use_id: string; content: string };
type Turn = { role: "user" | "assistant"; content: Block[] };

// ---- request -------------------------------------------------------------------------------------------------------

const JSON_ONLY = "Respond with only a single valid JSON value: no prose, no explanation, no Markdown code fences.";

/** System messages (wherever they sit) plus the JSON-mode instruction: Anthropic has no response_format flag. */
function systemPrompt(req: CanonicalRequest): string | undefined {
  const parts = req.messages.flatMap((m) => (m.role === "system" && m.content !== "" ? [m.content] : []));
  const fmt = req.responseFormat;
  if (fmt?.type === "json_object") parts.push(`${JSON_ONLY} The value must be a JSON object.`);
  if (fmt?.type === "json_schema") {
    parts.push(`${JSON_ONLY} The value must conform to this JSON Schema (named "${fmt.name}"):\n${JSON.stringify(fmt.schema)}`);
  }
  return parts.length > 0 ? parts.join("\n\n") : undefined;
}

/** `data:` URLs become base64 sources (percent-encoded ones are re-encoded); anything else is fetched by Anthropic. */
function imageBlock(url: string): Block {
  const m = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (!m) return { type: "image", source: { type: "url", url } };
  const mediaType = (m[1] || "application/octet-stream").toLowerCase();
  const payload = m[3] ?? "";
  const data = /;base64/i.test(m[2] ?? "") ? payload : percentToBase64(payload);
  return { type: "image", source: { type: "base64", media_type: mediaType, data } };
}

/** RFC 2397 non-base64 payload: %XX escapes are bytes, other characters are their UTF-8 bytes. */
function percentToBase64(payload: string): string {
  const raw = new TextEncoder().encode(payload);
  let bin = "";
  for (let i = 0; i < raw.length; i++) {
    const hex = raw[i] === 0x25 ? String.fromCharCode(raw[i + 1] ?? 0, raw[i + 2] ?? 0) : "";
    if (/^[0-9a-f]{2}$/i.test(hex)) {
      bin += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else bin += String.fromCharCode(raw[i]!);
  }
  return btoa(bin);
}

function userBlocks(content: string | ContentPart[]): Block[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return content.map((p) => (p.type === "text" ? { type: "text", text: p.text } : imageBlock(p.url)));
}

/** `tool_use.input` must be a JSON object; arguments the model (or caller) mangled degrade to `{}`. */
function toolInput(args: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function assistantBlocks(content: string | null, toolCalls: ToolCall[] | undefined): Block[] {
  // Anthropic rejects empty text blocks; a tool-call-only turn has null/"" content.
  const blocks: Block[] = content ? [{ type: "text", text: content }] : [];
  for (const c of toolCalls ?? []) blocks.push({ type: "tool_use", id: c.id, name: c.name, input: toolInput(c.arguments) });
  return blocks;
}

/** Canonical messages → alternating Anthropic turns (system dropped: it is lifted to `system`). */
function toTurns(messages: Message[]): Turn[] {
  const turns: Turn[] = [];
  const push = (role: Turn["role"], blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const m of messages) {
    if (m.role === "user") push("user", userBlocks(m.content));
    else if (m.role === "assistant") push("assistant", assistantBlocks(m.content, m.toolCalls));
    else if (m.role === "tool") push("user", [{ type: "tool_result", tool_use_id: m.toolCallId, content: m.content }]);
  }
  return turns;
}

function toolChoice(choice: NonNullable<CanonicalRequest["toolChoice"]>): Record<string, unknown> {
  if (typeof choice === "object") return { type: "tool", name: choice.name };
  return { type: choice === "required" ? "any" : choice };
}

function buildRequest(req: CanonicalRequest, target: Target, apiKey: string | undefined): VendorHttpRequest {
  const headers: Record<string, string> = {};
  if (apiKey !== undefined) headers["x-api-key"] = apiKey;
  // http.ts spreads our headers over the provider's, so only default the version when the operator did not pin one.
  const pinned = Object.keys(target.provider.headers ?? {}).some((k) => k.toLowerCase() === "anthropic-version");
  if (!pinned) headers["anthropic-version"] = ANTHROPIC_VERSION;

  const body: Record<string, unknown> = {
    model: target.model.id,
    max_tokens: req.maxTokens ?? target.model.maxOutputTokens,
    messages: toTurns(req.messages),
  };
  const system = systemPrompt(req);
  if (system !== undefined) body.system = system;
  if (req.tools && req.tools.length > 0) {
    body.tools = req.tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      // Anthropic requires `type: "object"` at the schema root; OpenAI callers sometimes send `{}` for no-arg tools.
      input_schema: { type: "object", ...t.parameters },
    }));
    if (req.toolChoice !== undefined) body.tool_choice = toolChoice(req.toolChoice);
  }
  // OpenAI's temperature range is 0–2, Anthropic's 0–1: clamp rather than have a fallback target 400 the request.
  if (req.temperature !== undefined) body.temperature = Math.min(1, Math.max(0, req.temperature));
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop && req.stop.length > 0) body.stop_sequences = req.stop;
  if (req.user !== undefined) body.metadata = { user_id: req.user };
  if (req.stream) body.stream = true;
  return { url: `${(target.provider.baseUrl ?? "").replace(/\/+$/, "")}/v1/messages`, headers, body };
}

// ---- response ------------------------------------------------------------------------------------------------------

/** `{type:"error", error:{type, message}}`: the body of every Anthropic error, and of the SSE `error` event. */
const ErrorBody = z.object({ type: z.literal("error"), error: z.object({ type: z.string(), message: z.string() }) });

const UsageSchema = z.object({
  input_tokens: z.number().check(z.int(), z.nonnegative()),
  output_tokens: z.number().check(z.int(), z.nonnegative()),
  cache_creation_input_tokens: z.nullish(z.number().check(z.int(), z.nonnegative())),
  cache_read_input_tokens: z.nullish(z.number().check(z.int(), z.nonnegative())),
});
type AnthropicUsage = z.infer<typeof UsageSchema>;

const MessageSchema = z.object({
  id: z.string(),
  type: z.literal("message"),
  role: z.literal("assistant"),
  model: z.string(),
  // Blocks are checked one by one below so that unknown block kinds (thinking, server tools) pass through.
  content: z.array(z.looseObject({ type: z.string() })),
  stop_reason: z.string(),
  usage: UsageSchema,
});
const TextBlock = z.object({ type: z.literal("text"), text: z.string() });
const ToolUseBlock = z.object({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.unknown() });

/** Parse `value` or throw `malformed` naming what was expected. */
function check<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue ? ` (${issue.path.join(".") || "root"}: ${issue.message})` : "";
  throw new UpstreamError("malformed", `${VENDOR} sent ${what} that is not its documented shape${where}`);
}

const STOP_REASONS: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};
/** Unknown future stop reasons read as a normal stop rather than failing a completed answer. */
const finishReason = (r: string): FinishReason => STOP_REASONS[r] ?? "stop";

/** Anthropic's `input_tokens` excludes prompt-cache reads/writes; the canonical count (like OpenAI's) includes them. */
const inputTokens = (u: { input_tokens?: number | null } & Pick<AnthropicUsage, "cache_creation_input_tokens" | "cache_read_input_tokens">) =>
  (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);

function parseResponse(json: unknown, _target: Target): CanonicalResponse {
  const err = ErrorBody.safeParse(json);
  if (err.success) {
    throw new UpstreamError("malformed", `${VENDOR} answered 2xx with an error body: ${err.data.error.type}: ${err.data.error.message}`);
  }
  const msg = check(MessageSchema, json, "a message");
  let text: string | null = null;
  const toolCalls: ToolCall[] = [];
  for (const block of msg.content) {
    if (block.type === "text") text = (text ?? "") + check(TextBlock, block, "a text block").text;
    else if (block.type === "tool_use") {
      const b = check(ToolUseBlock, block, "a tool_use block");
      toolCalls.push({ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) });
    }
  }
  return {
    id: msg.id,
    model: msg.model,
    content: text,
    toolCalls,
    finishReason: finishReason(msg.stop_reason),
    usage: { inputTokens: inputTokens(msg.usage), outputTokens: msg.usage.output_tokens },
  };
}

// ---- stream --------------------------------------------------------------------------------------------------------

const EventType = z.looseObject({ type: z.string() });
const MessageStart = z.object({ message: z.object({ usage: UsageSchema }) });
const BlockStart = z.object({ index: z.number().check(z.int()), content_block: z.looseObject({ type: z.string() }) });
const BlockDelta = z.object({ index: z.number().check(z.int()), delta: z.looseObject({ type: z.string() }) });
const TextDelta = z.object({ text: z.string() });
const InputJsonDelta = z.object({ partial_json: z.string() });
const MessageDelta = z.object({
  delta: z.object({ stop_reason: z.nullish(z.string()) }),
  usage: z.extend(UsageSchema, { input_tokens: z.nullish(z.number().check(z.int(), z.nonnegative())) }),
});

/**
 * Anthropic's error types → the HTTP status each is documented with (docs.anthropic.com, "Errors"), so an `error`
 * event inside a 2xx stream is classified exactly like a non-2xx answer carrying the same error.
 */
const ERROR_TYPE_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

/** An in-stream `error` event → its class; an unknown or unreadable error is an upstream failure (500). */
function streamError(json: unknown): UpstreamError {
  const body = ErrorBody.safeParse(json);
  if (!body.success) return classifyStatus(500, `${VENDOR} sent a stream error event: ${JSON.stringify(json).slice(0, 200)}`);
  const { type, message } = body.data.error;
  return classifyStatus(ERROR_TYPE_STATUS[type] ?? 500, `${VENDOR} stream error ${type}: ${message}`, { code: type });
}

/**
 * Anthropic SSE → canonical events. Tool calls are numbered among tool_use blocks (not by block index, which also
 * counts text/thinking blocks). `finish` comes from message_delta; `usage` follows it at message_stop. A stream that
 * ends before message_delta yields no `finish`, which is how the engine spots truncation.
 */
async function* parseStream(body: ReadableStream<Uint8Array>, target: Target): AsyncGenerator<StreamEvent> {
  const tools = new Map<number, { index: number; sentArgs: boolean; input: unknown }>();
  let usage = { inputTokens: 0, outputTokens: 0 };
  let finished = false;
  for await (const sse of readSse(body, target.provider.limits?.maxSseLineBytes)) {
    const json = parseJsonEvent(sse.data, VENDOR);
    if (sse.event === "error") throw streamError(json);
    const ev = check(EventType, json, "a stream event");
    switch (ev.type) {
      case "error":
        throw streamError(json);
      case "message_start": {
        const u = check(MessageStart, ev, "message_start").message.usage;
        usage = { inputTokens: inputTokens(u), outputTokens: u.output_tokens };
        break;
      }
      case "content_block_start": {
        const { index, content_block: block } = check(BlockStart, ev, "content_block_start");
        if (block.type === "text") {
          const t = check(TextBlock, block, "a text block").text;
          if (t !== "") yield { type: "text", text: t };
        } else if (block.type === "tool_use") {
          const b = check(ToolUseBlock, block, "a tool_use block");
          const call = { index: tools.size, sentArgs: false, input: b.input };
          tools.set(index, call);
          yield { type: "toolCall", index: call.index, id: b.id, name: b.name, argumentsDelta: "" };
        }
        break;
      }
      case "content_block_delta": {
        const { index, delta } = check(BlockDelta, ev, "content_block_delta");
        if (delta.type === "text_delta") {
          const t = check(TextDelta, delta, "a text_delta").text;
          if (t !== "") yield { type: "text", text: t };
        } else if (delta.type === "input_json_delta") {
          const call = tools.get(index);
          if (!call) throw new UpstreamError("malformed", `${VENDOR} sent input_json_delta for block ${index}, which is not a tool_use`);
          const piece = check(InputJsonDelta, delta, "an input_json_delta").partial_json;
          if (piece !== "") {
            call.sentArgs = true;
            yield { type: "toolCall", index: call.index, argumentsDelta: piece };
          }
        }
        // thinking_delta, signature_delta, citations_delta: not part of the canonical stream.
        break;
      }
      case "content_block_stop": {
        const call = tools.get(check(z.object({ index: z.number().check(z.int()) }), ev, "content_block_stop").index);
        // A no-argument tool may stream no JSON at all; callers JSON.parse arguments, so give them "{}".
        if (call && !call.sentArgs) {
          call.sentArgs = true;
          yield { type: "toolCall", index: call.index, argumentsDelta: JSON.stringify(call.input ?? {}) };
        }
        break;
      }
      case "message_delta": {
        const d = check(MessageDelta, ev, "message_delta");
        // message_delta usage is cumulative; input_tokens is only present when it changed.
        usage = {
          inputTokens: d.usage.input_tokens != null ? inputTokens(d.usage) : usage.inputTokens,
          outputTokens: d.usage.output_tokens,
        };
        if (d.delta.stop_reason && !finished) {
          finished = true;
          yield { type: "finish", finishReason: finishReason(d.delta.stop_reason) };
        }
        break;
      }
      case "message_stop":
        if (finished) yield { type: "usage", usage };
        return;
      default:
        // ping, and event types added after this was written.
        break;
    }
  }
  // Finished but the body ended before message_stop: the answer is whole and the usage is known.
  if (finished) yield { type: "usage", usage };
}

// ---- errors --------------------------------------------------------------------------------------------------------

function parseError(bodyText: string): { message: string; code?: string } {
  try {
    const body = ErrorBody.safeParse(JSON.parse(bodyText));
    if (body.success) return { message: body.data.error.message, code: body.data.error.type };
  } catch {
    /* not JSON: fall through */
  }
  return { message: bodyText.slice(0, 200) || "(empty body)" };
}

/** The Anthropic Messages API as an `HttpAdapter`; `httpProvider(anthropicAdapter)` does the fetching. */
export const anthropicAdapter: HttpAdapter = { buildRequest, parseResponse, parseStream, parseError };
