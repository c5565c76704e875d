/**
 * OpenAI Chat Completions (POST {baseUrl}/chat/completions), and with it every OpenAI-compatible vendor (Groq,
 * Together, Mistral, DeepSeek, vLLM, Ollama) and Detour's own simulated providers. Shapes follow the official `openai`
 * package (resources/chat/completions). Parsing is deliberately lenient about optional fields, because the compatible
 * vendors omit or null out many of them; it is strict only about what Detour actually reads.
 */
import * as z from "../zod";
import type { CanonicalRequest, CanonicalResponse, FinishReason, Message, StreamEvent, Usage } from "../canonical";
import { classifyStatus, looksLikeContextLength, UpstreamError } from "../engine/errors";
import { fastCompletion } from "./fast-completion";
import { parseJsonEvent, readSse } from "./sse";
import type { HttpAdapter, Target, VendorHttpRequest } from "./types";

/** Simulated providers have no baseUrl; any URL ending in /chat/completions reaches their in-process server. */
function baseUrlOf(target: Target): string {
  const base = target.provider.baseUrl ?? `https://${target.provider.id}.simulated.invalid/v1`;
  return base.replace(/\/+$/, "");
}

function toWireMessage(m: Message): Record<string, unknown> {
  switch (m.role) {
    case "system":
      return { role: "system", content: m.content };
    case "user": {
      const content =
        typeof m.content === "string"
          ? m.content
          : m.content.map((p) =>
              p.type === "text"
                ? { type: "text", text: p.text }
                : { type: "image_url", image_url: p.detail ? { url: p.url, detail: p.detail } : { url: p.url } },
            );
      return m.name !== undefined ? { role: "user", content, name: m.name } : { role: "user", content };
    }
    case "assistant": {
      const calls = m.toolCalls ?? [];
      if (calls.length === 0) {
        // Several compatible vendors reject `content: null` (and an empty tool_calls array) on a plain turn.
        return { role: "assistant", content: m.content ?? "" };
      }
      return {
        role: "assistant",
        content: m.content,
        tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })),
      };
    }
    case "tool":
      return { role: "tool", tool_call_id: m.toolCallId, content: m.content };
  }
}

function buildBody(req: CanonicalRequest, target: Target): Record<string, unknown> {
  const body: Record<string, unknown> = { model: target.model.id, messages: req.messages.map(toWireMessage) };
  if (req.tools && req.tools.length > 0) {
    body.tools = req.tools.map((t) => ({
      type: "function",
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters,
      },
    }));
  }
  if (req.toolChoice !== undefined) {
    body.tool_choice =
      typeof req.toolChoice === "string" ? req.toolChoice : { type: "function", function: { name: req.toolChoice.name } };
  }
  const rf = req.responseFormat;
  // `text` is the default; leaving it out keeps vendors that do not know response_format working.
  if (rf?.type === "json_object") body.response_format = { type: "json_object" };
  if (rf?.type === "json_schema") {
    body.response_format = {
      type: "json_schema",
      json_schema: { name: rf.name, schema: rf.schema, ...(rf.strict !== undefined ? { strict: rf.strict } : {}) },
    };
  }
  // `max_tokens`, not `max_completion_tokens`: every compatible vendor knows the former; OpenAI still accepts it.
  if (req.maxTokens !== undefined) body.max_tokens = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop !== undefined) body.stop = req.stop;
  if (req.user !== undefined) body.user = req.user;
  if (req.metadata !== undefined) body.metadata = req.metadata;
  if (req.stream) {
    body.stream = true;
    // Always ask for usage, whatever the caller asked: Detour counts tokens for every request.
    body.stream_options = { include_usage: true };
  }
  return body;
}

// ---- Response schemas (only the fields Detour reads; everything else is allowed and ignored) ----

/** Some vendors (Mistral reasoning models) send content as an array of parts; only text parts are kept. */
const WireContent = z.pipe(
  z.nullish(z.union([z.string(), z.array(z.object({ type: z.string(), text: z.optional(z.string()) }))])),
  z.transform((c) => (Array.isArray(c) ? c.map((p) => (p.type === "text" ? (p.text ?? "") : "")).join("") : c)),
);

/** Arguments are JSON text per the spec; a few self-hosted servers send the object itself. */
const WireArguments = z.pipe(
  z.nullish(z.union([z.string(), z.record(z.string(), z.unknown())])),
  z.transform((a) => (a == null ? "" : typeof a === "string" ? a : JSON.stringify(a))),
);

const WireToolCall = z.object({
  id: z.nullish(z.string()),
  type: z.nullish(z.string()),
  function: z.object({ name: z.string(), arguments: WireArguments }),
});

const WireUsage = z.object({
  prompt_tokens: z.nullish(z.number().check(z.nonnegative())),
  completion_tokens: z.nullish(z.number().check(z.nonnegative())),
});

