/**
 * src/readiness/compare.ts (the comparator shadow traffic uses) for the plain-Node scripts, so `npm run eval` and the
 * live shadow give the same verdict on the same pair. Bundled with esbuild on first use into node_modules/.cache,
 * named by a hash of the bundle (as scripts/lib/wire.mjs does for src/wire).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CACHE = path.join(ROOT, "node_modules/.cache/detour-readiness");

const memo = new Map();

/** Bundle one TypeScript module of src/ (path relative to the repository root) and import it. */
export function loadTs(relative) {
  if (!memo.has(relative)) {
    memo.set(
      relative,
      (async () => {
        const out = await build({ entryPoints: [path.join(ROOT, relative)], bundle: true, format: "esm", platform: "neutral", target: "es2022", write: false, logLevel: "silent" });
        const code = out.outputFiles[0].text;
        const name = path.basename(relative, ".ts");
        const file = path.join(CACHE, `${name}-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
        if (!existsSync(file)) {
          mkdirSync(CACHE, { recursive: true });
          const tmp = `${file}.${process.pid}.tmp`;
          writeFileSync(tmp, code);
          renameSync(tmp, file);
        }
        return import(pathToFileURL(file).href);
      })(),
    );
  }
  return memo.get(relative);
}

/** The comparator module: `compare`, `labelOf`, `classOf`, `DEFAULT_THRESHOLDS`. */
export const loadComparator = () => loadTs("src/readiness/compare.ts");
