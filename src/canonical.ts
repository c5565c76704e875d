/**
 * The canonical request, response and stream-event types every stage speaks.
 *
 * Caller wire formats (src/api/) parse into these; provider adapters (src/providers/) map them to and from vendor
 * wire formats. The shapes follow OpenAI Chat Completions closely because that is the lingua franca, but they are
 * flattened (camelCase, no `choices` array, `n` is always 1) so adapters never have to special-case OpenAI.
 */
import * as z from "./zod";

export const TextPart = z.object({ type: z.literal("text"), text: z.string() });
export const ImagePart = z.object({
  type: z.literal("image"),
  /** An https URL or a `data:` URL. */
  url: z.string(),
  detail: z.optional(z.enum(["auto", "low", "high"])),
});
export const ContentPart = z.discriminatedUnion("type", [TextPart, ImagePart]);
export type ContentPart = z.infer<typeof ContentPart>;

export const ToolCall = z.object({
  id: z.string(),
  name: z.string(),
  /** JSON text, exactly as the model produced it (may be invalid JSON; the caller decides). */
  arguments: z.string(),
});
export type ToolCall = z.infer<typeof ToolCall>;

export const Message = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content: z.string() }),
  z.object({ role: z.literal("user"), content: z.union([z.string(), z.array(ContentPart)]), name: z.optional(z.string()) }),
  z.object({
    role: z.literal("assistant"),
    content: z.nullable(z.string()),
    toolCalls: z.optional(z.array(ToolCall)),
  }),
  z.object({ role: z.literal("tool"), toolCallId: z.string(), content: z.string() }),
]);
export type Message = z.infer<typeof Message>;

export const Tool = z.object({
  name: z.string(),
  description: z.optional(z.string()),
  /** JSON Schema of the arguments. */
  parameters: z.record(z.string(), z.unknown()),
});
export type Tool = z.infer<typeof Tool>;

export const ToolChoice = z.union([
  z.enum(["auto", "none", "required"]),
  z.object({ name: z.string() }),
]);
export type ToolChoice = z.infer<typeof ToolChoice>;

export const ResponseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string(),
    schema: z.record(z.string(), z.unknown()),
    strict: z.optional(z.boolean()),
  }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormat>;

export const CanonicalRequest = z.object({
  messages: z.array(Message).check(z.minLength(1)),
  tools: z.optional(z.array(Tool)),
  toolChoice: z.optional(ToolChoice),
  responseFormat: z.optional(ResponseFormat),
  /** Output token cap; adapters whose vendor requires one (Anthropic) fill in the model's default. */
  maxTokens: z.optional(z.number().check(z.int(), z.positive())),
  temperature: z.optional(z.number()),
  topP: z.optional(z.number()),
  stop: z.optional(z.array(z.string())),
  user: z.optional(z.string()),
  metadata: z.optional(z.record(z.string(), z.string())),
  stream: z.boolean(),
  /** OpenAI `stream_options.include_usage`: emit a final usage chunk. */
  includeUsage: z.boolean(),
});
export type CanonicalRequest = z.infer<typeof CanonicalRequest>;

export const FinishReason = z.enum(["stop", "length", "tool_calls", "content_filter"]);
export type FinishReason = z.infer<typeof FinishReason>;

export const Usage = z.object({
  inputTokens: z.number().check(z.int(), z.nonnegative()),
  outputTokens: z.number().check(z.int(), z.nonnegative()),
});
export type Usage = z.infer<typeof Usage>;

export const CanonicalResponse = z.object({
  /** The vendor's id for the completion, when it gave one. */
  id: z.optional(z.string()),
  /** The model the vendor says answered (may differ from the one asked for). */
  model: z.string(),
  content: z.nullable(z.string()),
  toolCalls: z.array(ToolCall),
  finishReason: FinishReason,
  usage: z.optional(Usage),
});
export type CanonicalResponse = z.infer<typeof CanonicalResponse>;

/**
 * One event of a canonical stream. A well-formed stream is: any number of `text` / `toolCall` deltas, exactly one
 * `finish`, then optionally one `usage`. A stream that ends without `finish` was truncated upstream.
 */
export type StreamEvent =
  | { type: "text"; text: string }
  | {
      type: "toolCall";
      /** Position of the call among this response's tool calls (0-based). */
      index: number;
      /** Present on the first delta of a call. */
      id?: string;
      name?: string;
      argumentsDelta: string;
    }
  | { type: "finish"; finishReason: FinishReason }
  | { type: "usage"; usage: Usage };
