/**
 * Intent-cache keys and near-duplicate matching (issue 5); pure (Web Crypto and strings), so it runs in Node and workerd.
 * Keys, most specific first: an explicit intent, the exact answer-changing fields, the same with text canonicalised.
 * Near-duplicates: MinHash over word shingles, stored as LSH band keys; a shared band is only a candidate until the
 * signatures' similarity clears the threshold. Every key is tenant-scoped by a hash and holds no prompt text. When in
 * doubt this module keeps a distinction: a missed hit costs one upstream call, a wrong hit serves a wrong answer.
 */
import type { CanonicalRequest, Message } from "../canonical";

/**
 * Near-duplicate similarity at or above which a candidate is a hit. Chosen on test/fixtures/paraphrases.json: the
 * non-paraphrases that share a scope score ≤ 0.50 (bar one word-order swap), most paraphrases ≥ 0.55; keys.test.ts
 * logs recall and precision.
 */
export const DEFAULT_NEAR_THRESHOLD = 0.55;

/** Zero-width and invisible formatting characters (ZWSP, ZWNJ, ZWJ, bidi marks, word joiner, BOM, soft hyphen). */
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/g;
/** Punctuation that changes meaning and is kept: percent, hash, at, ampersand, slash, asterisk. */
const KEEP = new Set(["%", "#", "@", "&", "/", "*"]);
const DIGIT = /\d/;

/**
 * Fold text to the form two requests with the same meaning share: NFKC (full-width, ligatures, compatibility forms),
 * lower case, invisible characters removed, apostrophes inside words joined ("what's" → "whats"), other punctuation
 * that carries no meaning turned into spaces, whitespace folded. Letters and digits of every script survive, as do
 * symbols (`+`, `=`, `$`, emoji) and separators between digits ("3.5", "10:30", "-5") because those change answers.
 */
