/**
 * TypeScript modules from src/ for the plain-Node scripts (the eval), bundled with esbuild the way scripts/lib/wire.mjs
 * bundles src/wire: on first use in a process, into node_modules/.cache/detour-src/ under a name hashed from the
 * bundle's content (so an edit to src/ is picked up and concurrent processes never see half a file).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CACHE = path.join(ROOT, "node_modules/.cache/detour-src");
const loaded = new Map();

/** The exports of the given src/ files (paths relative to the repository root), as one bundled module. */
export function loadSrc(files) {
  const key = files.join("\n");
  if (!loaded.has(key)) {
    loaded.set(key, (async () => {
      const contents = files.map((f) => `export * from ${JSON.stringify(`./${f}`)};`).join("\n");
      const out = await build({ stdin: { contents, resolveDir: ROOT, loader: "ts" }, bundle: true, format: "esm", platform: "neutral", target: "es2022", write: false, logLevel: "silent" });
      const code = out.outputFiles[0].text;
      const file = path.join(CACHE, `src-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
      if (!existsSync(file)) {
        mkdirSync(CACHE, { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, code);
        renameSync(tmp, file);
      }
      return import(pathToFileURL(file).href);
    })());
  }
  return loaded.get(key);
}
