/**
 * Caller side, OpenAI Chat Completions: wire body → canonical request. Unknown fields are ignored (SDKs add new ones
 * faster than any gateway), but fields we cannot honour are refused with a 400 that says what to change, rather than
 * silently dropped.
 */
import * as z from "../zod";
import type { CanonicalRequest, ContentPart, Message } from "../canonical";
import { badRequest, excerpt } from "./errors";
import { fastChatCompletion } from "./fast-request";
import { tooDeepAt } from "./json-depth";
import { refuseMalformedSchema } from "../validate/schema-shape";

/** `limits.maxJsonDepth`'s default: far above any real schema (OpenAI's strict schemas allow 10 levels). */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * Largest `json_schema` or tool `parameters`, in characters of JSON. Every answer is validated against these schemas
 * (src/validate/), so their size is a cost on each attempt; far above real schemas (OpenAI's strict mode allows 100
 * properties in total).
 */
export const MAX_SCHEMA_CHARS = 100_000;

/** The 400 for a schema over `MAX_SCHEMA_CHARS`, or nothing. */
function schemaTooLarge(schema: unknown, param: string): void {
  const size = schema === undefined ? 0 : JSON.stringify(schema).length;
  if (size > MAX_SCHEMA_CHARS) {
    throw badRequest(
      `Invalid value for '${param}': the schema is ${size} characters of JSON, over this gateway's limit of ${MAX_SCHEMA_CHARS} (each answer is validated against it).`,
      param,
      "schema_too_large",
    );
  }
}

const TextPart = z.object({ type: z.literal("text"), text: z.string() });
const ImagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.object({ url: z.string().check(z.minLength(1)), detail: z.optional(z.enum(["auto", "low", "high"])) }),
});
// Each union names its shapes: zod's own message for a value matching none is "Invalid input".
const UserContent = z.union([z.string(), z.array(z.discriminatedUnion("type", [TextPart, ImagePart])).check(z.minLength(1))], {
  error: 'content is a string or a non-empty array of text and image_url parts ({"type": "text", "text": "…"})',
});
const TextContent = z.union([z.string(), z.array(TextPart)], { error: 'content is a string or an array of text parts ({"type": "text", "text": "…"})' });

const WireToolCall = z.object({
  id: z.string().check(z.minLength(1)),
  type: z.literal("function"),
  function: z.object({ name: z.string().check(z.minLength(1)), arguments: z.string() }),
});

const WireMessage = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content: TextContent, name: z.optional(z.string()) }),
  z.object({ role: z.literal("developer"), content: TextContent, name: z.optional(z.string()) }),
  z.object({ role: z.literal("user"), content: UserContent, name: z.optional(z.string()) }),
  z.object({
    role: z.literal("assistant"),
    content: z.nullish(TextContent),
    tool_calls: z.optional(z.array(WireToolCall)),
    refusal: z.nullish(z.string()),
    name: z.optional(z.string()),
  }),
  z.object({ role: z.literal("tool"), content: TextContent, tool_call_id: z.string().check(z.minLength(1)) }),
]);

const WireTool = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().check(z.regex(/^[a-zA-Z0-9_-]{1,64}$/, "tool names are 1-64 letters, digits, '_' or '-'")),
    description: z.optional(z.string()),
    parameters: z.optional(z.record(z.string(), z.unknown())),
    strict: z.nullish(z.boolean()),
  }),
});

/** OpenAI's `tool_choice` (shared with the simulated vendor, which speaks the same wire format). */
export const WireToolChoice = z.union(
  [z.enum(["auto", "none", "required"]), z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) })],
  { error: 'tool_choice is "auto", "none", "required" or {"type": "function", "function": {"name": "…"}}' },
);

/** OpenAI's `response_format`. */
export const WireResponseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().check(z.minLength(1)),
      description: z.optional(z.string()),
      schema: z.optional(z.record(z.string(), z.unknown())),
      strict: z.nullish(z.boolean()),
    }),
  }),
]);

/**
 * OpenAI's `metadata` (Chat Completions and Responses): at most 16 pairs, keys up to 64 characters, values up to 512 —
 * OpenAI refuses more, so Detour does before any vendor sees it.
 */
