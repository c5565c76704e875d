/**
 * The comparator: is a candidate's answer equivalent to the primary's, for what the request asked? One pure function
 * shared by shadow traffic (src/pipeline/shadow.ts) and the golden-set eval (scripts/eval.mjs), so both give the same
 * verdict on the same pair. Deterministic: no embedding model, no network. Judged per answer class (`classOf`):
 *
 * - json: same keys present; enum, boolean, number and null fields equal; free strings by token overlap;
 * - tools: same functions in the same order, same arguments after normalising (key order, case, whitespace);
 * - classification: the same label;
 * - extraction: field-level precision and recall of the primary's fields (F1);
 * - text: token-set overlap and length ratio.
 *
 * Hard failures whatever the score: the candidate breaks the caller's contract (the built-in output checks,
 * src/validate/builtin.ts), or one answer refuses and the other does not.
 */
import type { CanonicalRequest, CanonicalResponse } from "../canonical";
import type { TaskClass } from "../routing/classify";
import { checksFor, validate } from "../validate/builtin";
import { isRefusal } from "../validate/route";
import type { CompareClass, Thresholds } from "./config";
import { lengthRatio, normaliseLabel, refusesInWords, tokenSetSimilarity } from "./similarity";

/** One thing the comparator looked at. `hard`: failing it makes the pair not equivalent whatever the score. */
export interface CompareCheck {
  name: string;
  pass: boolean;
  score: number;
  hard?: boolean;
  detail?: string;
}

export interface Comparison {
  equivalent: boolean;
  /** 0 … 1: how close the candidate is to the primary (1 = the same). */
  score: number;
  class: CompareClass;
  /** The candidate passed the caller's contract (the built-in output checks). */
  valid: boolean;
  checks: CompareCheck[];
}

/** The thresholds when config says nothing (the schema's defaults, repeated here so the function stands alone). */
export const DEFAULT_THRESHOLDS: Thresholds = { json: 0.7, tools: 1, classification: 1, extraction: 0.8, text: 0.3, textLengthRatio: 0.4 };

export interface CompareOptions {
  /** The request's task class (route config, x-detour-task or the classifier); decides classification/extraction. */
  taskClass?: TaskClass | undefined;
  thresholds?: Thresholds;
}

/** The answer class of this request: tools when it offers tools, JSON classes by task, else free text. */
export function classOf(req: Pick<CanonicalRequest, "tools" | "responseFormat">, taskClass: TaskClass | undefined, answers: CanonicalResponse[] = []): CompareClass {
  if (req.tools?.length && answers.some((a) => a.toolCalls.length > 0)) return "tools";
  if (taskClass === "classification") return "classification";
  const json = req.responseFormat?.type === "json_schema" || req.responseFormat?.type === "json_object";
  if (taskClass === "extraction" && json) return "extraction";
  return json ? "json" : "text";
}

/** Compare `candidate` with `primary` for `req`. */
export function compare(req: CanonicalRequest, primary: CanonicalResponse, candidate: CanonicalResponse, opts: CompareOptions = {}): Comparison {
  const t = opts.thresholds ?? DEFAULT_THRESHOLDS;
  const cls = classOf(req, opts.taskClass, [primary, candidate]);
  const checks: CompareCheck[] = [];

  const failure = validate(req, candidate, checksFor(req));
  checks.push({ name: "validation", pass: !failure, score: failure ? 0 : 1, hard: true, ...(failure ? { detail: `${failure.check}: ${failure.reason}` } : {}) });

  const pRefuses = refuses(primary);
  const cRefuses = refuses(candidate);
  if (pRefuses !== cRefuses) {
    checks.push({ name: "refusal", pass: false, score: 0, hard: true, detail: cRefuses ? "the candidate refused; the primary answered" : "the primary refused; the candidate answered" });
  } else if (pRefuses) {
    // Both declined: the same verdict on the request, whatever the wording.
    checks.push({ name: "refusal", pass: true, score: 1, detail: "both refused" });
    return verdict(cls, !failure, checks, 1, 0);
  }

  const { score, bar } = JUDGES[cls](req, primary, candidate, t, checks);
  return verdict(cls, !failure, checks, score, bar);
}

function verdict(cls: CompareClass, valid: boolean, checks: CompareCheck[], score: number, bar: number): Comparison {
  const hardFail = checks.some((c) => c.hard && !c.pass);
  const s = hardFail ? 0 : clamp(score);
  return { equivalent: !hardFail && s >= bar, score: round(s), class: cls, valid, checks };
}

