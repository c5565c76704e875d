/**
 * The `simulated` provider: an in-process OpenAI-compatible server behind a fetch-compatible function. Simulated
 * providers go through the same `openaiAdapter` and the same fetch edge as real vendors, so the default config
 * exercises the real request mapping, SSE parsing, timeouts and failover with no keys and no network.
 *
 * Answers are deterministic (same request → same bytes, apart from `created` and tool-call ids, which are unique per
 * answer as OpenAI's are): text derived from the last user message, tool calls when asked for, JSON for the JSON modes, `max_tokens` truncation with finish "length".
 * Time is injected (`sleep`) so tests never wait on a real timer.
 */
import { ChatCompletionBody } from "../api/openai-request";
import { SimulatedProfile, type ProviderConfig } from "../config/schema";
import { openaiChunks, openaiCompletion, openaiErrorBody, openaiUsage, type OpenAIStreamEvent } from "../wire";
import { schemaFromWording } from "./simulated-fields";
import { describeToolResult, relatedTool, schemaInPrompt } from "./simulated-intent";
import { echo, hash, keywords, list, tokens } from "./simulated-text";
import { plausibleValue, sourceFor } from "./simulated-values";

type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** A real sleep for production: setTimeout, rejecting with the signal's reason when it aborts first. */
export const DEFAULT_SIMULATED_SLEEP: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

// The request is validated with the caller-side schema: the simulator speaks the same OpenAI wire format.
type WireBody = ChatCompletionBody;
type WireMessage = WireBody["messages"][number];
type WireTool = NonNullable<WireBody["tools"]>[number];

interface Answer {
  content: string | null;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: "stop" | "length" | "tool_calls";
  usage: ReturnType<typeof openaiUsage>;
}

// ---- Small deterministic helpers ----

function textOf(content: WireMessage["content"]): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content.map((p) => (p.type === "text" ? p.text : "")).join(" ");
}

const toolCallsOf = (m: WireMessage) => ("tool_calls" in m ? (m.tool_calls ?? []) : []);

/** Characters of a message's tool calls, counted as `{id, function}` objects (usage has always counted them so). */
function callChars(m: WireMessage): number {
  if (!("tool_calls" in m) || !m.tool_calls) return 0;
  return JSON.stringify(m.tool_calls.map((c) => ({ id: c.id, function: c.function }))).length;
}

/**
 * Each voice keeps one style, so simulated providers read differently even beyond their label. The style is picked by
 * a salted hash of the voice; the salt ("voice-c") was chosen so the default swift/ember/sage get three distinct styles.
 */
const STYLES: ((quote: string, k: string[]) => string)[] = [
  (q, k) => `Quick take on "${q}": it comes down to ${list(k.slice(0, 2))}.`,
  (q, k) => `You asked about "${q}". The key point${k.length > 1 ? "s are" : " is"} ${list(k)}. Hope that helps.`,
  (q, k) =>
    `Considering "${q}" carefully: the heart of it is ${k[0]}` +
    (k.length > 1 ? `, with ${list(k.slice(1))} shaping the details. A fuller answer would take each in turn.` : "."),
];

/** Cut text to at most `maxTokens` (by the chars/4 rule) on a word boundary; a single long word is cut mid-word. */
function truncate(text: string, maxTokens: number): string {
  const words = text.split(" ");
  let out = "";
  for (const w of words) {
    const next = out === "" ? w : `${out} ${w}`;
    if (tokens(next.length) > maxTokens) break;
    out = next;
  }
  return out === "" ? text.slice(0, maxTokens * 4) : out;
}

// ---- The answer ----

function decideTool(body: WireBody, last: WireMessage, prompt: string): WireTool | undefined {
  const tools = body.tools ?? [];
  const choice = body.tool_choice ?? "auto";
  if (tools.length === 0 || choice === "none") return undefined;
  if (typeof choice === "object") return tools.find((t) => t.function.name === choice.function.name);
  // Only a fresh user turn triggers an "auto" call; after a tool result the model answers, so agent loops end.
  if (choice === "auto" && last.role !== "user") return undefined;
  const related = relatedTool(tools.map((t) => ({ name: t.function.name, description: t.function.description, tool: t })), prompt)?.tool;
  return choice === "auto" ? related : (related ?? tools[0]);
}

