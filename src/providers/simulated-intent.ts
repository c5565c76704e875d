/**
 * What a simulated model "decides" from the conversation, deterministically, so demos of tools and structured output
 * behave like a real model: which tool a prompt is about (`tool_choice: "auto"`), which JSON schema the caller gave in
 * its prompt (`json_object` mode), and how to put a tool's result into words.
 */
import { echo, STOPWORDS, stems } from "./simulated-text";

/** Words that say nothing about what a tool is for ("get", "current", "data"…), so they never decide a call. */
const GENERIC = new Set(
  (
    "get set list fetch find lookup look tool function call run make create update delete current data info information " +
    "value values result results return returns given specific using use based provide provides new item items thing " +
    "things text string number the for and with from into about"
  ).split(" "),
);

export interface ToolLike {
  name: string;
  description?: string | undefined;
}

/**
 * The tool the prompt is about, or undefined. A tool's name in the prompt wins; otherwise each meaningful word of
 * the tool's name the prompt uses scores 3 and each of its description's scores 1; the best score calls (first tool on
 * a tie), so "what's the weather in Paris?" calls `get_weather`, and "tell me a story" calls nothing.
 */
export function relatedTool<T extends ToolLike>(tools: T[], prompt: string): T | undefined {
  const lower = prompt.toLowerCase();
  const named = tools.find((t) => {
    const name = t.name.toLowerCase();
    return lower.includes(name) || lower.includes(name.replace(/[_-]+/g, " "));
  });
  if (named) return named;
  const said = new Set(stems(prompt));
  const meaningful = (w: string, min: number) => w.length >= min && !GENERIC.has(w) && !STOPWORDS.has(w);
  let best: T | undefined;
  let bestScore = 0;
  for (const t of tools) {
    const nameWords = new Set(stems(t.name).filter((w) => meaningful(w, 3)));
    const descWords = new Set(stems(t.description ?? "").filter((w) => meaningful(w, 4) && !nameWords.has(w)));
    let score = 0;
    for (const w of nameWords) if (said.has(w)) score += 3;
    for (const w of descWords) if (said.has(w)) score += 1;
    if (score > bestScore) [best, bestScore] = [t, score];
  }
  return best;
}

/**
 * The JSON schema a caller put in its prompt (`json_object` mode has no schema field, so clients and people write it
 * into the system prompt), or a schema read off an example object there. The first JSON object found in the texts, in
 * order, decides; undefined when there is none.
 */
export function schemaInPrompt(texts: string[]): Record<string, unknown> | undefined {
  for (const text of texts) {
    for (const obj of jsonObjectsIn(text)) {
      if (looksLikeSchema(obj)) return obj;
      if (Object.keys(obj).length > 0) return schemaOfExample(obj);
    }
  }
  return undefined;
}

function looksLikeSchema(o: Record<string, unknown>): boolean {
  return (o.type === "object" && typeof o.properties === "object") || typeof o.$schema === "string" || (typeof o.properties === "object" && o.properties !== null && !Array.isArray(o.properties));
}

/** The schema an example value implies: the same keys, each required, with the example's types. */
function schemaOfExample(v: unknown): Record<string, unknown> {
  if (Array.isArray(v)) return { type: "array", items: v.length > 0 ? schemaOfExample(v[0]) : {}, minItems: v.length > 0 ? 1 : 0 };
  if (v === null) return { type: "null" };
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    return { type: "object", properties: Object.fromEntries(Object.entries(o).map(([k, x]) => [k, schemaOfExample(x)])), required: Object.keys(o) };
  }
  return { type: typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v };
}

/** Top-level JSON objects embedded in text (fenced or inline), at most a few, scanning at most 100k characters. */
function* jsonObjectsIn(text: string): Generator<Record<string, unknown>> {
  const t = text.slice(0, 100_000);
  let tries = 0;
  for (let start = t.indexOf("{"); start >= 0 && tries < 20; tries++) {
    const end = matchingBrace(t, start);
    if (end < 0) return;
    try {
      const v = JSON.parse(t.slice(start, end + 1)) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v)) {
        yield v as Record<string, unknown>;
        start = t.indexOf("{", end + 1);
        continue;
      }
    } catch {
      // Not JSON (prose in braces, a template): look at the next brace.
    }
    start = t.indexOf("{", start + 1);
  }
}

/** The index of the brace closing the one at `start`, skipping braces inside JSON strings; -1 when unbalanced. */
function matchingBrace(t: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < t.length; i++) {
    const ch = t[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return i;
  }
  return -1;
}

/**
 * A tool result in words: a JSON object's top-level fields ("temperature 18, conditions sunny"), a list's first
 * items, or the text itself, shortened.
 */
export function describeToolResult(content: string): string {
  let v: unknown;
  try {
    v = JSON.parse(content);
  } catch {
    return echo(content, 25);
  }
  return describeValue(v);
}

function describeValue(v: unknown): string {
  if (Array.isArray(v)) {
    const shown = v.slice(0, 3).map((x) => (x !== null && typeof x === "object" ? describeValue(x) : String(x)));
    return `${v.length} item${v.length === 1 ? "" : "s"}${shown.length > 0 ? ` (${shown.join("; ")}${v.length > 3 ? "; …" : ""})` : ""}`;
  }
  if (v !== null && typeof v === "object") {
    const parts = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x === null || typeof x !== "object")
      .slice(0, 5)
      .map(([k, x]) => `${k.replace(/[_-]+/g, " ")} ${String(x)}`);
    return parts.length > 0 ? parts.join(", ") : "no details";
  }
  return echo(String(v), 25);
}
