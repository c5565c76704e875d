/**
 * Lexical similarity for classification from history: stemmed words plus character n-grams of each word, weighted by
 * TF-IDF over the texts being compared, and cosine similarity. "I got charged twice" and "double charge on my card"
 * meet on `charg`; "refunded" and "refund" on their stem; misspellings on shared n-grams.
 *
 * Deterministic and pure: no network, no clock, no randomness; the same texts always give the same scores.
 */
import { canonicalWords } from "./extract";

/** Words that carry no topic; the IDF weighting would discount them anyway, but short tickets have too few words for it. */
const STOP = new Set(
  ("a about above after again against all am an and any are as at be because been before being below between both but by can " +
    "could did do does doing done down during each few for from further had has have having he her here hers herself him himself his " +
    "how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out " +
    "over own same she should so some such than that the their theirs them themselves then there these they this those through to " +
    "too under until up very was we were what when where which while who whom why will with would you your yours yourself " +
    "yourselves hi hello hey thanks thank please pls regards dear team ok okay also still just really im ive dont cant get got " +
    "would like want need could help anyone someone something today yesterday again").split(" "),
);

/**
 * Words that say when, or are what is left of a contraction ("don't" → don, t), or only frame a sentence: they may
 * count towards similarity, but two texts that share nothing else do not share a topic ("who won the game last night"
 * is not "Teams crashes after last night's update").
 */
const TOPIC_FREE = new Set(
  ("last night tonight morning evening afternoon noon day days week weeks weekend month months year years hour hours " +
    "minute minutes second seconds monday tuesday wednesday thursday friday saturday sunday ago since next early late " +
    "soon time times every without anymore ever never nothing anything everything say says said t s d ll m re ve " +
    "don doesn didn won isn aren wasn weren hasn haven hadn couldn shouldn wouldn").split(" "),
);

/** Suffixes stripped, longest first; the stem keeps at least three letters so "ring" does not become "r". */
const SUFFIXES = ["ations", "ation", "ments", "ment", "ingly", "ness", "ings", "ing", "edly", "ies", "ied", "ers", "er", "ed", "es", "ly", "s"];

/** A light English stemmer: enough that inflections meet (charged, charges, charging → charg), never a dictionary. */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  for (const suf of SUFFIXES) {
    if (word.endsWith(suf) && word.length - suf.length >= 3) {
      let s = word.slice(0, -suf.length);
      if (suf === "ies" || suf === "ied") s += "y";
      // "stopped" → "stopp" → "stop"; "billing" → "bill".
      if (s.length > 3 && s.at(-1) === s.at(-2) && !/[aeiouls]/.test(s.at(-1)!)) s = s.slice(0, -1);
      return s.endsWith("e") && s.length > 3 ? s.slice(0, -1) : s;
    }
  }
  return word.endsWith("e") && word.length > 4 ? word.slice(0, -1) : word;
}

/** Content words of `text`, stemmed, stop words dropped. */
export function stems(text: string): string[] {
  return canonicalWords(text)
    .filter((w) => !STOP.has(w) && !/^\d+$/.test(w))
    .map(stem);
}

/** The stems of `text` that name a topic: its content stems minus time words and contraction residue (TOPIC_FREE). */
export function topicStems(text: string): Set<string> {
  return new Set(
    canonicalWords(text)
      .filter((w) => !STOP.has(w) && !TOPIC_FREE.has(w) && !/^\d+$/.test(w))
      .map(stem)
      .filter((s) => !TOPIC_FREE.has(s)),
  );
}

/** Do `a` and `b` share a topic stem? */
export function shareTopic(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const s of a) if (b.has(s)) return true;
  return false;
}

/** Term counts: each stem (weight 1) and the character 4-grams of `^stem$` (weight ½), so near spellings meet. */
export function features(text: string): Map<string, number> {
  const tf = new Map<string, number>();
  const add = (k: string, w: number) => tf.set(k, (tf.get(k) ?? 0) + w);
  for (const s of stems(text)) {
    add(`w:${s}`, 1);
    const padded = `^${s}$`;
    if (padded.length > 4) for (let i = 0; i + 4 <= padded.length; i++) add(`g:${padded.slice(i, i + 4)}`, 0.5);
  }
  return tf;
}

export type Vector = Map<string, number>;

/** Smoothed inverse document frequency of every feature over `docs`. */
export function idfOf(docs: Vector[]): Map<string, number> {
  const df = new Map<string, number>();
  for (const d of docs) for (const k of d.keys()) df.set(k, (df.get(k) ?? 0) + 1);
  const n = docs.length;
  const idf = new Map<string, number>();
  for (const [k, c] of df) idf.set(k, Math.log((1 + n) / (1 + c)) + 1);
  return idf;
}

/** The TF-IDF vector of `tf`, unit length (sublinear term frequency: a word said three times is not three topics). */
export function weigh(tf: Vector, idf: Map<string, number>): Vector {
  const v = new Map<string, number>();
  let norm = 0;
  for (const [k, c] of tf) {
    const w = Math.log1p(c) * (idf.get(k) ?? 1);
    v.set(k, w);
    norm += w * w;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (const [k, w] of v) v.set(k, w / norm);
  return v;
}

/** Cosine of two unit vectors. */
export function cosine(a: Vector, b: Vector): number {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [k, w] of small) dot += w * (big.get(k) ?? 0);
  return dot;
}

/**
 * How similar `query` is to each of `docs` (0…1, in docs' order), TF-IDF weighted over the docs and the query
 * together. Cost is linear in the total text: a few hundred short tickets score in about a millisecond.
 */
export function similarities(query: string, docs: string[]): number[] {
  const tfs = docs.map(features);
  const qtf = features(query);
  const idf = idfOf([...tfs, qtf]);
  const q = weigh(qtf, idf);
  return tfs.map((tf) => cosine(q, weigh(tf, idf)));
}
