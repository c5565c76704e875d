/**
 * Rung 4 of the degradation ladder: deterministic answers with no model at all. A keyword/regex classifier answers
 * classification routes; regex extractors (emails, URLs, phones, dates, money, ids, numbers) fill the caller's JSON
 * schema for extraction routes. Narrower than a model, but it is the core value (a label, a filled record) rather than
 * a blank error page.
 *
 * Pure: no clock, no env, no I/O, so the rules run the same in tests and at the edge. Every regex here is a literal
 * or passed `compilePattern` first.
 */
import type { CanonicalRequest } from "../canonical";
import type { TaskClass } from "../routing/classify";
import type { DegradeConfig } from "./ladder";
import { compilePattern, MAX_PATTERN_LENGTH } from "./pattern";
import { canonicalWords, containsPhrase, conformsTo, enumOf, extractBySchema, isObj, type Schema } from "./extract";

/** A classification label: its name (the answer) and the evidence that votes for it. */
export interface RuleLabel { name: string; keywords: string[]; patterns?: string[] }

export { canonicalWords, compilePattern, conformsTo, extractBySchema, MAX_PATTERN_LENGTH };

/** Classification reads at most this much: a ticket or a message, with room, but bounded for keyword and regex CPU. */
const MAX_CLASSIFY_TEXT = 8000;

/** The text of the last user message (text parts joined), which is what rules and template regexes look at. */
export function lastUserText(req: CanonicalRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i]!;
    if (m.role !== "user") continue;
    if (typeof m.content === "string") return m.content;
    return m.content.map((p) => (p.type === "text" ? p.text : "")).filter(Boolean).join("\n");
  }
  return "";
}

/**
 * Scores each label against `text`: a matched keyword scores its word count (a phrase is more specific than a word),
 * a matching pattern scores 1. The highest score wins; ties go to the label listed first, so config order is the
 * operator's tie-break. With no match, `fallback` is returned with nothing matched, or undefined without one.
 */
export function classifyByRules(text: string, labels: RuleLabel[], fallback?: string): { label: string; matched: string[] } | undefined {
  const hit = scoreByRules(text, labels, fallback);
  return hit && { label: hit.label, matched: hit.matched };
}

/**
 * classifyByRules with the winner's `share` of all the evidence found (1 when no other label matched anything, 0 for
 * the fallback): the confidence the ladder's banner shows.
 */
function scoreByRules(text: string, labels: RuleLabel[], fallback?: string): { label: string; matched: string[]; share: number } | undefined {
  const t = text.slice(0, MAX_CLASSIFY_TEXT);
  const words = canonicalWords(t);
  // A word index rules out most keywords in O(1): 200 labels × 200 keywords must not each scan the whole text.
  const present = new Set(words);
  const mayContain = (kw: string[]) =>
    kw.every((k, j) => present.has(k) || (j === kw.length - 1 && (present.has(`${k}s`) || present.has(`${k}es`))));
  let best: { label: string; matched: string[]; score: number } | undefined;
  let total = 0;
  for (const l of labels) {
    const matched: string[] = [];
    let score = 0;
    for (const k of l.keywords) {
      const kw = canonicalWords(k);
      if (!mayContain(kw) || !containsPhrase(words, kw)) continue;
      matched.push(k);
      score += kw.length;
    }
    for (const p of l.patterns ?? []) {
      const c = compilePattern(p);
      // Config validation rejects bad patterns; one that slipped through is skipped rather than failing the rung.
      if (!c.ok || !c.re.test(t)) continue;
      matched.push(`/${p}/`);
      score += 1;
    }
    total += score;
    if (score > 0 && (!best || score > best.score)) best = { label: l.name, matched, score };
  }
  if (best) return { label: best.label, matched: best.matched, share: best.score / total };
  return fallback === undefined ? undefined : { label: fallback, matched: [], share: 0 };
}

/** The first enum-typed property of an object schema (or the schema's own enum), with its string values. */
export function enumProperty(schema: Schema): { prop?: string; values: string[] } | undefined {
  const own = enumOf(schema);
  if (own) return { values: own };
  const props = isObj(schema.properties) ? schema.properties : {};
  for (const [prop, s] of Object.entries(props)) {
    const values = isObj(s) ? enumOf(s) : undefined;
    if (values) return { prop, values };
  }
  return undefined;
}

/**
 * The label set a json_schema carries: the string enum of the first enum-typed property (or of the schema itself).
 * Lets a classification request be answered by rules with no configured labels, the enum values being the keywords.
 */
export function labelsFromSchema(schema: Record<string, unknown>): string[] | undefined {
  return enumProperty(schema)?.values;
}

/**
 * Enum values as labels. Canonical words already split `billing_issue` into the phrase "billing issue"; camelCase
 * (`billingIssue`) gets the spaced phrase as a second keyword, added only when it differs so no value scores twice.
 */
export function labelsFromValues(values: string[]): RuleLabel[] {
  return values.map((v) => {
    const spaced = v.replace(/([a-z])([A-Z])/g, "$1 $2");
    return { name: v, keywords: canonicalWords(spaced).join(" ") === canonicalWords(v).join(" ") ? [v] : [v, spaced] };
  });
}

export type RuleAnswer =
  | {
      content: string;
      kind: "classification";
      detail: { label: string; matched: string[]; source: "config" | "schema"; fallback: boolean };
      /** The winner's share of the keyword evidence (0 for the fallback label). */
      confidence: number;
      /** What the banner says backs the answer, e.g. `keyword "refund" in the text`. */
      evidence: string;
    }
  | { content: string; kind: "extraction"; detail: { filled: string[]; missing: string[] }; confidence: number; evidence: string };

