/**
 * TypeScript modules from src/ for the plain-Node scripts (mock vendors, evals, benches). Node 20 cannot run
 * TypeScript, so the modules are bundled with esbuild (a devDependency, the version wrangler ships) into one ESM file
 * under node_modules/.cache/detour-src/ the first time a process asks, then imported. The file is named by a hash of
 * its content, so an edit to src/ is picked up by the next run, and concurrent processes (drills, benches, tests)
 * write the same bytes to the same name without a lock. Nothing is built ahead of time: a clean clone after `npm ci`
 * works as is. The one loader every script uses (scripts/lib/wire.mjs, scripts/lib/readiness.mjs, the evals, the stage
 * and health benches).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CACHE = path.join(ROOT, "node_modules/.cache/detour-src");
const loaded = new Map();

/**
 * `cloudflare:workers` exists only inside workerd; outside it the Durable Object classes need just a base class that
 * keeps `ctx` and `env`, as the runtime's does.
 */
const workersStub = {
  name: "cloudflare-workers-stub",
  setup(b) {
    b.onResolve({ filter: /^cloudflare:workers$/ }, () => ({ path: "cf", namespace: "cf-stub" }));
    b.onLoad({ filter: /.*/, namespace: "cf-stub" }, () => ({
      contents: "export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }",
      loader: "js",
    }));
  },
};

/**
 * One bundled module built from `contents` (TypeScript, imports relative to the repository root), imported once per
 * process and per contents.
 */
export function loadEntry(contents) {
  if (!loaded.has(contents)) {
    loaded.set(contents, (async () => {
      const out = await build({
        stdin: { contents, resolveDir: ROOT, loader: "ts" },
        bundle: true,
        format: "esm",
        platform: "neutral",
        target: "es2022",
        write: false,
        logLevel: "silent",
        mainFields: ["module", "main"],
        plugins: [workersStub],
      });
      const code = out.outputFiles[0].text;
      const file = path.join(CACHE, `src-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
      if (!existsSync(file)) {
        mkdirSync(CACHE, { recursive: true });
        // Write aside, then rename: another process importing the same name never sees half a file.
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, code);
        renameSync(tmp, file);
      }
      return import(pathToFileURL(file).href);
    })());
  }
  return loaded.get(contents);
}

/** The exports of the given src/ files (paths relative to the repository root), as one bundled module. */
export function loadSrc(files) {
  return loadEntry(files.map((f) => `export * from ${JSON.stringify(`./${f}`)};`).join("\n"));
}
