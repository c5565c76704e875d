/**
 * Regex extractors for rung 4 (emails, URLs, phones, dates, money, order/ticket/invoice ids, numbers), the mapping of
 * what they find onto a caller's JSON schema, and `conformsTo`, a checker for the small JSON Schema subset the mapping
 * promises to honour. Split from rules.ts only to keep each file one job; rules.ts re-exports the public pieces.
 *
 * Every regex is a literal written to run in linear time on ordinary text, and input is capped, so a hostile prompt
 * cannot spend the Worker's CPU budget. Pure: no clock, no env.
 */
export type Schema = Record<string, unknown>;

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Extraction reads at most this much text: enough for an email or a ticket, bounded for CPU. */
const MAX_TEXT = 20_000;

/** Canonical words: compatibility-normalised, accents stripped, lower-cased, split on anything not a letter or digit. */
export function canonicalWords(text: string): string[] {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Whether `kw` (canonical words) occurs contiguously in `words`; the last keyword word may be pluralised (s, es). */
export function containsPhrase(words: string[], kw: string[]): boolean {
  const last = kw.length - 1;
  const eq = (w: string, k: string, j: number) => w === k || (j === last && (w === `${k}s` || w === `${k}es`));
  return kw.length > 0 && words.some((_, i) => i + kw.length <= words.length && kw.every((k, j) => eq(words[i + j]!, k, j)));
}

/** The string values of a schema's `enum`, if it has any. */
export function enumOf(s: Schema): string[] | undefined {
  const values = Array.isArray(s.enum) ? s.enum.filter((x): x is string => typeof x === "string") : [];
  return values.length > 0 ? values : undefined;
}

const typesOf = (s: Schema): string[] =>
  typeof s.type === "string" ? [s.type] : Array.isArray(s.type) ? s.type.filter((t) => typeof t === "string") : [];

/** `YYYY-MM-DD` for a real calendar date, else undefined (so "February 30" is not a date). */
function isoOf(y: number, m: number, d: number): string | undefined {
  const t = new Date(Date.UTC(y, m - 1, d));
  if (y < 1000 || t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) return undefined;
  return `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

const isIsoDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && isoOf(+s.slice(0, 4), +s.slice(5, 7), +s.slice(8)) === s;

const TYPE_CHECKS: Record<string, (v: unknown) => boolean> = {
  integer: Number.isInteger,
  number: (v) => typeof v === "number" && Number.isFinite(v),
  null: (v) => v === null,
  array: Array.isArray,
  object: isObj,
};
const isType = (v: unknown, t: string) => (TYPE_CHECKS[t] ?? ((x) => typeof x === t))(v); // string, boolean

/**
 * Whether `value` validates against `schema`, for the subset degraded answers use: type (string or list), enum,
 * const, nullable, anyOf/oneOf/allOf, format date and email, properties, required, additionalProperties: false and
 * items. Keywords outside the subset are ignored (permissive), so this can say "valid" but never "invalid" wrongly.
 */
export function conformsTo(value: unknown, schema: Schema): boolean {
  for (const key of ["anyOf", "oneOf"]) {
    const alts = schema[key];
    if (Array.isArray(alts) && !alts.some((a) => isObj(a) && conformsTo(value, a))) return false;
  }
  if (Array.isArray(schema.allOf) && !schema.allOf.every((a) => isObj(a) && conformsTo(value, a))) return false;
  if (value === null && schema.nullable === true) return true;
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) return false;
  if ("const" in schema && schema.const !== value) return false;
  const types = typesOf(schema);
  if (types.length > 0 && !types.some((t) => isType(value, t))) return false;
  if (typeof value === "string" && schema.format === "date" && !isIsoDate(value)) return false;
  if (typeof value === "string" && schema.format === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return false;
  const items = schema.items;
  if (Array.isArray(value)) return !isObj(items) || value.every((v) => conformsTo(v, items));
  if (!isObj(value)) return true;
  const props = isObj(schema.properties) ? schema.properties : {};
  if (Array.isArray(schema.required) && schema.required.some((r) => typeof r === "string" && !(r in value))) return false;
  return Object.entries(value).every(([k, v]) => {
    const ps = props[k];
    return isObj(ps) ? conformsTo(v, ps) : schema.additionalProperties !== false;
  });
}

type HitKind = "email" | "url" | "id" | "date" | "money" | "phone" | "number";
interface Hit { kind: HitKind; start: number; end: number; text: string; iso?: string; num?: number; currency?: string | null; id?: string; idKind?: string }

/** Words that say what an id identifies, from a prefix (`INV-7`), the words before it, or a property name. */
const ID_KINDS: Record<string, string> = {
  order: "order", ord: "order", po: "order", booking: "order", purchase: "order",
  invoice: "invoice", inv: "invoice", bill: "invoice",
  ticket: "ticket", tkt: "ticket", tck: "ticket", case: "ticket", incident: "ticket", inc: "ticket", support: "ticket",
};
/** Own keys only, so a property named "constructor" is not mistaken for an id kind. */
const kindOf = (w?: string) => (w && Object.hasOwn(ID_KINDS, w.toLowerCase()) ? ID_KINDS[w.toLowerCase()] : undefined);
const ID_CONTEXT = /\b(order|booking|invoice|bill|ticket|case|incident)\b\W*(?:number|no|num|id)?\W*$/i;
const ID_HASH = /#([A-Z0-9][A-Z0-9-]{2,})\b/gi;
const ID_PREFIXED = /\b([A-Z]{2,6})-(?=[A-Z0-9-]{0,30}\d)[A-Z0-9]+(?:-[A-Z0-9]+)*\b/g; // upper-case prefix: not prose
const ID_WORDED = /\b(order|booking|invoice|ticket|case|incident|reference|ref|confirmation|tracking)(?:\s+(?:number|no\.?|num|id|code))?\s*[:#]?\s*([A-Z0-9][A-Z0-9-]{3,})\b/gi;
// Starts only at the start of a run (lookbehind) and is capped at 64, or "aaaa…" with no "@" would be quadratic.
const EMAIL = /(?<![A-Z0-9._%+-])[A-Z0-9._%+-]{1,64}@[A-Z0-9-]+(?:\.[A-Z0-9-]+)*\.[A-Z]{2,}/gi;
const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'`]*[^\s<>"'`.,;:!?)\]}]/gi; // sentence punctuation is not part of it
const MONTHS = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
const month = (s: string) => "janfebmaraprmayjunjulaugsepoctnovdec".indexOf(s.slice(0, 3).toLowerCase()) / 3 + 1;
const DATE_ISO = /\b(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)/g;
const DATE_YMD = /\b(\d{4})\/(\d{1,2})\/(\d{1,2})\b/g;
// Dotted dates are day-first everywhere; slashed ones month-first (US) unless the first number cannot be a month.
const DATE_NUMERIC = /\b(\d{1,2})([/.])(\d{1,2})\2(\d{4})\b/g;
const DATE_MDY = new RegExp(`\\b(${MONTHS})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})\\b`, "gi");
const DATE_DMY = new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?(?:\\s+of)?\\s+(${MONTHS})\\.?,?\\s+(\\d{4})\\b`, "gi");
const NUM = String.raw`\d{1,3}(?:[,.']\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?`;
const CODES = "USD|EUR|GBP|JPY|CHF|CAD|AUD|NZD|INR|CNY|SEK|NOK|DKK|PLN|MXN|BRL|ZAR|SGD|HKD";
const SYMBOLS: Record<string, string> = { $: "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", dollar: "USD", euro: "EUR", buck: "USD" };
const MONEY_BEFORE = new RegExp(`([$€£¥₹]|\\b(?:${CODES}))\\s?(${NUM})(?!\\d)`, "gi");
const MONEY_AFTER = new RegExp(`(?<![\\d.,])(${NUM})\\s?([$€£¥₹]|(?:${CODES}|dollar|euro|buck)s?\\b)`, "gi");
const PHONE = /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,5}){1,4}(?![\w-])|(?<![\w+])\+\d{8,15}\b/g;
const NUMBER = /(?<![\w.,])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w]|[.,]\d)/g;

