#!/usr/bin/env node
/**
 * Loopback-only mock of three LLM vendors on one port, with a fault menu at the network level, for chaos drills
 * (issue 6), benchmarks and local experiments: `node scripts/mock-vendors.mjs --port 9100`. Plain Node ESM; the
 * vendors' bodies are built by src/wire (shared with the simulated provider, the chaos injector and the test fakes),
 * which scripts/lib/wire.mjs bundles with esbuild when this module loads (Node 20 runs no TypeScript), so it works
 * from a clean clone after `npm ci` with no build step.
 *
 * Vendors (keys are never checked):
 *   OpenAI     POST /openai/v1/chat/completions                          baseUrl http://127.0.0.1:<port>/openai/v1
 *              `chat.completion` JSON; SSE `chat.completion.chunk`s, a usage chunk when
 *              `stream_options.include_usage`, then `data: [DONE]`; errors {error:{message,type,param,code}}.
 *   Anthropic  POST /anthropic/v1/messages                               baseUrl http://127.0.0.1:<port>/anthropic
 *              `Message` JSON; SSE message_start, ping, content_block_*, message_delta, message_stop;
 *              errors {type:"error",error:{type,message}}.
 *   Gemini     POST /gemini/v1beta/models/{model}:generateContent        baseUrl http://127.0.0.1:<port>/gemini/v1beta
 *              POST /gemini/v1beta/models/{model}:streamGenerateContent?alt=sse (without alt=sse: one JSON array);
 *              errors {error:{code,message,status}}.
 * A request for JSON (OpenAI `response_format`, Gemini `responseMimeType`, Anthropic's JSON instruction in `system`)
 * is answered with JSON that satisfies it (`sampleOf` the schema; `{"reply": …}` for a plain JSON object), as Detour
 * validates JSON answers. Every other request gets a deterministic reply (`replies`, default "Hello from the mock
 * <Vendor>."), streamed word by word, with usage counts (input ≈ request chars / 4, output ≈ reply chars / 4).
 * A request's stop sequences (OpenAI
`stop`, Anthropic `stop_sequences`, Gemini `generationConfig.stopSequences`) cut the reply before their first
occurrence, as real vendors do: a stop sequence equal to the reply's first word gives an empty answer (Anthropic's
stop_reason is then "stop_sequence"). When the request has tools and forces
 * a call (OpenAI tool_choice "required" or a named function, Anthropic {type:"any"|"tool"}, Gemini mode "ANY"), the
 * answer is one call to the first (or the named) tool with `{}` arguments instead of text.
 *
 * Control API (same port; JSON in and out):
 *   POST   /__control/faults        {vendor, kind, rate?, status?, retryAfter?, ms?, afterEvents?, variant?, ttlMs}
 *                                   → 201 {id, fault}; 400 {error} on anything unknown or out of range
 *   GET    /__control/faults        → {faults: [{id, vendor, kind, ..., expiresAt, remainingMs, hits}]} (live only)
 *   DELETE /__control/faults        → {cleared: n}          DELETE /__control/faults/<id> → {deleted: id} | 404
 *   GET    /__control/stats         → {since, now, vendors: {<vendor>: {requests, open, outcomes, statuses}}}
 *   POST   /__control/stats/reset   → {ok: true} (counters only; `open` is a live gauge)
 *   GET    /healthz                 → {ok: true}        GET / → {url, baseUrls}
 *
 * Fault fields: `vendor` "openai" | "anthropic" | "gemini" | "*"; `rate` 0..1 (default 1; each request rolls once);
 * `ttlMs` is required (1 ms .. 24 h), so a forgotten fault ends by itself. Kinds:
 *   reset      the socket is reset (RST) without a response.
 *   hang       no answer at all; the socket stays open until the client gives up (or the server closes).
 *   status     HTTP `status` (default 503) in the vendor's error shape; `retryAfter` (seconds) → Retry-After header
 *              (and Gemini's RetryInfo detail).
 *   slow_ttfb  wait `ms` (default 200) before the response headers, then answer at full speed.
 *   latency    add `ms` (default 200) to the whole answer: JSON waits `ms` before answering; a stream sends its first
 *              event at once and spreads `ms` over the rest.
 *   cut        a stream ends after `afterEvents` events (default 2) without its terminal event; JSON sends half its
 *              body. `variant` "close" (default: the socket is closed mid-response, JSON having promised the full
 *              content-length) or "clean" (the HTTP response ends properly; the answer is still incomplete).
 *   stall      like cut, but the socket then stays open and silent for `ms` (default: until the client aborts) and
 *              is closed after that.
 *   malformed  a 200 that is not the vendor's shape. `variant` "syntax" (default: JSON body is not JSON; a stream gets
 *              one event that is not JSON) or "shape" (valid JSON of the wrong shape). In a stream the bad event
 *              comes after `afterEvents` events (default 0) and the rest of the stream follows.
 *   hostile    a vendor out to hurt its client. `variant` "huge_body" (default: a 200 whose body never ends, up to
 *              `HOSTILE_MAX_BYTES`), "endless_line" (a 200 SSE stream — or JSON body — that is one line with no
 *              newline, same bound) or "bad_model" (a normal answer whose model name has CR/LF and a character above
 *              0xFF, which breaks any response header it is copied into).
 * For each request the newest live fault for its vendor (or "*") whose rate roll passes applies; at most one does.
 * Requests the vendor would reject (unknown path, unparsable or incomplete body) get the vendor's 4xx and no fault.
 * Stats count each vendor request once, by outcome ("ok", a fault kind, or "invalid"), when the mock decides it — so
 * a hung request is counted as soon as it is held — plus the HTTP statuses sent and the requests still open.
 *
 *   import { startMockVendors } from "./mock-vendors.mjs";
 *   const mock = await startMockVendors({ port: 0, replies: { gemini: "Hi." } });
 *   // mock.url, mock.baseUrls.openai / .anthropic / .gemini
 *   await mock.close();
 *
 *   node scripts/mock-vendors.mjs [--port 9100] [--reply-openai TEXT] [--reply-anthropic TEXT] [--reply-gemini TEXT]
 *                                 [--exit-on-stdin-close]
 *   prints `mock-vendors listening on http://127.0.0.1:9100` and one line per baseUrl; stops on SIGINT/SIGTERM.
 */
