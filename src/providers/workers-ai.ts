/**
 * Cloudflare Workers AI through the `AI` binding (`env.AI.run(model, inputs)`), not HTTP, so this implements
 * `Provider` directly instead of being an `HttpAdapter`.
 *
 * Wire shapes (developers.cloudflare.com/workers-ai, workerd's ai-api.ts):
 * - inputs: `{messages, tools?, stream?, max_tokens?, temperature?, top_p?, response_format?}`. Messages are plain
 *   `{role, content}`; the chat templates have no structured tool-call history, so tool calls and results are
 *   flattened the way Cloudflare's own `runWithTools` does it (assistant content = the call as JSON, then a `tool`
 *   message carrying the tool's name).
 * - output: `{response, tool_calls?: [{name, arguments}], usage?}`; newer (vLLM-served) models answer OpenAI-shaped
 *   `{choices: [{message, finish_reason}], usage}`. Both are accepted, in JSON and in streams.
 * - stream: a ReadableStream of SSE `data: {"response": "..."}` events ending with `data: [DONE]`.
 * - errors: `run` throws `InferenceUpstreamError` whose message is `"<internal code>: <description>"`; the HTTP status
 *   is not exposed, so `classifyWorkersAiError` maps the documented internal codes, then falls back to wording.
 */
import type { CanonicalRequest, CanonicalResponse, FinishReason, Message, StreamEvent, ToolCall, Usage } from "../canonical";
import { looksLikeContextLength, UpstreamError, type ErrorClass } from "../engine/errors";
import { parseJsonEvent, readSse } from "./sse";
import type { CallContext, Provider, Target } from "./types";

type AiBinding = NonNullable<CallContext["ai"]>;
type Json = Record<string, unknown>;

const VENDOR = "workers-ai";

/** The Workers AI provider (`kind: "workers-ai"`). Needs `ctx.ai`; throws `misconfigured` without it. */
export const workersAiProvider: Provider = {
  async complete(req: CanonicalRequest, target: Target, ctx: CallContext): Promise<CanonicalResponse> {
    const ai = requireBinding(target, ctx);
    const result = await run(ai, target, toInputs({ ...req, stream: false }, target), ctx.signal);
    return parseResult(result, target);
  },

  async stream(req: CanonicalRequest, target: Target, ctx: CallContext): Promise<AsyncIterable<StreamEvent>> {
    const ai = requireBinding(target, ctx);
    const result = await run(ai, target, toInputs({ ...req, stream: true }, target), ctx.signal);
    if (!(result instanceof ReadableStream)) {
      throw new UpstreamError("malformed", `${target.provider.id} answered a stream request with ${describe(result)}`);
    }
    return parseStream(abortable(result as ReadableStream<Uint8Array>, ctx.signal), target, ctx.signal);
  },
};

function requireBinding(target: Target, ctx: CallContext): AiBinding {
  if (!ctx.ai) {
    throw new UpstreamError(
      "misconfigured",
      `workers-ai provider ${target.provider.id} needs an AI binding ([ai] binding = "AI" in wrangler.toml)`,
    );
  }
  return ctx.ai;
}

// ---------------------------------------------------------------------------------------------------------------
// Request mapping

function toInputs(req: CanonicalRequest, target: Target): Json {
  const inputs: Json = {
    messages: toMessages(req.messages, target),
    // Workers AI defaults max_tokens to 256, which silently truncates most answers; send the model's own cap instead.
    max_tokens: req.maxTokens ?? target.model.maxOutputTokens,
  };
  if (req.stream) inputs.stream = true;
  if (req.temperature !== undefined) inputs.temperature = req.temperature;
  if (req.topP !== undefined) inputs.top_p = req.topP;

  // There is no tool_choice input: "none" is honoured by not offering tools, a named choice by offering only that one.
  let tools = req.toolChoice === "none" ? [] : (req.tools ?? []);
  const choice = req.toolChoice;
  if (typeof choice === "object") tools = tools.filter((t) => t.name === choice.name);
  if (tools.length > 0) {
    inputs.tools = tools.map((t) => ({
      type: "function",
      // The binding's schema requires a description.
      function: { name: t.name, description: t.description ?? "", parameters: t.parameters },
    }));
  }

  const rf = req.responseFormat;
  if (rf?.type === "json_schema") inputs.response_format = { type: "json_schema", json_schema: rf.schema };
  else if (rf?.type === "json_object") inputs.response_format = { type: "json_object" };
  return inputs;
}

