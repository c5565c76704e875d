/**
 * The matcher half of Detour's linear-time regex engine (the parser is regex-parse.ts): the tree is compiled to a
 * Thompson NFA program and run by a Pike VM, which advances every live thread one input character at a time and keeps
 * at most one thread per program instruction. Matching therefore costs O(program size × input length) for every
 * pattern, including the shapes that make a backtracking engine exponential (`(a|a)*$`, `((a+))+$`, `(x+x+)+y`).
 * Threads are kept in priority order, so the match and its groups are the leftmost-first ones RE2 and Perl report.
 */
import { Assert, caseVariants, isWordChar, type Matcher, type Node, parseRegex } from "./regex-parse";

/** RE2 caps program size too; with a 200-character pattern only large `{m,n}` counts get near this. */
const MAX_PROGRAM = 5000;

const enum Op { Char, Split, Jmp, Save, Assert, Match }

/** A compiled pattern: instructions as parallel arrays (op, two operands), its matchers and its group count. */
export interface Program {
  op: Op[];
  x: number[];
  y: number[];
  matchers: Matcher[];
  groups: number;
  /** Each matcher's answer for the 128 ASCII characters (matcher m at m * 128 + c): most text is ASCII. */
  ascii: Uint8Array;
  /** ASCII characters a match can start with, or null when a match may start anywhere (assertion or empty match). */
  first: Uint8Array | null;
}

/** Whether `n` can match the empty string. */
function nullable(n: Node): boolean {
  switch (n.k) {
    case "char": return false;
    case "assert": return true;
    case "cat": return n.xs.every(nullable);
    case "alt": return n.xs.some(nullable);
    case "rep": return n.min === 0 || nullable(n.x);
    case "cap": return nullable(n.x);
  }
}

/** Compiles RE2-syntax `src` (always case-insensitive); throws an Error whose message says what is wrong. */
export function compileRegex(src: string): Program {
  const { node, groups } = parseRegex(src);
  const p: Program = { op: [], x: [], y: [], matchers: [], groups, ascii: new Uint8Array(0), first: null };
  const emit = (op: Op, x = 0, y = 0): number => {
    if (p.op.length >= MAX_PROGRAM) throw new Error("expression too large");
    p.op.push(op);
    p.x.push(x);
    p.y.push(y);
    return p.op.length - 1;
  };
  const gen = (n: Node): void => {
    switch (n.k) {
      case "char":
        p.matchers.push(n.m);
        emit(Op.Char, p.matchers.length - 1);
        return;
      case "assert":
        emit(Op.Assert, n.a);
        return;
      case "cat":
        for (const x of n.xs) gen(x);
        return;
      case "cap":
        emit(Op.Save, 2 * n.n);
        gen(n.x);
        emit(Op.Save, 2 * n.n + 1);
        return;
      case "alt": {
        const jumps: number[] = [];
        n.xs.forEach((x, k) => {
          const last = k === n.xs.length - 1;
          const split = last ? -1 : emit(Op.Split);
          if (split >= 0) p.x[split] = split + 1;
          gen(x);
          if (!last) {
            jumps.push(emit(Op.Jmp));
            p.y[split] = p.op.length;
          }
        });
        for (const j of jumps) p.x[j] = p.op.length;
        return;
      }
      case "rep": {
        // As RE2 does it: x{n,} is n-1 copies then x+; x{n,m} is n copies then nested optionals (x(x)?)?, so a
        // later copy is tried only after an earlier one matched; x* of a nullable x is (x+)?, which keeps the
        // priority of an empty iteration the same as RE2's (a plain loop would prefer another iteration).
        const { x, min, max, greedy } = n;
        if (max < 0) {
          for (let k = 1; k < min; k++) gen(x);
          if (min === 0 && !nullable(x)) {
            const split = emit(Op.Split); // L: split(body, out); body; jmp L
            gen(x);
            emit(Op.Jmp, split);
            branch(split, split + 1, p.op.length, greedy);
            return;
          }
          const quest = min === 0 ? emit(Op.Split) : -1;
          const body = p.op.length; // L: body; split(L, out)
          gen(x);
          const split = emit(Op.Split);
          branch(split, body, split + 1, greedy);
          if (quest >= 0) branch(quest, quest + 1, p.op.length, greedy);
          return;
        }
        for (let k = 0; k < min; k++) gen(x);
        const splits: number[] = [];
        for (let k = min; k < max; k++) {
          splits.push(emit(Op.Split));
          gen(x);
        }
        for (const sp of splits) branch(sp, sp + 1, p.op.length, greedy);
        return;
      }
    }
  };
  const branch = (at: number, body: number, out: number, greedy: boolean) => {
    p.x[at] = greedy ? body : out;
    p.y[at] = greedy ? out : body;
  };
  emit(Op.Save, 0);
  gen(node);
  emit(Op.Save, 1);
  emit(Op.Match);
  p.ascii = new Uint8Array(p.matchers.length * 128);
  p.matchers.forEach((m, i) => {
    for (let c = 0; c < 128; c++) p.ascii[i * 128 + c] = m(caseVariants(c)) ? 1 : 0;
  });
  p.first = firstChars(p);
  return p;
}