/** Refused: content-filter finish, a vendor refusal field, or an answer opening with a refusal in words. */
export function refuses(res: CanonicalResponse): boolean {
  return isRefusal(res) || (res.toolCalls.length === 0 && refusesInWords(res.content));
}

type Judge = (req: CanonicalRequest, p: CanonicalResponse, c: CanonicalResponse, t: Thresholds, checks: CompareCheck[]) => { score: number; bar: number };

/** One judge per answer class (the compiler lists every class). */
const JUDGES: Record<CompareClass, Judge> = {
  text: (_req, p, c, t, checks) => {
    const a = p.content ?? "";
    const b = c.content ?? "";
    const sim = tokenSetSimilarity(a, b);
    const ratio = lengthRatio(a, b);
    checks.push({ name: "token_overlap", pass: sim >= t.text, score: round(sim) });
    checks.push({ name: "length_ratio", pass: ratio >= t.textLengthRatio, score: round(ratio), hard: true });
    return { score: sim, bar: t.text };
  },

  classification: (req, p, c, _t, checks) => {
    const a = labelOf(req, p);
    const b = labelOf(req, c);
    const same = a !== undefined && a === b;
    checks.push({ name: "label", pass: same, score: same ? 1 : 0, hard: true, detail: `${a ?? "(none)"} vs ${b ?? "(none)"}` });
    return { score: same ? 1 : 0, bar: 1 };
  },

  json: (req, p, c, t, checks) => {
    const a = parse(p.content);
    const b = parse(c.content);
    if (a === undefined || b === undefined) {
      checks.push({ name: "json", pass: false, score: 0, hard: true, detail: a === undefined ? "the primary's answer is not JSON" : "the candidate's answer is not JSON" });
      return { score: 0, bar: t.json };
    }
    const schema = req.responseFormat?.type === "json_schema" ? req.responseFormat.schema : undefined;
    const fields = compareJson(a, b, schema, "");
    const keys = fields.every((f) => f.present);
    const exact = fields.filter((f) => f.exact);
    const exactOk = exact.every((f) => f.score === 1);
    checks.push({ name: "keys", pass: keys, score: share(fields.filter((f) => f.present).length, fields.length), hard: true, ...(keys ? {} : { detail: `missing: ${fields.filter((f) => !f.present).map((f) => f.path).join(", ")}` }) });
    checks.push({ name: "exact_fields", pass: exactOk, score: share(exact.filter((f) => f.score === 1).length, exact.length), hard: true, ...(exactOk ? {} : { detail: `differ: ${exact.filter((f) => f.score !== 1).map((f) => f.path).join(", ")}` }) });
    const score = fields.length === 0 ? 1 : fields.reduce((s, f) => s + f.score, 0) / fields.length;
    checks.push({ name: "field_score", pass: score >= t.json, score: round(score) });
    return { score, bar: t.json };
  },

  extraction: (_req, p, c, t, checks) => {
    const a = parse(p.content);
    const b = parse(c.content);
    if (a === undefined || b === undefined) {
      checks.push({ name: "json", pass: false, score: 0, hard: true, detail: a === undefined ? "the primary's answer is not JSON" : "the candidate's answer is not JSON" });
      return { score: 0, bar: t.extraction };
    }
    const want = leaves(a);
    const got = leaves(b);
    const matched = [...want].filter(([path, v]) => got.get(path) === v).length;
    const precision = got.size === 0 ? (want.size === 0 ? 1 : 0) : matched / got.size;
    const recall = want.size === 0 ? 1 : matched / want.size;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    checks.push({ name: "precision", pass: precision >= t.extraction, score: round(precision) });
    checks.push({ name: "recall", pass: recall >= t.extraction, score: round(recall) });
    return { score: f1, bar: t.extraction };
  },

  tools: (_req, p, c, t, checks) => {
    const a = p.toolCalls;
    const b = c.toolCalls;
    const names = a.length === b.length && a.every((call, i) => call.name === b[i]!.name);
    checks.push({ name: "functions", pass: names, score: names ? 1 : 0, hard: true, detail: `${a.map((x) => x.name).join(",") || "(no call)"} vs ${b.map((x) => x.name).join(",") || "(no call)"}` });
    if (!names) return { score: 0, bar: t.tools };
    let sum = 0;
    a.forEach((call, i) => {
      const x = parseArgs(call.arguments);
      const y = parseArgs(b[i]!.arguments);
      const want = leaves(x);
      const got = leaves(y);
      const all = new Set([...want.keys(), ...got.keys()]);
      const same = [...all].filter((k) => want.get(k) === got.get(k)).length;
      sum += all.size === 0 ? 1 : same / all.size;
    });
    const score = a.length === 0 ? 1 : sum / a.length;
    checks.push({ name: "arguments", pass: score >= t.tools, score: round(score) });
    return { score, bar: t.tools };
  },
};