function toMessages(messages: Message[], target: Target): Json[] {
  // Tool results name their call by id; the flattened form wants the tool's name, so remember it from the call.
  const toolNames = new Map<string, string>();
  const out: Json[] = [];
  for (const m of messages) {
    switch (m.role) {
      case "system":
        out.push({ role: "system", content: m.content });
        break;
      case "user":
        out.push({ role: "user", content: userContent(m.content, target) });
        break;
      case "assistant": {
        const calls = m.toolCalls ?? [];
        if ((m.content ?? "") !== "" || calls.length === 0) out.push({ role: "assistant", content: m.content ?? "" });
        for (const c of calls) {
          toolNames.set(c.id, c.name);
          const flat = { name: c.name, arguments: parseArguments(c.arguments) };
          out.push({ role: "assistant", content: JSON.stringify(flat) });
        }
        break;
      }
      case "tool":
        out.push({ role: "tool", name: toolNames.get(m.toolCallId), tool_call_id: m.toolCallId, content: m.content });
        break;
    }
  }
  return out;
}

function userContent(content: Extract<Message, { role: "user" }>["content"], target: Target): string | Json[] {
  if (typeof content === "string") return content;
  // Plain strings are the one content form every text-generation model accepts; parts only when there are images.
  if (content.every((p) => p.type === "text")) return content.map((p) => p.text).join("\n");
  return content.map((p) => {
    if (p.type === "text") return { type: "text", text: p.text };
    if (!p.url.startsWith("data:")) {
      // Vision models take data: URIs only. Another target may fetch the URL, so this is not the caller's fault.
      const what = `${target.provider.id} accepts only data: image URLs, not ${p.url.slice(0, 40)}`;
      throw new UpstreamError("misconfigured", what);
    }
    return { type: "image_url", image_url: { url: p.url } };
  });
}

/** Canonical arguments are JSON text; the flattened history carries them as an object, as the model produced them. */
function parseArguments(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Calling the binding

/** `ai.run`, raced against the attempt's signal (the binding takes no AbortSignal), with errors classified. */
async function run(ai: AiBinding, target: Target, inputs: Json, signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) throw abortReason(signal);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  // Wrapped so a synchronous throw from the binding is classified like a rejection.
  const call = (async () => ai.run(target.model.id, inputs))();
  // A stream that arrives after we gave up would otherwise hold the upstream open.
  call.then(
    (r) => {
      if (signal.aborted && r instanceof ReadableStream) r.cancel().catch(() => {});
    },
    () => {},
  );
  try {
    return await Promise.race([call, aborted]);
  } catch (err) {
    if (signal.aborted) throw abortReason(signal);
    throw classifyWorkersAiError(err, target.provider.id);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new UpstreamError("timeout", "aborted");
}

/**
 * Re-emit `body` so that aborting `signal` errors it (with the abort reason) even while a read is pending. A fetch
 * body gets this from fetch's own signal; the binding's stream does not, and a stalled read would otherwise hang.
 */
function abortable(body: ReadableStream<Uint8Array>, signal: AbortSignal): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let onAbort = () => {};
  const detach = () => signal.removeEventListener("abort", onAbort);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onAbort = () => {
        try {
          controller.error(abortReason(signal));
        } catch {
          // Already closed or errored: nothing left to interrupt (a throw here would escape the event listener).
        }
        reader.cancel(signal.reason).catch(() => {});
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    },
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          detach();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (err) {
        detach();
        controller.error(err);
      }
    },
    cancel(reason) {
      detach();
      return reader.cancel(reason);
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

/** Internal codes from developers.cloudflare.com/workers-ai/platform/errors (plus 4006, seen for the free allocation). */
const CODES: Record<string, [ErrorClass, number]> = {
  "3036": ["rate_limited", 429], // account limited: daily free allocation used up
  "4006": ["rate_limited", 429], // same, as reported by newer models
  "3040": ["rate_limited", 429], // out of capacity: "Capacity temporarily exceeded, please try again."
  "5007": ["model_not_found", 400], // "No such model ${model} or task"
  "3042": ["model_not_found", 404], // invalid model ID
  "3006": ["context_length", 413], // request too large
  "3007": ["timeout", 408],
  "3008": ["timeout", 408],
  "3023": ["upstream_auth", 403], // account blocked
  "3041": ["upstream_auth", 403], // account not allowed for private model
  "5016": ["upstream_auth", 403], // model terms not agreed
  "5018": ["upstream_auth", 403],
  // Deprecated SDK version: the worker's runtime is at fault, not the caller; another target may still serve.
  "5019": ["misconfigured", 405],
  "3003": ["bad_request", 400],
  "5004": ["bad_request", 400],
};

/**
 * Map an error thrown by `ai.run` (or an `error` stream event) to its class. The binding's message is
 * `"<internal code>: <description>"` (sometimes behind "AiError: " prefixes); known codes decide first, then wording,
 * and anything unrecognised is a retryable `server_error` rather than a `bad_request` that would stop the request.
 */
export function classifyWorkersAiError(err: unknown, providerId: string = VENDOR): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const message = err instanceof Error ? err.message : typeof err === "string" ? err : JSON.stringify(err) ?? String(err);
  const name = err instanceof Error ? err.name : "";
  const text = `${providerId}: ${message}`;
  const code = /^(?:\w*Error:\s*)*(\d{4}):/.exec(message)?.[1];
  const known = code === undefined ? undefined : CODES[code];
  if (known) return new UpstreamError(known[0], text, { status: known[1] });

  if (looksLikeContextLength(message) || /context window|too long|too large/i.test(message)) {
    return new UpstreamError("context_length", text, { status: 400 });
  }
  if (/too many requests|rate limit|capacity|neurons|\b429\b/i.test(message)) {
    return new UpstreamError("rate_limited", text, { status: 429 });
  }
  if (/no such model|model not found|invalid model/i.test(message)) {
    return new UpstreamError("model_not_found", text, { status: 404 });
  }
  if (/timed? ?out/i.test(message)) return new UpstreamError("timeout", text, { status: 408 });
  if (/not allowed|unauthori[sz]ed|forbidden|authentication/i.test(message)) {
    return new UpstreamError("upstream_auth", text, { status: 403 });
  }
  if (/internal|server error|unavailable|overloaded/i.test(message)) {
    return new UpstreamError("server_error", text, { status: 500 });
  }
  if (/^InvalidInput/i.test(name) || /invalid|validation|malformed input|must be|required|missing/i.test(message)) {
    return new UpstreamError("bad_request", text, { status: 400 });
  }
  return new UpstreamError("server_error", text);
}

