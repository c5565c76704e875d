/**
 * `npm run eval:degrade`: the project's own evaluation of degraded answers (issue 17.5). Runs every module in
 * scripts/eval-degrade/*.mjs — each exports `async function run()` returning rows
 * `{category, items, recall?, precision?, accuracy?, misleading, abstained?}` — prints one table and writes
 * reports/eval-degrade.json.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIR = path.join(ROOT, "scripts/eval-degrade");

const pct = (x) => (x === undefined ? "" : `${(x * 100).toFixed(1)} %`);
const all = [];
for (const file of readdirSync(DIR).filter((f) => f.endsWith(".mjs")).sort()) {
  const mod = await import(pathToFileURL(path.join(DIR, file)).href);
  for (const row of await mod.run()) all.push({ module: file.replace(/\.mjs$/, ""), ...row });
}
const head = ["module", "category", "items", "recall", "precision", "accuracy", "misleading", "abstained"];
const table = all.map((r) => [r.module, r.category, String(r.items), pct(r.recall), pct(r.precision), pct(r.accuracy), String(r.misleading), r.abstained === undefined ? "" : String(r.abstained)]);
const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log(line(head));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of table) console.log(line(r));
mkdirSync(path.join(ROOT, "reports"), { recursive: true });
writeFileSync(path.join(ROOT, "reports/eval-degrade.json"), `${JSON.stringify({ at: new Date().toISOString(), rows: all }, null, 2)}\n`);
console.log("\nwritten: reports/eval-degrade.json");
