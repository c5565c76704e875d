/**
 * Meaning matching on the labelled pairs (issue 17.2, 17.5): would a saved answer for question `a` be served for
 * question `b`? Paraphrase pairs should match (recall); near-miss pairs must not (each match would mislead a user).
 * Also the precision/recall curve over the similarity bar, and the same figures on test/fixtures/paraphrases.json —
 * an older, broader set written before this matcher existed, never used to tune it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadSrc } from "../lib/bundle-src.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const load = (f) => JSON.parse(readFileSync(path.join(ROOT, f), "utf8")).pairs;

/** Each pair judged at `threshold`: { paraphrase, matched }. */
export async function judge(pairs, threshold) {
  const { meaningOf, compareMeanings } = await loadSrc(["src/intent/meaning.ts", "src/intent/match.ts"]);
  return pairs.map((p) => ({
    paraphrase: p.kind ? p.kind === "paraphrase" : p.paraphrase,
    matched: compareMeanings(meaningOf(p.a), meaningOf(p.b), threshold).match,
  }));
}

/** Recall/precision rows for judged pairs (shared with heldout.mjs). */
export function rows(judged, label) {
  const pos = judged.filter((j) => j.paraphrase);
  const neg = judged.filter((j) => !j.paraphrase);
  const tp = pos.filter((j) => j.matched).length;
  const fp = neg.filter((j) => j.matched).length;
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  return [
    { category: `paraphrase pairs${label}`, items: pos.length, recall: tp / pos.length, precision, misleading: fp, abstained: pos.length - tp },
    { category: `near-miss pairs${label}`, items: neg.length, accuracy: (neg.length - fp) / neg.length, misleading: fp },
  ];
}

export async function run() {
  const { DEFAULT_MEANING_THRESHOLD } = await loadSrc(["src/intent/match.ts"]);
  const own = load("test/fixtures/degrade-eval/match-pairs.json");
  const older = load("test/fixtures/paraphrases.json");
  const out = [...rows(await judge(own, DEFAULT_MEANING_THRESHOLD), ""), ...rows(await judge(older, DEFAULT_MEANING_THRESHOLD), " (paraphrases.json, held out)")];
  // The curve: recall and near-misses matched at each bar (the vetoes apply at every bar).
  for (const t of [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]) {
    const [p, n] = rows(await judge(own, t), "");
    out.push({ category: `  curve: bar ${t.toFixed(1)}`, items: p.items + n.items, recall: p.recall, precision: p.precision, misleading: n.misleading });
  }
  return out;
}
