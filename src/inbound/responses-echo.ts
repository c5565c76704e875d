/**
 * What a Responses API `response` object echoes of the request that made it (OpenAI's `Response` type): the caller's
 * own values, as sent, and OpenAI's defaults where it sent none. That includes fields Detour accepts but does not act
 * on (`truncation`, `reasoning`, `parallel_tool_calls`, `safety_identifier`, `prompt_cache_key`, `text.verbosity`):
 * docs/inbound-apis.md says what Detour does instead. The echo is built from the wire body, not the canonical
 * request, because the canonical request has no place for those fields (and folds `instructions` into a message).
 */
import type { ResponsesBody } from "./responses-request";

/** Whether a response is stored, and which one it continues. */
export interface Stored {
  store: boolean;
  previousResponseId: string | null;
}

export type Echo = ReturnType<typeof echoOf>;

type WireTool = { name: string; description?: string | null; parameters?: Record<string, unknown> | null; strict?: boolean | null };

/** The echoed fields of a response to `b` (a body `validateResponses` and `buildResponses` accepted). */
export function echoOf(b: ResponsesBody, stored: Stored) {
  const f = b.text?.format;
  const verbosity = b.text?.verbosity;
  return {
    background: false,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    metadata: b.metadata ?? {},
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: stored.previousResponseId,
    prompt_cache_key: b.prompt_cache_key ?? null,
    reasoning: { effort: b.reasoning?.effort ?? null, summary: b.reasoning?.summary ?? null },
    safety_identifier: b.safety_identifier ?? null,
    store: stored.store,
    temperature: b.temperature ?? 1,
    text: {
      format: f?.type === "json_schema" ? { type: f.type, name: f.name, ...(f.description !== undefined ? { description: f.description } : {}), schema: f.schema, strict: f.strict ?? false } : { type: f?.type ?? "text" },
      ...(typeof verbosity === "string" ? { verbosity } : {}),
    },
    tool_choice: b.tool_choice ?? "auto",
    // Only function tools get this far (hosted tools are refused), so each is the caller's function tool as sent.
    tools: ((b.tools ?? []) as WireTool[]).map((t) => ({ type: "function", name: t.name, description: t.description ?? null, parameters: t.parameters ?? null, strict: t.strict ?? false })),
    top_p: b.top_p ?? 1,
    truncation: b.truncation ?? "disabled",
    user: b.user ?? null,
  };
}
