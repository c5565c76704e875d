/**
 * The third held-out set (test/fixtures/degrade-eval/heldout3.json): customer-chat phrasing (greetings, context
 * sentences, fragments), written and committed alone before the matcher learned to find the ask in a chat message
 * (tuned on held-out #2), and never read while tuning. Judged with exactly the code of heldout.mjs, reported as its own
 * rows (`held out #3: …`, `heldOut: true`). Runnable alone: `node scripts/eval-degrade/heldout3.mjs [--misses]`.
 */
import { pathToFileURL } from "node:url";
import { formatRows } from "../lib/history-eval.mjs";
import { evaluate } from "./heldout.mjs";

export async function run() {
  return (await evaluate("heldout3.json", "held out #3")).rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { rows, misses } = await evaluate("heldout3.json", "held out #3");
  console.log(formatRows(rows));
  if (process.argv.includes("--misses")) console.log(`\n${misses.join("\n")}`);
}
