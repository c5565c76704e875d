/**
 * `npm run eval:degrade`'s history module: classification and extraction from history on the labelled set in
 * test/fixtures/degrade-eval/. Exports `run()` (rows for the runner, scripts/eval-degrade.mjs); runnable alone with
 * `node scripts/eval-degrade/history.mjs` (prints the table, and with --misses every wrong or abstained item).
 *
 * The TypeScript source is bundled by the scripts' one loader, scripts/lib/bundle-src.mjs.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadEntry } from "../lib/bundle-src.mjs";
import { evaluateHistory, formatRows } from "../lib/history-eval.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FIXTURES = path.join(ROOT, "test/fixtures/degrade-eval");

/** src/degrade's history, rules and extractors as one ESM module (scripts/lib/bundle-src.mjs); heldout.mjs uses it too. */
export function loadLib() {
  return loadEntry(
    [
      'export * from "./src/degrade/history";',
      'export { historyAnswer } from "./src/degrade/history-vote";',
      'export { ruleAnswer } from "./src/degrade/rules";',
      'export { canonicalWords, containsPhrase } from "./src/degrade/extract";',
    ].join("\n"),
  );
}

const fixture = (name) => JSON.parse(readFileSync(path.join(FIXTURES, name), "utf8"));

/** Rows `{category, items, accuracy, precision, misleading, abstained}` for the eval runner. */
export async function run() {
  const lib = await loadLib();
  return (await evaluateHistory(lib, fixture("tickets.json"), fixture("extraction.json"))).rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const lib = await loadLib();
  const { rows, misses } = await evaluateHistory(lib, fixture("tickets.json"), fixture("extraction.json"));
  console.log(formatRows(rows));
  if (process.argv.includes("--misses")) console.log(`\n${misses.join("\n")}`);
}
