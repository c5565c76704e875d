/**
 * The held-out sets (test/fixtures/degrade-eval/heldout*.json, `heldOut: true`): pairs, tickets and extraction texts
 * written after the matcher's lexicon and thresholds and the history vote's settings were frozen, and never used to
 * tune them. Judged with exactly the code and settings of match.mjs and history.mjs, reported as separate rows (each
 * with `heldOut: true` in reports/eval-degrade.json), so its figures are the fair estimate on wording nobody tuned for.
 * Runnable alone: `node scripts/eval-degrade/heldout.mjs [--set heldout2.json] [--misses]`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadSrc } from "../lib/bundle-src.mjs";
import { evaluateHistory, formatRows } from "../lib/history-eval.mjs";
import { loadLib } from "./history.mjs";
import { judge, rows as matchRows } from "./match.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FIXTURES = path.join(ROOT, "test/fixtures/degrade-eval");
const fixture = (name) => JSON.parse(readFileSync(path.join(FIXTURES, name), "utf8"));

/**
 * The held-out sets, oldest first, each committed alone before any tuning it does not name (docs/degradation.md
 * "Held-out evaluation"): #1 was written with the thresholds frozen and later became a development set; #2 (support
 * chat) was written before tuning on #1 and later became one too; #3 (customer-chat phrasing) was never read while
 * tuning, so its figures are the honest estimate; #4 (support chat in six domains) was committed alone before the
 * general-vocabulary work and is read only once, at the end of it.
 */
const SETS = [
  ["heldout.json", "held out"],
  ["heldout2.json", "held out #2"],
  ["heldout3.json", "held out #3"],
  ["heldout4.json", "held out #4"],
];

/** Judges one held-out fixture; rows are labelled `${prefix}: …`. */
export async function evaluate(name, prefix) {
  const held = fixture(name);
  if (held.heldOut !== true) throw new Error(`${name} must carry heldOut: true`);
  const { DEFAULT_MEANING_THRESHOLD } = await loadSrc(["src/intent/match.ts"]);
  const judged = await judge(held.pairs, DEFAULT_MEANING_THRESHOLD);
  const misses = held.pairs
    .map((p, i) => ({ p, j: judged[i] }))
    .filter(({ j }) => j.paraphrase !== j.matched)
    .map(({ p, j }) => `match (${p.kind}): "${p.a}" / "${p.b}" → ${j.matched ? "MATCHED" : "no match"}`);
  // The same warmed history as tickets.json and extraction.json; only the new requests are held out.
  const tickets = fixture("tickets.json");
  const sets = tickets.sets.map((s) => ({ ...s, tests: held.tickets[s.route] ?? [] }));
  const extraction = { ...fixture("extraction.json"), tests: held.extraction };
  const history = await evaluateHistory(await loadLib(), { ...tickets, sets }, extraction);
  const rows = [...matchRows(judged, ""), ...history.rows.filter((r) => r.items > 0)].map((r) => ({ ...r, category: `${prefix}: ${r.category}`, heldOut: true }));
  return { rows, misses: [...misses, ...history.misses] };
}

export async function run() {
  const rows = [];
  for (const [name, prefix] of SETS) rows.push(...(await evaluate(name, prefix)).rows);
  return rows;
}

// `node scripts/eval-degrade/heldout.mjs [--set heldout2.json] [--misses]`: every set, or the one named.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const only = process.argv.includes("--set") ? process.argv[process.argv.indexOf("--set") + 1] : undefined;
  for (const [name, prefix] of SETS.filter(([n]) => only === undefined || n === only)) {
    const { rows, misses } = await evaluate(name, prefix);
    console.log(formatRows(rows));
    if (process.argv.includes("--misses")) console.log(`\n${misses.join("\n")}`);
  }
}