// ---------------------------------------------------------------------------------------------------------------
// Response mapping

function parseResult(raw: unknown, target: Target): CanonicalResponse {
  const model = target.model.id;
  // Some models' declared output is a bare string.
  if (typeof raw === "string") return { model, content: raw === "" ? null : raw, toolCalls: [], finishReason: "stop" };
  if (!isObject(raw)) throw malformed(target, `answered ${describe(raw)}`);

  const usage = parseUsage(raw.usage);
  if (Array.isArray(raw.choices)) {
    const choice: unknown = raw.choices[0];
    if (!isObject(choice) || !isObject(choice.message)) throw malformed(target, "answered choices without a message");
    const content = textOf(choice.message.content, target);
    const toolCalls = parseToolCalls(choice.message.tool_calls, target);
    return {
      ...(typeof raw.id === "string" ? { id: raw.id } : {}),
      model: typeof raw.model === "string" ? raw.model : model,
      content,
      toolCalls,
      finishReason: finishReasonOf(choice.finish_reason, toolCalls.length > 0),
      ...(usage ? { usage } : {}),
    };
  }
  if (!("response" in raw) && !("tool_calls" in raw)) throw malformed(target, `answered ${describe(raw)}`);
  const toolCalls = parseToolCalls(raw.tool_calls, target);
  return {
    model,
    content: textOf(raw.response, target),
    toolCalls,
    finishReason: toolCalls.length > 0 ? "tool_calls" : "stop",
    ...(usage ? { usage } : {}),
  };
}

/** Text of a `response` / `content` field. JSON mode may hand back the parsed object itself; re-serialise it. */
function textOf(v: unknown, target: Target): string | null {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v === "string") return v;
  if (typeof v === "object") return JSON.stringify(v);
  throw malformed(target, `answered a response of type ${typeof v}`);
}

function parseToolCalls(v: unknown, target: Target): ToolCall[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw malformed(target, "answered tool_calls that is not an array");
  return v.map((c) => toToolCall(c, target));
}

/** Accepts the legacy `{name, arguments: object}` and the OpenAI `{id, function: {name, arguments: string}}` forms. */
function toToolCall(c: unknown, target: Target): ToolCall {
  if (!isObject(c)) throw malformed(target, "answered a tool call that is not an object");
  const fn = isObject(c.function) ? c.function : c;
  if (typeof fn.name !== "string" || fn.name === "") throw malformed(target, "answered a tool call without a name");
  const id = typeof c.id === "string" && c.id !== "" ? c.id : newCallId();
  return { id, name: fn.name, arguments: argumentsText(fn.arguments) };
}

