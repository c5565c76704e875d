/**
 * Classification from history, part 2: answering. A new request is labelled by its nearest remembered examples of the
 * same tenant, route and label space (src/degrade/history.ts): the k most similar vote, weighted by similarity, and the
 * winner answers only when its share of the vote clears the bar; below it the rung abstains and the ladder moves on to
 * keyword rules, then the honest error. Extraction fields the regexes cannot find are filled the same way (enum
 * fields) or from values the model gave before that appear word for word in the new text (short string fields).
 *
 * Lexical similarity by default (src/degrade/similarity.ts); an optional `Ranker` (the Workers AI embedding backstop,
 * src/degrade/semantic.ts) may re-rank the lexical candidates. Pure apart from that injected ranker.
 */
import type { CanonicalRequest } from "../canonical";
import { canonicalWords, conformsTo, containsPhrase, enumOf, extractBySchema, isObj, type Schema } from "./extract";
import { scrub, type Example, type HistoryConfig, type HistorySpace } from "./history";
import { lastUserText } from "./rules";
import { shareTopic, similarities, topicStems } from "./similarity";

/** Similarities of `query` to each of `texts` (0…1), or undefined when the ranker cannot answer (then: lexical). */
export type Ranker = (query: string, texts: string[]) => Promise<number[] | undefined>;

/** Vote mass given to "none of these": one lone, weak neighbour should not answer with full confidence. */
const DOUBT = 0.2;
/** Below this similarity, a label backed by a single neighbour abstains. */
const LONE_SIMILARITY = 0.3;

export interface Vote {
  label: string;
  /** The winner's share of the vote, with DOUBT in the denominator (0…1). */
  confidence: number;
  /** Neighbours that voted, and how many of them for the winner. */
  voters: number;
  support: number;
  /** Similarity of the closest voter for the winner. */
  similarity: number;
}

export type VoteResult = { ok: true; vote: Vote } | { ok: false; why: string };

interface Scored {
  /** Per example, similarity to the query (0 for examples not ranked). */
  sims: number[];
  /** Lexical only: per example, whether it shares a topic word with the query (not just a time word or n-grams). */
  topical?: boolean[];
  floor: number;
  by: "lexical" | "semantic";
}

/**
 * The k nearest examples' weighted vote among `allowed` labels. Each voter weighs its similarity (semantic: its
 * similarity above the floor, rescaled to 0…1, since embedding cosines of unrelated texts are far from 0).
 */
export function vote(labels: (string | undefined)[], scored: Scored, cfg: Pick<HistoryConfig, "k" | "minConfidence">, allowed?: string[]): VoteResult {
  const cands = labels
    .map((label, i) => ({ label, sim: scored.sims[i] ?? 0, topical: scored.topical?.[i] ?? true }))
    .filter((c): c is { label: string; sim: number; topical: boolean } => c.label !== undefined && c.sim >= scored.floor && (!allowed || allowed.includes(c.label)))
    .sort((a, b) => b.sim - a.sim)
    .slice(0, cfg.k);
  if (cands.length === 0) return { ok: false, why: "no similar past request" };
  const weight = (sim: number) => (scored.by === "semantic" ? (sim - scored.floor) / Math.max(1e-9, 1 - scored.floor) + 0.05 : sim);
  const tally = new Map<string, { w: number; n: number; top: number; topical: boolean }>();
  let total = 0;
  for (const c of cands) {
    const w = weight(c.sim);
    const t = tally.get(c.label) ?? { w: 0, n: 0, top: c.sim, topical: false };
    tally.set(c.label, { w: t.w + w, n: t.n + 1, top: Math.max(t.top, c.sim), topical: t.topical || c.topical });
    total += w;
  }
  const [label, best] = [...tally].sort((a, b) => b[1].w - a[1].w || b[1].top - a[1].top)[0]!;
  const confidence = best.w / (total + DOUBT);
  const v: Vote = { label, confidence, voters: cands.length, support: best.n, similarity: best.top };
  if (confidence < cfg.minConfidence) return { ok: false, why: `confidence ${confidence.toFixed(2)} below ${cfg.minConfidence}` };
  // One neighbour is an anecdote: it answers alone only when it is close (a word or two shared is not enough).
  if (scored.by === "lexical" && best.n < 2 && best.top < LONE_SIMILARITY) return { ok: false, why: `only one similar past request (similarity ${best.top.toFixed(2)})` };
  // Similar in when it happened or in spelling is not similar in what it is about: "who won the game last night"
  // meets "Teams crashes after last night's update" only on "last night". Some voter must share a topic word.
  if (!best.topical) return { ok: false, why: "no similar past request shares a topic word" };
  return { ok: true, vote: v };
}

