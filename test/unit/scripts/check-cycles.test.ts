/**
 * scripts/check-cycles.mjs: the cycle finder on tiny synthetic graphs, the import parser on every statement form the
 * code base uses, and the repository itself (which must have none, the reason the script exists).
 */
import { describe, expect, it } from "vitest";
import { findCycles, importGraph, resolveSpecifier, specifiers } from "../../../scripts/check-cycles.mjs";

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe("findCycles", () => {
  it("finds none in a DAG", () => {
    expect(findCycles(graph({ a: ["b", "c"], b: ["c"], c: [] }))).toEqual([]);
  });

  it("reports each strongly connected component once, sorted", () => {
    const cycles = findCycles(graph({ a: ["b"], b: ["c"], c: ["a", "d"], d: ["e"], e: ["d"], f: ["a"] }));
    expect(cycles).toEqual([["a", "b", "c"], ["d", "e"]]);
  });

  it("counts a module importing itself, but not a lone node", () => {
    expect(findCycles(graph({ a: ["a"], b: [] }))).toEqual([["a"]]);
  });

  it("ignores edges to nodes outside the graph", () => {
    expect(findCycles(graph({ a: ["zod"] }))).toEqual([]);
  });
});

describe("specifiers", () => {
  it("reads static, type-only, re-export, side-effect and dynamic imports, and skips comments", () => {
    const src = [
      'import { a } from "./a";',
      'import type { B } from "./b";',
      "import {\n  c,\n  type D,\n} from './c';",
      'import * as e from "./e";',
      'import "./side";',
      'export { f } from "./f";',
      'export * from "./g";',
      'export type { H } from "./h";',
      'const i = await import("./i");',
      '// import { x } from "./commented";',
      '/* import { y } from "./block"; */',
      'export const s = "from ./not-an-import";',
    ].join("\n");
    expect(specifiers(src)).toEqual(["./a", "./b", "./c", "./e", "./side", "./f", "./g", "./h", "./i"]);
  });

  it("resolves .ts and /index.ts, leaves bare specifiers out", () => {
    const files = new Set(["/r/src/x.ts", "/r/src/wire/index.ts"]);
    const exists = (p: string) => files.has(p);
    expect(resolveSpecifier("/r/src/y.ts", "./x", exists)).toBe("/r/src/x.ts");
    expect(resolveSpecifier("/r/src/y.ts", "./wire", exists)).toBe("/r/src/wire/index.ts");
    expect(resolveSpecifier("/r/src/y.ts", "zod", exists)).toBeUndefined();
    expect(resolveSpecifier("/r/src/y.ts", "cloudflare:workers", exists)).toBeUndefined();
  });
});

describe("the repository", () => {
  it("has no import cycles in src/ or durable-objects/", () => {
    const g = importGraph(["src", "durable-objects"]) // relative to the repository root, where vitest runs;
    expect(g.size).toBeGreaterThan(50);
    expect(findCycles(g)).toEqual([]);
  });
});