export const WireMetadata = z.record(z.string(), z.string()).check(
  z.refine(
    (m) => Object.keys(m).length <= 16 && Object.entries(m).every(([k, v]) => k.length <= 64 && v.length <= 512),
    "metadata holds at most 16 key-value pairs, keys up to 64 characters and values up to 512 (OpenAI's limits)",
  ),
);

export const ChatCompletionBody = z.object({
  model: z.string().check(z.minLength(1, "model is required: a route name such as 'auto' or a 'provider/model'")),
  messages: z.array(WireMessage).check(z.minLength(1, "messages must contain at least one message")),
  stream: z.nullish(z.boolean()),
  stream_options: z.nullish(z.object({ include_usage: z.optional(z.boolean()) })),
  tools: z.optional(z.array(WireTool)),
  tool_choice: z.optional(WireToolChoice),
  parallel_tool_calls: z.optional(z.boolean()),
  response_format: z.optional(WireResponseFormat),
  max_tokens: z.nullish(z.number().check(z.int(), z.positive())),
  max_completion_tokens: z.nullish(z.number().check(z.int(), z.positive())),
  temperature: z.nullish(z.number().check(z.gte(0), z.lte(2))),
  top_p: z.nullish(z.number().check(z.gte(0), z.lte(1))),
  stop: z.nullish(z.union([z.string(), z.array(z.string()).check(z.maxLength(4))], { error: "stop is a string or an array of up to 4 strings" })),
  n: z.nullish(z.number().check(z.int())),
  user: z.optional(z.string()),
  metadata: z.nullish(WireMetadata),
  logprobs: z.nullish(z.boolean()),
  functions: z.optional(z.unknown()),
  function_call: z.optional(z.unknown()),
});
export type ChatCompletionBody = z.infer<typeof ChatCompletionBody>;

function textOf(content: string | { text: string }[] | null | undefined): string {
  if (content == null) return "";
  return typeof content === "string" ? content : content.map((p) => p.text).join("");
}

/** `messages[0].content` style path for OpenAI's `param`. */
function paramOf(path: PropertyKey[]): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)),
    "",
  );
}

/** How many leading path segments name the parameter a too-deep value sits in (the rest is inside the caller's JSON). */
const PARAM_SEGMENTS: Record<string, number> = { response_format: 3, tools: 4, messages: 2 };

/**
 * Validate a parsed JSON body and map it to the canonical request plus the `model` the caller named. `maxJsonDepth`
 * bounds how deep the body nests (counted from its top level), so no adapter's recursive conversion of a schema or
 * tool parameters can overflow on it.
 */
