/**
 * Caller side, OpenAI Responses (`POST /v1/responses`): wire body → canonical request. Shapes follow the official
 * `openai` SDK's `ResponseCreateParams`. With storage on (`responses.store`, ./responses-store.ts) the route resolves
 * `previous_response_id` and `item_reference` items from KV first and hands the stored items in (`StoredContext`);
 * with storage off, `store: true`, `previous_response_id` and `item_reference` are refused with a 400 saying how to
 * send the conversation instead. `conversation`, hosted tools (web search, file search…) and background mode are
 * refused either way.
 */
import * as z from "../zod";
import { ApiError, badRequest, excerpt } from "../api/errors";
import { WireMetadata } from "../api/openai-request";
import type { CanonicalRequest, ContentPart, Message, ResponseFormat, ToolChoice } from "../canonical";
import { bodyIssue, refuseBadToolChoice, refuseTooDeep } from "./parse-helpers";
import { refuseMalformedSchema } from "../validate/schema-shape";

const InputText = z.object({ type: z.literal("input_text"), text: z.string() });
const OutputText = z.looseObject({ type: z.literal("output_text"), text: z.string() });
const Refusal = z.object({ type: z.literal("refusal"), refusal: z.string() });
const InputImage = z.object({
  type: z.literal("input_image"),
  image_url: z.nullish(z.string().check(z.minLength(1))),
  file_id: z.nullish(z.string()),
  detail: z.optional(z.enum(["auto", "low", "high"])),
});
const InputFile = z.looseObject({ type: z.literal("input_file") });
const Part = z.discriminatedUnion("type", [InputText, OutputText, Refusal, InputImage, InputFile]);
type Part = z.infer<typeof Part>;

const MessageItem = z.object({
  type: z.optional(z.literal("message")),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(Part)]),
  id: z.optional(z.string()),
  status: z.optional(z.string()),
});
const FunctionCall = z.object({
  type: z.literal("function_call"),
  call_id: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  arguments: z.string(),
  id: z.optional(z.string()),
  status: z.optional(z.string()),
});
const FunctionCallOutput = z.object({
  type: z.literal("function_call_output"),
  call_id: z.string().check(z.minLength(1)),
  output: z.union([z.string(), z.array(Part)]),
  id: z.nullish(z.string()),
  status: z.nullish(z.string()),
});

const FunctionTool = z.object({
  type: z.literal("function"),
  name: z.string().check(z.regex(/^[a-zA-Z0-9_-]{1,64}$/, "tool names are 1-64 letters, digits, '_' or '-'")),
  description: z.nullish(z.string()),
  parameters: z.nullish(z.record(z.string(), z.unknown())),
  strict: z.nullish(z.boolean()),
});

const Format = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string().check(z.minLength(1)),
    schema: z.record(z.string(), z.unknown()),
    description: z.optional(z.string()),
    strict: z.nullish(z.boolean()),
  }),
]);

export const ResponsesBody = z.object({
  model: z.string().check(z.minLength(1, "model is required: a route name such as 'auto' or a 'provider/model'")),
  input: z.union([
    z.string().check(z.minLength(1, "input must not be empty")),
    z.array(z.unknown()).check(z.minLength(1, "input must contain at least one item")),
  ]),
  instructions: z.nullish(z.string()),
  tools: z.optional(z.array(z.unknown())),
  tool_choice: z.optional(
    z.union([z.enum(["auto", "none", "required"]), z.object({ type: z.literal("function"), name: z.string().check(z.minLength(1)) })]),
  ),
  text: z.nullish(z.looseObject({ format: z.optional(Format), verbosity: z.nullish(z.string()) })),
  max_output_tokens: z.nullish(z.number().check(z.int(), z.positive())),
  temperature: z.nullish(z.number().check(z.gte(0), z.lte(2))),
  top_p: z.nullish(z.number().check(z.gte(0), z.lte(1))),
  stream: z.nullish(z.boolean()),
  store: z.nullish(z.boolean()),
  previous_response_id: z.nullish(z.string()),
  conversation: z.optional(z.unknown()),
  background: z.nullish(z.boolean()),
  metadata: z.nullish(WireMetadata),
  user: z.optional(z.string()),
  parallel_tool_calls: z.nullish(z.boolean()),
  // Accepted, echoed on the response object, not acted on (./responses-echo.ts, docs/inbound-apis.md).
  truncation: z.nullish(z.enum(["auto", "disabled"])),
  reasoning: z.nullish(z.looseObject({ effort: z.nullish(z.string()), summary: z.nullish(z.string()) })),
  safety_identifier: z.nullish(z.string()),
  prompt_cache_key: z.nullish(z.string()),
});

