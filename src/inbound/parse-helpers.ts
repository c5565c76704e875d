/** Shared by the inbound parsers: the 400s for a body that nests too deep or fails its schema. */
import type * as z from "../zod";
import type { ToolChoice } from "../canonical";
import { ApiError, badRequest, excerpt } from "../api/errors";
import { tooDeepAt } from "../api/json-depth";

/** `messages[0].content` style path, as both APIs name a `param`. */
export function paramOf(path: PropertyKey[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), "");
}

/**
 * Refuse a body nested deeper than `limits.maxJsonDepth` before any adapter converts it recursively. `segments` says
 * how many leading path segments name the parameter, per top-level field (the rest is inside the caller's JSON).
 */
export function refuseTooDeep(body: unknown, max: number, segments: Record<string, number>): void {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw badRequest("The request body must be a JSON object.");
  const deep = tooDeepAt(body, max);
  if (!deep) return;
  const param = paramOf(deep.slice(0, segments[String(deep[0])] ?? 1));
  throw badRequest(
    `Invalid value for '${param}': JSON nested deeper than this gateway's limit of ${max} levels (limits.maxJsonDepth, counted from the top of the request body).`,
    param,
    "json_too_deep",
  );
}

/** The first schema issue as a 400 naming its parameter. */
export function bodyIssue(error: z.core.$ZodError, prefix = ""): ApiError {
  const issue = error.issues[0]!;
  const param = paramOf([...(prefix ? [prefix] : []), ...(issue.path as PropertyKey[])]) || null;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : "";
  return badRequest(`Invalid value for '${param ?? "body"}': ${issue.message}${more}`, param);
}

/**
 * A tool_choice that forces a call needs tools, and a named one must be among them (Chat Completions' own checks, in
 * src/api/openai-request.ts): sent on, every target would fail it in turn and the caller's mistake would count
 * against each provider's breaker.
 */
export function refuseBadToolChoice(choice: ToolChoice | undefined, tools: readonly { name: string }[]): void {
  if (choice === undefined || choice === "auto" || choice === "none") return;
  if (tools.length === 0) throw badRequest("tool_choice needs tools: pass the tools the model may call.", "tool_choice");
  if (choice !== "required" && !tools.some((t) => t.name === choice.name)) {
    throw badRequest(`tool_choice names '${excerpt(choice.name)}', which is not among tools.`, "tool_choice");
  }
}
