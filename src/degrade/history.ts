/**
 * Classification from history, part 1: what is remembered. While vendors are healthy, a classification answer (the
 * label the model gave, within the caller's enum) or an extraction answer (the short field values the model found) is
 * kept as an `Example`, scrubbed, in a bounded per-tenant, per-route store (src/degrade/history-store.ts). When every
 * vendor is down, src/degrade/history-vote.ts labels a new request by its nearest examples.
 *
 * Pure: config in, examples out; no clock (times are passed in), no env, no I/O.
 */
import type { CanonicalRequest, CanonicalResponse } from "../canonical";
import type { TaskClass } from "../routing/classify";
import { enumOf, isObj, type Schema } from "./extract";
import { enumProperty, lastUserText } from "./rules";

export { HistoryConfig } from "./history-config";

/** One remembered answer: scrubbed text of the request, and the label or field values the model gave. */
export interface Example {
  /** Scrubbed, truncated text of the last user message. */
  t: string;
  /** The label (classification). */
  l?: string;
  /** Field values (extraction): enum values and short strings only. */
  f?: Record<string, string>;
  /** When it was recorded, ms. */
  at: number;
}

/** What a request's history is keyed by, beyond tenant and route: the kind and a fingerprint of its label space. */
export interface HistorySpace {
  kind: "label" | "extract";
  /** Stable id of the label space (the enum) or the extraction schema's fields. */
  id: string;
  /** classification: the allowed labels (undefined: plain-text labels, learned from answers). */
  labels?: string[];
  /** classification with a schema: the property the label goes in (undefined: the schema itself is the enum). */
  prop?: string;
  schema?: Schema;
}

/** FNV-1a, hex: a short, stable fingerprint (not a security boundary; keys also carry tenant and route). */
export function fingerprint(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

const schemaOf = (req: CanonicalRequest): Schema | undefined =>
  req.responseFormat?.type === "json_schema" ? req.responseFormat.schema : undefined;

/**
 * The history a request belongs to, or undefined when history cannot help: a classification with an enum (or plain
 * text labels), or an extraction into an object schema. Tool calls never: their answers are actions, not labels.
 */
export function historySpace(req: CanonicalRequest, taskClass: TaskClass): HistorySpace | undefined {
  if (req.tools?.length && req.toolChoice !== "none") return undefined;
  const schema = schemaOf(req);
  if (taskClass === "classification") {
    if (!schema) return req.responseFormat?.type === "json_object" ? undefined : { kind: "label", id: "text" };
    const en = enumProperty(schema);
    if (!en) return undefined;
    const values = [...new Set(en.values)].sort();
    return { kind: "label", id: fingerprint(`${en.prop ?? ""}\u0000${values.join("\u0000")}`), labels: en.values, ...(en.prop ? { prop: en.prop } : {}), schema };
  }
  if (taskClass === "extraction" && schema && isObj(schema.properties)) {
    const fields = Object.entries(schema.properties)
      .filter(([, s]) => isObj(s))
      .map(([name, s]) => `${name}:${(enumOf(s as Schema) ?? []).join("|")}`)
      .sort();
    return fields.length > 0 ? { kind: "extract", id: fingerprint(fields.join("\u0000")), schema } : undefined;
  }
  return undefined;
}

/** Field names whose values are never remembered, whatever the schema says. */
const SENSITIVE_FIELD = /pass|secret|token|api.?key|credential|ssn|social|card|cvv|iban|account.?(number|no)|pin\b|dob|birth/i;
/** Values the regexes find anyway, or that identify a person or an account: never remembered as field values. */
const IDENTIFYING_VALUE = /@|https?:|www\.|\d{3,}/i;

/**
 * Text as it is stored: configured secrets removed by `clean`, then anything that looks like a credential, an email,
 * a URL or a long number replaced, whitespace collapsed, truncated. The topic survives; the identifiers do not.
 */
export function scrub(text: string, maxChars: number, clean: (s: string) => string = (s) => s): string {
  return clean(text)
    .replace(/\b(?:bearer|basic)\s+\S+/gi, " ")
    .replace(/\b(?:sk|pk|rk|ghp|gho|xox[abp]|AKIA|AIza)[-_A-Za-z0-9]{8,}/g, " ")
    .replace(/[^\s@]+@[^\s@]+/g, " ")
    .replace(/\b(?:https?:\/\/|www\.)\S+/gi, " ")
    .replace(/\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{20,}\b/g, " ")
    .replace(/\d{3,}/g, "0")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, maxChars);
}

/** The label of a plain-text classification answer: one short line of words, else not a label. */
function plainLabel(content: string): string | undefined {
  const t = content.trim().replace(/^["'`]|["'`.]$/g, "");
  return t.length > 0 && t.length <= 40 && /^[\p{L}\p{N} _/-]+$/u.test(t) ? t : undefined;
}

/**
 * The example to remember from a healthy answer, or undefined when there is nothing safe and useful to keep: no
 * text, an answer outside the caller's enum, or an extraction with no field short and unidentifying enough.
 */
export function exampleOf(
  req: CanonicalRequest,
  space: HistorySpace,
  res: CanonicalResponse,
  opts: { now: number; maxTextChars: number; clean?: (s: string) => string },
): Example | undefined {
  if (res.toolCalls.length > 0 || res.finishReason !== "stop" || res.content === null) return undefined;
  const content = res.content;
  const t = scrub(lastUserText(req), opts.maxTextChars, opts.clean);
  if (t.length < 3) return undefined;
  const parsed = space.schema ? parseJson(content) : undefined;
  if (space.kind === "label") {
    const label = !space.schema ? plainLabel(content) : space.prop === undefined ? parsed : isObj(parsed) ? parsed[space.prop] : undefined;
    if (typeof label !== "string" || (space.labels && !space.labels.includes(label))) return undefined;
    return { t, l: label, at: opts.now };
  }
  if (!isObj(parsed) || !space.schema || !isObj(space.schema.properties)) return undefined;
  const f: Record<string, string> = {};
  for (const [name, s] of Object.entries(space.schema.properties)) {
    const v = parsed[name];
    if (typeof v !== "string" || !isObj(s) || SENSITIVE_FIELD.test(name)) continue;
    const en = enumOf(s);
    if (en ? en.includes(v) : v.length >= 2 && v.length <= 60 && !IDENTIFYING_VALUE.test(v) && s.format === undefined) f[name] = v;
  }
  return Object.keys(f).length > 0 ? { t, f, at: opts.now } : undefined;
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
