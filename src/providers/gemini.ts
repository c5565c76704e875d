/**
 * Google Gemini API adapter (generativelanguage.googleapis.com, v1beta `generateContent` / `streamGenerateContent`).
 *
 * Wire facts this file relies on (Gemini API reference):
 * - Non-stream: POST `{base}/models/{model}:generateContent`; stream: `:streamGenerateContent?alt=sse`, where every
 *   SSE `data:` is a complete `GenerateContentResponse` chunk and there is no `[DONE]` sentinel.
 * - Roles are "user" and "model"; function results go back as "user" `functionResponse` parts, keyed by function
 *   *name* (Gemini function calls carry no id), so the name is recovered from the assistant turn that made the call.
 * - Errors are Google RPC style: `{error: {code, message, status}}`.
 */
import { z } from "zod";
import type {
  CanonicalRequest,
  CanonicalResponse,
  ContentPart,
  FinishReason,
  Message,
  StreamEvent,
  ToolChoice,
  Usage,
} from "../canonical";
import { UpstreamError } from "../engine/errors";
import { parseJsonEvent, readSse } from "./sse";
import type { HttpAdapter, Target, VendorHttpRequest } from "./types";

// ---------------------------------------------------------------------------------------------------------------
// Request mapping
// ---------------------------------------------------------------------------------------------------------------

type GeminiPart = Record<string, unknown>;
interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

/**
 * Gemini 3 rejects a replayed `functionCall` part without the `thoughtSignature` it was issued with. Canonical
 * messages cannot carry that opaque blob (and it would not survive a cross-vendor fallback anyway), so for Gemini 3+
 * models we send Google's documented sentinel that skips the check. Older models neither issue nor need one.
 */
const SKIP_THOUGHT_SIGNATURE = "skip_thought_signature_validator";

function needsThoughtSignature(modelId: string): boolean {
  const m = /gemini-(\d+)/.exec(modelId);
  return m !== null && Number(m[1]) >= 3;
}

/** `models/x` path for a configured model id; ids that already name a resource (`tunedModels/x`) are kept. */
function modelPath(modelId: string): string {
  return modelId.includes("/") ? modelId : `models/${modelId}`;
}

/** Keys whose values are literal data, not sub-schemas: never rewrite inside them. */
const LITERAL_KEYS = new Set(["enum", "const", "default", "example", "examples"]);
/** Keys whose values map names to sub-schemas: the names themselves are not schema keywords. */
const NAMED_SCHEMA_KEYS = new Set(["properties", "$defs", "definitions", "patternProperties"]);

/**
 * JSON Schema → Gemini's OpenAPI-subset `Schema`. Gemini rejects the request outright ("Unknown name
 * additionalProperties") for keywords outside its subset, so the two that every generated schema carries are dropped,
 * recursively, without touching property *names* or literal values that happen to use those words.
 */
export function toGeminiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toGeminiSchema);
  if (schema === null || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (key === "additionalProperties" || key === "$schema") continue;
    if (LITERAL_KEYS.has(key)) out[key] = value;
    else if (NAMED_SCHEMA_KEYS.has(key) && isPlainObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, toGeminiSchema(sub)]));
    } else out[key] = toGeminiSchema(value);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Guess an image MIME type from a URL's extension; Gemini wants one on `fileData` when it can be known. */
function mimeFromUrl(url: string): string | undefined {
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
  const map: Record<string, string> = {
    png: "image/png",
    jpg: "image/jpeg",
    jpeg: "image/jpeg",
    webp: "image/webp",
    gif: "image/gif",
    heic: "image/heic",
    heif: "image/heif",
  };
  return ext ? map[ext] : undefined;
}

function imagePart(url: string): GeminiPart {
  const m = /^data:([^;,]+)?((?:;[^;,]*)*?)(;base64)?,(.*)$/s.exec(url);
  if (m) {
    const mimeType = m[1] ?? "application/octet-stream";
    // Non-base64 data URLs are percent-encoded text; Gemini's inlineData wants base64 bytes.
    const data = m[3] ? m[4]! : bytesToBase64(new TextEncoder().encode(safeDecode(m[4]!)));
    return { inlineData: { mimeType, data } };
  }
  const mimeType = mimeFromUrl(url);
  return { fileData: mimeType ? { fileUri: url, mimeType } : { fileUri: url } };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // Stray '%' that is not an escape: the text is already literal.
  }
}

function bytesToBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function userParts(content: string | ContentPart[]): GeminiPart[] {
  if (typeof content === "string") return [{ text: content }];
  return content.map((p) => (p.type === "text" ? { text: p.text } : imagePart(p.url)));
}

/** Gemini `args` must be a JSON object; canonical arguments are raw model text that may be anything. */
function argsObject(raw: string): Record<string, unknown> {
  if (raw.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return isPlainObject(parsed) ? parsed : { value: parsed };
  } catch {
    // Keep the model's text rather than dropping it: the model sees what it said.
    return { value: raw };
  }
}

/** `functionResponse.response` must be an object: structured results pass through, plain text is wrapped. */
function toolResult(content: string): Record<string, unknown> {
  try {
    return { content: JSON.parse(content) as unknown };
  } catch {
    return { content: { result: content } };
  }
}

function buildContents(messages: Message[], modelId: string): { contents: GeminiContent[]; system: string[] } {
  const contents: GeminiContent[] = [];
  const system: string[] = [];
  // toolCallId → function name, filled in conversation order so a reused id (Gemini ids are `call_<index>` per turn)
  // resolves to the most recent call that used it.
  const callNames = new Map<string, string>();
  const signature = needsThoughtSignature(modelId);

  const push = (role: GeminiContent["role"], parts: GeminiPart[]): void => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    // Gemini expects turns to alternate; parallel tool results and split user turns fold into one content.
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  for (const msg of messages) {
    switch (msg.role) {
      case "system":
        // Gemini has no in-conversation system role; every system message joins the system instruction.
        system.push(msg.content);
        break;
      case "user":
        push("user", userParts(msg.content));
        break;
      case "assistant": {
        const parts: GeminiPart[] = [];
        if (msg.content) parts.push({ text: msg.content });
        for (const call of msg.toolCalls ?? []) {
          callNames.set(call.id, call.name);
          const part: GeminiPart = { functionCall: { name: call.name, args: argsObject(call.arguments) } };
          if (signature) part.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
          parts.push(part);
        }
        push("model", parts);
        break;
      }
      case "tool": {
        const name = callNames.get(msg.toolCallId);
        if (name === undefined) {
          // Gemini matches results by function name; without the originating call there is nothing valid to send.
          throw new UpstreamError("bad_request", `tool message refers to unknown tool call '${msg.toolCallId}'`);
        }
        push("user", [{ functionResponse: { name, response: toolResult(msg.content) } }]);
        break;
      }
    }
  }
  return { contents, system };
}

function functionCallingConfig(choice: ToolChoice): Record<string, unknown> {
  if (choice === "auto") return { mode: "AUTO" };
  if (choice === "none") return { mode: "NONE" };
  if (choice === "required") return { mode: "ANY" };
  return { mode: "ANY", allowedFunctionNames: [choice.name] };
}

/** Function parameters in Gemini's schema subset; an object with no properties is rejected, so it is omitted. */
function toolParameters(params: Record<string, unknown>): unknown {
  const props = params.properties;
  if (Object.keys(params).length === 0) return undefined;
  if (params.type === "object" && (!isPlainObject(props) || Object.keys(props).length === 0)) return undefined;
  return toGeminiSchema(params);
}

function buildBody(req: CanonicalRequest, modelId: string): Record<string, unknown> {
  const { contents, system } = buildContents(req.messages, modelId);
  const body: Record<string, unknown> = { contents };
  if (system.length > 0) body.systemInstruction = { parts: system.map((text) => ({ text })) };
  if (req.tools && req.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: req.tools.map((t) => {
          const decl: Record<string, unknown> = { name: t.name };
          if (t.description !== undefined) decl.description = t.description;
          const parameters = toolParameters(t.parameters);
          if (parameters !== undefined) decl.parameters = parameters;
          return decl;
        }),
      },
    ];
  }
  if (req.toolChoice !== undefined) body.toolConfig = { functionCallingConfig: functionCallingConfig(req.toolChoice) };

  const gen: Record<string, unknown> = {};
  if (req.maxTokens !== undefined) gen.maxOutputTokens = req.maxTokens;
  if (req.temperature !== undefined) gen.temperature = req.temperature;
  if (req.topP !== undefined) gen.topP = req.topP;
  if (req.stop && req.stop.length > 0) gen.stopSequences = req.stop;
  if (req.responseFormat?.type === "json_object") gen.responseMimeType = "application/json";
  if (req.responseFormat?.type === "json_schema") {
    gen.responseMimeType = "application/json";
    gen.responseSchema = toGeminiSchema(req.responseFormat.schema);
  }
  if (Object.keys(gen).length > 0) body.generationConfig = gen;
  // `user` and `metadata` have no Gemini API equivalent and are not sent.
  return body;
}

