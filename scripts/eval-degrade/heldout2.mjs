/**
 * The second held-out set (test/fixtures/degrade-eval/heldout2.json): written before the matcher was tuned on
 * held-out #1 (which then became a development set) and frozen — never read while tuning. Judged with exactly the
 * code of heldout.mjs, reported as its own rows (`held out #2: …`, `heldOut: true`), so its figures are the honest
 * estimate on wording nobody tuned for. Runnable alone: `node scripts/eval-degrade/heldout2.mjs [--misses]`.
 */
import { pathToFileURL } from "node:url";
import { formatRows } from "../lib/history-eval.mjs";
import { evaluate } from "./heldout.mjs";

export async function run() {
  return (await evaluate("heldout2.json", "held out #2")).rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { rows, misses } = await evaluate("heldout2.json", "held out #2");
  console.log(formatRows(rows));
  if (process.argv.includes("--misses")) console.log(`\n${misses.join("\n")}`);
}
