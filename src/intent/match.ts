/**
 * When may a saved answer stand in for another question? Precision before recall (issue 17): a differing action or
 * object vetoes the match whatever the overall similarity, and otherwise the questions' concepts must overlap at least
 * `threshold` (Jaccard). At the default threshold of 1 the words that differ must all be immaterial — stop words,
 * synonyms or inflections — because anything else is a concept of its own. A miss costs one honest 503; a wrong
 * match tells a user something false.
 */
import type { Meaning } from "./meaning";

/**
 * Calibrated on test/fixtures/degrade-eval/match-pairs.json (`npm run eval:degrade` prints the curve): below 1, some
 * near-miss pairs that differ only in a qualifier ("how long" vs "how much") start to match.
 */
export const DEFAULT_MEANING_THRESHOLD = 1;

export type MeaningVerdict =
  | { match: true; similarity: number }
  | { match: false; similarity: number; veto?: "action" | "object" | "negation" | "empty" };

/** Jaccard similarity of two concept sets. */
export function conceptSimilarity(a: readonly string[], b: readonly string[]): number {
  const A = new Set(a);
  const B = new Set(b);
  if (A.size === 0 && B.size === 0) return 0;
  let both = 0;
  for (const c of A) if (B.has(c)) both++;
  return both / (A.size + B.size - both);
}

/** Does `b`'s saved answer answer `a`? */
export function compareMeanings(a: Meaning, b: Meaning, threshold = DEFAULT_MEANING_THRESHOLD): MeaningVerdict {
  const similarity = conceptSimilarity(a.concepts, b.concepts);
  if (a.concepts.length === 0 || b.concepts.length === 0) return { match: false, similarity, veto: "empty" };
  if (a.actions.join() !== b.actions.join()) return { match: false, similarity, veto: "action" };
  if (a.objects.join() !== b.objects.join()) return { match: false, similarity, veto: "object" };
  if (a.concepts.includes("not") !== b.concepts.includes("not")) return { match: false, similarity, veto: "negation" };
  return similarity >= threshold ? { match: true, similarity } : { match: false, similarity };
}