// ---------------------------------------------------------------------------------------------------------------
// Response parsing
// ---------------------------------------------------------------------------------------------------------------

const GeminiResponsePart = z.object({
  text: z.string().optional(),
  /** Thought summaries (only with includeThoughts, which we never ask for): not answer text. */
  thought: z.boolean().optional(),
  functionCall: z
    .object({ name: z.string(), args: z.record(z.string(), z.unknown()).optional(), id: z.string().optional() })
    .optional(),
});

const GenerateContentResponse = z
  .object({
    candidates: z
      .array(
        z.object({
          content: z.object({ role: z.string().optional(), parts: z.array(GeminiResponsePart).optional() }).optional(),
          finishReason: z.string().optional(),
        }),
      )
      .optional(),
    promptFeedback: z.object({ blockReason: z.string().optional() }).optional(),
    usageMetadata: z
      .object({
        promptTokenCount: z.number().int().nonnegative().optional(),
        candidatesTokenCount: z.number().int().nonnegative().optional(),
        thoughtsTokenCount: z.number().int().nonnegative().optional(),
      })
      .optional(),
    modelVersion: z.string().optional(),
    responseId: z.string().optional(),
  })
  // A real response has candidates, or none with the prompt's block reason; anything else is not Gemini's shape.
  .refine((r) => (r.candidates?.length ?? 0) > 0 || r.promptFeedback?.blockReason !== undefined, {
    message: "no candidates and no promptFeedback.blockReason",
  });
type GenerateContentResponse = z.infer<typeof GenerateContentResponse>;

const CONTENT_FILTER_REASONS = new Set(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"]);

function mapFinish(reason: string, hasToolCalls: boolean): FinishReason {
  if (reason === "MAX_TOKENS") return "length";
  if (CONTENT_FILTER_REASONS.has(reason)) return "content_filter";
  // Gemini reports STOP after function calls too; callers expect OpenAI's tool_calls there.
  return hasToolCalls ? "tool_calls" : "stop";
}

function toUsage(u: GenerateContentResponse["usageMetadata"]): Usage | undefined {
  if (!u) return undefined;
  // Thinking tokens are billed as output but reported apart from candidatesTokenCount; fold them in so cost is right.
  return {
    inputTokens: u.promptTokenCount ?? 0,
    outputTokens: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0),
  };
}

function validate(json: unknown, target: Target): GenerateContentResponse {
  const parsed = GenerateContentResponse.safeParse(json);
  if (!parsed.success) {
    throw new UpstreamError("malformed", `${target.provider.id} answered a body that is not a GenerateContentResponse`);
  }
  return parsed.data;
}

/** In-stream `{error:{code,message,status}}` → the class a non-2xx with that status would have had. */
function streamError(err: Record<string, unknown>, target: Target): UpstreamError {
  const code = typeof err.code === "number" ? err.code : undefined;
  const status = typeof err.status === "string" ? err.status : undefined;
  const detail = typeof err.message === "string" ? err.message : (status ?? "unknown");
  const message = `${target.provider.id} stream error: ${detail}`;
  const opts = code !== undefined ? { status: code } : {};
  if (code === 429 || status === "RESOURCE_EXHAUSTED") return new UpstreamError("rate_limited", message, opts);
  if ((code !== undefined && code >= 500) || status === "UNAVAILABLE" || status === "INTERNAL") {
    return new UpstreamError("server_error", message, opts);
  }
  return new UpstreamError("bad_request", message, opts);
}