export function parseChatCompletion(body: unknown, maxJsonDepth = DEFAULT_MAX_JSON_DEPTH): { model: string; request: CanonicalRequest } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("The request body must be a JSON object.");
  }
  const deep = tooDeepAt(body, maxJsonDepth);
  if (deep) {
    const param = paramOf(deep.slice(0, PARAM_SEGMENTS[String(deep[0])] ?? 1));
    throw badRequest(
      `Invalid value for '${param}': JSON nested deeper than this gateway's limit of ${maxJsonDepth} levels (limits.maxJsonDepth, counted from the top of the request body).`,
      param,
      "json_too_deep",
    );
  }
  const parsed = fastChatCompletion<ChatCompletionBody>(body) ?? ChatCompletionBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = paramOf(issue.path);
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : "";
    throw badRequest(`Invalid value for '${param || "body"}': ${issue.message}${more}`, param || null);
  }
  const b = parsed.data;
  if (b.n != null && b.n !== 1) throw badRequest("Detour serves n=1 only; send one request per choice.", "n");
  if (b.logprobs) throw badRequest("logprobs are not supported through Detour (not every provider returns them).", "logprobs");
  if (b.functions !== undefined || b.function_call !== undefined) {
    throw badRequest("The legacy 'functions'/'function_call' parameters are not supported; use 'tools'/'tool_choice'.", "functions");
  }
  if (b.stream_options && !b.stream) throw badRequest("stream_options is only allowed when stream is true.", "stream_options");
  if (b.tool_choice !== undefined && b.tool_choice !== "none" && (!b.tools || b.tools.length === 0)) {
    throw badRequest("tool_choice needs tools: pass the tools the model may call.", "tool_choice");
  }
  if (b.response_format?.type === "json_schema") {
    schemaTooLarge(b.response_format.json_schema.schema, "response_format.json_schema.schema");
    refuseMalformedSchema(b.response_format.json_schema.schema ?? {}, "response_format.json_schema.schema");
  }
  b.tools?.forEach((t, i) => {
    schemaTooLarge(t.function.parameters, `tools[${i}].function.parameters`);
    refuseMalformedSchema(t.function.parameters ?? {}, `tools[${i}].function.parameters`);
  });
  if (b.tool_choice && typeof b.tool_choice === "object") {
    const name = b.tool_choice.function.name;
    if (!b.tools?.some((t) => t.function.name === name)) {
      throw badRequest(`tool_choice names '${excerpt(name)}', which is not among tools.`, "tool_choice");
    }
  }

  const messages: Message[] = [];
  const toolCallIds = new Set<string>();
  b.messages.forEach((m, i) => {
    switch (m.role) {
      case "system":
      case "developer":
        messages.push({ role: "system", content: textOf(m.content) });
        break;
      case "user":
        messages.push({
          role: "user",
          content:
            typeof m.content === "string"
              ? m.content
              : m.content.map((p): ContentPart =>
                  p.type === "text"
                    ? { type: "text", text: p.text }
                    : { type: "image", url: p.image_url.url, ...(p.image_url.detail ? { detail: p.image_url.detail } : {}) },
                ),
          ...(m.name ? { name: m.name } : {}),
        });
        break;
      case "assistant": {
        const content = m.content == null ? null : textOf(m.content);
        const toolCalls = m.tool_calls?.map((tc) => ({ id: tc.id, name: tc.function.name, arguments: tc.function.arguments }));
        toolCalls?.forEach((tc) => toolCallIds.add(tc.id));
        if ((content === null || content === "") && !toolCalls?.length) {
          throw badRequest("An assistant message needs content or tool_calls.", `messages[${i}]`);
        }
        messages.push({ role: "assistant", content, ...(toolCalls?.length ? { toolCalls } : {}) });
        break;
      }
      case "tool":
        if (!toolCallIds.has(m.tool_call_id)) {
          throw badRequest(
            `messages[${i}] answers tool_call_id '${m.tool_call_id}', which no earlier assistant message called.`,
            `messages[${i}].tool_call_id`,
          );
        }
        messages.push({ role: "tool", toolCallId: m.tool_call_id, content: textOf(m.content) });
        break;
    }
  });
  if (!messages.some((m) => m.role === "user")) {
    throw badRequest("messages must include at least one user message.", "messages");
  }

  const stop = b.stop == null ? undefined : typeof b.stop === "string" ? [b.stop] : b.stop;
  const maxTokens = b.max_completion_tokens ?? b.max_tokens ?? undefined;
  const request: CanonicalRequest = {
    messages,
    stream: b.stream === true,
    includeUsage: b.stream === true && b.stream_options?.include_usage === true,
    ...(b.tools?.length
      ? {
          tools: b.tools.map((t) => ({
            name: t.function.name,
            ...(t.function.description !== undefined ? { description: t.function.description } : {}),
            parameters: t.function.parameters ?? { type: "object", properties: {} },
          })),
        }
      : {}),
    ...(b.tool_choice !== undefined
      ? { toolChoice: typeof b.tool_choice === "string" ? b.tool_choice : { name: b.tool_choice.function.name } }
      : {}),
    ...(b.response_format
      ? {
          responseFormat:
            b.response_format.type === "json_schema"
              ? {
                  type: "json_schema" as const,
                  name: b.response_format.json_schema.name,
                  schema: b.response_format.json_schema.schema ?? {},
                  ...(b.response_format.json_schema.strict != null ? { strict: b.response_format.json_schema.strict } : {}),
                }
              : { type: b.response_format.type },
        }
      : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(b.temperature != null ? { temperature: b.temperature } : {}),
    ...(b.top_p != null ? { topP: b.top_p } : {}),
    ...(stop ? { stop } : {}),
    ...(b.user !== undefined ? { user: b.user } : {}),
    ...(b.metadata ? { metadata: b.metadata } : {}),
  };
  return { model: b.model, request };
}