/** Lexical similarities, then (when a ranker is given and answers) the ranker's over the best lexical candidates. */
export async function score(query: string, examples: Example[], cfg: HistoryConfig, ranker?: Ranker): Promise<{ lexical: Scored; semantic?: Scored }> {
  const texts = examples.map((e) => e.t);
  const topics = topicStems(query);
  const topical = texts.map((t) => shareTopic(topics, topicStems(t)));
  const lexical: Scored = { sims: similarities(query, texts), topical, floor: cfg.minSimilarity, by: "lexical" };
  if (!ranker) return { lexical };
  const top = lexical.sims
    .map((s, i) => [s, i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, cfg.semantic.candidates)
    .map(([, i]) => i);
  const got = await ranker(query, top.map((i) => examples[i]!.t));
  if (!got || got.length !== top.length) return { lexical };
  const sims = new Array<number>(examples.length).fill(0);
  top.forEach((i, j) => (sims[i] = got[j]!));
  return { lexical, semantic: { sims, floor: cfg.semantic.minSimilarity, by: "semantic" } };
}

/** The semantic vote when it answers, else the lexical one. */
function bestVote(labels: (string | undefined)[], s: { lexical: Scored; semantic?: Scored }, cfg: HistoryConfig, allowed?: string[]) {
  if (s.semantic) {
    const v = vote(labels, s.semantic, cfg, allowed);
    if (v.ok) return { ...v, by: "semantic" as const };
  }
  return { ...vote(labels, s.lexical, cfg, allowed), by: "lexical" as const };
}

export interface HistoryAnswer {
  content: string;
  /** The weakest confidence among the values given (what the banner shows). */
  confidence: number;
  by: "lexical" | "semantic";
  /** Classification: the label's vote. Extraction: fields filled from history (regex-filled ones are in `regex`). */
  label?: Vote;
  fields?: Record<string, { how: "vote" | "seen"; confidence: number }>;
  regex?: string[];
  examples: number;
}

export type HistoryOutcome = { ok: true; answer: HistoryAnswer } | { ok: false; why: string };

/**
 * An answer from history for `req` in `space`, or why not (the trace's note). The content always validates against
 * the caller's schema; otherwise the rung abstains.
 */
export async function historyAnswer(req: CanonicalRequest, space: HistorySpace, examples: Example[], cfg: HistoryConfig, ranker?: Ranker): Promise<HistoryOutcome> {
  const text = lastUserText(req).slice(0, 8000);
  if (examples.length === 0) return { ok: false, why: "no past requests recorded for this route" };
  if (canonicalWords(text).length === 0) return { ok: false, why: "nothing to compare" };
  // Compared as stored: scrubbed the same way, so an email or an order number is not a shared "word".
  const query = scrub(text, cfg.maxTextChars);
  const scored = await score(query, examples, cfg, ranker);
  return space.kind === "label" ? classify(space, examples, scored, cfg) : extract(text, space, examples, scored, cfg);
}

function classify(space: HistorySpace, examples: Example[], scored: Awaited<ReturnType<typeof score>>, cfg: HistoryConfig): HistoryOutcome {
  const v = bestVote(examples.map((e) => e.l), scored, cfg, space.labels);
  if (!v.ok) return { ok: false, why: v.why };
  const content = labelContent(space, v.vote.label);
  if (content === undefined) return { ok: false, why: "the label would not fit the caller's schema" };
  return { ok: true, answer: { content, confidence: v.vote.confidence, by: v.by, label: v.vote, examples: examples.length } };
}

/** The label as the caller asked for it: bare text, the schema's own enum value, or an object with the label property. */
function labelContent(space: HistorySpace, label: string): string | undefined {
  const schema = space.schema;
  if (!schema) return label;
  if (space.prop === undefined) return conformsTo(label, schema) ? JSON.stringify(label) : undefined;
  const value: Record<string, unknown> = { [space.prop]: label };
  // Other required fields (a reason, a confidence) cannot be made up: null where the schema allows it.
  const props = isObj(schema.properties) ? schema.properties : {};
  for (const r of Array.isArray(schema.required) ? schema.required : []) {
    const s = props[r as string];
    if (typeof r === "string" && !(r in value) && isObj(s) && conformsTo(null, s)) value[r] = null;
  }
  return conformsTo(value, schema) ? JSON.stringify(value) : undefined;
}

function extract(text: string, space: HistorySpace, examples: Example[], scored: Awaited<ReturnType<typeof score>>, cfg: HistoryConfig): HistoryOutcome {
  const schema = space.schema!;
  const props = isObj(schema.properties) ? schema.properties : {};
  const r = extractBySchema(text, schema);
  const value = r.value;
  const fields: NonNullable<HistoryAnswer["fields"]> = {};
  const words = canonicalWords(text);
  let by: HistoryAnswer["by"] = "lexical";
  for (const [name, raw] of Object.entries(props)) {
    if (!isObj(raw)) continue;
    const s: Schema = raw;
    const en = enumOf(s);
    // An enum value the regexes found is only the word somewhere in the text ("low" in "low brightness"): a
    // confident vote of similar past requests outranks it. Other fields the regexes filled stay as they are.
    if (!en && value[name] !== undefined && value[name] !== null) continue;
    if (en) {
      const v = bestVote(examples.map((e) => e.f?.[name]), scored, cfg, en);
      if (!v.ok || v.vote.label === value[name]) continue;
      value[name] = v.vote.label;
      fields[name] = { how: "vote", confidence: v.vote.confidence };
      if (v.by === "semantic") by = "semantic";
      continue;
    }
    if (!conformsTo("x", s)) continue;
    const seen = seenIn(words, examples.map((e) => e.f?.[name]));
    if (seen !== undefined && conformsTo(seen, s)) {
      value[name] = seen;
      fields[name] = { how: "seen", confidence: 1 };
    }
  }
  const filled = Object.keys(fields);
  if (filled.length === 0) return { ok: false, why: "no field the regexes missed was found in past answers" };
  for (const f of filled) r.missing = r.missing.filter((m) => m !== f);
  if (!conformsTo(value, schema)) return { ok: false, why: "the filled record would not fit the caller's schema" };
  const confidence = Math.min(...filled.map((f) => fields[f]!.confidence));
  return { ok: true, answer: { content: JSON.stringify(value), confidence, by, fields, regex: r.filled, examples: examples.length } };
}

/**
 * A value the model gave for this field before that appears word for word in `words`: the most often given, then the
 * longest (so "Pro Plus" beats "Pro"). Undefined when none appears.
 */
function seenIn(words: string[], values: (string | undefined)[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
  const found = [...counts].filter(([v]) => {
    const kw = canonicalWords(v);
    return kw.length > 0 && containsPhrase(words, kw);
  });
  found.sort((a, b) => b[1] - a[1] || b[0].length - a[0].length);
  return found[0]?.[0];
}