function answer(body: WireBody, voice: string, newId: () => string): Answer {
  const msgs = body.messages;
  const last = msgs[msgs.length - 1]!;
  const lastUser = [...msgs].reverse().find((m) => m.role === "user");
  const prompt = lastUser ? textOf(lastUser.content) : "";
  const words = keywords(prompt);
  const promptChars =
    msgs.reduce((n, m) => n + textOf(m.content).length + callChars(m), 0) +
    (body.tools ? JSON.stringify(body.tools).length : 0);
  const usage = (completion: number) => openaiUsage(tokens(promptChars), completion);

  const tool = decideTool(body, last, prompt);
  if (tool) {
    const args = JSON.stringify(plausibleValue(tool.function.parameters ?? { type: "object" }, sourceFor(prompt)));
    // Unique per answer, as OpenAI's are: apps key their tool runs by call id.
    const id = `call_${newId()}`;
    return {
      content: null,
      toolCalls: [{ id, name: tool.function.name, arguments: args }],
      finishReason: "tool_calls",
      usage: usage(tokens(tool.function.name.length + args.length)),
    };
  }

  const label = `[${voice} ${body.model}]`;
  let reply: string;
  if (last.role === "tool") {
    // Answer from the tool results (every one since the assistant's calls), naming the tool each came from.
    const calls = msgs.flatMap(toolCallsOf);
    const results: string[] = [];
    for (let i = msgs.length - 1; i >= 0 && msgs[i]!.role === "tool"; i--) {
      const m = msgs[i] as Extract<WireMessage, { role: "tool" }>;
      const name = calls.find((c) => c.id === m.tool_call_id)?.function.name ?? "the tool";
      results.unshift(`according to ${name}: ${describeToolResult(textOf(m.content))}`);
    }
    const joined = results.join("; ");
    reply = `${label} ${joined[0]!.toUpperCase()}${joined.slice(1)}. That answers "${echo(prompt)}".`;
  } else {
    reply = `${label} ${STYLES[hash(`voice-c${voice}`) % STYLES.length]!(echo(prompt), words)}`;
  }
  const images = lastUser && Array.isArray(lastUser.content) ? lastUser.content.filter((p) => p.type === "image_url").length : 0;
  if (images > 0) reply += ` I also looked at ${images} image${images === 1 ? "" : "s"}.`;

  const rf = body.response_format;
  let content = reply;
  // The first string slot with no better value gets the whole reply (so the answer still shows who served it).
  if (rf?.type === "json_object") {
    // json_object carries no schema: follow one the caller wrote into its system prompt or message, else the fields
    // its wording names ("the city, population and landmarks of Paris"), else {answer}.
    const system = msgs.filter((m) => m.role === "system" || m.role === "developer").map((m) => textOf(m.content));
    const schema = schemaInPrompt([...system, prompt]) ?? schemaFromWording(system, prompt);
    content = JSON.stringify(schema ? plausibleValue(schema, sourceFor(prompt, reply)) : { answer: reply });
  }
  if (rf?.type === "json_schema") content = JSON.stringify(plausibleValue(rf.json_schema.schema ?? { type: "object" }, sourceFor(prompt, reply)));

  let finishReason: Answer["finishReason"] = "stop";
  const stops = body.stop == null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
  const cut = Math.min(...stops.filter((s) => s !== "").map((s) => content.indexOf(s)).filter((i) => i >= 0));
  if (Number.isFinite(cut)) content = content.slice(0, cut);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null && tokens(content.length) > maxTokens) {
    content = truncate(content, maxTokens);
    finishReason = "length";
  }
  return { content, toolCalls: [], finishReason, usage: usage(tokens(content.length)) };
}

// ---- Wire output ----

function errorJson(status: number, message: string, type: string, param: string | null = null, code: string | null = null): Response {
  return new Response(openaiErrorBody({ message, type, param, code }), { status, headers: { "content-type": "application/json" } });
}

/** SSE events to send, each flagged `paced` when the simulated model "generates" it (a chunkDelayMs pause first). */
function streamEvents(a: Answer, base: Parameters<typeof openaiChunks>[0], includeUsage: boolean, wordsPerChunk: number): OpenAIStreamEvent[] {
  const pieces: string[] = [];
  if (a.content) {
    const words = a.content.split(" ");
    // The separating space leads each later piece, so the pieces concatenate to exactly the JSON answer.
    for (let i = 0; i < words.length; i += wordsPerChunk) pieces.push((i > 0 ? " " : "") + words.slice(i, i + wordsPerChunk).join(" "));
  }
  const size = 8 * wordsPerChunk;
  const toolCalls = a.toolCalls.map((tc) => {
    const argPieces: string[] = [];
    for (let i = 0; i < tc.arguments.length; i += size) argPieces.push(tc.arguments.slice(i, i + size));
    return { id: tc.id, name: tc.name, argPieces };
  });
  return openaiChunks(base, { content: a.content, pieces, toolCalls, finishReason: a.finishReason, usage: a.usage }, includeUsage);
}

