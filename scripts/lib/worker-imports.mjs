/**
 * Imports that must never reach the worker bundle (docs/scale.md "Bundle"): classic zod, whose methods cannot be
 * tree-shaken (+15 KiB gzip as soon as one module imports it), and re2js (a sixth of the old bundle; it is kept only
 * for the regex engine's differential test).
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { importGraph, specifiers } from "../check-cycles.mjs";

export const FORBIDDEN_IMPORTS = [
  [/^zod(\/v4)?$|^zod\/v4\/classic|^zod\/v3$/, 'import zod from src/zod.ts (zod/mini), not "zod"'],
  [/^re2js$/, "patterns compile with src/degrade/pattern.ts (linear-time, in-house)"],
];

/** `file: "specifier" (why)` for every forbidden import in the modules under `roots`. */
export function forbiddenImports(roots = ["src", "durable-objects"]) {
  const out = [];
  for (const file of importGraph(roots).keys()) {
    for (const spec of specifiers(readFileSync(file, "utf8"))) {
      const hit = FORBIDDEN_IMPORTS.find(([re]) => re.test(spec));
      if (hit) out.push(`${relative(process.cwd(), file)}: "${spec}" (${hit[1]})`);
    }
  }
  return out;
}