import http from "node:http";
import { pathToFileURL } from "node:url";
import { loadWire } from "./lib/wire.mjs";

// The vendors' wire shapes come from src/wire (TypeScript, bundled at first use: see scripts/lib/wire.mjs).
const wire = await loadWire();

const HOST = "127.0.0.1";
export const VENDORS = /** @type {const} */ (["openai", "anthropic", "gemini"]);
export const FAULT_KINDS = /** @type {const} */ (["reset", "hang", "status", "slow_ttfb", "latency", "cut", "stall", "malformed", "hostile"]);
/** The most a `hostile` fault sends before it ends the response: above Detour's 10 MB default cap. */
export const HOSTILE_MAX_BYTES = 12_000_000;
/** The model name a `hostile` "bad_model" answer reports. */
export const HOSTILE_MODEL = "gpt-4o\r\nx-injected: 1 模型";
export const DEFAULT_REPLIES = {
  openai: "Hello from the mock OpenAI.",
  anthropic: "Hello from the mock Anthropic.",
  gemini: "Hello from the mock Gemini.",
};
const MAX_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_BODY_BYTES = 32 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------------

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const approxTokens = (s) => (s === "" ? 0 : Math.max(1, Math.ceil(s.length / 4)));

/** A request's stop sequences (a string or a list of them; anything else is none). */
const stopList = (v) => (typeof v === "string" ? [v] : Array.isArray(v) ? v : []).filter((x) => typeof x === "string" && x !== "");

/**
 * A minimal instance of a JSON Schema (OpenAI's, or Gemini's upper-case types): what a model that keeps the caller's
 * contract answers. Detour validates JSON answers (docs/validation.md), so the mock answers a schema with JSON that
 * satisfies it: required properties only, the first enum value, "mock" strings, zeros.
 */
