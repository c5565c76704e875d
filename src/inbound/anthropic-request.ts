/**
 * Caller side, Anthropic Messages (`POST /v1/messages`): wire body → canonical request. The shapes follow the official
 * `@anthropic-ai/sdk` `MessageCreateParams`. Unknown fields are ignored; fields Detour cannot honour (extended
 * thinking, documents, server tools) are refused with a 400 that says what to change.
 */
import * as z from "../zod";
import { badRequest } from "../api/errors";
import type { CanonicalRequest, ContentPart, Message, ToolChoice } from "../canonical";
import { bodyIssue, refuseBadToolChoice, refuseTooDeep } from "./parse-helpers";
import { refuseMalformedSchema } from "../validate/schema-shape";

const CacheControl = { cache_control: z.optional(z.unknown()) };
const TextBlock = z.object({ type: z.literal("text"), text: z.string(), citations: z.optional(z.unknown()), ...CacheControl });
const ImageBlock = z.object({
  type: z.literal("image"),
  source: z.discriminatedUnion("type", [
    z.object({ type: z.literal("base64"), media_type: z.string().check(z.minLength(1)), data: z.string().check(z.minLength(1)) }),
    z.object({ type: z.literal("url"), url: z.string().check(z.minLength(1)) }),
  ]),
  ...CacheControl,
});
const ToolUseBlock = z.object({
  type: z.literal("tool_use"),
  id: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  input: z.unknown(),
  ...CacheControl,
});
const ToolResultBlock = z.object({
  type: z.literal("tool_result"),
  tool_use_id: z.string().check(z.minLength(1)),
  content: z.optional(z.union([z.string(), z.array(z.union([TextBlock, ImageBlock]))])),
  is_error: z.optional(z.boolean()),
  ...CacheControl,
});
/** Earlier turns' thinking blocks: Detour does not run extended thinking, so it drops them from the history. */
const ThinkingBlock = z.looseObject({ type: z.enum(["thinking", "redacted_thinking"]) });
const Block = z.discriminatedUnion("type", [TextBlock, ImageBlock, ToolUseBlock, ToolResultBlock, ThinkingBlock]);
type Block = z.infer<typeof Block>;

const BLOCK_TYPES = new Set(["text", "image", "tool_use", "tool_result", "thinking", "redacted_thinking"]);
// Blocks are checked one by one (blocksOf), so an unsupported block type gets a 400 that names it.
const WireMessage = z.object({ role: z.enum(["user", "assistant"]), content: z.union([z.string(), z.array(z.unknown())]) });

const WireTool = z.object({
  name: z.string().check(z.regex(/^[a-zA-Z0-9_-]{1,64}$/, "tool names are 1-64 letters, digits, '_' or '-'")),
  description: z.optional(z.string()),
  input_schema: z.record(z.string(), z.unknown()),
  type: z.optional(z.literal("custom")),
  ...CacheControl,
});

const WireToolChoice = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.optional(z.boolean()) }),
  z.object({ type: z.literal("any"), disable_parallel_tool_use: z.optional(z.boolean()) }),
  z.object({ type: z.literal("none") }),
  z.object({ type: z.literal("tool"), name: z.string().check(z.minLength(1)), disable_parallel_tool_use: z.optional(z.boolean()) }),
]);

export const MessagesBody = z.object({
  model: z.string().check(z.minLength(1, "model is required: a route name such as 'auto' or a 'provider/model'")),
  max_tokens: z.number().check(z.int(), z.positive("max_tokens must be a positive integer")),
  messages: z.array(WireMessage).check(z.minLength(1, "messages must contain at least one message")),
  system: z.optional(z.union([z.string(), z.array(TextBlock)])),
  tools: z.optional(z.array(z.unknown())),
  tool_choice: z.optional(WireToolChoice),
  stop_sequences: z.optional(z.array(z.string())),
  temperature: z.optional(z.number().check(z.gte(0), z.lte(1))),
  top_p: z.optional(z.number().check(z.gte(0), z.lte(1))),
  top_k: z.optional(z.number().check(z.int(), z.nonnegative())),
  metadata: z.optional(z.looseObject({ user_id: z.nullish(z.string()) })),
  stream: z.optional(z.boolean()),
  thinking: z.optional(z.looseObject({ type: z.string() })),
});

/** The count_tokens body: a Messages body without `max_tokens`. */
export const CountTokensBody = z.extend(MessagesBody, { max_tokens: z.optional(z.number().check(z.int(), z.positive())) });

const PARAM_SEGMENTS: Record<string, number> = { tools: 2, messages: 2 };