const STATELESS = "Response storage is off on this gateway (responses.store.enabled is false), so its Responses API is stateless: send the whole conversation in 'input'";
const PARAM_SEGMENTS: Record<string, number> = { tools: 2, input: 2, text: 2 };

export type ResponsesBody = z.infer<typeof ResponsesBody>;

// Storage's schema additions, kept together: an item_reference names a stored item by id.
const ItemReference = z.object({ type: z.literal("item_reference"), id: z.string().check(z.minLength(1, "an item_reference needs the id of a stored item")) });

/** What storage resolved for one request (./responses-store.ts); absent when storage is off. */
export interface StoredContext {
  /** The previous response's whole conversation: its input items, then its output items. */
  previous: unknown[];
  /** item_reference id → the stored item it names. */
  items: Map<string, unknown>;
}

/** The `item_reference` items of `input`, in order; a malformed one is a 400 naming it. */
export function itemReferences(input: ResponsesBody["input"]): { index: number; id: string }[] {
  if (typeof input === "string") return [];
  const refs: { index: number; id: string }[] = [];
  input.forEach((item, i) => {
    if ((item as { type?: unknown } | null)?.type === "item_reference") refs.push({ index: i, id: parseItem(ItemReference, item, i).id });
  });
  return refs;
}

/** Check a Responses body's shape (400 for anything Detour cannot take), before anything is read from storage. */
export function validateResponses(body: unknown, maxJsonDepth: number): ResponsesBody {
  refuseTooDeep(body, maxJsonDepth, PARAM_SEGMENTS);
  const parsed = ResponsesBody.safeParse(body);
  if (!parsed.success) throw bodyIssue(parsed.error);
  const b = parsed.data;
  if (b.conversation != null) throw badRequest("The Conversations API is not supported by this gateway: continue with 'previous_response_id', or send the whole conversation in 'input'.", "conversation", "stateful_unsupported");
  if (b.background === true) throw badRequest("Background responses are not supported by this gateway; omit 'background'.", "background");
  return b;
}

/** Validate a stateless Responses body → canonical request plus the `model` the caller named. */
export function parseResponses(body: unknown, maxJsonDepth: number): { model: string; request: CanonicalRequest } {
  const { model, request } = buildResponses(validateResponses(body, maxJsonDepth));
  return { model, request };
}

/**
 * A checked body → canonical request, the `model` named, and `input`: the whole conversation as wire items (the
 * stored previous conversation, then this request's items with references replaced by what they name), for storage.
 */
export function buildResponses(b: ResponsesBody, stored?: StoredContext): { model: string; request: CanonicalRequest; input: unknown[] } {
  if (!stored) {
    if (b.store === true) throw badRequest(`${STATELESS}; it does not store responses. Omit 'store' or set it to false (AI SDK: providerOptions.openai.store = false).`, "store", "store_unsupported");
    if (b.previous_response_id != null) throw badRequest(`${STATELESS} instead of 'previous_response_id'.`, "previous_response_id", "stateful_unsupported");
  }
  const own: unknown[] =
    typeof b.input === "string"
      ? [{ type: "message", role: "user", content: b.input }]
      : b.input.map((item, i) => {
          if ((item as { type?: unknown } | null)?.type !== "item_reference") return item;
          if (!stored) throw badRequest(`input[${i}] is an item_reference; ${STATELESS} (AI SDK: set providerOptions.openai.store = false).`, `input[${i}]`, "stateful_unsupported");
          const id = parseItem(ItemReference, item, i).id;
          const found = stored.items.get(id);
          if (found === undefined) throw new ApiError(404, "invalid_request_error", "item_not_found", `Item with id '${excerpt(id)}' not found.`, `input[${i}]`);
          return found;
        });
  const previous = stored?.previous ?? [];
  const input = [...previous, ...own];

  const messages: Message[] = [];
  if (b.instructions) messages.push({ role: "system", content: b.instructions });
  const callIds = new Set<string>();
  // Errors name the caller's own `input[i]` (stored items were checked when they were stored).
  input.forEach((item, k) => addItem(messages, item, k - previous.length, callIds));
  if (!messages.some((m) => m.role === "user")) throw badRequest("input must include at least one user message.", "input");

  const tools = (b.tools ?? []).map((t, i) => {
    const tool = FunctionTool.safeParse(t);
    if (!tool.success) {
      const type = (t as { type?: unknown } | null)?.type;
      if (typeof type === "string" && type !== "function") {
        throw badRequest(`tools[${i}] is a hosted tool ('${type}'); this gateway supports function tools only.`, `tools[${i}].type`, "unsupported_tool");
      }
      throw bodyIssue(tool.error, `tools[${i}]`);
    }
    const d = tool.data;
    if (d.parameters) refuseMalformedSchema(d.parameters, `tools[${i}].parameters`);
    return { name: d.name, ...(d.description != null ? { description: d.description } : {}), parameters: d.parameters ?? { type: "object", properties: {} } };
  });
  const toolChoice: ToolChoice | undefined = b.tool_choice === undefined ? undefined : typeof b.tool_choice === "string" ? b.tool_choice : { name: b.tool_choice.name };
  refuseBadToolChoice(toolChoice, tools);
  const f = b.text?.format;
  if (f?.type === "json_schema") refuseMalformedSchema(f.schema, "text.format.schema");
  const responseFormat: ResponseFormat | undefined =
    f === undefined ? undefined : f.type === "json_schema" ? { type: "json_schema", name: f.name, schema: f.schema, ...(f.strict != null ? { strict: f.strict } : {}) } : { type: f.type };
  const request: CanonicalRequest = {
    messages,
    stream: b.stream === true,
    // Responses streams always end with the usage in `response.completed`.
    includeUsage: b.stream === true,
    ...(tools.length ? { tools } : {}),
    ...(toolChoice !== undefined ? { toolChoice } : {}),
    ...(responseFormat ? { responseFormat } : {}),
    ...(b.max_output_tokens != null ? { maxTokens: b.max_output_tokens } : {}),
    ...(b.temperature != null ? { temperature: b.temperature } : {}),
    ...(b.top_p != null ? { topP: b.top_p } : {}),
    ...(b.user !== undefined ? { user: b.user } : {}),
    ...(b.metadata ? { metadata: b.metadata } : {}),
  };
  return { model: b.model, request, input };
}