/** Exported for the fast path's agreement test (src/providers/fast-completion.ts). */
export const WireCompletion = z.object({
  id: z.nullish(z.string()),
  model: z.nullish(z.string()),
  choices: z.array(
      z.object({
        message: z.object({
          content: WireContent,
          refusal: z.nullish(z.string()),
          tool_calls: z.nullish(z.array(WireToolCall)),
          /** Legacy function calling, still produced by some compatible servers. */
          function_call: z.nullish(z.object({ name: z.string(), arguments: WireArguments })),
        }),
        finish_reason: z.nullish(z.string()),
      }),
    ).check(z.minLength(1)),
  usage: z.nullish(WireUsage),
});

const WireChunk = z.object({
  choices: z.nullish(z.array(
      z.object({
        index: z.nullish(z.number().check(z.int(), z.nonnegative())),
        delta: z.nullish(z.object({
          content: WireContent,
          refusal: z.nullish(z.string()),
          tool_calls: z.nullish(z.array(
              z.object({
                index: z.nullish(z.number().check(z.int(), z.nonnegative())),
                id: z.nullish(z.string()),
                function: z.nullish(z.object({ name: z.nullish(z.string()), arguments: WireArguments })),
              }),
            )),
          function_call: z.nullish(z.object({ name: z.nullish(z.string()), arguments: WireArguments })),
        })),
        finish_reason: z.nullish(z.string()),
      }),
    )),
  usage: z.nullish(WireUsage),
  /** Groq reports stream usage here rather than in `usage`. */
  x_groq: z.nullish(z.object({ usage: z.nullish(WireUsage) })),
});

const WireError = z.object({
  message: z.optional(z.unknown()),
  type: z.nullish(z.string()),
  code: z.nullish(z.union([z.string(), z.number()])),
});

function mapFinish(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case "length":
      return "length";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    case "content_filter":
      return "content_filter";
    default:
      // "stop", null, and vendor extras ("eos", "end_turn") all mean the model finished normally.
      return "stop";
  }
}

function mapUsage(u: z.infer<typeof WireUsage> | null | undefined): Usage | undefined {
  if (!u || (u.prompt_tokens == null && u.completion_tokens == null)) return undefined;
  return { inputTokens: Math.round(u.prompt_tokens ?? 0), outputTokens: Math.round(u.completion_tokens ?? 0) };
}

function describe(issues: z.core.$ZodIssue[]): string {
  const i = issues[0];
  return i ? `${i.path.join(".") || "(root)"}: ${i.message}` : "schema mismatch";
}

function parseResponse(json: unknown, target: Target): CanonicalResponse {
  const parsed = fastCompletion<z.infer<typeof WireCompletion>>(json) ?? WireCompletion.safeParse(json);
  if (!parsed.success) {
    throw new UpstreamError("malformed", `${target.provider.id} sent a chat.completion Detour cannot read (${describe(parsed.error.issues)})`);
  }
  const c = parsed.data;
  const choice = c.choices[0]!;
  const msg = choice.message;
  const toolCalls = (msg.tool_calls ?? []).map((tc, i) => ({
    id: tc.id ?? `call_${i}`,
    name: tc.function.name,
    arguments: tc.function.arguments,
  }));
  if (toolCalls.length === 0 && msg.function_call) {
    toolCalls.push({ id: "call_0", name: msg.function_call.name, arguments: msg.function_call.arguments });
  }
  let content = msg.content ?? null;
  let finishReason = mapFinish(choice.finish_reason);
  // A refusal is the model declining: surface its words as the answer and flag it like a content filter.
  if (content === null && typeof msg.refusal === "string" && msg.refusal !== "") {
    content = msg.refusal;
    finishReason = "content_filter";
  }
  const res: CanonicalResponse = { model: c.model ?? target.model.id, content, toolCalls, finishReason };
  if (c.id != null) res.id = c.id;
  const usage = mapUsage(c.usage);
  if (usage) res.usage = usage;
  return res;
}

/**
 * The HTTP status an error object inside a 2xx stream stands for (there is no real status to go on): a numeric `code`
 * that is one (vLLM sends `code: <status>`), else what its `type`/`code` say, else 500 (an upstream failure).
 */
function inStreamStatus(type: string | undefined, code: string | number | undefined, message: string): number {
  if (typeof code === "number" && code >= 400 && code <= 599) return code;
  const tags = `${type ?? ""} ${code ?? ""}`;
  if (/rate_limit|too_many_requests|insufficient_quota/i.test(tags)) return 429;
  if (/authentication|invalid_api_key|unauthori[sz]ed/i.test(tags)) return 401;
  if (/permission/i.test(tags)) return 403;
  if (/not_found/i.test(tags)) return 404;
  if (looksLikeContextLength(message, typeof code === "string" ? code : undefined)) return 400;
  if (type === "invalid_request_error") return 400;
  return 500;
}

