/**
 * The parser half of Detour's linear-time regex engine (the matcher is regex-vm.ts): RE2 syntax in, a small tree out.
 * Patterns are case-insensitive (as compilePattern always asked of RE2) unless a `(?-i)` group says otherwise, so a
 * single-character atom becomes a `Matcher` over the case variants of one input character (see `caseVariants`), and
 * folding is done once per input position instead of once per atom.
 *
 * What it accepts is RE2's syntax minus the byte-level corners nobody writes in a config: literals and escapes
 * (`\t \n \x41 \x{263a} \.` …), `.`, classes with ranges, negation, `\d \w \s` (ASCII, as in RE2), `\p{L}` / `\pN` /
 * `\p{Greek}` Unicode classes and `[:alpha:]` POSIX classes, groups (`(…)`, `(?:…)`, `(?P<n>…)`, `(?<n>…)`), flag
 * groups with `i m s U`, alternation, `* + ? {m} {m,} {m,n}` greedy or lazy, and the assertions `^ $ \A \z \b \B`.
 * Lookaround and backreferences cannot run in linear time and throw; pattern.ts turns that into an operator message.
 */

/** Tests the case variants of one input character (the character itself first). */
export type Matcher = (variants: readonly number[]) => boolean;

/** Zero-width assertions: text start/end, line start/end (under `(?m)`), ASCII word boundary and its negation. */
export const Assert = { TextStart: 0, TextEnd: 1, LineStart: 2, LineEnd: 3, Word: 4, NotWord: 5 } as const;
export type Assert = (typeof Assert)[keyof typeof Assert];

export type Node =
  | { k: "char"; m: Matcher }
  | { k: "cat"; xs: Node[] }
  | { k: "alt"; xs: Node[] }
  | { k: "rep"; x: Node; min: number; max: number; greedy: boolean } // max -1: unbounded
  | { k: "cap"; x: Node; n: number }
  | { k: "assert"; a: Assert };

/** RE2 refuses larger counts; a bigger repetition is a bigger program, and size is what makes matching slow. */
const MAX_REPEAT = 1000;

/** Simple case folding beyond what toLowerCase/toUpperCase round-trips give (Kelvin sign, long s, Ångström sign). */
const EXTRA_FOLDS: Record<number, number> = { 0x6b: 0x212a, 0x4b: 0x212a, 0x73: 0x17f, 0x53: 0x17f, 0xe5: 0x212b, 0xc5: 0x212b };

const ASCII_VARIANTS: number[][] = Array.from({ length: 128 }, (_, c) => {
  const v = c >= 65 && c <= 90 ? [c, c + 32] : c >= 97 && c <= 122 ? [c, c - 32] : [c];
  const extra = EXTRA_FOLDS[c];
  return extra ? [...v, extra] : v;
});

/** The code point `cp` and the ones it equals case-insensitively, `cp` first. */
export function caseVariants(cp: number): readonly number[] {
  if (cp < 128) return ASCII_VARIANTS[cp]!;
  const out = [cp];
  const ch = String.fromCodePoint(cp);
  for (const t of [ch.toLowerCase(), ch.toUpperCase(), ch.toUpperCase().toLowerCase()]) {
    const c = t.codePointAt(0)!;
    if (t.length === String.fromCodePoint(c).length && !out.includes(c)) out.push(c);
  }
  const extra = EXTRA_FOLDS[cp];
  if (extra !== undefined && !out.includes(extra)) out.push(extra);
  return out;
}

type Has = (cp: number) => boolean;
/** One member of a class: a set of code points, or its complement (complemented after folding, as RE2 does). */
type Item = { has: Has; neg: boolean };

const range = (lo: number, hi: number): Has => (c) => c >= lo && c <= hi;
const anyOf = (...hs: Has[]): Has => (c) => hs.some((h) => h(c));
const DIGIT = range(48, 57);
const WORD = anyOf(DIGIT, range(65, 90), range(97, 122), (c) => c === 95);
const SPACE: Has = (c) => c === 32 || (c >= 9 && c <= 13 && c !== 11);
const PERL: Record<string, Has> = { d: DIGIT, w: WORD, s: SPACE };
const POSIX: Record<string, Has> = {
  alnum: anyOf(DIGIT, range(65, 90), range(97, 122)), alpha: anyOf(range(65, 90), range(97, 122)), ascii: range(0, 127),
  blank: (c) => c === 32 || c === 9, cntrl: (c) => c < 32 || c === 127, digit: DIGIT, graph: range(33, 126),
  lower: range(97, 122), print: range(32, 126), punct: (c) => c >= 33 && c <= 126 && !WORD(c) || c === 95,
  space: (c) => c === 32 || (c >= 9 && c <= 13), upper: range(65, 90), word: WORD,
  xdigit: anyOf(DIGIT, range(65, 70), range(97, 102)),
};

