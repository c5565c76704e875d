/**
 * A fake api.anthropic.com `POST /v1/messages`. It checks what the real API checks (path, auth and version headers,
 * required body fields, no unknown fields, tool_use/tool_result pairing) and answers in the real wire format: a
 * `Message` object, or the SSE event sequence with `event:` names. Response objects are typed with the official
 * @anthropic-ai/sdk types so the shapes cannot drift from the vendor's.
 */
import type { Message, StopReason } from "@anthropic-ai/sdk/resources/messages/messages";
import {
  anthropicErrorBody,
  anthropicErrorType,
  anthropicEvents,
  anthropicMalformed,
  anthropicMessage,
  anthropicUsage,
  splitText,
  type AnthropicAnswer,
  type AnthropicBlock,
} from "../../src/wire";
import { type FakeScript, sseResponse, untilAborted } from "./script";

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
  const rid = requestId();
  return new Response(anthropicErrorBody(type ?? anthropicErrorType(status), message, rid), {
    status,
    headers: { "content-type": "application/json", "request-id": rid, ...extraHeaders },
  });
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

/** The scripted answer in wire terms; its `Message` is checked against the official SDK type, so shapes cannot drift. */
function answerOf(script: FakeScript, model: string, id: string): AnthropicAnswer {
  const toolCalls = (script.toolCalls ?? []).map((c, i) => ({ ...c, id: c.id ?? `toolu_fake${String(i).padStart(2, "0")}` }));
  const text = script.text ?? (toolCalls.length > 0 ? "" : "Hello from fake");
  const n = script.chunks ?? 3;
  const blocks: AnthropicBlock[] = [];
  if (text !== "") blocks.push({ type: "text", text, pieces: splitText(text, n) });
  for (const c of toolCalls) blocks.push({ type: "tool_use", id: c.id, name: c.name, input: JSON.parse(c.arguments), pieces: splitText(c.arguments, n) });
  const u = script.usage ?? { inputTokens: 12, outputTokens: 7 };
  const stopReason = STOP[script.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop")];
  return { id, model, blocks, stopReason, usage: anthropicUsage(u.inputTokens, u.outputTokens) };
}

function messageOf(answer: AnthropicAnswer): Message {
  const m = anthropicMessage(answer);
  return { ...m, stop_reason: m.stop_reason as StopReason };
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
    const message = script.errorMessage ?? `fake ${anthropicErrorType(script.status)}`;
    return errorResponse(script.status, message, script.headers, script.errorCode);
  }
  const model = script.model ?? (body.model as string);
  const id = `msg_fake${(++seq).toString().padStart(6, "0")}`;
  const answer = answerOf(script, model, id);
  const broken = anthropicMalformed(id);
  if (body.stream === true) {
    const events = anthropicEvents(answer);
    if (script.malformed) events.unshift(broken.syntaxEvent);
    const res = sseResponse(events, script, request.signal);
    res.headers.set("request-id", requestId());
    res.headers.set("cache-control", "no-cache");
    return res;
  }
  const headers = { "request-id": requestId(), ...script.headers };
  if (script.malformed) return Response.json(broken.shapeJson, { headers });
  return Response.json(messageOf(answer), { headers });
}
