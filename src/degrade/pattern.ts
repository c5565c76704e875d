/**
 * Operator-supplied regular expressions, compiled with a linear-time engine. A leaf module: the ladder's config
 * schema, the route validators and the template schema validate patterns with it, and the rules and templates run
 * them, so none of them has to import another for it.
 *
 * Why not `RegExp`: these patterns run on caller text, often during an outage, inside a Worker's CPU budget. A
 * backtracking engine takes exponential time on patterns like `(a|a)*$` or `((a+))+$`, and no syntactic guard catches
 * every such shape. Detour's own engine (regex-parse.ts + regex-vm.ts, a Pike VM over RE2 syntax) matches in time
 * linear in the input for every pattern it accepts; the price is that it refuses the features that need backtracking
 * (backreferences, lookaround). It replaced the re2js package, which was a sixth of the bundle; a differential test
 * (test/unit/degrade/regex-vm.test.ts) keeps its answers equal to re2js's.
 */
import { compileRegex, type Program, runRegex } from "./regex-vm";

/** Patterns longer than this are refused: config and templates are operator input, and a huge program is slow too. */
export const MAX_PATTERN_LENGTH = 200;

/** A compiled operator pattern: the subset of `RegExp` the callers use, with linear-time matching. */
export interface SafePattern {
  /** The pattern as the operator wrote it. */
  readonly source: string;
  /** Whether the pattern matches anywhere in `s` (like `RegExp.prototype.test`, without `lastIndex` state). */
  test(s: string): boolean;
  /** The first match: `[whole, group1, …]` (unmatched groups are undefined), or null (like `RegExp.prototype.exec`). */
  exec(s: string): Array<string | undefined> | null;
}

/** Syntax the engine refuses because it needs backtracking; named so the error says what to change, not "invalid". */
const UNSUPPORTED: Array<[RegExp, string]> = [
  [/\(\?<[=!]/, "lookbehind ((?<= or (?<!)"],
  [/\(\?[=!]/, "lookahead ((?= or (?!)"],
  [/\\[1-9]|\\k</, "backreferences (\\1 or \\k<name>)"],
];

/** Compiled patterns by source: rules compile their labels' patterns on each degraded request. Bounded. */
const cache = new Map<string, SafePattern>();
const CACHE_LIMIT = 500;

function wrap(source: string, prog: Program): SafePattern {
  return {
    source,
    test: (s) => runRegex(prog, s, false) !== null,
    exec: (s) => {
      const slots = runRegex(prog, s, true);
      if (!slots) return null;
      const out: Array<string | undefined> = [];
      for (let g = 0; g < slots.length; g += 2) out.push(slots[g]! >= 0 && slots[g + 1]! >= 0 ? s.slice(slots[g], slots[g + 1]) : undefined);
      return out;
    },
  };
}

/**
 * Compiles an operator-supplied pattern, case-insensitively (people do not type ids or keywords consistently), into a
 * linear-time matcher. Refuses empty and over-long patterns and anything outside the RE2 syntax the engine runs; the message quotes the
 * pattern and says why (for lookaround and backreferences, that the linear-time engine does not support them), so a
 * config error points straight at the line to fix.
 */
export function compilePattern(pattern: string): { ok: true; re: SafePattern } | { ok: false; message: string } {
  if (pattern.length === 0) return { ok: false, message: "pattern is empty" };
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, message: `pattern is ${pattern.length} characters; the limit is ${MAX_PATTERN_LENGTH}` };
  }
  const hit = cache.get(pattern);
  if (hit) return { ok: true, re: hit };
  let prog: Program;
  try {
    prog = compileRegex(pattern);
  } catch (e) {
    const why = (e as Error).message;
    const feature = UNSUPPORTED.find(([shape]) => shape.test(pattern))?.[1];
    if (feature) {
      return {
        ok: false,
        message: `pattern ${JSON.stringify(pattern)} uses ${feature}, which the linear-time regex engine (RE2 syntax) does not support (${why})`,
      };
    }
    return { ok: false, message: `pattern ${JSON.stringify(pattern)} does not compile: ${why}` };
  }
  const compiled = wrap(pattern, prog);
  if (cache.size >= CACHE_LIMIT) cache.clear(); // operators write tens of patterns, not hundreds; a flood just recompiles
  cache.set(pattern, compiled);
  return { ok: true, re: compiled };
}
