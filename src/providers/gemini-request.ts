/**
 * Gemini request mapping: canonical request → `generateContent` body (contents and system instruction, tools and
 * function-calling config, generation config, JSON schema in Gemini's OpenAPI subset). Roles are "user" and "model";
 * function results go back as "user" `functionResponse` parts keyed by function *name* (Gemini function calls carry
 * no id), so the name is recovered from the assistant turn that made the call.
 */
import type { CanonicalRequest, ContentPart, Message, ToolChoice } from "../canonical";
import { UpstreamError } from "../engine/errors";

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
export function modelPath(modelId: string): string {
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

export function isPlainObject(v: unknown): v is Record<string, unknown> {
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

/** The `generateContent` / `streamGenerateContent` body for a canonical request. */
export function buildBody(req: CanonicalRequest, modelId: string): Record<string, unknown> {
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