/** Validate a Messages body → canonical request plus the `model` the caller named. */
export function parseMessages(body: unknown, maxJsonDepth: number, schema: typeof MessagesBody | typeof CountTokensBody = MessagesBody): { model: string; request: CanonicalRequest } {
  refuseTooDeep(body, maxJsonDepth, PARAM_SEGMENTS);
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw bodyIssue(parsed.error);
  const b = parsed.data;
  if (b.thinking && b.thinking.type !== "disabled") {
    throw badRequest("Extended thinking is not supported by this gateway (its targets may be any vendor); remove 'thinking' or set it to {\"type\": \"disabled\"}.", "thinking");
  }
  const messages: Message[] = [];
  if (b.system !== undefined) {
    const system = typeof b.system === "string" ? b.system : b.system.map((p) => p.text).join("\n");
    if (system !== "") messages.push({ role: "system", content: system });
  }
  const toolUseIds = new Set<string>();
  b.messages.forEach((m, i) => messages.push(...toCanonical(m.role, typeof m.content === "string" ? m.content : blocksOf(m.content, i), i, toolUseIds)));
  const tools = (b.tools ?? []).map((t, i) => {
    const tool = WireTool.safeParse(t);
    if (!tool.success) {
      const type = (t as { type?: unknown } | null)?.type;
      if (typeof type === "string" && type !== "custom") {
        throw badRequest(`tools[${i}] is a server tool ('${type}'); this gateway supports client tools only (name, description, input_schema).`, `tools[${i}].type`, "unsupported_tool");
      }
      throw bodyIssue(tool.error, `tools[${i}]`);
    }
    refuseMalformedSchema(tool.data.input_schema, `tools[${i}].input_schema`);
    return { name: tool.data.name, ...(tool.data.description !== undefined ? { description: tool.data.description } : {}), parameters: tool.data.input_schema };
  });
  const choice = b.tool_choice;
  const toolChoice: ToolChoice | undefined =
    choice === undefined ? undefined : choice.type === "auto" ? "auto" : choice.type === "any" ? "required" : choice.type === "none" ? "none" : { name: choice.name };
  refuseBadToolChoice(toolChoice, tools);
  const userId = b.metadata?.user_id ?? undefined;
  const request: CanonicalRequest = {
    messages,
    stream: b.stream === true,
    // Anthropic streams always carry usage (message_start and message_delta).
    includeUsage: b.stream === true,
    ...(tools.length ? { tools } : {}),
    ...(toolChoice !== undefined ? { toolChoice } : {}),
    ...(b.max_tokens !== undefined ? { maxTokens: b.max_tokens } : {}),
    ...(b.temperature !== undefined ? { temperature: b.temperature } : {}),
    ...(b.top_p !== undefined ? { topP: b.top_p } : {}),
    ...(b.stop_sequences?.length ? { stop: b.stop_sequences } : {}),
    // The Anthropic adapter sends `user` back as metadata.user_id; OpenAI-kind vendors take it as `user`.
    ...(userId ? { user: userId } : {}),
  };
  return { model: b.model, request };
}

function blocksOf(content: unknown[], i: number): Block[] {
  return content.map((raw, j) => {
    const type = (raw as { type?: unknown } | null)?.type;
    if (typeof type !== "string" || !BLOCK_TYPES.has(type)) {
      throw badRequest(
        `messages[${i}].content[${j}]: ${typeof type === "string" ? `'${type}' blocks are` : "this block is"} not supported by this gateway; send text, image, tool_use or tool_result blocks.`,
        `messages[${i}].content[${j}].type`,
      );
    }
    const block = Block.safeParse(raw);
    if (!block.success) throw bodyIssue(block.error, `messages[${i}].content[${j}]`);
    return block.data;
  });
}

/** One Anthropic message → canonical messages: `tool_result` blocks become tool messages, ahead of the user's other blocks. */
function toCanonical(role: "user" | "assistant", content: string | Block[], i: number, toolUseIds: Set<string>): Message[] {
  if (typeof content === "string") return [role === "user" ? { role, content } : { role, content }];
  if (role === "assistant") {
    let text = "";
    const toolCalls: { id: string; name: string; arguments: string }[] = [];
    content.forEach((b, j) => {
      if (b.type === "text") text += b.text;
      else if (b.type === "tool_use") {
        toolUseIds.add(b.id);
        toolCalls.push({ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) });
      } else if (b.type !== "thinking" && b.type !== "redacted_thinking") {
        throw badRequest(`messages[${i}].content[${j}]: an assistant message cannot hold a '${b.type}' block.`, `messages[${i}].content[${j}].type`);
      }
    });
    if (text === "" && toolCalls.length === 0) return [];
    return [{ role: "assistant", content: text === "" ? null : text, ...(toolCalls.length ? { toolCalls } : {}) }];
  }
  const out: Message[] = [];
  const parts: ContentPart[] = [];
  content.forEach((b, j) => {
    switch (b.type) {
      case "text":
        parts.push({ type: "text", text: b.text });
        break;
      case "image":
        parts.push({ type: "image", url: imageUrl(b) });
        break;
      case "tool_result": {
        if (!toolUseIds.has(b.tool_use_id)) {
          throw badRequest(`messages[${i}].content[${j}] answers tool_use_id '${b.tool_use_id}', which no earlier assistant message used.`, `messages[${i}].content[${j}].tool_use_id`);
        }
        const text = b.content === undefined ? "" : typeof b.content === "string" ? b.content : b.content.map((p) => (p.type === "text" ? p.text : "[image]")).join("\n");
        out.push({ role: "tool", toolCallId: b.tool_use_id, content: b.is_error ? `Error: ${text}` : text });
        break;
      }
      default:
        throw badRequest(`messages[${i}].content[${j}]: a user message cannot hold a '${b.type}' block.`, `messages[${i}].content[${j}].type`);
    }
  });
  if (parts.length) out.push({ role: "user", content: parts.every((p) => p.type === "text") ? parts.map((p) => (p as { text: string }).text).join("\n") : parts });
  return out;
}

function imageUrl(b: z.infer<typeof ImageBlock>): string {
  return b.source.type === "base64" ? `data:${b.source.media_type};base64,${b.source.data}` : b.source.url;
}