export function sampleOf(schema, depth = 0) {
  if (!isObject(schema) || depth > 32) return {};
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ("const" in schema) return schema.const;
  const type = String((Array.isArray(schema.type) ? schema.type[0] : schema.type) ?? (isObject(schema.properties) ? "object" : "")).toLowerCase();
  switch (type) {
    case "object": {
      const props = isObject(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? schema.required : [];
      return Object.fromEntries(required.map((k) => [k, sampleOf(props[k], depth + 1)]));
    }
    case "array":
      return Array.from({ length: Number.isInteger(schema.minItems) ? schema.minItems : 0 }, () => sampleOf(schema.items, depth + 1));
    case "string":
      return "mock";
    case "number":
    case "integer":
      return Number.isFinite(schema.minimum) ? schema.minimum : 0;
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return {};
  }
}

/** The answer to a request for JSON (`json`: the schema, or null for any JSON object); the plain reply otherwise. */
function jsonReply(json, reply) {
  return JSON.stringify(json === null ? { reply } : sampleOf(json));
}

/** Anthropic has no JSON flag: Detour's adapter asks in the system prompt (src/providers/anthropic.ts). */
function anthropicJson(system) {
  const text = typeof system === "string" ? system : Array.isArray(system) ? system.map((b) => b?.text ?? "").join("\n\n") : "";
  const m = /conform to this JSON Schema \(named "[^"]*"\):\n(.*)/.exec(text);
  if (m) {
    try {
      return JSON.parse(m[1]);
    } catch {
      return null;
    }
  }
  return /The value must be a JSON object\./.test(text) ? null : undefined;
}

/**
 * The reply cut before the first occurrence of any stop sequence, as real vendors do (the sequence itself is not
 * part of the answer); `stopped` when one matched. A stop sequence that is the reply's first word gives an empty answer.
 */
export function cutAtStop(reply, stops) {
  let at = -1;
  for (const s of stops ?? []) {
    const i = reply.indexOf(s);
    if (i !== -1 && (at === -1 || i < at)) at = i;
  }
  return at === -1 ? { reply, stopped: false } : { reply: reply.slice(0, at), stopped: true };
}

function sendJson(res, status, obj, headers = {}) {
  const body = typeof obj === "string" ? obj : JSON.stringify(obj);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

// ---------------------------------------------------------------------------------------------------------------
// Vendors: routing, validation, answers, errors
// ---------------------------------------------------------------------------------------------------------------
//
// Each vendor has:
//   route(method, path, query) → { model?, stream? } | { status, message }       (path is the part after /<vendor>)
//   invalid(body, route)       → a 400 message, or undefined
//   request(body, route)       → { model, stream, includeUsage, tool, inputText }
//   answer(ctx)                → { json, events, headers?, pretty?, malformed() → {syntaxJson, shapeJson, syntaxEvent, shapeEvent} }
//   error(status, message?, retryAfter?) → { body, headers }
// The bodies themselves are built by src/wire, shared with the simulated provider, the chaos injector and the fakes.

/** OpenAI: tool forced by `tool_choice` "required" or {type:"function",function:{name}}. */
function openaiTool(body) {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const names = tools.map((t) => t?.function?.name).filter((n) => typeof n === "string");
  if (names.length === 0) return null;
  const choice = body.tool_choice;
  if (choice === "required") return names[0];
  if (isObject(choice) && typeof choice.function?.name === "string") return choice.function.name;
  return null;
}

const openai = {
  route(method, path) {
    if (path !== "/v1/chat/completions") return { status: 404, message: `Invalid URL (${method} /openai${path})` };
    if (method !== "POST") return { status: 405, message: `Invalid method for URL (${method} /openai${path})` };
    return {};
  },
  invalid(body) {
    if (typeof body.model !== "string" || body.model === "") return "you must provide a model parameter";
    if (!Array.isArray(body.messages)) return "Missing required parameter: 'messages'.";
    return undefined;
  },
  request(body) {
    return {
      model: body.model,
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      tool: openaiTool(body),
      json: body.response_format?.type === "json_schema" ? (body.response_format.json_schema?.schema ?? {}) : body.response_format?.type === "json_object" ? null : undefined,
      inputText: JSON.stringify(body.messages),
      stops: stopList(body.stop),
    };
  },
  answer({ model, stream, includeUsage, tool, reply, inputTokens, seq }) {
    const id = `chatcmpl-mock${seq}`;
    const created = 1_700_000_000 + seq;
    const call = tool ? { id: `call_mock${seq}`, name: tool, arguments: "{}" } : null;
    const usage = wire.openaiUsage(inputTokens, call ? 2 : approxTokens(reply));
    const answer = { content: call ? null : reply, toolCalls: call ? [call] : [], finishReason: call ? "tool_calls" : "stop", usage };
    const base = { id, created, model, system_fingerprint: "fp_mock" };
    const streamed = { ...answer, pieces: call ? [] : wire.wordPieces(reply), toolCalls: call ? [{ id: call.id, name: tool, argPieces: ["{}"] }] : [] };
    return {
      // Only what this request sends is built: the benchmark's direct target is this path.
      json: stream ? undefined : wire.openaiCompletion(base, answer),
      events: stream ? wire.openaiChunks(base, streamed, includeUsage).map((e) => e.sse) : [],
      malformed: () => wire.openaiMalformed(id, created, model),
    };
  },
  error(status, message, retryAfter) {
    const headers = retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {};
    return { body: wire.errorBody("openai", status, message), headers };
  },
};

/** Anthropic: tool forced by tool_choice {type:"any"} or {type:"tool",name}. */
function anthropicTool(body) {
  const names = (Array.isArray(body.tools) ? body.tools : []).map((t) => t?.name).filter((n) => typeof n === "string");
  if (names.length === 0) return null;
  const choice = body.tool_choice;
  if (choice?.type === "any") return names[0];
  if (choice?.type === "tool" && typeof choice.name === "string") return choice.name;
  return null;
}

let anthropicRequestSeq = 0;
const anthropicRequestId = () => `req_mock${(++anthropicRequestSeq).toString().padStart(6, "0")}`;

const anthropic = {
  route(method, path) {
    if (path !== "/v1/messages") return { status: 404, message: "Not Found" };
    if (method !== "POST") return { status: 405, message: "Method Not Allowed" };
    return {};
  },
  invalid(body) {
    for (const k of ["model", "max_tokens", "messages"]) if (!(k in body)) return `${k}: Field required`;
    if (typeof body.model !== "string") return "model: Input should be a valid string";
    if (!Number.isInteger(body.max_tokens) || body.max_tokens < 0) return "max_tokens: Input should be a valid integer";
    if (!Array.isArray(body.messages) || body.messages.length === 0) return "messages: at least one message is required";
    return undefined;
  },
  request(body) {
    return {
      model: body.model,
      stream: body.stream === true,
      includeUsage: true,
      tool: anthropicTool(body),
      json: anthropicJson(body.system),
      inputText: JSON.stringify([body.system ?? "", body.messages]),
      stops: stopList(body.stop_sequences),
    };
  },
  answer({ model, stream, tool, reply, inputTokens, seq, stopped }) {
    const id = `msg_mock${seq.toString().padStart(6, "0")}`;
    const toolId = `toolu_mock${seq.toString().padStart(6, "0")}`;
    const blocks = tool
      ? [{ type: "tool_use", id: toolId, name: tool, input: {}, pieces: ["{}"] }]
      : reply === ""
        ? []
        : [{ type: "text", text: reply, pieces: wire.wordPieces(reply) }];
    const usage = wire.anthropicUsage(inputTokens, tool ? 2 : approxTokens(reply));
    const answer = { id, model, blocks, stopReason: tool ? "tool_use" : stopped ? "stop_sequence" : "end_turn", usage };
    return {
      json: stream ? undefined : wire.anthropicMessage(answer),
      events: stream ? wire.anthropicEvents(answer) : [],
      headers: { "request-id": anthropicRequestId() },
      malformed: () => wire.anthropicMalformed(id),
    };
  },
  error(status, message, retryAfter) {
    const type = wire.anthropicErrorType(status);
    const rid = anthropicRequestId();
    const headers = { "request-id": rid, ...(retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {}) };
    return { body: wire.anthropicErrorBody(type, message ?? `mock ${type}`, rid), headers };
  },
};

/** Gemini: tool forced by toolConfig.functionCallingConfig.mode "ANY" (allowedFunctionNames[0] when given). */
function geminiTool(body) {
  const names = (Array.isArray(body.tools) ? body.tools : [])
    .flatMap((t) => (Array.isArray(t?.functionDeclarations) ? t.functionDeclarations : []))
    .map((d) => d?.name)
    .filter((n) => typeof n === "string");
  if (names.length === 0) return null;
  const cfg = body.toolConfig?.functionCallingConfig;
  if (cfg?.mode !== "ANY") return null;
  const allowed = Array.isArray(cfg.allowedFunctionNames) ? cfg.allowedFunctionNames.filter((n) => typeof n === "string") : [];
  return allowed[0] ?? names[0];
}

const gemini = {
  route(method, path, query) {
    const m = /^\/v1beta\/(.+):(generateContent|streamGenerateContent)$/.exec(path);
    if (!m || method !== "POST") return { status: 404, message: "Requested entity was not found." };
    const model = decodeURIComponent(m[1]).split("/").pop();
    const stream = m[2] === "streamGenerateContent";
    return { model, stream, sse: stream && query.get("alt") === "sse" };
  },
  invalid(body) {
    if (!Array.isArray(body.contents) || body.contents.length === 0) {
      return "* GenerateContentRequest.contents: contents is not specified\n";
    }
    return undefined;
  },
  request(body, route) {
    return {
      model: route.model,
      stream: route.stream,
      includeUsage: true,
      tool: geminiTool(body),
      json: body.generationConfig?.responseMimeType === "application/json" ? (body.generationConfig.responseSchema ?? null) : undefined,
      inputText: JSON.stringify([body.systemInstruction ?? "", body.contents]),
      stops: stopList(body.generationConfig?.stopSequences),
    };
  },
  answer({ model, stream, tool, reply, inputTokens, seq, route }) {
    const parts = tool ? [{ functionCall: { name: tool, args: {} } }] : reply === "" ? [] : [{ text: reply }];
    const usage = { inputTokens, outputTokens: tool ? 2 : approxTokens(reply) };
    const answer = { parts, finishReason: "STOP", usage, model, responseId: `mockGeminiResp${seq}` };
    const chunks = stream ? wire.geminiChunks(answer, wire.wordPieces) : [];
    return {
      // streamGenerateContent without alt=sse: the whole stream as one JSON array, not SSE.
      json: stream && !route.sse ? chunks : wire.geminiResponse(answer),
      events: route.sse ? wire.geminiEvents(chunks) : [],
      pretty: true,
      malformed: () => wire.GEMINI_MALFORMED,
    };
  },
  error(status, message, retryAfter) {
    const headers = { "content-type": "application/json; charset=UTF-8", ...(retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {}) };
    return { body: wire.errorBody("gemini", status, message, retryAfter), headers };
  },
};

const ADAPTERS = { openai, anthropic, gemini };

// ---------------------------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------------------------

const COMMON_FIELDS = ["vendor", "kind", "rate", "ttlMs"];
const KIND_FIELDS = {
  reset: [],
  hang: [],
  status: ["status", "retryAfter"],
  slow_ttfb: ["ms"],
  latency: ["ms"],
  cut: ["afterEvents", "variant"],
  stall: ["afterEvents", "ms"],
  malformed: ["afterEvents", "variant"],
  hostile: ["variant"],
};
const VARIANTS = { cut: ["close", "clean"], malformed: ["syntax", "shape"], hostile: ["huge_body", "endless_line", "bad_model"] };

/**
 * Validate a fault as posted to the control API. Strict: unknown fields, or fields that mean nothing for the kind,
 * are errors, so a typo in a drill file fails loudly instead of silently doing nothing.
 * @returns {{ fault: object } | { error: string }}
 */
export function parseFault(input, nowMs) {
  if (!isObject(input)) return { error: "the body must be a JSON object" };
  const { vendor, kind } = input;
  if (vendor !== "*" && !VENDORS.includes(vendor)) return { error: `vendor must be one of ${[...VENDORS, "*"].map((v) => `"${v}"`).join(", ")}` };
  if (!FAULT_KINDS.includes(kind)) return { error: `kind must be one of ${FAULT_KINDS.map((k) => `"${k}"`).join(", ")}` };
  const allowed = new Set([...COMMON_FIELDS, ...KIND_FIELDS[kind]]);
  for (const k of Object.keys(input)) if (!allowed.has(k)) return { error: `'${k}' is not a field of a '${kind}' fault (allowed: ${[...allowed].join(", ")})` };

  const num = (k, { min, max, integer = false }) => {
    const v = input[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      return `'${k}' must be ${integer ? "an integer" : "a number"} in [${min}, ${max}]`;
    }
    return undefined;
  };
  if (!("ttlMs" in input)) return { error: "'ttlMs' is required, so a forgotten fault ends by itself" };
  const checks = [["ttlMs", { min: 1, max: MAX_TTL_MS }]];
  if ("rate" in input) checks.push(["rate", { min: 0, max: 1 }]);
  if ("status" in input) checks.push(["status", { min: 100, max: 599, integer: true }]);
  if ("retryAfter" in input) checks.push(["retryAfter", { min: 0, max: 86_400 }]);
  if ("ms" in input) checks.push(["ms", { min: 0, max: MAX_TTL_MS }]);
  if ("afterEvents" in input) checks.push(["afterEvents", { min: 0, max: 1_000_000, integer: true }]);
  for (const [k, range] of checks) {
    const err = num(k, range);
    if (err) return { error: err };
  }
  if ("variant" in input && !VARIANTS[kind].includes(input.variant)) {
    return { error: `'variant' of a '${kind}' fault must be one of ${VARIANTS[kind].map((v) => `"${v}"`).join(", ")}` };
  }

  const fault = { vendor, kind, rate: input.rate ?? 1 };
  if (kind === "status") {
    fault.status = input.status ?? 503;
    if (input.retryAfter !== undefined) fault.retryAfter = input.retryAfter;
  }
  if (kind === "slow_ttfb" || kind === "latency") fault.ms = input.ms ?? 200;
  if (kind === "cut" || kind === "stall") fault.afterEvents = input.afterEvents ?? 2;
  if (kind === "malformed") fault.afterEvents = input.afterEvents ?? 0;
  if (kind === "stall" && input.ms !== undefined) fault.ms = input.ms;
  if (kind === "cut") fault.variant = input.variant ?? "close";
  if (kind === "malformed") fault.variant = input.variant ?? "syntax";
  if (kind === "hostile") fault.variant = input.variant ?? "huge_body";
  fault.ttlMs = input.ttlMs;
  fault.createdAt = nowMs;
  fault.expiresAt = nowMs + input.ttlMs;
  return { fault };
}

// ---------------------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------------------

/**
 * Start the mock vendors on 127.0.0.1. `port` 0 picks a free port. `now` is the clock fault expiry is read from and
 * `random` the source of rate rolls (both injectable so tests never sleep).
 * @param {{ port?: number, replies?: { openai?: string, anthropic?: string, gemini?: string }, now?: () => number, random?: () => number }} [opts]
 */
export async function startMockVendors({ port = 0, replies = {}, now = Date.now, random = Math.random } = {}) {
  const reply = { ...DEFAULT_REPLIES, ...replies };
  /** @type {Map<string, object>} live faults by id, in insertion order */
  const faults = new Map();
  let faultSeq = 0;
  let requestSeq = 0;
  const timers = new Set();
  let closing = false;

  const emptyStats = () => Object.fromEntries(VENDORS.map((v) => [v, { requests: 0, outcomes: {}, statuses: {} }]));
  let stats = emptyStats();
  let statsSince = now();
  const open = Object.fromEntries(VENDORS.map((v) => [v, 0]));

  function count(vendor, outcome, status) {
    const s = stats[vendor];
    s.requests++;
    s.outcomes[outcome] = (s.outcomes[outcome] ?? 0) + 1;
    if (status !== undefined) s.statuses[status] = (s.statuses[status] ?? 0) + 1;
  }

  function pruneExpired() {
    const t = now();
    for (const [id, f] of faults) if (t >= f.expiresAt) faults.delete(id);
  }

  /** The newest live fault for `vendor` whose rate roll passes, or undefined. */
  function pickFault(vendor) {
    if (faults.size === 0) return undefined;
    pruneExpired();
    const live = [...faults.values()].reverse();
    for (const f of live) {
      if (f.vendor !== "*" && f.vendor !== vendor) continue;
      if (f.rate <= 0) continue;
      if (f.rate < 1 && !(random() < f.rate)) continue;
      f.hits++;
      return f;
    }
    return undefined;
  }

  /** Wait `ms` (Infinity: forever) or until the response's connection closes; true when the time ran out. */
  function wait(ms, res) {
    return new Promise((resolve) => {
      if (res.destroyed || res.socket?.destroyed !== false) return resolve(false);
      let timer;
      const onClose = () => {
        if (timer) {
          clearTimeout(timer);
          timers.delete(timer);
        }
        resolve(false);
      };
      res.once("close", onClose);
      if (ms !== Infinity) {
        timer = setTimeout(() => {
          timers.delete(timer);
          res.off("close", onClose);
          resolve(!res.destroyed);
        }, ms);
        timers.add(timer);
      }
    });
  }

  /** Write `data`, then close the socket once it is flushed (a cut: no chunked terminator, no more bytes). */
  function writeThenClose(res, data) {
    const kill = () => res.socket?.destroy();
    if (data.length === 0) {
      res.flushHeaders();
      setImmediate(kill);
    } else {
      res.write(data, kill);
    }
  }

  const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on("error", () => res.destroy());
    req.on("end", () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => res.destroy());
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function handle(req, res, raw) {
    // Split by hand rather than `new URL`: this is the benchmark's hot path, and the query matters only to Gemini.
    const target = req.url ?? "/";
    const q = target.indexOf("?");
    const path = q === -1 ? target : target.slice(0, q);
    const query = new URLSearchParams(q === -1 ? "" : target.slice(q + 1));
    const method = req.method ?? "GET";
    if (path === "/__control" || path.startsWith("/__control/")) return control(req, res, method, path, raw);
    if (method === "GET" && path === "/healthz") return sendJson(res, 200, { ok: true });
    if (method === "GET" && path === "/") return sendJson(res, 200, info());
    const vendor = VENDORS.find((v) => path === `/${v}` || path.startsWith(`/${v}/`));
    if (!vendor) return sendJson(res, 404, { error: `Unknown URL ${method} ${path}; vendors live under /openai, /anthropic and /gemini` });
    const adapter = ADAPTERS[vendor];

    const invalid = (status, message) => {
      count(vendor, "invalid", status);
      const e = adapter.error(status, message);
      return sendJson(res, status, e.body, e.headers);
    };
    const route = adapter.route(method, path.slice(vendor.length + 1), query);
    if (route.status) return invalid(route.status, route.message);
    let body;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return invalid(400, "We could not parse the JSON body of your request.");
    }
    if (!isObject(body)) return invalid(400, "The request body must be a JSON object.");
    const why = adapter.invalid(body, route);
    if (why) return invalid(400, why);

    // A vendor request the mock will answer (or fault): count it, and hold the open gauge until its socket closes.
    if (res.socket && !res.socket.destroyed) {
      open[vendor]++;
      res.once("close", () => open[vendor]--);
    }
    const fault = pickFault(vendor);
    const r = adapter.request(body, route);
    const seq = ++requestSeq;
    const text = r.json !== undefined ? jsonReply(r.json, reply[vendor]) : reply[vendor];
    const answered = r.tool ? { reply: text, stopped: false } : cutAtStop(text, r.stops);
    const a = adapter.answer({ ...r, route, ...answered, inputTokens: approxTokens(r.inputText), seq });
    const kind = fault?.kind ?? "ok";
    count(vendor, kind, kind === "reset" || kind === "hang" ? undefined : kind === "status" ? fault.status : 200);

    if (kind === "reset") {
      const s = res.socket;
      if (s && typeof s.resetAndDestroy === "function") s.resetAndDestroy();
      else s?.destroy();
      return;
    }
    if (kind === "hang") {
      await wait(Infinity, res);
      return;
    }
    if (kind === "status") {
      const e = adapter.error(fault.status, undefined, fault.retryAfter);
      return sendJson(res, fault.status, e.body, { ...(a.headers ?? {}), ...e.headers });
    }
    if (kind === "slow_ttfb" && !(await wait(fault.ms, res))) return;
    if (kind === "hostile" && fault.variant !== "bad_model") return endlessBody(res, a.events.length > 0, fault.variant);

    const isSse = a.events.length > 0;
    if (kind === "hostile") {
      // bad_model: the vendor's answer, its model name swapped for one that breaks a header.
      const bad = (t) => t.replace(/"(model|modelVersion)":"[^"]*"/g, (_m, k) => `"${k}":${JSON.stringify(HOSTILE_MODEL)}`);
      if (!isSse) return sendJson(res, 200, bad(JSON.stringify(a.json)), { "content-type": "application/json", ...(a.headers ?? {}) });
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...(a.headers ?? {}) });
      return res.end(bad(a.events.join("")));
    }
    if (!isSse) {
      // JSON (and Gemini's non-SSE stream array).
      let text = JSON.stringify(a.json, null, a.pretty ? 2 : undefined);
      if (kind === "malformed") text = fault.variant === "shape" ? JSON.stringify(a.malformed().shapeJson) : a.malformed().syntaxJson;
      if (kind === "latency" && !(await wait(fault.ms, res))) return;
      const headers = { "content-type": a.pretty ? "application/json; charset=UTF-8" : "application/json", ...(a.headers ?? {}) };
      if (kind === "cut" || kind === "stall") {
        const bytes = Buffer.from(text);
        const half = bytes.subarray(0, Math.floor(bytes.length / 2));
        if (kind === "cut" && fault.variant === "clean") {
          // A complete HTTP response (chunked) whose JSON stops halfway.
          res.writeHead(200, headers);
          return res.end(half);
        }
        // The full content-length is promised, half is sent.
        res.writeHead(200, { ...headers, "content-length": bytes.length });
        if (kind === "cut") return writeThenClose(res, half);
        res.write(half);
        if (await wait(fault.ms ?? Infinity, res)) res.socket?.destroy();
        return;
      }
      return sendJson(res, 200, text, headers);
    }

    // SSE.
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", ...(a.headers ?? {}) });
    const events = a.events;
    // cut/stall never reach the terminal event, whatever afterEvents says.
    const stopAt = Math.min(fault?.afterEvents ?? 0, events.length - 1);
    if (kind === "cut") {
      const head = events.slice(0, stopAt).join("");
      if (fault.variant === "clean") return res.end(head);
      return writeThenClose(res, head);
    }
    if (kind === "stall") {
      const head = events.slice(0, stopAt).join("");
      if (head) res.write(head);
      else res.flushHeaders();
      if (await wait(fault.ms ?? Infinity, res)) res.socket?.destroy();
      return;
    }
    if (kind === "malformed") {
      const at = Math.min(fault.afterEvents, events.length);
      const bad = fault.variant === "shape" ? a.malformed().shapeEvent : a.malformed().syntaxEvent;
      return res.end([...events.slice(0, at), bad, ...events.slice(at)].join(""));
    }
    if (kind === "latency" && events.length > 1) {
      const gap = fault.ms / (events.length - 1);
      res.write(events[0]);
      for (const e of events.slice(1)) {
        if (!(await wait(gap, res))) return;
        res.write(e);
      }
      return res.end();
    }
    if (kind === "latency" && !(await wait(fault.ms, res))) return;
    // Healthy (or slow_ttfb after its wait): the whole stream in one write, as a fast vendor's would arrive.
    res.end(events.join(""));
  }

  /** A 200 whose body is one endless line (JSON padding, or an SSE `data:` line), sent as fast as it is read. */
  async function endlessBody(res, sse, variant) {
    res.writeHead(200, { "content-type": sse ? "text/event-stream" : "application/json" });
    const chunk = Buffer.alloc(65_536, "x");
    let sent = 0;
    const head = sse ? "data: " : variant === "endless_line" ? '{"text":"' : '{"pad":"';
    res.write(head);
    while (sent < HOSTILE_MAX_BYTES && !res.destroyed && !res.writableEnded) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        const go = await new Promise((resolve) => {
          const done = (v) => () => {
            res.off("drain", onDrain);
            res.off("close", onClose);
            resolve(v);
          };
          const onDrain = done(true);
          const onClose = done(false);
          res.once("drain", onDrain);
          res.once("close", onClose);
        });
        if (!go) return;
      }
    }
    if (!res.destroyed) res.end();
  }

  function listFaults() {
    pruneExpired();
    const t = now();
    return [...faults.values()].map((f) => ({ ...f, remainingMs: Math.max(0, f.expiresAt - t) }));
  }

  function control(req, res, method, path, raw) {
    if (path === "/__control/faults" && method === "GET") return sendJson(res, 200, { faults: listFaults() });
    if (path === "/__control/faults" && method === "POST") {
      let input;
      try {
        input = JSON.parse(raw.toString("utf8"));
      } catch {
        return sendJson(res, 400, { error: "the body is not JSON" });
      }
      const parsed = parseFault(input, now());
      if (parsed.error) return sendJson(res, 400, { error: parsed.error });
      const id = `f${++faultSeq}`;
      const fault = { id, ...parsed.fault, hits: 0 };
      faults.set(id, fault);
      return sendJson(res, 201, { id, fault });
    }
    if (path === "/__control/faults" && method === "DELETE") {
      const cleared = faults.size;
      faults.clear();
      return sendJson(res, 200, { cleared });
    }
    const one = /^\/__control\/faults\/([^/]+)$/.exec(path);
    if (one && method === "DELETE") {
      const id = decodeURIComponent(one[1]);
      if (!faults.delete(id)) return sendJson(res, 404, { error: `no fault '${id}'` });
      return sendJson(res, 200, { deleted: id });
    }
    if (path === "/__control/stats" && method === "GET") {
      const vendors = Object.fromEntries(VENDORS.map((v) => [v, { ...stats[v], open: open[v] }]));
      return sendJson(res, 200, { since: statsSince, now: now(), vendors });
    }
    if (path === "/__control/stats/reset" && method === "POST") {
      stats = emptyStats();
      statsSince = now();
      return sendJson(res, 200, { ok: true });
    }
    return sendJson(res, 404, { error: `Unknown control endpoint ${method} ${path}` });
  }

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actual = server.address().port;
  const base = `http://${HOST}:${actual}`;
  const baseUrls = { openai: `${base}/openai/v1`, anthropic: `${base}/anthropic`, gemini: `${base}/gemini/v1beta` };
  const info = () => ({ url: base, baseUrls, control: `${base}/__control` });

  return {
    url: base,
    port: actual,
    baseUrls,
    close: () => {
      if (closing) return Promise.resolve();
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      faults.clear();
      return new Promise((resolve) => {
        server.close(() => resolve());
        // Held sockets (hang, stall) and idle keep-alive ones: destroying them fires each response's `close`,
        // which settles every pending wait.
        server.closeAllConnections();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { port: 9100, replies: {}, exitOnStdinClose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--exit-on-stdin-close") opts.exitOnStdinClose = true;
    else if (a === "--port") {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0 || v > 65535) throw new Error("--port needs an integer in [0, 65535]");
      opts.port = v;
    } else if (a.startsWith("--reply-") && VENDORS.includes(a.slice("--reply-".length))) {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      opts.replies[a.slice("--reply-".length)] = v;
    } else if (a === "--help" || a === "-h") {
      console.log("usage: node scripts/mock-vendors.mjs [--port 9100] [--reply-openai TEXT] [--reply-anthropic TEXT] [--reply-gemini TEXT] [--exit-on-stdin-close]");
      process.exit(0);
    } else throw new Error(`unknown argument '${a}' (try --help)`);
  }
  return opts;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`mock-vendors: ${err.message}`);
    process.exit(2);
  }
  const mock = await startMockVendors({ port: opts.port, replies: opts.replies });
  console.log(`mock-vendors listening on ${mock.url}`);
  for (const v of VENDORS) console.log(`  ${v.padEnd(9)} baseUrl ${mock.baseUrls[v]}`);
  console.log(`  control   ${mock.url}/__control/faults  ${mock.url}/__control/stats`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await mock.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  if (opts.exitOnStdinClose) {
    process.stdin.resume();
    process.stdin.on("end", stop);
    process.stdin.on("close", stop);
  }
}
