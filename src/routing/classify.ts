/**
 * The cheap task classifier (issue 4): which class of work a request is, and what it needs from a model. Pure and
 * synchronous — regexes over the prompt, no model call — so it can run on every request before routing and caching.
 *
 * Precedence: the route's configured class, else a valid `x-detour-task` header, else heuristics. Every step leaves a
 * reason, so the trace shows why a request was called `code` and not `chat`.
 */
import * as z from "../zod";
import type { CanonicalRequest, Message } from "../canonical";

export const TaskClass = z.enum(["classification", "extraction", "rewrite", "summarization", "chat", "code", "reasoning"]);
export type TaskClass = z.infer<typeof TaskClass>;

/** The request header a caller may use to name the class; never an error when wrong, only ignored. */
export const TASK_HEADER = "x-detour-task";

/** Input tokens charged per image: OpenAI's cost of one high-detail 512 px tile set; other vendors are similar. */
export const IMAGE_TOKENS = 765;

/** What a model must support to take the request; routing never tries a model that lacks one of these. */
export interface Needs {
  tools: boolean;
  json: boolean;
  vision: boolean;
  /** The caller's output cap, when it set one. */
  maxOutputTokens?: number;
}

export interface Classification {
  taskClass: TaskClass;
  source: "route" | "header" | "classifier";
  /** Human-readable, in the order they were decided; the first says where the class came from. */
  reasons: string[];
  estimatedInputTokens: number;
  needs: Needs;
}

/**
 * Classify a request. `hint.routeClass` is the route's configured class; `hint.header` the raw `x-detour-task` value.
 * Tools never change the class (a tool-using extraction is still extraction); they are recorded in `needs`.
 */
export function classify(req: CanonicalRequest, hint: { routeClass?: TaskClass; header?: string } = {}): Classification {
  const needs = needsOf(req);
  const estimatedInputTokens = estimateInputTokens(req);
  const reasons: string[] = [];
  const done = (taskClass: TaskClass, source: Classification["source"]): Classification => {
    if (needs.tools) reasons.push("tools present: needs a tool-capable model");
    if (needs.json) reasons.push(`response_format ${req.responseFormat?.type}: needs JSON mode`);
    if (needs.vision) reasons.push("images present: needs a vision model");
    reasons.push(`estimated input tokens ${estimatedInputTokens}`);
    return { taskClass, source, reasons, estimatedInputTokens, needs };
  };

  const header = hint.header?.trim().toLowerCase();
  if (hint.routeClass) {
    reasons.push(`route config class: ${hint.routeClass}`);
    if (header) reasons.push(`${TASK_HEADER} ignored: the route sets the class`);
    return done(hint.routeClass, "route");
  }
  if (header) {
    const parsed = TaskClass.safeParse(header);
    if (parsed.success) {
      reasons.push(`${TASK_HEADER}: ${parsed.data}`);
      return done(parsed.data, "header");
    }
    // Echo at most a short prefix: the header is caller-controlled and reasons end up in traces and logs.
    reasons.push(`${TASK_HEADER} ignored: ${JSON.stringify(header.slice(0, 32))} is not one of ${TaskClass.options.join(", ")}`);
  }
  const { taskClass, signals } = heuristics(req);
  reasons.push(signals.length ? `classifier: ${taskClass} (${signals.join(", ")})` : "classifier: chat (no task signals)");
  return done(taskClass, "classifier");
}

/** Tools, JSON output, images and the output cap, read off the request. Earlier tool calls need tools too. */
export function needsOf(req: CanonicalRequest): Needs {
  const history = req.messages.some((m) => m.role === "tool" || (m.role === "assistant" && (m.toolCalls?.length ?? 0) > 0));
  const needs: Needs = {
    tools: (req.tools?.length ?? 0) > 0 || history,
    json: req.responseFormat?.type === "json_object" || req.responseFormat?.type === "json_schema",
    vision: req.messages.some((m) => m.role === "user" && typeof m.content !== "string" && m.content.some((p) => p.type === "image")),
  };
  if (req.maxTokens !== undefined) needs.maxOutputTokens = req.maxTokens;
  return needs;
}

/** Han, kana and Hangul run near one token per character, not four: counted apart so CJK prompts are not underestimated. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;

/**
 * Input tokens, estimated without a tokenizer: ceil(chars / 4) over every message, tool definition and JSON schema the
 * vendor will read (CJK characters count one each), plus `IMAGE_TOKENS` per image. Good enough to rule out models
 * whose context window is clearly too small; a vendor's context-length error still fails over.
 */
export function estimateInputTokens(req: CanonicalRequest): number {
  let text = "";
  let images = 0;
  for (const m of req.messages) {
    if (m.role === "user" && typeof m.content !== "string") {
      for (const p of m.content) {
        if (p.type === "text") text += p.text;
        else images++;
      }
    } else text += m.content ?? "";
    if (m.role === "assistant") for (const c of m.toolCalls ?? []) text += c.name + c.arguments;
  }
  for (const t of req.tools ?? []) text += t.name + (t.description ?? "") + JSON.stringify(t.parameters);
  if (req.responseFormat?.type === "json_schema") text += JSON.stringify(req.responseFormat.schema);
  const cjk = text.match(CJK)?.length ?? 0;
  return Math.ceil((text.length - cjk) / 4) + cjk + images * IMAGE_TOKENS;
}

// ---- heuristics -----------------------------------------------------------------------------------------------------

interface Rule {
  taskClass: Exclude<TaskClass, "chat">;
  signal: string;
  weight: number;
  test: (text: string, req: CanonicalRequest) => boolean;
}