/** An error object the vendor sent inside a 2xx stream → the class a non-2xx with that error would have had. */
function inStreamError(err: unknown, provider: string): UpstreamError {
  let message = "error event in stream";
  let type: string | undefined;
  let code: string | number | undefined;
  if (typeof err === "string") message = err;
  else {
    const e = WireError.safeParse(err);
    if (e.success) {
      if (typeof e.data.message === "string") message = e.data.message;
      type = e.data.type ?? undefined;
      code = e.data.code ?? undefined;
    }
  }
  const opts = typeof code === "string" ? { code } : {};
  return classifyStatus(inStreamStatus(type, code, message), `${provider} sent an error in the stream: ${message}`, opts);
}

async function* parseStream(body: ReadableStream<Uint8Array>, target: Target): AsyncGenerator<StreamEvent> {
  const provider = target.provider.id;
  let finished = false;
  let sawContent = false;
  let refusedOnly = false;
  let usage: Usage | undefined;
  for await (const ev of readSse(body, target.provider.limits?.maxSseLineBytes)) {
    if (ev.data.trim() === "[DONE]") break;
    const json = parseJsonEvent(ev.data, provider);
    if (json !== null && typeof json === "object" && "error" in json && json.error != null) {
      throw inStreamError(json.error, provider);
    }
    if (ev.event === "error") throw inStreamError(json, provider);
    const parsed = WireChunk.safeParse(json);
    if (!parsed.success || (parsed.data.choices == null && parsed.data.usage == null && parsed.data.x_groq == null)) {
      const why = parsed.success ? "neither choices nor usage" : describe(parsed.error.issues);
      throw new UpstreamError("malformed", `${provider} sent a chat.completion.chunk Detour cannot read (${why})`);
    }
    const chunk = parsed.data;
    // n is always 1, so only choice 0 matters.
    const choice = (chunk.choices ?? []).find((c) => (c.index ?? 0) === 0);
    if (choice) {
      const d = choice.delta;
      if (d?.content) {
        sawContent = true;
        yield { type: "text", text: d.content };
      }
      if (d?.refusal) {
        refusedOnly = !sawContent;
        yield { type: "text", text: d.refusal };
      }
      for (const [pos, tc] of (d?.tool_calls ?? []).entries()) {
        const e: StreamEvent = { type: "toolCall", index: tc.index ?? pos, argumentsDelta: tc.function?.arguments ?? "" };
        if (tc.id) e.id = tc.id;
        if (tc.function?.name) e.name = tc.function.name;
        yield e;
      }
      if (d?.function_call) {
        const e: StreamEvent = { type: "toolCall", index: 0, argumentsDelta: d.function_call.arguments };
        if (d.function_call.name) e.name = d.function_call.name;
        yield e;
      }
      if (choice.finish_reason && !finished) {
        finished = true;
        yield { type: "finish", finishReason: refusedOnly ? "content_filter" : mapFinish(choice.finish_reason) };
      }
    }
    // Usage may come in its own chunk after the finish (OpenAI) or inside the finish chunk (Mistral, DeepSeek);
    // keep the latest and emit it once, after the finish.
    usage = mapUsage(chunk.usage) ?? mapUsage(chunk.x_groq?.usage) ?? usage;
  }
  // Without a finish the stream was cut; the engine detects that, and a usage event would break the event order.
  if (finished && usage) yield { type: "usage", usage };
}

function parseError(bodyText: string): { message: string; code?: string } {
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return { message: bodyText.trim().slice(0, 500) || "(empty body)" };
  }
  if (json === null || typeof json !== "object") return { message: bodyText.slice(0, 500) };
  const obj = json as Record<string, unknown>;
  // OpenAI: {error:{message,type,code}}. Ollama: {error:"..."}. vLLM: {object:"error",message,type,code:<status>}.
  if (typeof obj.error === "string") return { message: obj.error };
  const e = WireError.safeParse(obj.error ?? obj);
  if (!e.success) return { message: bodyText.slice(0, 500) };
  const message = typeof e.data.message === "string" ? e.data.message : bodyText.slice(0, 500);
  const code = typeof e.data.code === "string" ? e.data.code : (e.data.type ?? undefined);
  return code !== undefined ? { message, code } : { message };
}

/** The OpenAI Chat Completions adapter; also used for OpenAI-compatible vendors and simulated providers. */
export const openaiAdapter: HttpAdapter = {
  buildRequest(req: CanonicalRequest, target: Target, apiKey: string | undefined): VendorHttpRequest {
    const headers: Record<string, string> = {};
    if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
    return { url: `${baseUrlOf(target)}/chat/completions`, headers, body: buildBody(req, target) };
  },
  parseResponse,
  parseStream,
  parseError,
};