/** The start state's ASCII first characters, so a scan can skip text no match starts in (null: cannot skip). */
function firstChars(p: Program): Uint8Array | null {
  const first = new Uint8Array(128);
  const seen = new Set<number>();
  const stack = [0];
  while (stack.length > 0) {
    const pc = stack.pop()!;
    if (seen.has(pc)) continue;
    seen.add(pc);
    const op = p.op[pc];
    if (op === Op.Assert || op === Op.Match) return null;
    if (op === Op.Jmp) stack.push(p.x[pc]!);
    else if (op === Op.Split) stack.push(p.x[pc]!, p.y[pc]!);
    else if (op === Op.Save) stack.push(pc + 1);
    else for (let c = 0; c < 128; c++) first[c]! |= p.ascii[p.x[pc]! * 128 + c]!;
  }
  return first;
}

/** A thread list: program counters in priority order, each with its capture slots; `mark` dedupes by instruction. */
interface List {
  pc: Int32Array;
  caps: Int32Array[];
  n: number;
  mark: Uint32Array;
  gen: number;
}

const newList = (size: number): List => ({ pc: new Int32Array(size), caps: [], n: 0, mark: new Uint32Array(size), gen: 1 });

/**
 * Runs `p` over `s` looking for the leftmost-first match. With `wantGroups` false it stops at the first match found
 * and returns the slot array unfilled; otherwise the slots hold UTF-16 start/end offsets per group (-1: unmatched).
 * Returns null when nothing matches. `stats.steps` (tests) counts instructions visited: the linear-time guarantee.
 */
export function runRegex(p: Program, s: string, wantGroups: boolean, stats?: { steps: number }): Int32Array | null {
  const size = p.op.length;
  let cur = newList(size);
  let next = newList(size);
  const empty = new Int32Array(wantGroups ? 2 * (p.groups + 1) : 0).fill(-1);
  const stackPc: number[] = [];
  const stackCaps: Int32Array[] = [];
  let matched: Int32Array | null = null;

  const holds = (a: number, pos: number): boolean => {
    switch (a) {
      case Assert.TextStart: return pos === 0;
      case Assert.TextEnd: return pos === s.length;
      case Assert.LineStart: return pos === 0 || s.charCodeAt(pos - 1) === 10;
      case Assert.LineEnd: return pos === s.length || s.charCodeAt(pos) === 10;
      default: {
        const boundary = (pos > 0 && isWordChar(s.charCodeAt(pos - 1))) !== (pos < s.length && isWordChar(s.charCodeAt(pos)));
        return boundary === (a === Assert.Word);
      }
    }
  };

  /** Follows jumps, splits (first branch first), saves and assertions from `pc0`, adding the threads that consume. */
  const add = (list: List, pc0: number, caps0: Int32Array, pos: number) => {
    stackPc.push(pc0);
    stackCaps.push(caps0);
    while (stackPc.length > 0) {
      let pc = stackPc.pop()!;
      let caps = stackCaps.pop()!;
      for (;;) {
        if (list.mark[pc] === list.gen) break;
        list.mark[pc] = list.gen;
        if (stats) stats.steps++;
        const op = p.op[pc];
        if (op === Op.Jmp) pc = p.x[pc]!;
        else if (op === Op.Split) {
          stackPc.push(p.y[pc]!);
          stackCaps.push(caps);
          pc = p.x[pc]!;
        } else if (op === Op.Save) {
          if (p.x[pc]! < caps.length) {
            caps = caps.slice();
            caps[p.x[pc]!] = pos;
          }
          pc++;
        } else if (op === Op.Assert) {
          if (!holds(p.x[pc]!, pos)) break;
          pc++;
        } else {
          list.pc[list.n] = pc;
          list.caps[list.n++] = caps;
          break;
        }
      }
    }
  };

  const first = p.first;
  for (let pos = 0; ; ) {
    if (!matched) {
      if (first && cur.n === 0) {
        // No thread alive and the next match must start with one of `first`: skip ASCII text that cannot start one.
        const from = pos;
        let code = s.charCodeAt(pos);
        while (code < 128 && first[code] === 0) code = s.charCodeAt(++pos);
        if (pos >= s.length) break;
        if (pos !== from) cur.gen++; // marks belong to a position

      }
      add(cur, 0, empty, pos);
    } else if (cur.n === 0) break;
    const c = pos < s.length ? s.codePointAt(pos)! : -1;
    const width = c > 0xffff ? 2 : 1;
    const variants = c >= 128 ? caseVariants(c) : null;
    for (let t = 0; t < cur.n; t++) {
      const pc = cur.pc[t]!;
      if (p.op[pc] === Op.Match) {
        matched = cur.caps[t]!;
        if (!wantGroups) return matched;
        break; // lower-priority threads lose to this match
      }
      const m = p.x[pc]!;
      if (c >= 0 && (variants ? p.matchers[m]!(variants) : p.ascii[m * 128 + c] === 1)) add(next, pc + 1, cur.caps[t]!, pos + width);
    }
    if (c < 0) break;
    pos += width;
    [cur, next] = [next, cur];
    next.n = 0;
    next.gen++;
  }
  return matched;
}