function argumentsText(args: unknown): string {
  if (typeof args === "string") return args;
  return JSON.stringify(args ?? {});
}

function parseUsage(v: unknown): Usage | undefined {
  if (!isObject(v)) return undefined;
  const input = v.prompt_tokens;
  const output = v.completion_tokens;
  if (typeof input !== "number" && typeof output !== "number") return undefined;
  return { inputTokens: tokens(input), outputTokens: tokens(output) };
}

function tokens(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? Math.max(0, Math.round(v)) : 0;
}

function finishReasonOf(v: unknown, sawToolCalls: boolean): FinishReason {
  if (v === "length" || v === "content_filter") return v;
  // Some servers say "stop" after a tool call; the caller needs "tool_calls" to run them.
  return sawToolCalls || v === "tool_calls" ? "tool_calls" : "stop";
}

/**
 * Canonical events of a Workers AI SSE stream. `finish` (then `usage`, which may arrive on any earlier event) is
 * emitted only on `[DONE]`, so a stream that just stops is seen as truncated by the engine.
 */
async function* parseStream(
  body: ReadableStream<Uint8Array>,
  target: Target,
  signal: AbortSignal,
): AsyncGenerator<StreamEvent> {
  let nextIndex = 0;
  // OpenAI-shaped chunks address a call by its own index across deltas; map that to ours.
  const openaiCalls = new Map<number, number>();
  let vendorFinish: unknown;
  let usage: Usage | undefined;
  try {
    for await (const ev of readSse(body)) {
      if (ev.data.trim() === "[DONE]") {
        yield { type: "finish", finishReason: finishReasonOf(vendorFinish, nextIndex > 0) };
        if (usage) yield { type: "usage", usage };
        return;
      }
      const json = parseJsonEvent(ev.data, VENDOR);
      if (!isObject(json)) throw malformed(target, `sent a stream event that is not an object: ${ev.data.slice(0, 120)}`);
      if (json.error !== undefined) {
        const e = json.error;
        throw classifyWorkersAiError(isObject(e) && typeof e.message === "string" ? e.message : e, target.provider.id);
      }
      usage = parseUsage(json.usage) ?? usage;

      if (Array.isArray(json.choices)) {
        const choice: unknown = json.choices[0];
        if (!isObject(choice)) continue; // the usage-only chunk has an empty choices array
        if (choice.finish_reason !== undefined && choice.finish_reason !== null) vendorFinish = choice.finish_reason;
        const delta = isObject(choice.delta) ? choice.delta : {};
        const text = textOf(delta.content, target);
        if (text !== null) yield { type: "text", text };
        if (Array.isArray(delta.tool_calls)) {
          for (const tc of delta.tool_calls) {
            if (!isObject(tc)) throw malformed(target, "streamed a tool call that is not an object");
            const fn = isObject(tc.function) ? tc.function : {};
            const key = typeof tc.index === "number" ? tc.index : openaiCalls.size;
            let index = openaiCalls.get(key);
            const first = index === undefined;
            if (index === undefined) {
              index = nextIndex++;
              openaiCalls.set(key, index);
            }
            yield {
              type: "toolCall",
              index,
              ...(first ? { id: typeof tc.id === "string" && tc.id !== "" ? tc.id : newCallId() } : {}),
              ...(typeof fn.name === "string" && fn.name !== "" ? { name: fn.name } : {}),
              argumentsDelta: fn.arguments === undefined ? "" : argumentsText(fn.arguments),
            };
          }
        }
        continue;
      }

      const text = textOf(json.response, target);
      if (text !== null) yield { type: "text", text };
      // Legacy models deliver each tool call whole, on one event.
      for (const call of parseToolCalls(json.tool_calls, target)) {
        yield { type: "toolCall", index: nextIndex++, id: call.id, name: call.name, argumentsDelta: call.arguments };
      }
    }
  } catch (err) {
    if (err instanceof UpstreamError || signal.aborted) throw err;
    // The binding's stream broke mid-way: the same as a reset connection for an HTTP vendor.
    throw new UpstreamError("network", `${target.provider.id}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v instanceof ReadableStream) return "a stream";
  if (isObject(v)) return `an object with keys [${Object.keys(v).slice(0, 8).join(", ")}]`;
  return v === null ? "null" : `a ${typeof v}`;
}

function malformed(target: Target, what: string): UpstreamError {
  return new UpstreamError("malformed", `${target.provider.id} ${what}`);
}

/** The binding's legacy tool calls carry no id; callers need one to send results back. */
function newCallId(): string {
  return `call_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
}
