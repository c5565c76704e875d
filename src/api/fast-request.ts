/**
 * A hand-written check for the Chat Completions body almost every request sends — a string `model`, messages with
 * string content, a few scalar options — so the hot path skips zod's generic object walk (≈ 5 % of an uncached
 * request's CPU). It only ever says "yes, and here is the value" or "not sure": anything outside the hot shape (tools,
 * `response_format`, content parts, unknown fields, a value out of range) returns undefined and the caller runs the
 * zod schema (src/api/openai-request.ts), so every refusal, its message and its `param` stay zod's.
 *
 * The contract, tested on hand-picked and seeded random bodies (test/unit/api/fast-request.test.ts): whenever this
 * accepts a body, `ChatCompletionBody.safeParse` accepts it too and returns an equal value. Accepting less than zod is
 * always safe; accepting more would not be — when in doubt, fall back.
 */

/** Message roles whose content the hot shape takes as a plain string (tool messages and tool calls go to zod). */
const ROLES: ReadonlySet<unknown> = new Set(["system", "developer", "user", "assistant"]);

/** What a hot-shape value may be, per top-level field; a field not listed here sends the body to zod. */
const FIELDS: Record<string, (v: unknown) => boolean> = {
  model: (v) => typeof v === "string" && v.length > 0,
  messages: messagesOk,
  stream: nullOr(isBoolean),
  stream_options: nullOr(streamOptionsOk),
  max_tokens: nullOr(positiveInt),
  max_completion_tokens: nullOr(positiveInt),
  temperature: nullOr((v) => typeof v === "number" && v >= 0 && v <= 2),
  top_p: nullOr((v) => typeof v === "number" && v >= 0 && v <= 1),
  stop: nullOr((v) => typeof v === "string" || (Array.isArray(v) && v.length <= 4 && v.every((s) => typeof s === "string"))),
  n: nullOr((v) => Number.isSafeInteger(v)),
  user: (v) => typeof v === "string",
  logprobs: nullOr(isBoolean),
};

/**
 * `{ success: true, data }` when `body` has the hot shape (then `data` is `body` itself: every field is one zod keeps
 * as it is), undefined otherwise. `T` is the schema's output type; the agreement test is what makes the cast honest.
 */
export function fastChatCompletion<T>(body: unknown): { success: true; data: T } | undefined {
  if (!isPlainObject(body) || !("model" in body) || !("messages" in body)) return undefined;
  for (const key in body) {
    if (!Object.hasOwn(FIELDS, key) || !FIELDS[key]!((body as Record<string, unknown>)[key])) return undefined;
  }
  return { success: true, data: body as T };
}

function messagesOk(v: unknown): boolean {
  if (!Array.isArray(v) || v.length === 0) return false;
  for (const m of v) {
    if (!isPlainObject(m) || !ROLES.has(m.role) || typeof m.content !== "string") return false;
    for (const key in m) {
      if (key === "role" || key === "content") continue;
      if (key !== "name" || typeof m.name !== "string") return false;
    }
  }
  return true;
}

function streamOptionsOk(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const key in v) if (key !== "include_usage" || typeof v.include_usage !== "boolean") return false;
  return true;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isBoolean(v: unknown): boolean {
  return typeof v === "boolean";
}

function positiveInt(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) > 0;
}

function nullOr(ok: (v: unknown) => boolean): (v: unknown) => boolean {
  return (v) => v === null || ok(v);
}
