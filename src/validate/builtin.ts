/**
 * The built-in output checks, always on, derived from what the caller already sent: `response_format` (a JSON object,
 * or JSON satisfying the caller's schema), `tools` (every call names one of them and its arguments satisfy its
 * `parameters`) and `tool_choice` (required or a named function: a call is present). An answer the caller's own
 * `max_tokens` cut short, or a content-filter refusal, is not judged on its JSON: failing over would not mend it.
 */
import type { CanonicalRequest, CanonicalResponse } from "../canonical";
import { compileSchema, type SchemaCheck } from "./schema";
import type { CheckFailure, OutputCheck } from "./types";

export type { CheckFailure, OutputCheck } from "./types";

/** Check names: the `check` label of `detour_validation_failures_total` and the trace. */
export const CHECK = {
  jsonSchema: "json_schema",
  jsonObject: "json_object",
  toolCall: "tool_call",
  toolChoice: "tool_choice",
} as const;

/** An answer whose text the caller's contract does not judge: cut by the caller's max_tokens, refused, or a tool call. */
function textNotJudged(res: CanonicalResponse): boolean {
  return res.finishReason === "length" || res.finishReason === "content_filter" || res.toolCalls.length > 0;
}

type Parsed = { ok: true; value: unknown } | { ok: false; reason: string };

function parseJson(text: string | null): Parsed {
  if (text === null || text.trim() === "") return { ok: false, reason: "the answer is empty, not JSON" };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    const head = text.trim().slice(0, 40).replace(/\s+/g, " ");
    return { ok: false, reason: `the answer is not JSON (starts with "${head}")` };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function jsonSchemaCheck(schema: Record<string, unknown>, strict: boolean): OutputCheck {
  const check = compileSchema(schema, strict);
  return (_req, res) => {
    if (textNotJudged(res)) return undefined;
    const parsed = parseJson(res.content);
    if (!parsed.ok) return { check: CHECK.jsonSchema, reason: parsed.reason };
    const reason = check(parsed.value);
    return reason === undefined ? undefined : { check: CHECK.jsonSchema, reason };
  };
}

const jsonObjectCheck: OutputCheck = (_req, res) => {
  if (textNotJudged(res)) return undefined;
  const parsed = parseJson(res.content);
  if (!parsed.ok) return { check: CHECK.jsonObject, reason: parsed.reason };
  if (!isObject(parsed.value)) return { check: CHECK.jsonObject, reason: "the answer is JSON but not an object" };
  return undefined;
};

function toolCallCheck(req: CanonicalRequest): OutputCheck {
  const params = new Map<string, SchemaCheck>((req.tools ?? []).map((t) => [t.name, compileSchema(t.parameters, true)]));
  return (_req, res) => {
    for (const call of res.toolCalls) {
      const check = params.get(call.name);
      if (!check) return { check: CHECK.toolCall, reason: `tool call '${call.name}' is not one of the caller's tools` };
      // An empty arguments string is how some vendors send "no arguments".
      const parsed = call.arguments.trim() === "" ? ({ ok: true, value: {} } as Parsed) : parseJson(call.arguments);
      if (!parsed.ok) return { check: CHECK.toolCall, reason: `arguments of '${call.name}': ${parsed.reason.replace("the answer is", "they are")}` };
      const reason = check(parsed.value);
      if (reason !== undefined) return { check: CHECK.toolCall, reason: `arguments of '${call.name}': ${reason}` };
    }
    return undefined;
  };
}

function toolChoiceCheck(name: string | undefined): OutputCheck {
  return (_req, res) => {
    if (res.finishReason === "length" || res.finishReason === "content_filter") return undefined;
    if (name === undefined) return res.toolCalls.length > 0 ? undefined : { check: CHECK.toolChoice, reason: "tool_choice is 'required' but the answer calls no tool" };
    return res.toolCalls.some((c) => c.name === name) ? undefined : { check: CHECK.toolChoice, reason: `tool_choice names '${name}' but the answer does not call it` };
  };
}

/** The built-in checks for one request (schemas prepared once, reused for every target's answer). */
export function checksFor(req: CanonicalRequest): OutputCheck[] {
  const checks: OutputCheck[] = [];
  const rf = req.responseFormat;
  if (rf?.type === "json_schema") checks.push(jsonSchemaCheck(rf.schema, rf.strict === true));
  if (rf?.type === "json_object") checks.push(jsonObjectCheck);
  if (req.tools?.length) checks.push(toolCallCheck(req));
  const tc = req.toolChoice;
  if (tc === "required") checks.push(toolChoiceCheck(undefined));
  else if (tc !== undefined && typeof tc === "object") checks.push(toolChoiceCheck(tc.name));
  return checks;
}

/** The first failed check of `res`, or undefined when every check passes. */
export function validate(req: CanonicalRequest, res: CanonicalResponse, checks: readonly OutputCheck[]): CheckFailure | undefined {
  for (const check of checks) {
    const failure = check(req, res);
    if (failure) return failure;
  }
  return undefined;
}