/** One input item → canonical messages (consecutive function calls join one assistant turn). */
function addItem(messages: Message[], item: unknown, i: number, callIds: Set<string>): void {
  const type = (item as { type?: unknown } | null)?.type;
  // Reasoning items from an earlier turn: Detour does not run reasoning models' hidden state, so they are dropped.
  if (type === "reasoning") return;
  if (type === "function_call") {
    const call = parseItem(FunctionCall, item, i);
    callIds.add(call.call_id);
    const last = messages.at(-1);
    const tc = { id: call.call_id, name: call.name, arguments: call.arguments };
    if (last?.role === "assistant") last.toolCalls = [...(last.toolCalls ?? []), tc];
    else messages.push({ role: "assistant", content: null, toolCalls: [tc] });
    return;
  }
  if (type === "function_call_output") {
    const out = parseItem(FunctionCallOutput, item, i);
    if (!callIds.has(out.call_id)) throw badRequest(`input[${i}] answers call_id '${out.call_id}', which no earlier function_call item made.`, `input[${i}].call_id`);
    messages.push({ role: "tool", toolCallId: out.call_id, content: typeof out.output === "string" ? out.output : textOf(out.output, i) });
    return;
  }
  if (type !== undefined && type !== "message") throw badRequest(`input[${i}] is a '${String(type)}' item; this gateway takes message, function_call and function_call_output items.`, `input[${i}].type`);
  const m = parseItem(MessageItem, item, i);
  if (m.role === "system" || m.role === "developer") {
    messages.push({ role: "system", content: typeof m.content === "string" ? m.content : textOf(m.content, i) });
  } else if (m.role === "assistant") {
    messages.push({ role: "assistant", content: typeof m.content === "string" ? m.content : textOf(m.content, i) });
  } else if (typeof m.content === "string") {
    messages.push({ role: "user", content: m.content });
  } else {
    const parts = m.content.map((p, j): ContentPart => {
      if (p.type === "input_text" || p.type === "output_text") return { type: "text", text: p.text };
      if (p.type === "input_image" && p.image_url) return { type: "image", url: p.image_url, ...(p.detail ? { detail: p.detail } : {}) };
      throw badRequest(`input[${i}].content[${j}]: '${p.type}'${p.type === "input_image" ? " by file_id" : ""} is not supported by this gateway; send text, or images by URL or data: URL.`, `input[${i}].content[${j}]`);
    });
    messages.push({ role: "user", content: parts });
  }
}

function parseItem<T extends z.ZodMiniType>(schema: T, item: unknown, i: number): z.infer<T> {
  const r = schema.safeParse(item);
  if (!r.success) throw bodyIssue(r.error, `input[${i}]`);
  return r.data;
}

function textOf(parts: Part[], i: number): string {
  return parts
    .map((p, j) => {
      if (p.type === "input_text" || p.type === "output_text") return p.text;
      if (p.type === "refusal") return p.refusal;
      throw badRequest(`input[${i}].content[${j}]: only text parts are allowed here.`, `input[${i}].content[${j}]`);
    })
    .join("");
}
