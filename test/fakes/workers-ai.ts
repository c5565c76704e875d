/**
 * A fake Workers AI binding (`env.AI`) that plays a `FakeScript` the way the real binding answers: a JSON result, a
 * ReadableStream of SSE `data: {"response": ...}` events ending in `data: [DONE]`, or a thrown error whose message is
 * the binding's `"<internal code>: <description>"` (workerd's ai-api.ts `InferenceUpstreamError`).
 *
 * Results use the legacy `{response, tool_calls, usage}` shape, except when the script's `finishReason` is "length" or
 * "content_filter": only the OpenAI-shaped output newer models return (`choices[].finish_reason`) can say that, so
 * those scripts are answered in that shape.
 */
import { type FakeScript, sseResponse, splitText, untilAborted } from "./script";

const DEFAULT_TEXT = "Hello from fake";

export interface FakeAiCall {
  model: string;
  inputs: Record<string, unknown>;
}

/** What `fakeAi` returns: assignable to `CallContext["ai"]`, plus a log of every `run`. */
export interface FakeAi {
  run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
  calls: FakeAiCall[];
}

/**
 * A fake `AI` binding. `script` is played for every call, or chosen per call when it is a function. Hangs and stalls
 * end only when `options.signal` (if any) aborts, like the real binding, which takes no signal at all.
 */
export function fakeAi(script: FakeScript | ((model: string, inputs: Record<string, unknown>) => FakeScript)): FakeAi {
  const calls: FakeAiCall[] = [];
  return {
    calls,
    async run(model, inputs, options) {
      calls.push({ model, inputs });
      const s = typeof script === "function" ? script(model, inputs) : script;
      const signal = options?.signal instanceof AbortSignal ? options.signal : undefined;
      if (s.hang) return untilAborted(signal);
      if (s.status !== undefined && (s.status < 200 || s.status > 299)) throw aiError(s, model);
      const openai = s.finishReason === "length" || s.finishReason === "content_filter";
      if (inputs.stream) {
        const events = openai ? openaiEvents(s, model) : legacyEvents(s);
        if (s.malformed) events.unshift("data: {this is not json\n\n");
        return sseResponse(events, s, signal).body;
      }
      // The REST API's envelope: plausible, and not what the binding returns.
      if (s.malformed) return { success: true, result: { text: s.text ?? DEFAULT_TEXT } };
      return openai ? openaiJson(s, model) : legacyJson(s);
    },
  };
}

/** The error the binding throws for a non-2xx answer, worded as Workers AI words it. */
function aiError(s: FakeScript, model: string): Error {
  const status = s.status!;
  const numeric = s.errorCode !== undefined && /^\d{4}$/.test(s.errorCode) ? s.errorCode : undefined;
  let code: string;
  let description: string;
  let name = "InferenceUpstreamError";
  if (status === 429) {
    code = numeric ?? "3040";
    description = s.errorMessage ?? "Capacity temporarily exceeded, please try again.";
  } else if (status === 404) {
    code = numeric ?? "5007";
    description = s.errorMessage ?? `No such model ${model} or task`;
  } else if (status === 413) {
    code = numeric ?? "3006";
    description = s.errorMessage ?? "Request is too large";
  } else if (status === 400 && s.errorCode === "context_length_exceeded") {
    code = "5021";
    description =
      s.errorMessage ??
      "The estimated number of input and maximum output tokens (9000) exceeded this model context window limit (8192).";
  } else if (status === 401 || status === 403) {
    code = numeric ?? "3041";
    description = s.errorMessage ?? "The account is not allowed to access this model";
  } else if (status === 408) {
    code = numeric ?? "3007";
    description = s.errorMessage ?? "Request timeout";
  } else if (status >= 500) {
    code = numeric ?? "3043";
    description = s.errorMessage ?? "Internal server error";
  } else {
    // workerd's own binding test uses this code and name for an invalid input.
    code = numeric ?? "1001";
    description = s.errorMessage ?? "prompt and messages are mutually exclusive";
    name = "InvalidInput";
  }
  const err = new Error(`${code}: ${description}`);
  err.name = name;
  return err;
}

function textOf(s: FakeScript): string {
  return s.text ?? (s.toolCalls?.length ? "" : DEFAULT_TEXT);
}

function usageOf(s: FakeScript) {
  const u = s.usage ?? { inputTokens: 10, outputTokens: 5 };
  return { prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.inputTokens + u.outputTokens };
}

/** Legacy tool calls carry arguments as the parsed object. */
function legacyToolCalls(s: FakeScript) {
  return (s.toolCalls ?? []).map((c) => ({ name: c.name, arguments: parseOr(c.arguments) }));
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function legacyJson(s: FakeScript): Record<string, unknown> {
  const out: Record<string, unknown> = { response: textOf(s), usage: usageOf(s) };
  if (s.toolCalls?.length) out.tool_calls = legacyToolCalls(s);
  return out;
}

function legacyEvents(s: FakeScript): string[] {
  const events = splitText(textOf(s), s.chunks ?? 3).map((t) => data({ response: t }));
  if (s.toolCalls?.length) events.push(data({ response: "", tool_calls: legacyToolCalls(s) }));
  events.push(data({ response: "", usage: usageOf(s) }));
  events.push("data: [DONE]\n\n");
  return events;
}

function openaiToolCalls(s: FakeScript) {
  return (s.toolCalls ?? []).map((c, i) => ({
    id: c.id ?? `chatcmpl-tool-${i}`,
    type: "function",
    function: { name: c.name, arguments: c.arguments },
  }));
}

function openaiJson(s: FakeScript, model: string): Record<string, unknown> {
  const text = textOf(s);
  const toolCalls = openaiToolCalls(s);
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 0,
    model: s.model ?? model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: text === "" ? null : text,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: s.finishReason,
      },
    ],
    usage: usageOf(s),
  };
}

function openaiEvents(s: FakeScript, model: string): string[] {
  const base = { id: "chatcmpl-fake", object: "chat.completion.chunk", created: 0, model: s.model ?? model };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    data({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  const events = splitText(textOf(s), s.chunks ?? 3).map((t) => chunk({ content: t }));
  openaiToolCalls(s).forEach((c, index) => events.push(chunk({ tool_calls: [{ index, ...c }] })));
  events.push(chunk({}, s.finishReason ?? "stop"));
  events.push(data({ ...base, choices: [], usage: usageOf(s) }));
  events.push("data: [DONE]\n\n");
  return events;
}

function data(v: unknown): string {
  return `data: ${JSON.stringify(v)}\n\n`;
}
