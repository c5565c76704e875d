/**
 * src/wire (the vendor wire shapes, TypeScript) for the plain-Node scripts. Node 20 cannot run TypeScript, so the
 * module is bundled with esbuild (a devDependency, the version wrangler ships) into one ESM file under
 * node_modules/.cache/detour-wire/ the first time a process asks, then imported. The file is named by a hash of its
 * content, so an edit to src/wire is picked up by the next run, and concurrent processes (drills, benches, tests)
 * write the same bytes to the same name without a lock. Nothing is built ahead of time: a clean clone after `npm ci`
 * works as is.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ENTRY = path.join(ROOT, "src/wire/index.ts");
const CACHE = path.join(ROOT, "node_modules/.cache/detour-wire");

let loaded;

/** The src/wire module (its exports as in src/wire/index.ts), bundled on first use in this process. */
export function loadWire() {
  loaded ??= (async () => {
    const out = await build({ entryPoints: [ENTRY], bundle: true, format: "esm", platform: "neutral", target: "es2022", write: false, logLevel: "silent" });
    const code = out.outputFiles[0].text;
    const file = path.join(CACHE, `wire-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(CACHE, { recursive: true });
      // Write aside, then rename: another process importing the same name never sees half a file.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, file);
    }
    return import(pathToFileURL(file).href);
  })();
  return loaded;
}