async function* parseGeminiStream(body: ReadableStream<Uint8Array>, target: Target): AsyncGenerator<StreamEvent> {
  let toolIndex = 0;
  let finished = false;
  let usage: Usage | undefined;
  for await (const ev of readSse(body)) {
    const json = parseJsonEvent(ev.data, target.provider.id);
    if (isPlainObject(json) && isPlainObject(json.error)) throw streamError(json.error, target);
    const chunk = validate(json, target);
    usage = toUsage(chunk.usageMetadata) ?? usage;
    // After the finish only usage may follow (canonical stream order), so later content is not emitted.
    if (finished) continue;
    const candidate = chunk.candidates?.[0];
    if (!candidate) {
      // No candidates passed validation only with a prompt block reason: the prompt itself was refused.
      finished = true;
      yield { type: "finish", finishReason: "content_filter" };
      continue;
    }
    for (const part of candidate.content?.parts ?? []) {
      if (part.functionCall) {
        const index = toolIndex++;
        // Gemini sends each call whole in one chunk, so one event carries id, name and all arguments.
        yield {
          type: "toolCall",
          index,
          id: part.functionCall.id ?? `call_${index}`,
          name: part.functionCall.name,
          argumentsDelta: JSON.stringify(part.functionCall.args ?? {}),
        };
      } else if (part.text && !part.thought) {
        yield { type: "text", text: part.text };
      }
    }
    if (candidate.finishReason !== undefined && candidate.finishReason !== "FINISH_REASON_UNSPECIFIED") {
      finished = true;
      yield { type: "finish", finishReason: mapFinish(candidate.finishReason, toolIndex > 0) };
    }
  }
  // A stream that never said why it stopped was cut: no finish, and so no usage either (usage only follows finish).
  if (finished && usage) yield { type: "usage", usage };
}

// ---------------------------------------------------------------------------------------------------------------
// The adapter
// ---------------------------------------------------------------------------------------------------------------

/**
 * The Gemini API (`kind: "gemini"`). `provider.baseUrl` is the API root,
 * e.g. `https://generativelanguage.googleapis.com/v1beta`.
 */
export const geminiAdapter: HttpAdapter = {
  buildRequest(req, target, apiKey): VendorHttpRequest {
    const base = (target.provider.baseUrl ?? "").replace(/\/+$/, "");
    const path = modelPath(target.model.id);
    const url = req.stream ? `${base}/${path}:streamGenerateContent?alt=sse` : `${base}/${path}:generateContent`;
    const headers: Record<string, string> = {};
    if (apiKey !== undefined) headers["x-goog-api-key"] = apiKey;
    return { url, headers, body: buildBody(req, target.model.id) };
  },

  parseResponse(json, target): CanonicalResponse {
    const res = validate(json, target);
    const model = res.modelVersion ?? target.model.id;
    const usage = toUsage(res.usageMetadata);
    const base = { model, ...(res.responseId !== undefined ? { id: res.responseId } : {}), ...(usage ? { usage } : {}) };
    const candidate = res.candidates?.[0];
    if (!candidate) return { ...base, content: null, toolCalls: [], finishReason: "content_filter" };

    let text = "";
    let sawText = false;
    const toolCalls: CanonicalResponse["toolCalls"] = [];
    for (const part of candidate.content?.parts ?? []) {
      if (part.functionCall) {
        const index = toolCalls.length;
        toolCalls.push({
          id: part.functionCall.id ?? `call_${index}`,
          name: part.functionCall.name,
          arguments: JSON.stringify(part.functionCall.args ?? {}),
        });
      } else if (part.text !== undefined && !part.thought) {
        text += part.text;
        sawText = true;
      }
    }
    return {
      ...base,
      content: sawText ? text : null,
      toolCalls,
      finishReason: mapFinish(candidate.finishReason ?? "STOP", toolCalls.length > 0),
    };
  },

  parseStream(body, target) {
    return parseGeminiStream(body, target);
  },

  parseError(bodyText) {
    try {
      let json: unknown = JSON.parse(bodyText);
      // streamGenerateContent without alt=sse answers errors as a one-element JSON array.
      if (Array.isArray(json)) json = json[0];
      const error = isPlainObject(json) ? json.error : undefined;
      if (isPlainObject(error) && typeof error.message === "string") {
        const message = error.message;
        const details = Array.isArray(error.details) ? error.details.filter(isPlainObject) : [];
        // A bad key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID: report it as the auth problem it is.
        const reason = details.find((d) => typeof d.reason === "string")?.reason;
        const status = reason === "API_KEY_INVALID" ? "API_KEY_INVALID" : error.status;
        // 429s carry their wait in the body (google.rpc.RetryInfo, e.g. "58s"), not in a Retry-After header.
        const delay = details.find((d) => typeof d.retryDelay === "string")?.retryDelay;
        const m = typeof delay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(delay) : null;
        return {
          message,
          ...(typeof status === "string" ? { code: status } : {}),
          ...(m ? { retryAfterMs: Math.round(Number(m[1]) * 1000) } : {}),
        };
      }
    } catch {
      // Not JSON (an HTML error page from a proxy, say): fall through to the raw text.
    }
    return { message: bodyText.slice(0, 200) };
  },
};
