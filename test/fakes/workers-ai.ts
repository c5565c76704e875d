/**
 * A fake Workers AI binding (`env.AI`) that plays a `FakeScript` the way the real binding answers: a JSON result, a
 * ReadableStream of SSE `data: {"response": ...}` events ending in `data: [DONE]`, or a thrown error whose message is
 * the binding's `"<internal code>: <description>"` (workerd's ai-api.ts `InferenceUpstreamError`).
 *
 * Results use the legacy `{response, tool_calls, usage}` shape, except when the script's `finishReason` is "length" or
 * "content_filter": only the OpenAI-shaped output newer models return (`choices[].finish_reason`) can say that, so
 * those scripts are answered in that shape.
 */
import {
  openaiChunks,
  openaiCompletion,
  openaiUsage,
  splitText,
  workersAiError,
  workersAiEvents,
  workersAiResult,
  type WorkersAiAnswer,
} from "../../src/wire";
import { type FakeScript, sseResponse, untilAborted } from "./script";

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
        const events = openai ? openaiEvents(s, model) : workersAiEvents(legacy(s), splitText(textOf(s), s.chunks ?? 3));
        if (s.malformed) events.unshift("data: {this is not json\n\n");
        return sseResponse(events, s, signal).body;
      }
      // The REST API's envelope: plausible, and not what the binding returns.
      if (s.malformed) return { success: true, result: { text: s.text ?? DEFAULT_TEXT } };
      return openai ? openaiJson(s, model) : workersAiResult(legacy(s));
    },
  };
}

/** The error the binding throws for a non-2xx answer, worded as Workers AI words it. */
function aiError(s: FakeScript, model: string): Error {
  const numeric = s.errorCode !== undefined && /^\d{4}$/.test(s.errorCode) ? s.errorCode : undefined;
  return workersAiError(s.status!, model, {
    ...(numeric !== undefined ? { code: numeric } : {}),
    ...(s.errorMessage !== undefined ? { description: s.errorMessage } : {}),
    contextLength: s.status === 400 && s.errorCode === "context_length_exceeded",
  });
}

function textOf(s: FakeScript): string {
  return s.text ?? (s.toolCalls?.length ? "" : DEFAULT_TEXT);
}

function usageOf(s: FakeScript) {
  const u = s.usage ?? { inputTokens: 10, outputTokens: 5 };
  return openaiUsage(u.inputTokens, u.outputTokens);
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The answer in the legacy shape: tool call arguments as the parsed object. */
function legacy(s: FakeScript): WorkersAiAnswer {
  return { text: textOf(s), toolCalls: (s.toolCalls ?? []).map((c) => ({ name: c.name, arguments: parseOr(c.arguments) })), usage: usageOf(s) };
}

/** The OpenAI-shaped answer newer models give; tool call ids default to Workers AI's `chatcmpl-tool-<i>`. */
function openaiAnswer(s: FakeScript) {
  const text = textOf(s);
  const toolCalls = (s.toolCalls ?? []).map((c, i) => ({ id: c.id ?? `chatcmpl-tool-${i}`, name: c.name, arguments: c.arguments }));
  return { text, toolCalls, finishReason: s.finishReason ?? "stop", usage: usageOf(s) };
}

function openaiJson(s: FakeScript, model: string): Record<string, unknown> {
  const a = openaiAnswer(s);
  return openaiCompletion({ id: "chatcmpl-fake", created: 0, model: s.model ?? model }, { ...a, content: a.text === "" ? null : a.text });
}

function openaiEvents(s: FakeScript, model: string): string[] {
  const a = openaiAnswer(s);
  const pieces = splitText(a.text, s.chunks ?? 3);
  const toolCalls = a.toolCalls.map((c) => ({ id: c.id, name: c.name, argPieces: [c.arguments] }));
  const base = { id: "chatcmpl-fake", created: 0, model: s.model ?? model };
  return openaiChunks(base, { content: a.text === "" && toolCalls.length > 0 ? null : a.text, pieces, toolCalls, finishReason: a.finishReason, usage: a.usage }, true, true)
    .map((e) => e.sse);
}
