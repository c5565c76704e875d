/**
 * Caller side, OpenAI Responses (`POST /v1/responses`), stateless: wire body → canonical request. Shapes follow the
 * official `openai` SDK's `ResponseCreateParams`. Detour keeps no conversation state, so `store: true`,
 * `previous_response_id`, `conversation` and `item_reference` items are refused with a 400 saying how to send the
 * conversation instead; hosted tools (web search, file search…) and background mode are refused too.
 */
import * as z from "../zod";
import { badRequest } from "../api/errors";
import type { CanonicalRequest, ContentPart, Message, ResponseFormat, ToolChoice } from "../canonical";
import { bodyIssue, refuseTooDeep } from "./parse-helpers";

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
  text: z.nullish(z.looseObject({ format: z.optional(Format) })),
  max_output_tokens: z.nullish(z.number().check(z.int(), z.positive())),
  temperature: z.nullish(z.number().check(z.gte(0), z.lte(2))),
  top_p: z.nullish(z.number().check(z.gte(0), z.lte(1))),
  stream: z.nullish(z.boolean()),
  store: z.nullish(z.boolean()),
  previous_response_id: z.nullish(z.string()),
  conversation: z.optional(z.unknown()),
  background: z.nullish(z.boolean()),
  metadata: z.nullish(z.record(z.string(), z.string())),
  user: z.optional(z.string()),
  parallel_tool_calls: z.nullish(z.boolean()),
});

const STATELESS = "Detour's Responses API is stateless: send the whole conversation in 'input'";
const PARAM_SEGMENTS: Record<string, number> = { tools: 2, input: 2, text: 2 };

/** Validate a Responses body → canonical request plus the `model` the caller named. */
export function parseResponses(body: unknown, maxJsonDepth: number): { model: string; request: CanonicalRequest } {
  refuseTooDeep(body, maxJsonDepth, PARAM_SEGMENTS);
  const parsed = ResponsesBody.safeParse(body);
  if (!parsed.success) throw bodyIssue(parsed.error);
  const b = parsed.data;
  if (b.store === true) throw badRequest(`${STATELESS}; it does not store responses. Omit 'store' or set it to false (AI SDK: providerOptions.openai.store = false).`, "store", "store_unsupported");
  if (b.previous_response_id != null) throw badRequest(`${STATELESS} instead of 'previous_response_id'.`, "previous_response_id", "stateful_unsupported");
  if (b.conversation != null) throw badRequest(`${STATELESS} instead of 'conversation'.`, "conversation", "stateful_unsupported");
  if (b.background === true) throw badRequest("Background responses are not supported by this gateway; omit 'background'.", "background");

  const messages: Message[] = [];
  if (b.instructions) messages.push({ role: "system", content: b.instructions });
  if (typeof b.input === "string") messages.push({ role: "user", content: b.input });
  else {
    const callIds = new Set<string>();
    b.input.forEach((item, i) => addItem(messages, item, i, callIds));
  }
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
    return { name: d.name, ...(d.description != null ? { description: d.description } : {}), parameters: d.parameters ?? { type: "object", properties: {} } };
  });
  const toolChoice: ToolChoice | undefined = b.tool_choice === undefined ? undefined : typeof b.tool_choice === "string" ? b.tool_choice : { name: b.tool_choice.name };
  const f = b.text?.format;
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
  return { model: b.model, request };
}

/** One input item → canonical messages (consecutive function calls join one assistant turn). */
function addItem(messages: Message[], item: unknown, i: number, callIds: Set<string>): void {
  const type = (item as { type?: unknown } | null)?.type;
  if (type === "item_reference") throw badRequest(`input[${i}] is an item_reference; ${STATELESS} (AI SDK: set providerOptions.openai.store = false).`, `input[${i}]`, "stateful_unsupported");
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
