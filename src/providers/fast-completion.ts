/**
 * A hand-written reader for the `chat.completion` almost every OpenAI-compatible vendor sends — text content, no tool
 * calls, plain usage — so the hot path skips zod's generic walk of the answer (≈ 4 % of an uncached request's CPU in
 * workerd). It only ever says "here is what the schema would give" or "not sure": tool calls, content parts, legacy
 * function calls, anything of an unexpected type returns undefined and the caller runs the zod schema
 * (src/providers/openai.ts), so every "cannot read" message stays zod's.
 *
 * The contract, tested on hand-picked and seeded random answers (test/unit/providers/fast-completion.test.ts):
 * whenever this accepts, the schema accepts too and its value is equal (fields the schema does not name are left
 * out, as zod strips them).
 */

/** The part of the schema's output the OpenAI adapter reads. */
export interface FastCompletion {
  id?: string | null;
  model?: string | null;
  choices: { message: { content?: string | null; refusal?: string | null; tool_calls?: null; function_call?: null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number | null; completion_tokens?: number | null } | null;
}

/** `{ success: true, data }` for the common shape, undefined otherwise. `T` is the schema's output type. */
export function fastCompletion<T>(json: unknown): { success: true; data: T } | undefined {
  if (!isObject(json)) return undefined;
  const { id, model, choices, usage } = json;
  if (!optString(id) || !optString(model) || !Array.isArray(choices) || choices.length === 0) return undefined;
  const out: FastCompletion = { choices: [] };
  if (id !== undefined) out.id = id as string | null;
  if (model !== undefined) out.model = model as string | null;
  for (const choice of choices) {
    if (!isObject(choice) || !isObject(choice.message) || !optString(choice.finish_reason)) return undefined;
    const { content, refusal, tool_calls, function_call } = choice.message;
    if (!optString(content) || !optString(refusal) || tool_calls != null || function_call != null) return undefined;
    const message: FastCompletion["choices"][number]["message"] = {};
    if (content !== undefined) message.content = content as string | null;
    if (refusal !== undefined) message.refusal = refusal as string | null;
    if (tool_calls !== undefined) message.tool_calls = null;
    if (function_call !== undefined) message.function_call = null;
    out.choices.push(choice.finish_reason !== undefined ? { message, finish_reason: choice.finish_reason as string | null } : { message });
  }
  if (usage !== undefined) {
    if (usage === null) out.usage = null;
    else {
      if (!isObject(usage) || !optCount(usage.prompt_tokens) || !optCount(usage.completion_tokens)) return undefined;
      const u: NonNullable<FastCompletion["usage"]> = {};
      if (usage.prompt_tokens !== undefined) u.prompt_tokens = usage.prompt_tokens as number | null;
      if (usage.completion_tokens !== undefined) u.completion_tokens = usage.completion_tokens as number | null;
      out.usage = u;
    }
  }
  return { success: true, data: out as T };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Absent, null or a string (the schema's `z.string().nullish()`). */
function optString(v: unknown): boolean {
  return v == null || typeof v === "string";
}

/** Absent, null or a finite number ≥ 0 (the schema's `z.number().nonnegative().nullish()`). */
function optCount(v: unknown): boolean {
  return v == null || (typeof v === "number" && Number.isFinite(v) && v >= 0);
}
