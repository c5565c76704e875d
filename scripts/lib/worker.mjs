/**
 * Shared by the scripts that run Detour's real worker locally (bench.mjs, drill.mjs): bundle it exactly as
 * `wrangler deploy --dry-run` does, read wrangler.toml's compatibility settings and local bindings through wrangler
 * itself, and serve a worker on workerd through Miniflare's API, bound to 127.0.0.1. No wrangler dev (its dev proxy
 * would dominate what is measured; README "Benchmark"), no network.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { Miniflare } from "miniflare";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const HOST = "127.0.0.1";
/** Used only if wrangler cannot read wrangler.toml for us (see workerSettings). */
export const FALLBACK_COMPAT = { compatibilityDate: "2026-04-20", compatibilityFlags: ["nodejs_compat"] };

/** Run a command in the repository root; resolves with its combined output, rejects with it on a non-zero exit. */
export function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} failed (${code}):\n${out}`))));
  });
}

/** Bundle Detour into `outdir` as `wrangler deploy --dry-run` does; returns the main module and the bundle's size. */
export async function bundleDetour(outdir) {
  const npx = process.platform === "win32" ? "npx.cmd" : "npx";
  await run(npx, ["wrangler", "deploy", "--dry-run", "--outdir", outdir, "--metafile"], { WRANGLER_SEND_METRICS: "false", CI: "1" });
  const files = readdirSync(outdir).filter((f) => !f.endsWith(".map") && !f.endsWith(".md") && !f.endsWith(".json"));
  const main = files.find((f) => f === "index.js") ?? files.find((f) => f.endsWith(".js"));
  if (!main) throw new Error(`wrangler produced no module in ${outdir}: ${files.join(", ")}`);
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const buf = readFileSync(path.join(outdir, f));
    raw += buf.length;
    gzip += zlib.gzipSync(buf, { level: 9 }).length;
  }
  // esbuild's metafile (what each package adds): scripts/lib/bundle-size.mjs reads it.
  return { main: path.join(outdir, main), files, raw, gzip, metafile: path.join(outdir, "bundle-meta.json") };
}

/**
 * The setup every script that runs Detour shares: bundle it once into a temporary folder (removed by `cleanups`) and
 * read wrangler.toml's settings, saying what was found through `log`.
 */
export async function prepareDetour(tmpPrefix, cleanups, log) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  log("bundling Detour (wrangler deploy --dry-run)…");
  const bundle = await bundleDetour(path.join(tmp, "dist"));
  const settings = await workerSettings({ log });
  log(
    `bundle ${(bundle.raw / 1024).toFixed(0)} KiB; bindings from wrangler.toml: ` +
      (Object.entries(settings.local).map(([k, v]) => `${k} ${Object.keys(v).join(",")}`).join("; ") || "none"),
  );
  return { bundle, settings };
}

/** Detour logs one JSON line per request; reading it keeps workerd from blocking, printing it would drown the output. */
export function drainStdio(stdout, stderr) {
  stdout.resume();
  stderr.resume();
}

/**
 * Compatibility date/flags, the local-only bindings (Durable Objects, KV, R2, D1 — all in memory here) and the static
 * assets (the dashboard's page, script and style in public/, with public/_headers) exactly as wrangler.toml declares
 * them, read by wrangler itself so callers follow the config as it grows. `localBindings: false` leaves the bindings
 * out. `log` receives a line when wrangler cannot read the file (then: built-in compatibility settings, no bindings,
 * no assets).
 */
export async function workerSettings({ localBindings = true, log = () => {} } = {}) {
  try {
    const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
    const { workerOptions: w } = unstable_getMiniflareWorkerOptions(path.join(ROOT, "wrangler.toml"));
    const compat = {
      compatibilityDate: w.compatibilityDate ?? FALLBACK_COMPAT.compatibilityDate,
      compatibilityFlags: w.compatibilityFlags ?? [],
    };
    // Miniflare's `assets` option as wrangler builds it (directory, html_handling, not_found_handling, …); Miniflare
    // reads public/_headers itself.
    const assets = w.assets;
    if (!localBindings) return { compat, local: {}, assets };
    const pick = (o) => (o && Object.keys(o).length > 0 ? o : undefined);
    const local = Object.fromEntries(
      ["durableObjects", "kvNamespaces", "r2Buckets", "d1Databases"].map((k) => [k, pick(w[k])]).filter(([, v]) => v !== undefined),
    );
    return { compat, local, assets };
  } catch (err) {
    log(`could not read wrangler.toml through wrangler (${err?.message ?? err}); using built-in compatibility settings, no bindings`);
    return { compat: FALLBACK_COMPAT, local: {} };
  }
}

/**
 * A worker on its own workerd, listening on 127.0.0.1. `via` "direct" (default) serves it on its own socket
 * (Miniflare's unsafeDirectSockets), as in production; "entry" goes through Miniflare's entry worker (mf.ready), an
 * extra in-process hop. Returns the Miniflare instance (dispose it when done) and the worker's base URL, no trailing
 * slash. `opts` are Miniflare options (script, bindings, compatibility settings, …).
 */
export async function startMiniflare(opts, { via = "direct" } = {}) {
  const mf = new Miniflare({
    host: HOST,
    port: 0,
    handleRuntimeStdio: drainStdio,
    ...(via === "direct" ? { unsafeDirectSockets: [{ host: HOST, port: 0 }] } : {}),
    ...opts,
  });
  try {
    const url = via === "direct" ? (await mf.ready, await mf.unsafeGetDirectURL()) : await mf.ready;
    return { mf, url: url.href.replace(/\/$/, "") };
  } catch (err) {
    await mf.dispose().catch(() => {});
    throw err;
  }
}

/**
 * The bundled Detour (from `bundleDetour`) on its own workerd, with wrangler.toml's compatibility settings and local
 * bindings (`workerSettings`) and the given vars and secrets as `bindings`. `assets: true` adds wrangler.toml's static
 * assets as the platform does (the asset router in front, the worker first on the dashboard's paths, serving
 * public/ through the ASSETS binding); left out by default because no drill or benchmark asks for the page, and the asset router
 * would add a hop to every request that the floor Worker they compare against does not have.
 */
export function startBundledDetour(prepared, bindings, { assets = false, ...opts } = {}) {
  const extra = assets ? { assets: prepared.settings.assets } : {};
  if (assets && !extra.assets) throw new Error("wrangler.toml declares no [assets] (or wrangler could not read it)");
  return startMiniflare(detourWorker(prepared, bindings, extra), opts);
}

/**
 * Miniflare's options for the bundled Detour as a worker named "detour": wrangler.toml's compatibility settings and
 * local bindings, plus `bindings`; `extra` adds or overrides options (e.g. an inspector port).
 */
export function detourWorker({ bundle, settings }, bindings, extra = {}) {
  return {
    ...settings.compat,
    ...settings.local,
    name: "detour",
    modules: true,
    scriptPath: bundle.main,
    modulesRoot: path.dirname(bundle.main),
    bindings,
    ...extra,
  };
}

/** The installed version of a dependency, or "?". */
export function readPkgVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}