function sseBody(events: OpenAIStreamEvent[], delayMs: number, sleep: Sleep, signal: AbortSignal) {
  const enc = new TextEncoder();
  const cancelled = new AbortController();
  const stop = AbortSignal.any([signal, cancelled.signal]);
  let i = 0;
  // Pull-based, so pacing happens as the reader reads and an abort or cancel stops generation at once.
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const ev = events[i++];
      if (!ev) return controller.close();
      try {
        if (stop.aborted) throw stop.reason;
        if (ev.paced && delayMs > 0) await sleep(delayMs, stop);
      } catch (err) {
        controller.error(err);
        return;
      }
      controller.enqueue(enc.encode(ev.sse));
    },
    cancel(reason) {
      cancelled.abort(reason);
    },
  });
}

/**
 * A fetch that serves POST `<anything>/chat/completions` for a `simulated` provider in the real OpenAI wire format
 * (JSON, or SSE ending in `[DONE]`, with a usage chunk when `stream_options.include_usage`). `sleep` paces it:
 * `latencyMs` before the first byte, `chunkDelayMs` between generated chunks (a JSON answer waits for all of them).
 * `newId` gives each tool call's id its body (the app's injected id source, so tests stay deterministic).
 */
export function simulatedFetch(provider: ProviderConfig, sleep: Sleep, newId: () => string = () => crypto.randomUUID().replaceAll("-", "").slice(0, 24)): typeof fetch {
  const profile = provider.simulated ?? SimulatedProfile.parse({});
  const serve = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const signal = init?.signal ?? request.signal;
    if (signal.aborted) throw signal.reason;
    if (profile.latencyMs > 0) await sleep(profile.latencyMs, signal);

    const path = new URL(request.url).pathname;
    if (request.method !== "POST" || !path.endsWith("/chat/completions")) {
      return errorJson(404, `Invalid URL (${request.method} ${path})`, "invalid_request_error");
    }
    let raw: unknown;
    try {
      raw = JSON.parse(await request.text());
    } catch {
      return errorJson(400, "We could not parse the JSON body of your request.", "invalid_request_error");
    }
    const parsed = ChatCompletionBody.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const param = issue.path.join(".") || null;
      return errorJson(400, `Invalid value for '${param ?? "body"}': ${issue.message}`, "invalid_request_error", param);
    }
    const body = parsed.data;
    if (!provider.models.some((m) => m.id === body.model)) {
      return errorJson(404, `The model \`${body.model}\` does not exist or you do not have access to it.`, "invalid_request_error", null, "model_not_found");
    }
    const tc = body.tool_choice;
    if (typeof tc === "object" && tc !== null && !(body.tools ?? []).some((t) => t.function.name === tc.function.name)) {
      return errorJson(400, `Invalid value for 'tool_choice': no function named '${tc.function.name}' in tools.`, "invalid_request_error", "tool_choice");
    }

    const a = answer(body, profile.voice, newId);
    const base = {
      id: `chatcmpl-sim${hash(`${provider.id}/${JSON.stringify(raw)}`).toString(36)}`,
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      system_fingerprint: `fp_sim_${provider.id}`,
    };
    const events = streamEvents(a, base, body.stream_options?.include_usage === true, profile.wordsPerChunk);

    if (body.stream === true) {
      return new Response(sseBody(events, profile.chunkDelayMs, sleep, signal), {
        status: 200,
        headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
      });
    }
    // A non-streaming vendor answers once the whole completion is generated.
    const paced = events.filter((e) => e.paced).length;
    if (paced > 0 && profile.chunkDelayMs > 0) await sleep(paced * profile.chunkDelayMs, signal);
    const json = openaiCompletion(base, a);
    return new Response(JSON.stringify(json), { status: 200, headers: { "content-type": "application/json" } });
  };
  return serve as typeof fetch;
}
