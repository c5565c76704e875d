/**
 * What the worker bundle is made of, from the esbuild metafile that `wrangler deploy --dry-run --metafile` writes:
 * bytes in the output per npm package (and per src/ folder for Detour's own code), largest first.
 */
import { readFileSync } from "node:fs";

/** `[{ name, bytes }]` for the bundle's main output, from the metafile at `metaPath`. */
export function bundleBreakdown(metaPath) {
  const meta = JSON.parse(readFileSync(metaPath, "utf8"));
  const out = Object.entries(meta.outputs).find(([k]) => k.endsWith(".js"))?.[1];
  if (!out) return [];
  const by = new Map();
  for (const [file, v] of Object.entries(out.inputs)) {
    const pkg = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1];
    const name = pkg ?? (/(?:^|\/)(src|durable-objects)\//.test(file) ? "detour (src/, durable-objects/)" : "other");
    by.set(name, (by.get(name) ?? 0) + v.bytesInOutput);
  }
  return [...by].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}