/** True when the code point is an ASCII word character (what `\b` looks at, as in RE2). */
export const isWordChar = (c: number) => WORD(c);

function unicodeClass(name: string): Has {
  for (const body of [name, `Script=${name}`]) {
    try {
      const re = new RegExp(`^\\p{${body}}$`, "u");
      return (c) => re.test(String.fromCodePoint(c));
    } catch { /* try the next spelling */ }
  }
  throw new Error(`invalid character class range: \\p{${name}}`);
}

function itemMatcher(items: Item[], negated: boolean): Matcher {
  return (vs) => items.some((it) => (it.neg ? !vs.some(it.has) : vs.some(it.has))) !== negated;
}

/** Parses `src` into a tree and counts its capture groups (group 0, the whole match, not included). */
export function parseRegex(src: string): { node: Node; groups: number } {
  let i = 0;
  let groups = 0;
  const names = new Set<string>();
  let flags = { i: true, s: false, m: false, U: false };
  const cp = () => src.codePointAt(i)!;
  const fail = (what: string): never => { throw new Error(what); };

  function readCodePoint(): number {
    const c = cp();
    i += c > 0xffff ? 2 : 1;
    return c;
  }

  /** After a backslash: returns a class item or a code point, or an assertion/literal run outside classes. */
  function escape(inClass: boolean): Item | number | Node {
    if (i >= src.length) fail("trailing backslash at end of expression");
    const start = i - 1;
    const c = src[i++]!;
    const lower = c.toLowerCase();
    if (lower in PERL) return { has: PERL[lower]!, neg: c !== lower };
    if (lower === "p") {
      let name: string;
      if (src[i] === "{") {
        const end = src.indexOf("}", i);
        if (end < 0) fail(`invalid character class range: ${src.slice(start)}`);
        name = src.slice(i + 1, end);
        i = end + 1;
      } else {
        if (i >= src.length) fail(`invalid character class range: ${src.slice(start)}`);
        name = String.fromCodePoint(readCodePoint());
      }
      const caret = name.startsWith("^");
      return { has: unicodeClass(caret ? name.slice(1) : name), neg: (c === "P") !== caret };
    }
    if (!inClass) {
      const a = ({ b: Assert.Word, B: Assert.NotWord, A: Assert.TextStart, z: Assert.TextEnd } as Record<string, Assert>)[c];
      if (a !== undefined) return { k: "assert", a };
      if (c === "Q") {
        const end = src.indexOf("\\E", i);
        const text = src.slice(i, end < 0 ? src.length : end);
        i = end < 0 ? src.length : end + 2;
        return { k: "cat", xs: [...text].map((ch) => literal(ch.codePointAt(0)!)) };
      }
    }
    const simple = ({ a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 } as Record<string, number>)[c];
    if (simple !== undefined) return simple;
    if (c === "x") {
      const m = src[i] === "{" ? /^\{([0-9a-fA-F]+)\}/.exec(src.slice(i)) : /^[0-9a-fA-F]{2}/.exec(src.slice(i));
      const v = m ? parseInt(m[1] ?? m[0], 16) : NaN;
      if (!m || v > 0x10ffff) fail(`invalid escape sequence: ${src.slice(start, i + 2)}`);
      i += m![0].length;
      return v;
    }
    if (c >= "0" && c <= "7") {
      // RE2: \0 starts octal; \1-\7 are octal only when followed by another octal digit, else a backreference.
      const m = /^[0-7]{1,3}/.exec(src.slice(i - 1))!;
      if (c !== "0" && m[0].length === 1) fail(`invalid escape sequence: \\${c}`);
      i += m[0].length - 1;
      return parseInt(m[0], 8);
    }
    const code = c.charCodeAt(0);
    if (code < 128 && !/[0-9A-Za-z]/.test(c)) return code;
    return fail(`invalid escape sequence: ${src.slice(start, i)}`);
  }

  function literal(c: number): Node {
    return { k: "char", m: (vs) => vs.includes(c) };
  }

  function charClass(): Node {
    const start = i - 1;
    const negated = src[i] === "^";
    if (negated) i++;
    const items: Item[] = [];
    let first = true;
    for (;;) {
      if (i >= src.length) fail(`missing closing ]: ${src.slice(start)}`);
      if (src[i] === "]" && !first) break;
      first = false;
      if (src.startsWith("[:", i)) {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
        const has = m && POSIX[m[2]!];
        if (!m || !has) fail(`invalid character class range: ${src.slice(i, src.indexOf("]", i) + 1)}`);
        items.push({ has: has!, neg: m![1] === "^" });
        i += m![0].length;
        continue;
      }
      const loAt = i;
      const lo = classAtom();
      if (typeof lo !== "number") { items.push(lo); continue; }
      if (src[i] === "-" && src[i + 1] !== "]" && i + 1 < src.length) {
        i++;
        const hi = classAtom();
        if (typeof hi !== "number" || hi < lo) fail(`invalid character class range: ${src.slice(loAt, i)}`);
        items.push({ has: range(lo, hi as number), neg: false });
      } else items.push({ has: (c) => c === lo, neg: false });
    }
    i++;
    return { k: "char", m: itemMatcher(items, negated) };
  }

  function classAtom(): Item | number {
    if (src[i] !== "\\") return readCodePoint();
    i++;
    return escape(true) as Item | number;
  }

  function group(): Node {
    const start = i - 1;
    let name: string | undefined;
    if (src[i] === "?") {
      const named = /^\?P?<([^>]*)>/.exec(src.slice(i));
      if (named && !/^\?<[=!]/.test(src.slice(i))) {
        name = named[1]!;
        if (!/^\w+$/.test(name)) fail(`invalid named capture: ${src.slice(start, i + named[0].length)}`);
        if (names.has(name)) fail(`duplicate capture group name: ${name}`);
        names.add(name);
        i += named[0].length;
      } else {
        const m = /^\?(-?[imsU]*(?:-[imsU]*)?)([:)])/.exec(src.slice(i));
        if (!m || m[1] === "-" || m[1]!.endsWith("-")) fail(`invalid or unsupported Perl syntax: ${src.slice(start, i + 2)}`);
        i += m![0].length;
        const set = { ...flags };
        let on = true;
        for (const f of m![1]!) if (f === "-") on = false; else set[f as "i" | "s" | "m" | "U"] = on;
        if (m![2] === ")") { flags = set; return { k: "cat", xs: [] }; }
        const saved = flags;
        flags = set;
        const x = alternation();
        flags = saved;
        if (src[i] !== ")") fail(`missing closing ): ${src}`);
        i++;
        return x;
      }
    }
    const n = ++groups;
    const saved = flags;
    const x = alternation();
    flags = saved;
    if (src[i] !== ")") fail(`missing closing ): ${src}`);
    i++;
    return { k: "cap", x, n };
  }

  /** Under `(?-i)` a character atom looks at the input character only, not at its case variants. */
  function atom(): Node {
    const x = anyAtom();
    if (flags.i || x.k !== "char") return x;
    const m = x.m;
    return { k: "char", m: (vs) => m(vs.slice(0, 1)) };
  }

  function anyAtom(): Node {
    const c = src[i]!;
    i++;
    switch (c) {
      case "(": return group();
      case "[": return charClass();
      case ".": { const s = flags.s; return { k: "char", m: (vs) => s || vs[0] !== 10 }; }
      case "^": return { k: "assert", a: flags.m ? Assert.LineStart : Assert.TextStart };
      case "$": return { k: "assert", a: flags.m ? Assert.LineEnd : Assert.TextEnd };
      case "\\": {
        const e = escape(false);
        if (typeof e === "number") return literal(e);
        return "k" in e ? e : { k: "char", m: itemMatcher([e], false) };
      }
      default:
        i--;
        return literal(readCodePoint());
    }
  }

  /** `{m}`, `{m,}` or `{m,n}` at i, or null when the brace is a literal (as in RE2). */
  function braces(): [number, number] | null {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
    if (!m) return null;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? -1 : Number(m[3]);
    if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && max < min)) fail(`invalid repeat count: ${m[0]}`);
    i += m[0].length;
    return [min, max];
  }

  function repeat(): Node {
    let x = atom();
    let quantified = false;
    for (;;) {
      const opStart = i;
      const c = src[i];
      let mm: [number, number] | null = null;
      if (c === "*") mm = [0, -1];
      else if (c === "+") mm = [1, -1];
      else if (c === "?") mm = [0, 1];
      else if (c === "{") mm = braces();
      if (!mm) return x;
      if (c !== "{") i++;
      let greedy = !flags.U;
      if (src[i] === "?") { i++; greedy = !greedy; }
      if (quantified) fail(`bad repetition operator: ${src.slice(opStart - 1, i)}`);
      if (x.k === "cat" && x.xs.length === 0) fail(`missing argument to repetition operator: ${src.slice(opStart, i)}`);
      x = { k: "rep", x, min: mm[0], max: mm[1], greedy };
      quantified = true;
    }
  }

  function concat(): Node {
    const xs: Node[] = [];
    while (i < src.length && src[i] !== "|" && src[i] !== ")") {
      if ("*+?".includes(src[i]!) || (src[i] === "{" && /^\{\d+(,\d*)?\}/.test(src.slice(i)))) {
        fail(`missing argument to repetition operator: ${src[i]}`);
      }
      xs.push(repeat());
    }
    return xs.length === 1 ? xs[0]! : { k: "cat", xs };
  }

  function alternation(): Node {
    const xs = [concat()];
    while (src[i] === "|") {
      i++;
      xs.push(concat());
    }
    return xs.length === 1 ? xs[0]! : { k: "alt", xs };
  }

  const node = alternation();
  if (i < src.length) fail(`unexpected ): ${src}`);
  return { node, groups };
}