/**
 * The label an answer gives: in a JSON answer, the first field with an enum in the schema, else a field named
 * label/category/class/intent/sentiment, else the first string; in text, the whole answer normalised.
 */
export function labelOf(req: Pick<CanonicalRequest, "responseFormat">, res: Pick<CanonicalResponse, "content">): string | undefined {
  const text = res.content;
  if (text === null || text.trim() === "") return undefined;
  const value = parse(text);
  if (value === undefined || typeof value !== "object" || value === null || Array.isArray(value)) return normaliseLabel(text);
  const obj = value as Record<string, unknown>;
  const schema = req.responseFormat?.type === "json_schema" ? req.responseFormat.schema : undefined;
  const props = (schema?.properties ?? {}) as Record<string, { enum?: unknown }>;
  const enumKey = Object.keys(props).find((k) => Array.isArray(props[k]?.enum) && typeof obj[k] === "string");
  const named = ["label", "category", "class", "intent", "sentiment"].find((k) => typeof obj[k] === "string");
  const first = Object.keys(obj).find((k) => typeof obj[k] === "string");
  const key = enumKey ?? named ?? first;
  return key === undefined ? normaliseLabel(text) : normaliseLabel(String(obj[key]));
}

interface FieldScore {
  path: string;
  present: boolean;
  /** Must match exactly (enum, const, number, boolean, null). */
  exact: boolean;
  score: number;
}

/** Field scores over the union of both objects' keys, recursively (arrays by position). */
function compareJson(a: unknown, b: unknown, schema: Record<string, unknown> | undefined, path: string): FieldScore[] {
  if (isObj(a) && isObj(b)) {
    const props = (schema?.properties ?? {}) as Record<string, Record<string, unknown>>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => {
      const p = `${path}/${k}`;
      if (!(k in a) || !(k in b)) return [{ path: p, present: false, exact: false, score: 0 }];
      return compareJson(a[k], b[k], props[k], p);
    });
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const items = (schema?.items ?? undefined) as Record<string, unknown> | undefined;
    if (a.every(isScalar) && b.every(isScalar)) {
      // A list of values: compared as a set (order rarely matters to the caller).
      const sa = new Set(a.map((x) => normaliseScalar(x)));
      const sb = new Set(b.map((x) => normaliseScalar(x)));
      const both = [...sa].filter((x) => sb.has(x)).length;
      const all = new Set([...sa, ...sb]).size;
      return [{ path, present: true, exact: false, score: all === 0 ? 1 : both / all }];
    }
    const n = Math.max(a.length, b.length);
    if (n === 0) return [{ path, present: true, exact: false, score: 1 }];
    return Array.from({ length: n }, (_, i) =>
      i < a.length && i < b.length ? compareJson(a[i], b[i], items, `${path}/${i}`) : [{ path: `${path}/${i}`, present: false, exact: false, score: 0 }],
    ).flat();
  }
  const enumLike = schema !== undefined && (Array.isArray(schema.enum) || schema.const !== undefined);
  if (typeof a === "string" && typeof b === "string" && !enumLike) {
    return [{ path, present: true, exact: false, score: normaliseLabel(a) === normaliseLabel(b) ? 1 : tokenSetSimilarity(a, b) }];
  }
  return [{ path, present: true, exact: true, score: normaliseScalar(a) === normaliseScalar(b) ? 1 : 0 }];
}

/** Every scalar of a JSON value by its path, normalised (strings: case, punctuation and spacing ignored). */
function leaves(v: unknown, path = "", out = new Map<string, string>()): Map<string, string> {
  if (isObj(v)) for (const [k, x] of Object.entries(v)) leaves(x, `${path}/${k}`, out);
  else if (Array.isArray(v)) v.forEach((x, i) => leaves(x, `${path}/${i}`, out));
  else out.set(path, normaliseScalar(v));
  return out;
}

function normaliseScalar(v: unknown): string {
  return typeof v === "string" ? `s:${normaliseLabel(v)}` : `${typeof v}:${JSON.stringify(v)}`;
}

function parse(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function parseArgs(text: string): unknown {
  return text.trim() === "" ? {} : (parse(text) ?? { "(unparsed)": text });
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isScalar = (v: unknown) => v === null || typeof v !== "object";
const share = (a: number, b: number) => (b === 0 ? 1 : round(a / b));
const clamp = (x: number) => Math.min(1, Math.max(0, x));
const round = (x: number) => Math.round(x * 1e4) / 1e4;
