/**
 * Plausible JSON for a schema, so a simulated answer reads like a model's: a tool call's arguments and a structured
 * answer satisfy the caller's schema (Detour validates both, src/validate/) and take their values from the prompt
 * where the property's name says what it wants — `city` gets the place the prompt names, `query` the question, a
 * number the prompt's number — and otherwise the prompt's words. Deterministic: same schema and prompt, same value.
 */
import { cycle, keywords } from "./simulated-text";

export interface ValueSource {
  /** The user's last message. */
  prompt: string;
  /** A string for a slot nothing better fits (the reply, then prompt words). */
  text: () => string;
}

/** A source whose fallback strings are the prompt's keywords; `first` (the reply, say) fills the first such slot. */
export function sourceFor(prompt: string, first?: string): ValueSource {
  const words = cycle(keywords(prompt));
  let pending = first;
  return {
    prompt,
    text: () => {
      if (pending === undefined) return words();
      const out = pending;
      pending = undefined;
      return out;
    },
  };
}

/** A JSON value satisfying `schema` (type, enum, const, required properties, min/max, minItems, string formats). */
export function plausibleValue(schema: unknown, src: ValueSource, name = "", depth = 0): unknown {
  if (schema === null || typeof schema !== "object" || depth > 8) return src.text();
  const s = schema as Record<string, unknown>;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const alts = s[key];
    if (Array.isArray(alts) && alts.length > 0) {
      // Prefer an alternative that is not just `null`: a value says more than its absence.
      const alt = alts.find((a) => !(a && typeof a === "object" && (a as { type?: unknown }).type === "null")) ?? alts[0];
      return plausibleValue(alt, src, name, depth + 1);
    }
  }
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== "null") ?? "null") : s.type;
  switch (type) {
    case "string":
      return fitLength(stringFor(s, name, src), s);
    case "number":
    case "integer":
      return numberFor(s, type === "integer", src.prompt);
    case "boolean":
      return true;
    case "null":
      return null;
    case "array": {
      const min = typeof s.minItems === "number" ? s.minItems : 0;
      const max = typeof s.maxItems === "number" ? s.maxItems : Infinity;
      // One item when the schema allows it, so a list reads like an answer rather than an empty shell.
      const n = Math.min(Math.max(min, s.items === undefined ? min : 1), max);
      return Array.from({ length: n }, () => plausibleValue(s.items, src, singular(name), depth + 1));
    }
    default: {
      if (type !== "object" && s.properties === undefined) return src.text();
      const props = (s.properties ?? {}) as Record<string, unknown>;
      // Required properties are what a schema demands; with no `required` list, filling every property is still valid.
      const names = Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === "string") : Object.keys(props);
      return Object.fromEntries(names.map((n) => [n, plausibleValue(props[n] ?? {}, src, n, depth + 1)]));
    }
  }
}

const PLACE = /(city|location|place|town|country|region|destination|origin|address|where)/i;
const QUESTION = /^(q|query|search|searchterm|question|prompt|text|input|message|content|topic|keywords?)$/i;
const PERSON = /(^name$|person|user|author|who|customer|recipient)/i;
const LANGUAGE = /(^lang$|language|locale)/i;
const DATE = /(date|day$|when|deadline)/i;

function stringFor(s: Record<string, unknown>, name: string, src: ValueSource): string {
  const prompt = src.prompt;
  switch (s.format) {
    case "date":
      return dateIn(prompt) ?? "2026-01-15";
    case "date-time":
      return `${dateIn(prompt) ?? "2026-01-15"}T12:00:00Z`;
    case "time":
      return "12:00:00";
    case "email":
      return /[\w.+-]+@[\w-]+\.[\w.-]+/.exec(prompt)?.[0] ?? "someone@example.com";
    case "uri":
    case "url":
      return /https?:\/\/[^\s"'<>]+/.exec(prompt)?.[0] ?? "https://example.com";
    case "uuid":
      return "00000000-0000-4000-8000-000000000000";
  }
  const key = name.replace(/[_-]/g, "");
  if (PLACE.test(key)) return properNoun(prompt) ?? afterPreposition(prompt) ?? src.text();
  if (QUESTION.test(key)) return question(prompt) || src.text();
  if (PERSON.test(key)) return properNoun(prompt) ?? src.text();
  if (LANGUAGE.test(key)) return "en";
  if (DATE.test(key)) return dateIn(prompt) ?? "2026-01-15";
  return src.text();
}

function fitLength(v: string, s: Record<string, unknown>): string {
  let out = v;
  if (typeof s.minLength === "number") while (out.length < s.minLength) out += out.length === 0 ? "x" : ` ${out}`;
  if (typeof s.maxLength === "number") out = out.slice(0, s.maxLength);
  return out;
}

function numberFor(s: Record<string, unknown>, integer: boolean, prompt: string): number {
  const min = typeof s.minimum === "number" ? s.minimum : typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum + (integer ? 1 : 0.5) : -Infinity;
  const max = typeof s.maximum === "number" ? s.maximum : typeof s.exclusiveMaximum === "number" ? s.exclusiveMaximum - (integer ? 1 : 0.5) : Infinity;
  // The prompt's first number (not part of a date) is what a user asking "in 3 days" or "convert 20 USD" means.
  const said = /(?<![\d-])(\d+(?:\.\d+)?)(?![\d-])/.exec(prompt.replace(/\d{4}-\d{2}-\d{2}/g, ""));
  const wanted = said ? Number(said[1]) : 1;
  const n = Math.min(Math.max(wanted, min), max);
  return integer ? (Number.isInteger(n) ? n : Math.ceil(n) <= max ? Math.ceil(n) : Math.floor(n)) : n;
}

/** The first capitalised word run not at a sentence start ("weather in New York?" → "New York"). */
function properNoun(prompt: string): string | undefined {
  const re = /(^|[.!?]\s+|\s)([A-Z][\p{L}'-]*(?:\s+[A-Z][\p{L}'-]*)*)/gu;
  for (let m = re.exec(prompt); m; m = re.exec(prompt)) {
    const atStart = m.index === 0 || /[.!?]/.test(m[1] ?? "");
    const words = m[2]!.split(/\s+/);
    // A run at a sentence start keeps its later words ("Paris weather" no, "Is New York" → "New York").
    const run = atStart ? words.slice(1) : words;
    const kept = run.filter((w) => w !== "I");
    if (kept.length > 0) return kept.join(" ").replace(/'s$/, "");
  }
  return undefined;
}

function afterPreposition(prompt: string): string | undefined {
  return /\b(?:in|at|for|to|near|from)\s+([\p{L}][\p{L}'-]+)/iu.exec(prompt)?.[1];
}

function question(prompt: string): string {
  return prompt.trim().replace(/\s+/g, " ").replace(/[?!.]+$/, "").slice(0, 200);
}

function dateIn(prompt: string): string | undefined {
  return /\b\d{4}-\d{2}-\d{2}\b/.exec(prompt)?.[0];
}

/** "cities" → "city", "tags" → "tag": an array's items are named for one of them. */
function singular(name: string): string {
  return name.replace(/ies$/, "y").replace(/s$/, "");
}