/** "1.234,56" and "1,234.56" are both 1234.56: a final separator followed by one or two digits is the decimal point. */
function parseAmount(s: string): number {
  const dec = /[.,](\d{1,2})$/.exec(s);
  const int = (dec ? s.slice(0, dec.index) : s).replace(/[,.']/g, "");
  return Number(dec ? `${int}.${dec[1]}` : int);
}

const currencyOf = (s: string): string => SYMBOLS[s.toLowerCase().replace(/s$/, "")] ?? s.toUpperCase();

/** Every match in `text`, each character claimed once; earlier extractors win overlaps (an id is not also a phone). */
function scan(text: string): Hit[] {
  const hits: Hit[] = [];
  const claimed = new Uint8Array(text.length); // linear overlap check: thousands of numbers must not cost n²
  const add = (h: Hit) => {
    if (claimed.subarray(h.start, h.end).some((c) => c === 1)) return;
    claimed.fill(1, h.start, h.end);
    hits.push(h);
  };
  const each = (re: RegExp, f: (m: RegExpExecArray, start: number) => Omit<Hit, "start" | "end" | "text"> | undefined, group = 0) => {
    for (const m of text.matchAll(re)) {
      const t = m[group]!;
      const start = m.index + m[0].lastIndexOf(t);
      const h = f(m, start);
      if (h) add({ ...h, start, end: start + t.length, text: t });
    }
  };
  const kindBefore = (start: number) => kindOf(ID_CONTEXT.exec(text.slice(Math.max(0, start - 24), start))?.[1]);
  each(EMAIL, () => ({ kind: "email" }));
  each(URL_RE, () => ({ kind: "url" }));
  each(ID_HASH, (m, s) => (/\d/.test(m[1]!) ? { kind: "id", id: m[1]!, idKind: kindBefore(s) } : undefined));
  each(ID_PREFIXED, (m, s) => ({ kind: "id", id: m[0], idKind: kindOf(m[1]) ?? kindBefore(s) }));
  each(ID_WORDED, (m) => (/\d/.test(m[2]!) ? { kind: "id", id: m[2]!, idKind: kindOf(m[1]) } : undefined), 2);
  each(DATE_ISO, (m) => ({ kind: "date", iso: isoOf(+m[1]!, +m[2]!, +m[3]!) }));
  each(DATE_YMD, (m) => ({ kind: "date", iso: isoOf(+m[1]!, +m[2]!, +m[3]!) }));
  each(DATE_NUMERIC, (m) => {
    const [a, b, y] = [+m[1]!, +m[3]!, +m[4]!];
    return { kind: "date", iso: m[2] === "." || a > 12 ? isoOf(y, b, a) : isoOf(y, a, b) };
  });
  each(DATE_MDY, (m) => ({ kind: "date", iso: isoOf(+m[3]!, month(m[1]!), +m[2]!) }));
  each(DATE_DMY, (m) => ({ kind: "date", iso: isoOf(+m[3]!, month(m[2]!), +m[1]!) }));
  each(MONEY_BEFORE, (m) => ({ kind: "money", num: parseAmount(m[2]!), currency: currencyOf(m[1]!) }));
  each(MONEY_AFTER, (m) => ({ kind: "money", num: parseAmount(m[1]!), currency: currencyOf(m[2]!) }));
  each(PHONE, (m) => (/^\d{7,15}$/.test(m[0].replace(/\D/g, "")) ? { kind: "phone" } : undefined)); // E.164 length
  each(NUMBER, (m) => ({ kind: "number", num: Number(m[0].replace(/,/g, "")) }));
  return hits.filter((h) => h.kind !== "date" || h.iso).sort((a, b) => a.start - b.start);
}

type Category = "email" | "url" | "phone" | "date" | "currency" | "money" | "id" | "number" | "enum";

/** Property name → words, singular and as written: `orderIds` → order, ids, id. */
function nameWords(name: string): string[] {
  const ws = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  return [...ws, ...ws.filter((w) => w.length > 2 && w.endsWith("s")).map((w) => w.slice(0, -1))];
}

/** What a property wants, by its name first (the strongest hint), then format and type. Order matters: order_date is a date. */
function categoryOf(name: string, s: Schema): Category | undefined {
  const ws = nameWords(name);
  const has = (...xs: string[]) => xs.some((x) => ws.includes(x));
  const last = ws[ws.length - 1];
  if (s.format === "email" || has("email", "mail")) return "email";
  if (s.format === "uri" || s.format === "url" || has("url", "uri", "website", "link", "homepage", "site")) return "url";
  if (has("phone", "telephone", "tel", "mobile", "cell", "fax")) return "phone";
  if (s.format === "date" || s.format === "date-time" || has("date", "deadline", "dob", "birthday", "due")) return "date";
  if (last === "at" || last === "on") return "date";
  if (has("currency")) return "currency";
  if (has("amount", "total", "price", "cost", "fee", "sum", "balance", "payment", "subtotal", "tax", "refund", "charge")) return "money";
  if (has("count", "quantity", "qty")) return "number";
  if (has("id", "order", "ticket", "invoice", "reference", "ref", "case", "confirmation", "booking", "tracking", "incident")) return "id";
  if (enumOf(s)) return "enum";
  const types = typesOf(s);
  return types.includes("number") || types.includes("integer") ? "number" : undefined;
}

/** A hit as a value of schema `s`, or undefined when its type cannot take it. */
function convert(h: Hit, s: Schema): unknown {
  const types = typesOf(s);
  const str = types.length === 0 || types.includes("string");
  const num = types.includes("number") || types.includes("integer");
  if (h.kind === "date") return str ? (s.format === "date" ? h.iso : h.text) : undefined;
  if (h.kind === "money" && types.includes("object")) {
    const props = isObj(s.properties) ? s.properties : {};
    const key = ["value", "amount", "total"].find((k) => k in props) ?? "value";
    return "currency" in props ? { [key]: h.num, currency: h.currency ?? null } : { [key]: h.num };
  }
  if (h.kind === "money" || h.kind === "number") return num ? h.num : str ? h.text : undefined;
  if (h.kind === "id") return str ? h.id : num && /^\d+$/.test(h.id!) ? Number(h.id) : undefined;
  return str ? h.text : undefined;
}

const KIND_FOR: Partial<Record<Category, HitKind[]>> = {
  email: ["email"], url: ["url"], phone: ["phone"], date: ["date"], id: ["id"], number: ["number"],
  money: ["money", "number"], // a bare "total: 45.00" is still the total
};

interface Ctx { hits: Hit[]; words: string[]; used: Set<Hit> }

/** Value for one property: arrays take every match; a single value takes the first unused one (so two emails fill two fields). */
function valueFor(ctx: Ctx, name: string, s: Schema): unknown {
  const isArray = typesOf(s).includes("array");
  const target = isArray ? (isObj(s.items) ? s.items : {}) : s;
  const cat = categoryOf(name, target);
  if (cat === "enum") {
    const found = enumOf(target)!.filter((v) => containsPhrase(ctx.words, canonicalWords(v.replace(/[_-]+/g, " "))));
    return isArray ? found : found[0];
  }
  const kinds = cat ? KIND_FOR[cat] : undefined;
  if (!kinds) return undefined;
  const want = cat === "id" ? nameWords(name).map(kindOf).find(Boolean) : undefined;
  // Kind-matched ids first, then ids of unknown kind; an INV- id never fills ticket_id.
  const pool = kinds.flatMap((k) => ctx.hits.filter((h) => h.kind === k)).filter((h) => !want || !h.idKind || h.idKind === want);
  pool.sort((a, b) => Number(b.idKind === want && !!want) - Number(a.idKind === want && !!want));
  if (isArray) return pool.map((h) => convert(h, target)).filter((v) => v !== undefined && conformsTo(v, target));
  for (const h of pool) {
    if (ctx.used.has(h)) continue;
    const v = convert(h, target);
    if (v !== undefined && conformsTo(v, target)) {
      ctx.used.add(h);
      return v;
    }
  }
  return undefined;
}

/** The first non-null branch of an anyOf/oneOf, which is how nullable fields are usually written. */
function effective(s: Schema): Schema {
  const alts = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : []).filter(isObj);
  return alts.find((a) => a.type !== "null") ?? s;
}

function fill(ctx: Ctx, schema: Schema, prefix: string): { value: Record<string, unknown>; filled: string[]; missing: string[] } {
  const props = isObj(schema.properties) ? schema.properties : {};
  const value: Record<string, unknown> = {};
  const filled: string[] = [];
  const missing: string[] = [];
  const later: [string, Schema][] = [];
  for (const [name, raw] of Object.entries(props)) {
    if (!isObj(raw)) continue;
    const s = effective(raw);
    if (isObj(s.properties)) {
      const sub = fill(ctx, s, `${prefix}${name}.`);
      if (sub.filled.length > 0) {
        value[name] = sub.value;
        filled.push(...sub.filled);
        missing.push(...sub.missing);
      }
    } else if (categoryOf(name, s) === "currency") {
      later.push([name, s]);
    } else {
      const v = valueFor(ctx, name, s);
      if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
      value[name] = v;
      filled.push(prefix + name);
    }
  }
  // Currency after amounts, so it is the currency of the amount actually used.
  const money = [...ctx.used].find((h) => h.kind === "money" && h.currency) ?? ctx.hits.find((h) => h.kind === "money" && h.currency);
  for (const [name, s] of later) {
    if (!money?.currency || !conformsTo(money.currency, s)) continue;
    value[name] = money.currency;
    filled.push(prefix + name);
  }
  for (const r of Array.isArray(schema.required) ? schema.required : []) {
    if (typeof r !== "string" || r in value) continue;
    missing.push(prefix + r);
    const s = props[r];
    if (isObj(s) && conformsTo(null, s)) value[r] = null;
  }
  return { value, filled, missing };
}

/**
 * Fills an object schema's properties from `text` with regex extractors, mapped by property name (email, url, phone,
 * date/*_date/*_at, amount/total/price, currency, id/*_id/order/ticket/invoice), format and type. Arrays get every
 * match; `format: "date"` gets `YYYY-MM-DD`. Required properties left unfilled are listed in `missing` and set to null
 * only where the schema allows null. Nested object properties are filled recursively (paths like `customer.email`).
 */
export function extractBySchema(text: string, schema: Schema): { value: Record<string, unknown>; filled: string[]; missing: string[] } {
  const t = text.slice(0, MAX_TEXT);
  return fill({ hits: scan(t), words: canonicalWords(t), used: new Set() }, schema, "");
}
