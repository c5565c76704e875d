/**
 * Operator-registered intents (issue 17.1): per route, a name, example phrasings and an answer, managed through
 * `PUT|GET|DELETE /admin/intents/:route/:intent` and stored in one KV document per route (`intents:<route>`). A
 * request whose question means what one intent's example means (src/intent/match.ts, same vetoes) is keyed by that
 * intent without any header: its live answers are cached under the intent, and when every vendor is down the
 * registered answer stands in, labelled. Pure apart from the types: the KV edge is src/routes/admin-intents.ts and
 * src/pipeline/cache.ts.
 *
 * Intents are per route by design, shared by every tenant calling the route (like templates): they are written by
 * the operator, never by a caller, and a caller can only select one by asking its question (README "Security model").
 */
import * as z from "../zod";
import type { CacheHit } from "../cache/intent-cache";
import type { CanonicalRequest } from "../canonical";
import type { TaskClass } from "../routing/classify";
import { compareMeanings } from "./match";
import { meaningOf, type Lexicon, type Meaning } from "./meaning";

/** An intent name: what operators and traces call it. */
export const INTENT_NAME = /^[A-Za-z0-9._:-]{1,100}$/;

/** What an operator sends with PUT. */
export const IntentInput = z.strictObject({
  /** Phrasings of the question; a request matches when it means what one of them means. */
  examples: z
    .array(z.string().check(z.trim(), z.minLength(3, "an example must be at least 3 characters"), z.maxLength(500)))
    .check(z.minLength(1, "give at least one example phrasing"), z.maxLength(50)),
  /** The answer served (labelled) when every vendor is down and no live answer was cached for this intent. */
  answer: z.string().check(z.trim(), z.minLength(1, "the answer must not be empty"), z.maxLength(20_000)),
  description: z.optional(z.string().check(z.maxLength(500))),
});
export type IntentInput = z.infer<typeof IntentInput>;

/** The KV document of one route's intents. */
export const IntentDoc = z.object({
  v: z.literal(1),
  /** Changes on every write: compiled meanings are memoised by it. */
  rev: z.string(),
  intents: z.record(z.string(), z.extend(IntentInput, { updatedAt: z.number() })),
});
export type IntentDoc = z.infer<typeof IntentDoc>;

/** Intents per route (a KV value is read whole on the request path, so it stays small). */
export const MAX_INTENTS_PER_ROUTE = 200;

/** KV key of a route's intents (docs/storage.md). */
export const intentsKey = (route: string) => `intents:${route}`;

export interface RegisteredMatch {
  name: string;
  similarity: number;
  answer: string;
  updatedAt: number;
}

/**
 * A registered answer as a saved answer the degradation ladder's cache rung can serve: used when no live answer was
 * cached for the intent. Its age is the registration's; its similarity is the question's match; it is always stale
 * (an operator's text, never a fresh model answer).
 */
export function registeredAsHit(r: RegisteredMatch, route: string, taskClass: TaskClass, now: number): CacheHit {
  const entry = {
    v: 1 as const,
    response: { model: "detour/intent", content: r.answer, toolCalls: [], finishReason: "stop" as const },
    provider: "detour",
    model: `intent:${r.name}`,
    createdAt: r.updatedAt,
    freshUntil: r.updatedAt,
    staleUntil: Number.MAX_SAFE_INTEGER,
    taskClass,
    route,
    exactHash: "",
    intent: r.name,
  };
  return { entry, key: intentsKey(route), match: "registered", similarity: r.similarity, state: "stale", ageSeconds: Math.max(0, Math.round((now - r.updatedAt) / 1000)) };
}

type Compiled = { name: string; meanings: Meaning[]; answer: string; updatedAt: number }[];
const compiled = new WeakMap<Lexicon, Map<string, Compiled>>();

function compile(doc: IntentDoc, lex: Lexicon): Compiled {
  let byRev = compiled.get(lex);
  if (!byRev) compiled.set(lex, (byRev = new Map()));
  let c = byRev.get(doc.rev);
  if (!c) {
    c = Object.entries(doc.intents).map(([name, i]) => ({ name, meanings: i.examples.map((e) => meaningOf(e, lex)), answer: i.answer, updatedAt: i.updatedAt }));
    if (byRev.size > 50) byRev.clear();
    byRev.set(doc.rev, c);
  }
  return c;
}

/**
 * May a request be matched to a registered intent at all? Only a plain-text question: no tools (an answer is not an
 * action) and no structured response format (a registered answer is prose and would break the caller's schema).
 */
export function mayMatchRegistered(req: CanonicalRequest): boolean {
  if (req.tools?.length && req.toolChoice !== "none") return false;
  return !req.responseFormat || req.responseFormat.type === "text";
}

/**
 * The registered intent `question` asks, if exactly one intent's examples match it. Two intents matching is
 * ambiguous and matches neither: precision before recall.
 */
export function matchRegistered(question: string, doc: IntentDoc, lex: Lexicon, threshold: number): RegisteredMatch | undefined {
  const q = meaningOf(question, lex);
  if (q.concepts.length === 0) return undefined;
  const hits: RegisteredMatch[] = [];
  for (const intent of compile(doc, lex)) {
    let best = -1;
    for (const m of intent.meanings) {
      const v = compareMeanings(q, m, threshold);
      if (v.match && v.similarity > best) best = v.similarity;
    }
    if (best >= 0) hits.push({ name: intent.name, similarity: best, answer: intent.answer, updatedAt: intent.updatedAt });
  }
  return hits.length === 1 ? hits[0] : undefined;
}