export function canonicalText(s: string): string {
  return s
    .normalize("NFKC")
    .toLowerCase()
    .normalize("NFKC")
    .replace(INVISIBLE, "")
    .replace(/(\p{L})['’‘ʼ](?=\p{L})/gu, "$1")
    .replace(/\p{P}/gu, (c, i: number, str: string) => {
      const after = DIGIT.test(str[i + 1] ?? "");
      if (KEEP.has(c) || (after && (c === "-" || (".,:".includes(c) && DIGIT.test(str[i - 1] ?? ""))))) return c;
      return " ";
    })
    .replace(/\s+/gu, " ")
    .trim();
}

/** Lower-case hex SHA-256 of the UTF-8 bytes of `s`. */
export async function sha256Hex(s: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The 16-hex tenant scope used in every cache and near-duplicate key (64 bits: collisions are not a practical risk). */
export async function tenantHash(tenant: string): Promise<string> {
  return (await sha256Hex(tenant)).slice(0, 16);
}

/** Where a request is being answered: cache entries never cross routes or models. */
export interface KeyParts { tenant: string; route: string; model: string }

/** What `cacheKeys` returns: KV keys, most specific first. */
export interface CacheKeys { intent?: string; exact: string; canonical: string }

/** JSON with object keys sorted at every depth, so key order in a caller's JSON never splits the cache. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * A message reduced to what the model reads. Tool-call ids are dropped: they are per-call correlation handles, and two
 * conversations that differ only in ids get the same answer.
 */
function messageFields(m: Message, text: (s: string) => string): unknown {
  if (m.role === "assistant") {
    const toolCalls = m.toolCalls?.map((c) => ({ name: c.name, arguments: c.arguments }));
    return { role: m.role, content: m.content === null ? null : text(m.content), toolCalls };
  }
  if (m.role !== "user" || typeof m.content === "string") {
    return { role: m.role, name: m.role === "user" ? m.name : undefined, content: text(m.content as string) };
  }
  const content = m.content.map((p) => (p.type === "text" ? { type: "text", text: text(p.text) } : { ...p }));
  return { role: m.role, name: m.name, content };
}

/**
 * The non-message fields that change an answer. Not `user`, `metadata`, `stream` or `includeUsage`: they change
 * billing or delivery, not the text. Tool descriptions are included with names and schemas because models read them.
 */
function parameterFields(req: CanonicalRequest, parts: KeyParts): Record<string, unknown> {
  const { toolChoice, responseFormat, temperature, topP, stop, maxTokens } = req;
  const tools = req.tools?.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  return { route: parts.route, model: parts.model, tools, toolChoice, responseFormat, temperature, topP, stop, maxTokens };
}

const same = (s: string) => s;

/**
 * KV keys for a request, all under `cache:<tenantHash>:`. `intent` (from `x-detour-intent` or route config) yields
 * `…:i:<sha(intent)>` — the caller vouches that answers with one intent are interchangeable, so it alone is the key.
 * `…:x:` hashes the answer-changing fields exactly; `…:c:` hashes them with message text canonicalised.
 */
export async function cacheKeys(req: CanonicalRequest, parts: KeyParts, intent?: string): Promise<CacheKeys> {
  const prefix = `cache:${await tenantHash(parts.tenant)}`;
  const params = parameterFields(req, parts);
  const exact = stableJson({ ...params, messages: req.messages.map((m) => messageFields(m, same)) });
  const canonical = stableJson({ ...params, messages: req.messages.map((m) => messageFields(m, canonicalText)) });
  const keys: CacheKeys = { exact: `${prefix}:x:${await sha256Hex(exact)}`, canonical: `${prefix}:c:${await sha256Hex(canonical)}` };
  if (intent !== undefined && intent !== "") keys.intent = `${prefix}:i:${await sha256Hex(intent)}`;
  return keys;
}

/** Text of a message as the model reads it (image parts contribute nothing). */
function messageText(m: Message): string {
  if (m.role === "user" && typeof m.content !== "string") return m.content.map((p) => (p.type === "text" ? p.text : "")).join(" ");
  return typeof m.content === "string" ? m.content : "";
}

function lastUserIndex(req: CanonicalRequest): number {
  for (let i = req.messages.length - 1; i >= 0; i--) if (req.messages[i]!.role === "user") return i;
  return -1;
}

/** The last user message as written (its text parts). */
function comparedText(req: CanonicalRequest): string {
  const last = lastUserIndex(req);
  return last >= 0 ? messageText(req.messages[last]!) : "";
}

/**
 * What near-duplicate matching compares: the last user message, canonicalised. The system prompt is part of
 * `nearScope` instead (matched exactly, after canonicalisation): a route's long system prompt is shared by all its
 * requests and would otherwise dominate the shingles and make every question look like every other.
 */
export function nearText(req: CanonicalRequest): string {
  return canonicalText(comparedText(req));
}

/** Spelled-out numbers that are rarely anything else ("one" is left out: it is usually a pronoun). */
const NUMBER_WORDS = new Set(
  ("zero two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen " +
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion").split(" "),
);

/** Numbers in canonical text (tokens with a digit, and number words), sorted: a changed number changes the answer. */
function numbersIn(text: string): string[] {
  return [...new Set(text.split(" ").filter((w) => DIGIT.test(w) || NUMBER_WORDS.has(w)))].sort();
}

/**
 * Names in text as written: words capitalised mid-sentence (Paris, Monday, Python) and words with an inner capital
 * (TCP, iPhone, PayPal), folded. Swapping one name for another keeps most words but changes the answer, and word
 * overlap cannot tell that from a paraphrase. Needs the writer's capitals: text that is mostly capitals has no names.
 */
function namesIn(raw: string): string[] {
  const names = new Set<string>();
  let [words, capitalised] = [0, 0];
  for (const sentence of raw.normalize("NFKC").split(/[.!?:;\n]+/)) {
    const bare = sentence.split(/\s+/).map((t) => t.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ""));
    bare.filter((t) => /\p{L}/u.test(t)).forEach((t, i) => {
      words++;
      const initial = /^\p{Lu}/u.test(t) && i > 0 && !/^I(['’]|$)/u.test(t); // mid-sentence capital, not "I"/"I'm"
      if (initial || /\p{Lu}/u.test(t.slice(1))) capitalised++, names.add(stem(canonicalText(t)));
    });
  }
  return capitalised * 2 > words ? [] : [...names].sort();
}

/**
 * The 16-hex scope for near-duplicate band keys: route, model, every answer-changing parameter, every message but the
 * compared one (system prompt, earlier turns, tool results; canonicalised), its images, and the numbers and names in
 * the compared text. Near-dups therefore differ only in the wording of the last question, never in route, model,
 * format, conversation, ids or names ("order 48213" / "order 48214", "capital of France" / "capital of Germany" share
 * most words but never an answer).
 */
export async function nearScope(req: CanonicalRequest, parts: Omit<KeyParts, "tenant">): Promise<string> {
  const last = lastUserIndex(req);
  const rest = req.messages.map((m, i) => (i === last ? { images: messageFields(m, () => "") } : messageFields(m, canonicalText)));
  const anchors = { numbers: numbersIn(nearText(req)), names: namesIn(comparedText(req)) };
  return (await sha256Hex(stableJson({ ...parameterFields(req, { ...parts, tenant: "" }), rest, anchors }))).slice(0, 16);
}

// ---- MinHash LSH ----------------------------------------------------------------------------------------------------

/**
 * English function words, dropped before shingling so "how do I" / "how can I" / "what's the way to" stop diluting
 * the words that carry intent, as are request framings ("explain", "I need"). Kept on purpose: negations, why/when/
 * where/who, and direction words (from, on/off, up/down, before/after, more/less) because swapping them changes the
 * answer; "to" is dropped because it is far more often an infinitive than a direction. Other languages keep every word.
 */
const STOPWORDS = new Set(
  ("a an the i me my mine we us our you your yours he him his she her it its they them their this that these those " +
    "is am are was were be been being do does did doing have has had having can could would should shall will " +
    "might must how what whats which please hi hello thanks thank tell give show let lets want need like just also " +
    "explain describe know im ive id youre and or but so if then to of in at for with by as about into there here " +
    "some any way possible").split(" "),
);

/**
 * A light English suffix stripper (plural, -ing, -ed, final e, doubled consonant) so "ship"/"shipping" and
 * "reverse"/"reverses" meet. Only ASCII words of five letters or more: short words and other scripts pass through.
 */
function stem(w: string): string {
  if (w.length < 5 || !/^[a-z]+$/.test(w)) return w;
  let s = w;
  if (s.endsWith("ies")) s = `${s.slice(0, -3)}y`;
  else if (s.endsWith("s") && !/(ss|us|is)$/.test(s)) s = s.slice(0, -1);
  if (s.length > 5 && s.endsWith("ing")) s = s.slice(0, -3);
  else if (s.length > 4 && s.endsWith("ed")) s = s.slice(0, -2);
  if (/([^aeiouylsz])\1$/.test(s)) s = s.slice(0, -1);
  if (s.length > 4 && s.endsWith("e")) s = s.slice(0, -1);
  return s;
}

/**
 * Shingles of a text for MinHash. Words are canonicalised, function words dropped and the rest lightly stemmed. From
 * 12 content words on, word 3-grams; shorter texts use single words and 2-grams (3-grams of a short question barely
 * overlap with any rewording), and under 8 shingles also character 5-grams within each word, so morphology the
 * stemmer misses ("summarize"/"summary") still counts. Kinds are prefixed so a word never collides with a gram.
 */
export function shingles(text: string): string[] {
  const words = canonicalText(text).split(" ").filter((w) => w !== "");
  let content = words.filter((w) => !STOPWORDS.has(w)).map(stem);
  if (content.length === 0) content = words; // all function words ("what is it"): compare them rather than nothing
  const out = new Set<string>();
  if (content.length >= 12) {
    for (let i = 0; i + 3 <= content.length; i++) out.add(`w:${content.slice(i, i + 3).join(" ")}`);
  } else {
    for (const w of content) out.add(`w:${w}`);
    for (let i = 0; i + 2 <= content.length; i++) out.add(`w:${content[i]} ${content[i + 1]}`);
  }
  if (out.size < 8) for (const w of content) for (let i = 0; i + 5 <= w.length; i++) out.add(`c:${w.slice(i, i + 5)}`);
  return [...out];
}

/** 32-bit FNV-1a over UTF-16 code units; `init` other than the standard offset basis gives an independent hash. */
function fnv1a(s: string, init = 0x811c9dc5): number {
  let h = init;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** MurmurHash3's 32-bit finaliser: spreads every input bit over the output. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Fixed seeds, derived from the golden ratio, so signatures are stable across isolates, deploys and versions. */
function seed(i: number): number {
  return fmix32(Math.imul(i + 1, 0x9e3779b9));
}

/** The signature of an empty shingle set: no value can beat it, so it never equals a real minimum. */
const EMPTY = 0xffffffff;

/**
 * MinHash signature: for each of `k` hash functions h_i(x) = fmix32(fnv1a(x) ⊕ seed_i), the smallest value over the
 * shingles. Order and duplicates of `sh` do not matter; the first j values of a longer signature equal a j-signature.
 */
export function minhash(sh: string[], k = 64): number[] {
  const sig = new Array<number>(k).fill(EMPTY);
  const seeds = Array.from({ length: k }, (_, i) => seed(i));
  for (const base of sh.map((s) => fnv1a(s))) {
    for (let i = 0; i < k; i++) sig[i] = Math.min(sig[i]!, fmix32(base ^ seeds[i]!));
  }
  return sig;
}

/** Estimated Jaccard similarity: the share of positions where two signatures agree. Empty texts are similar to nothing. */
export function jaccardEstimate(a: number[], b: number[]): number {
  if (a.length !== b.length || a.length === 0) throw new RangeError(`signature lengths differ: ${a.length} vs ${b.length}`);
  if (a.every((v) => v === EMPTY) || b.every((v) => v === EMPTY)) return 0;
  let equal = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++;
  return equal / a.length;
}

/**
 * LSH band keys `nd:<tenantHash>:<scope>:<band>:<hash>`: the first `bands × rows` signature values split into bands,
 * each hashed to 64 bits. Two texts share a key with probability 1 − (1 − s^rows)^bands. Two rows per band (not
 * 64 / 16 = 4) puts the curve's knee near 0.25, well below the hit threshold: with 16 × 2 a pair at s = 0.5 is a
 * candidate 99 % of the time (16 × 4: 64 %). A shared key is a candidate only; the caller checks `jaccardEstimate`.
 */
export function bandKeys(sig: number[], tenantHash: string, scope: string, bands = 16, rows = 2): string[] {
  if (bands <= 0 || rows <= 0 || bands * rows > sig.length) throw new RangeError(`${sig.length} values cannot fill ${bands} bands of ${rows}`);
  const keys: string[] = [];
  for (let b = 0; b < bands; b++) {
    const band = sig.slice(b * rows, (b + 1) * rows).join(",");
    const hex = [fnv1a(band), fmix32(fnv1a(band, seed(b)))].map((h) => h.toString(16).padStart(8, "0")).join("");
    keys.push(`nd:${tenantHash}:${scope}:${b}:${hex}`);
  }
  return keys;
}
