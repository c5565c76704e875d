/**
 * Intent-cache keys and near-duplicate matching (issue 5); pure (Web Crypto and strings), so it runs in Node and workerd.
 * Keys, most specific first: an explicit intent, the exact answer-changing fields, the same with text canonicalised.
 * Near-duplicates: one bucket per question meaning (src/intent/meaning.ts), holding the candidates that src/intent/
 * match.ts then judges. Every key is tenant-scoped by a hash and holds no prompt text. When in doubt this module keeps
 * a distinction: a missed hit costs one upstream call, a wrong hit serves a wrong answer.
 */
import type { CanonicalRequest, Message } from "../canonical";

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
 * What an intent's answers must share besides the intent: the route and model, and the shape the caller asked for
 * (response format, tools). A json_schema request never gets an answer stored for plain text, and an intent never
 * crosses routes (issue 14).
 */
function answerShape(req: CanonicalRequest, parts: KeyParts): Record<string, unknown> {
  const { route, model, tools, toolChoice, responseFormat } = parameterFields(req, parts);
  return { route, model, tools, toolChoice, responseFormat };
}

/** `cache:<tenant16>:i:<sha(intent)16>:` — every answer stored for one intent, whatever its route and shape (for purge). */
export async function intentPrefix(tenant: string, intent: string): Promise<string> {
  return `cache:${await tenantHash(tenant)}:i:${(await sha256Hex(intent)).slice(0, 16)}:`;
}

/**
 * KV keys for a request, all under `cache:<tenantHash>:`. `intent` (from `x-detour-intent`, route config or a
 * registered intent) yields `…:i:<sha(intent)16>:<sha(route, model, format, tools)16>` — the caller vouches that
 * answers with one intent are interchangeable, but only on one route and in one answer shape.
 * `…:x:` hashes the answer-changing fields exactly; `…:c:` hashes them with message text canonicalised.
 */
export async function cacheKeys(req: CanonicalRequest, parts: KeyParts, intent?: string): Promise<CacheKeys> {
  const prefix = `cache:${await tenantHash(parts.tenant)}`;
  const params = parameterFields(req, parts);
  const exact = stableJson({ ...params, messages: req.messages.map((m) => messageFields(m, same)) });
  const canonical = stableJson({ ...params, messages: req.messages.map((m) => messageFields(m, canonicalText)) });
  const keys: CacheKeys = { exact: `${prefix}:x:${await sha256Hex(exact)}`, canonical: `${prefix}:c:${await sha256Hex(canonical)}` };
  if (intent !== undefined && intent !== "") keys.intent = `${await intentPrefix(parts.tenant, intent)}${(await sha256Hex(stableJson(answerShape(req, parts)))).slice(0, 16)}`;
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

/**
 * The last user message as written (its text parts). Meaning keys read this rather than `nearText`: finding a chat
 * message's ask (src/intent/ask.ts) needs its sentence punctuation, which canonical text drops.
 */
export function comparedText(req: CanonicalRequest): string {
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
      if (initial || /\p{Lu}/u.test(t.slice(1))) capitalised++, names.add(canonicalText(t));
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

// ---- Meaning buckets ------------------------------------------------------------------------------------------------

/**
 * The KV key of a meaning bucket: `nd:<tenantHash>:<scope16>:<head16>`, where the head is the question's actions and
 * objects (src/intent/meaning.ts). Two questions can share an answer only when their heads are equal (a differing
 * action or object vetoes), so one bucket holds every candidate a question could match, and one read finds them.
 */
export async function bucketKey(tenantHash: string, scope: string, head: string): Promise<string> {
  return `nd:${tenantHash}:${scope}:${(await sha256Hex(head)).slice(0, 16)}`;
}