/**
 * A deterministic answer for a classification or extraction request, or undefined when rules cannot answer it (other
 * task classes, no labels, nothing extracted, or a result that would not validate against the caller's schema; the
 * ladder then moves on rather than hand a strict client JSON it will reject).
 *
 * Only the last user message is read: system prompts of classifiers usually list every label, and would match them all.
 */
export function ruleAnswer(
  req: CanonicalRequest,
  taskClass: TaskClass,
  cfg: Pick<DegradeConfig, "rules">,
): RuleAnswer | undefined {
  const text = lastUserText(req);
  const fmt = req.responseFormat;
  const schema = fmt?.type === "json_schema" ? fmt.schema : undefined;
  if (taskClass === "classification") return classifyAnswer(text, schema, fmt?.type === "json_object", cfg.rules);
  if (taskClass !== "extraction") return undefined;
  if (schema) {
    const r = extractBySchema(text, schema);
    if (r.filled.length === 0 || !conformsTo(r.value, schema)) return undefined;
    return { content: JSON.stringify(r.value), kind: "extraction", detail: { filled: r.filled, missing: r.missing }, ...extractionEvidence(r.filled, r.missing) };
  }
  if (fmt?.type !== "json_object") return undefined;
  const r = extractBySchema(text, DEFAULT_EXTRACTION);
  if (r.filled.length === 0) return undefined;
  return { content: JSON.stringify(r.value), kind: "extraction", detail: { filled: r.filled, missing: [] }, ...extractionEvidence(r.filled, []) };
}

/** An extraction's confidence: the share of the schema's fields found in the text (every value is copied from it). */
function extractionEvidence(filled: string[], missing: string[]): { confidence: number; evidence: string } {
  const n = filled.length + missing.length;
  return { confidence: filled.length / n, evidence: `${filled.length} of ${n} fields found word for word in the text` };
}

/** What a json_object extraction with no schema returns: every kind of thing the extractors know, as lists. */
const DEFAULT_EXTRACTION: Schema = {
  type: "object",
  properties: {
    emails: { type: "array", items: { type: "string", format: "email" } },
    urls: { type: "array", items: { type: "string" } },
    phones: { type: "array", items: { type: "string" } },
    dates: { type: "array", items: { type: "string", format: "date" } },
    amounts: {
      type: "array",
      items: { type: "object", properties: { value: { type: "number" }, currency: { type: ["string", "null"] } } },
    },
    ids: { type: "array", items: { type: "string" } },
  },
};

/** Where a label goes in an object schema with no enum: a property named like a label, else the first required string. */
function labelProperty(schema: Schema): string | undefined {
  const props = isObj(schema.properties) ? schema.properties : {};
  const takesString = (p: string) => isObj(props[p]) && conformsTo("x", props[p] as Schema);
  const named = ["label", "category", "class", "classification", "intent", "topic", "sentiment"].find(takesString);
  const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === "string") : [];
  return named ?? required.find(takesString);
}

function classifyAnswer(
  text: string,
  schema: Schema | undefined,
  jsonObject: boolean,
  rules: DegradeConfig["rules"],
): RuleAnswer | undefined {
  const en = schema ? enumProperty(schema) : undefined;
  const allowed = (l: string) => !en || en.values.includes(l);
  // Configured labels first (their order is the tie-break), then enum values they do not cover; never a label outside
  // the caller's enum, which would break its parser.
  const configured = (rules.labels ?? []).filter((l) => allowed(l.name));
  const fromSchema = en ? labelsFromValues(en.values.filter((v) => !configured.some((l) => l.name === v))) : [];
  const fallback = rules.fallbackLabel !== undefined && allowed(rules.fallbackLabel) ? rules.fallbackLabel : undefined;
  const hit = scoreByRules(text, [...configured, ...fromSchema], fallback);
  if (!hit) return undefined;
  const source = configured.some((l) => l.name === hit.label) ? "config" : "schema";
  const detail = { label: hit.label, matched: hit.matched, source, fallback: hit.matched.length === 0 } as const;
  const evidence = detail.fallback ? "no keyword matched, the route's default label" : `${hit.matched.length === 1 ? "keyword" : "keywords"} ${hit.matched.map((m) => JSON.stringify(m)).join(", ")} in the text`;
  const scored = { confidence: hit.share, evidence };
  if (!schema) {
    // json_object promises JSON, so a bare label would break the caller's parser.
    const content = jsonObject ? JSON.stringify({ label: hit.label }) : hit.label;
    return { content, kind: "classification", detail, ...scored };
  }
  const prop = en ? en.prop : labelProperty(schema);
  const value: unknown = prop === undefined ? hit.label : { [prop]: hit.label };
  if (isObj(value)) {
    // Other required fields (a confidence, a reason) cannot be made up; null where the schema allows it.
    const props = isObj(schema.properties) ? schema.properties : {};
    for (const r of Array.isArray(schema.required) ? schema.required : []) {
      const s = props[r as string];
      if (typeof r === "string" && !(r in value) && isObj(s) && conformsTo(null, s)) value[r] = null;
    }
  }
  if (!conformsTo(value, schema)) return undefined;
  return { content: JSON.stringify(value), kind: "classification", detail, ...scored };
}
