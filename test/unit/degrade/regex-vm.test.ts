import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../../scripts/drill/requests.mjs";
import { compilePattern } from "../../../src/degrade/pattern";
import { compileRegex, runRegex } from "../../../src/degrade/regex-vm";

// Differential test: Detour's Pike VM against re2js (the RE2 port it replaced, kept as a dev dependency for this
// test only). Both compile case-insensitively; test() and exec() (whole match and every group) must agree.

function ours(p: string) {
  const c = compilePattern(p);
  if (!c.ok) throw new Error(c.message);
  return c.re;
}

function theirs(p: string) {
  const re = RE2JS.compile(p, RE2JS.CASE_INSENSITIVE);
  return {
    test: (s: string) => re.test(s),
    exec: (s: string) => {
      const m = re.exec(s);
      return m ? [...m].map((g: unknown) => (typeof g === "string" ? g : undefined)) : null;
    },
  };
}

function agree(pattern: string, inputs: string[]) {
  const a = ours(pattern);
  const b = theirs(pattern);
  for (const s of inputs) {
    const where = `${JSON.stringify(pattern)} on ${JSON.stringify(s)}`;
    expect(a.test(s), where).toBe(b.test(s));
    expect(a.exec(s), where).toEqual(b.exec(s));
  }
}

const HAND_PICKED = [
  "ticket\\s*#?\\s*(\\d+)(-x)?", "\\bord-(?<id>\\w+)", "(?P<n>[a-z]+)@(\\w+)\\.com", "^(a|ab)(c|bcd)(d*)$", "(a|ab)(c|bcd)(d*)",
  "a*?b", "(a+?)(a*)", "(a??)(a?)", "x{2,3}", "(ab){2}", "(?:ab){1,}c", "a{0,2}?", "[^a-c]+", "[a-c\\d]+", "[\\w-]+",
  "[[:alpha:]]+", "[[:^digit:]]+", "\\p{L}+", "[\\p{Greek}]", "\\PL+", ".+", "(?s).+", "^\\s+|\\s+$", "(?m)^b$",
  "\\Bb", "\\x41+", "\\x{e9}", "caf\\x{E9}", "\\.\\*\\+", "(a|b|)+c", "(|a)+", "a|", "()", "(a*)+", "(a*)*", "(a|b)*?c",
  "\\Aab", "ab\\z", "(?i)Ab", "(?-i)Ab", "a(?-i:B)c", "(?-i)[a-c]+", "(?-i:\\w)b",
  "(?U)a+", "(?U)a+?", "[]a]", "[a-]", "a{,2}", "\\Qa.b\\E+", "(?:(a)|b)+", "(a)|(b)",
  "refund|chargeback", "where is my (order|parcel)", "\\btrack(ing)?\\b", "([a-z]+)-(\\d{2,4})", "((a+))+$", "(x+x+)+y",
];

const INPUTS = [
  "", "a", "A", "ab", "abcd", "aab", "aaab", "b", "ba", "abab", "ababc", "xx", "xxx", "xxxx", "TICKET #4521 is open",
  "ticket4521-x", "see ord-A1 and ord-b2", "Bob@Example.com", "abc-1234 def", "  pad  ", "a\nb\nc", "é", "Été café",
  "αβγ Δ", "refund please", "where is my PARCEL", "no tracking yet", "tracker", "a.*+", "AAA", "xxxy", "K", "ſ", "\u212a",
  "emoji 😀 a", "😀", "1a2b3c", "___", "a-b", "]a]", "{,2}", "a{,2}",
  // long text, where the scan skips characters no match can start with
  `${"The lazy dog naps. ".repeat(20)}Where is my parcel? Ticket #77, ord-Z9, refund ab abcd xxy café Δ ${"zz ".repeat(20)}`,
];

describe("linear-time regex engine: same answers as RE2 (re2js)", () => {
  it("agrees on hand-picked patterns and inputs", () => {
    for (const p of HAND_PICKED) agree(p, INPUTS);
  });

  it("agrees on 800 seeded random patterns, each on 25 random inputs", { timeout: 30_000 }, () => {
    const rand = mulberry32(20261201);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const ATOMS = ["a", "b", "c", "A", "x", ".", "\\d", "\\w", "\\s", "\\W", "[ab]", "[^a]", "[a-c]", "[b-x\\d]", "-", " ", "1"];
    const QUANT = ["", "", "", "*", "+", "?", "*?", "+?", "??", "{2}", "{1,2}", "{0,}", "{1,3}?"];
    const gen = (depth: number): string => {
      const parts: string[] = [];
      const n = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < n; k++) {
        const r = rand();
        let atom: string;
        if (depth < 3 && r < 0.2) atom = `(${gen(depth + 1)})`;
        else if (depth < 3 && r < 0.3) atom = `(?:${gen(depth + 1)})`;
        else if (r < 0.35) atom = pick(["^", "$", "\\b", "\\B"]);
        else atom = pick(ATOMS);
        parts.push(/^[$^\\][bB]?$/.test(atom) ? atom : atom + pick(QUANT));
      }
      const s = parts.join("");
      return depth < 3 && rand() < 0.2 ? `${s}|${gen(depth + 1)}` : s;
    };
    const CHARS = "aAbBcx1 -_\n.é";
    let compared = 0;
    for (let k = 0; k < 800; k++) {
      const pattern = gen(0);
      const inputs = Array.from({ length: 25 }, () =>
        Array.from({ length: Math.floor(rand() * 10) }, () => CHARS[Math.floor(rand() * CHARS.length)]).join(""));
      agree(pattern, inputs);
      compared += inputs.length;
    }
    expect(compared).toBe(800 * 25);
  });

  it("refuses what RE2 refuses, with a reason", () => {
    for (const p of ["(a|b", "a)", "*a", "a**", "a{2}{3}", "[z-a]", "[a", "\\q", "(?<=a)b", "(?=a)", "(a)\\1", "a{1001}", "\\p{Nope}", "(?#x)"]) {
      expect(() => RE2JS.compile(p, RE2JS.CASE_INSENSITIVE), p).toThrow();
      const c = compilePattern(p);
      expect(c.ok, p).toBe(false);
      if (!c.ok) expect(c.message, p).toContain(JSON.stringify(p));
    }
  });
});

describe("linear-time regex engine: work grows with the input, never exponentially", () => {
  // Steps are instructions visited by the VM; each position visits each instruction at most once, so the bound is
  // program size × (input length + 1) whatever the pattern. A backtracking engine needs ~2^n steps on these inputs.
  for (const [pattern, unit] of [["(a|a)*$", "a"], ["^((a+))+$", "a"], ["(x+x+)+y", "x"], ["(\\w+\\s?)*$", "ab "]] as const) {
    it(`${pattern} on a long near-miss input`, () => {
      const prog = compileRegex(pattern);
      const steps = (n: number) => {
        const stats = { steps: 0 };
        runRegex(prog, `${unit.repeat(n)}!`, true, stats);
        return stats.steps;
      };
      const [small, large] = [steps(1_000), steps(4_000)];
      expect(large).toBeLessThanOrEqual(prog.op.length * (unit.length * 4_000 + 2));
      expect(large / small).toBeLessThan(4.5); // 4× the input, ~4× the work
    });
  }
});
