#!/usr/bin/env node
/**
 * Fails when any TypeScript module under src/ or durable-objects/ takes part in an import cycle. Cycles make the data
 * flow hard to follow and the load order fragile, so shared types and constants live in leaf modules instead.
 *
 * Dependency-free on purpose: it reads import / export-from statements (including `import type`) with a regular
 * expression, resolves relative specifiers (`x`, `x.ts`, `x/index.ts`), and finds strongly connected components with
 * Tarjan's algorithm. Bare specifiers (packages, `cloudflare:*`) are outside the graph.
 *
 * Usage: node scripts/check-cycles.mjs [root ...]   (roots default to src and durable-objects)
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?["']([^"']+)["']/g;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Every module specifier a source text imports or re-exports from (static, `import type`, `export … from`, `import()`). */
export function specifiers(source) {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const out = [];
  for (const re of [SPECIFIER, DYNAMIC]) for (const m of text.matchAll(re)) out.push(m[1]);
  return out;
}

/** The file a relative specifier names, or undefined for bare specifiers and files that do not exist. */
export function resolveSpecifier(fromFile, spec, exists = existsSync) {
  if (!spec.startsWith(".")) return undefined;
  const base = resolve(dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, join(base, "index.ts")]) {
    if (candidate.endsWith(".ts") && exists(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Strongly connected components of a directed graph (Tarjan), keeping only those that form a cycle: more than one
 * node, or one node that imports itself. `graph` maps each node to the nodes it depends on.
 * @param {Map<string, string[]>} graph
 * @returns {string[][]} each cycle's nodes, sorted; cycles sorted by their first node
 */
export function findCycles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const cycles = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

function tsFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

/** The import graph of every .ts file under `roots` (absolute paths), edges only to files inside the graph. */
export function importGraph(roots) {
  const files = roots.flatMap((r) => tsFiles(resolve(r)));
  const known = new Set(files);
  const graph = new Map();
  for (const f of files) {
    const deps = specifiers(readFileSync(f, "utf8"))
      .map((s) => resolveSpecifier(f, s))
      .filter((d) => d !== undefined && known.has(d));
    graph.set(f, [...new Set(deps)]);
  }
  return graph;
}

function main() {
  const here = dirname(fileURLToPath(import.meta.url));
  const repo = resolve(here, "..");
  const args = process.argv.slice(2);
  const roots = (args.length ? args : ["src", "durable-objects"]).map((r) => resolve(repo, r));
  const graph = importGraph(roots);
  const cycles = findCycles(graph);
  if (cycles.length === 0) {
    console.log(`no import cycles (${graph.size} files)`);
    return;
  }
  for (const [i, cycle] of cycles.entries()) {
    console.error(`cycle ${i + 1} (${cycle.length} files):`);
    for (const f of cycle) console.error(`  ${relative(repo, f)}`);
  }
  console.error(`${cycles.length} import cycle(s) in ${graph.size} files`);
  process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
