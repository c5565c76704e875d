/**
 * Where Detour's workerd CPU per request goes, by cutting the chat pipeline short (docs/scale.md "CPU per request").
 * Builds copies of this checkout in which src/routes/chat.ts answers early at one point, then measures each copy
 * beside the full worker with scripts/lib/workerd-cpu.mjs (workerd CPU per request from /proc, interleaved rounds).
 * The differences between consecutive cuts are what each segment costs inside the runtime — timers, promise hops
 * and I/O included, which a JavaScript profile or a Node timing does not show. Developer tool, not part of
 * `npm run bench`; the copies live in a temporary folder and are removed afterwards.
 *
 *   node scripts/lib/workerd-ablate.mjs          ROUNDS=3 N=2000 C=8 (passed on to workerd-cpu.mjs)
 *
 * Cuts (each answers `{"ok":true}` with status 200 where it stands):
 *   handler — at the top of the pipeline's handler: Hono, the middleware (request id, config, authentication)
 *   parsed  — after the parse stage (the caller's body read and validated)
 *   planned — after the limits stage: every stage before the engine (resolve, classify, chaos, cache, route, limits)
 *   fetched — as `planned`, then one plain `fetch` of the first provider with the caller's body, answered as read:
 *             the vendor call without the engine (compare with `executed`)
 *   executed — after the engine (retries, timers, validation, outcome reports), before the answer is built
 * The full worker follows as "this checkout". Edit the anchors below if src/routes/chat.ts changes shape: a missing
 * anchor stops the tool with its name.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./worker.mjs";

const ANSWER = `return new Response('{"ok":true}', { headers: { "content-type": "application/json" } });`;
/** The first provider of the config, called as the floor calls the vendor (no engine, no timers). */
const PLAIN_FETCH = [
  "{",
  "  const p = (limited as any).config.providers[0];",
  "  const key = p.apiKeySecret ? String((c.env as any)[p.apiKeySecret] ?? '') : '';",
  "  const up = await fetch(`${p.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ ...(limited as any).request, model: 'm' }) });",
  "  return new Response(await up.text(), { status: up.status, headers: { 'content-type': 'application/json' } });",
  "}",
].join("\n");

/** name → [the line the early answer goes before, what it does there] */
const CUTS = {
  handler: ["  const deps = pipelineDeps(c);", `if (c) ${ANSWER}`],
  parsed: ["  const resolved = staged(", `if (c) ${ANSWER}`],
  planned: ["  // The engine: retries, failover, hedging", `if (c) ${ANSWER}`],
  fetched: ["  // The engine: retries, failover, hedging", `if (c) ${PLAIN_FETCH}`],
  executed: ["  // A sample of primary-served answers", `if (c) ${ANSWER}`],
};

const tmp = mkdtempSync(path.join(os.tmpdir(), "detour-ablate-"));
const copies = [];
try {
  const chat = readFileSync(path.join(ROOT, "src/routes/chat.ts"), "utf8");
  for (const [name, [anchor, code]] of Object.entries(CUTS)) {
    const at = chat.indexOf(anchor);
    if (at < 0) throw new Error(`workerd-ablate: cut "${name}": src/routes/chat.ts no longer contains ${JSON.stringify(anchor)}`);
    const dir = path.join(tmp, name);
    for (const f of ["src", "durable-objects", "public", "wrangler.toml", "package.json", "tsconfig.json"]) {
      if (existsSync(path.join(ROOT, f))) cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
    }
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    writeFileSync(path.join(dir, "src/routes/chat.ts"), `${chat.slice(0, at)}  ${code}\n${chat.slice(at)}`);
    copies.push(`${name}=${dir}`);
  }
  const code = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts/lib/workerd-cpu.mjs"), ...copies], { cwd: ROOT, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", resolve);
  });
  process.exitCode = code ?? 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