const words = (re: string) => new RegExp(`\\b(?:${re})\\b`, "i");
const EXTRACTION = words("extract(?:s|ed|ing)?|pull out|parse|find all");
const LANGUAGES = words("python|javascript|typescript|java|rust|golang|kotlin|swift|ruby|php|sql|bash|haskell|scala|html|css");
// Compiled once per isolate, not per request (the classifier runs on every request).
const CLASSIFICATION = words("classif(?:y|ies|ied|ication)|categori[sz]e|label(?:s|led|ling)?|which category|sentiment");
const SUMMARY = words("summari[sz](?:e|es|ed|ing)|summary|tl;?dr|sum up");
const REWRITE = words("rewrite|re-write|rephrase|reword|paraphrase|translate|proofread|fix (?:the |my |this )?grammar|make (?:it|this) more");
const CODE_WORDS = words("function|bug|implement|compile|refactor|debug|regex|endpoint");
const PROOF = words("prove|proof|step[ -]by[ -]step|reason through|derive");
const WHY = words("why");

/**
 * Signals and their weights. The class with the highest total wins; ties go to the earlier class in this list (the
 * narrower task), and no signal at all means chat. Weight 2 is a clear instruction, 1 a hint, 3 a code fence.
 */
const RULES: Rule[] = [
  { taskClass: "extraction", signal: "extraction verb", weight: 2, test: (t) => EXTRACTION.test(t) },
  {
    taskClass: "extraction",
    signal: "json_schema output with an extraction verb",
    weight: 2,
    test: (t, r) => r.responseFormat?.type === "json_schema" && EXTRACTION.test(t),
  },
  {
    taskClass: "classification",
    signal: "classification verb",
    weight: 2,
    test: (t) => CLASSIFICATION.test(t),
  },
  { taskClass: "classification", signal: "json_schema with an enum", weight: 2, test: (_t, r) => r.responseFormat?.type === "json_schema" && hasEnum(r.responseFormat.schema) },
  { taskClass: "summarization", signal: "summary request", weight: 2, test: (t) => SUMMARY.test(t) },
  {
    taskClass: "rewrite",
    signal: "rewrite verb",
    weight: 2,
    test: (t) => REWRITE.test(t),
  },
  { taskClass: "code", signal: "code fence", weight: 3, test: (t) => t.includes("```") },
  {
    taskClass: "code",
    signal: "stack trace",
    weight: 2,
    // Case matters for `TypeError` / `NullPointerException` (so "terror" is not one).
    test: (t) => /traceback \(most recent call last\)|\bat \S+ \(\S+:\d+:\d+\)|stack ?trace/i.test(t) || /\b[A-Z]\w*(?:Error|Exception)\b/.test(t),
  },
  { taskClass: "code", signal: "programming language", weight: 2, test: (t) => LANGUAGES.test(t) || /(?:^|\s)(?:c\+\+|c#)(?=\s|$|[.,?!])/i.test(t) },
  { taskClass: "code", signal: "code words", weight: 1, test: (t) => CODE_WORDS.test(t) },
  { taskClass: "reasoning", signal: "proof or step-by-step", weight: 2, test: (t) => PROOF.test(t) },
  { taskClass: "reasoning", signal: "why question", weight: 1, test: (t) => WHY.test(t) },
  { taskClass: "reasoning", signal: "multi-part question", weight: 1, test: (t) => (t.match(/\?/g)?.length ?? 0) >= 3 },
];

/** Does a JSON schema constrain some value to a fixed set (`enum`, or `const` alternatives)? A label set, i.e. classification. */
function hasEnum(schema: unknown, depth = 0): boolean {
  if (depth > 8 || schema === null || typeof schema !== "object") return false;
  if (Array.isArray(schema)) return schema.some((s) => hasEnum(s, depth + 1));
  const o = schema as Record<string, unknown>;
  if (Array.isArray(o.enum)) return true;
  if (Array.isArray(o.oneOf) && o.oneOf.length > 1 && o.oneOf.every((s) => typeof s === "object" && s !== null && "const" in s)) return true;
  return Object.values(o).some((v) => hasEnum(v, depth + 1));
}

function textOf(m: Message | undefined): string {
  if (!m) return "";
  if (typeof m.content === "string") return m.content;
  return m.content === null ? "" : m.content.map((p) => (p.type === "text" ? p.text : "")).join("\n");
}

/**
 * The text the heuristics read: system prompt(s) and the last user message. Of a long user message only the head and
 * tail, where the instruction usually is: a pasted document's own words ("why", "label", "function") say nothing
 * about the task asked of it. Code fences are searched in the whole message.
 */
function instructionText(req: CanonicalRequest): { text: string; fenced: boolean } {
  const system = req.messages.filter((m) => m.role === "system").map(textOf);
  const user = textOf([...req.messages].reverse().find((m) => m.role === "user"));
  const head = user.length > 3000 ? `${user.slice(0, 1500)}\n…\n${user.slice(-1500)}` : user;
  return { text: [...system, head].join("\n"), fenced: user.includes("```") };
}

function heuristics(req: CanonicalRequest): { taskClass: TaskClass; signals: string[] } {
  const { text, fenced } = instructionText(req);
  const scores = new Map<TaskClass, number>();
  const signals: string[] = [];
  for (const rule of RULES) {
    const hit = rule.signal === "code fence" ? fenced || rule.test(text, req) : rule.test(text, req);
    if (!hit) continue;
    scores.set(rule.taskClass, (scores.get(rule.taskClass) ?? 0) + rule.weight);
    signals.push(`${rule.signal} → ${rule.taskClass} +${rule.weight}`);
  }
  let best: TaskClass = "chat";
  let top = 0;
  for (const rule of RULES) {
    const s = scores.get(rule.taskClass) ?? 0;
    if (s > top) [best, top] = [rule.taskClass, s];
  }
  return { taskClass: best, signals };
}
