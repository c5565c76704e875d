/**
 * Rewrites schemas written with zod's classic method API (`z.string().min(1).optional()`) into the tree-shakable
 * zod/mini function API (`z.optional(z.string().check(z.minLength(1)))`), importing zod from src/zod.ts. The worker
 * must not import classic zod at all: one import pulls every method of every schema into the bundle (~50 KiB raw).
 *
 *   node scripts/zod-mini-codemod.mjs src/some/file.ts …   (rewrites in place; prints what it could not convert)
 *
 * It uses the type checker to tell a string's `.min` (minLength) from a number's (gte) and an array's (minLength).
 * Types (`z.ZodType`, `z.ZodError`) are left for a human: tsc names them.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import ts from "typescript";

const files = process.argv.slice(2).map((f) => resolve(f));
const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const config = ts.getParsedCommandLineOfConfigFile(resolve(root, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
const program = ts.createProgram({ rootNames: [...new Set([...config.fileNames, ...files])], options: config.options });
const checker = program.getTypeChecker();

const WRAP = { optional: "optional", nullable: "nullable", nullish: "nullish", array: "array" };
const WRAP_ARG = { default: "_default", catch: "catch", prefault: "prefault", extend: "extend" };
const STRING_CHECKS = { min: "minLength", max: "maxLength", length: "length", regex: "regex", startsWith: "startsWith", endsWith: "endsWith", trim: "trim", toLowerCase: "toLowerCase", toUpperCase: "toUpperCase", includes: "includes" };
const NUMBER_CHECKS = { min: "gte", max: "lte", gt: "gt", gte: "gte", lt: "lt", lte: "lte", int: "int", positive: "positive", nonnegative: "nonnegative", negative: "negative", nonpositive: "nonpositive", multipleOf: "multipleOf" };
const ARRAY_CHECKS = { min: "minLength", max: "maxLength", length: "length" };
const KEEP = new Set(["parse", "safeParse", "check", "parseAsync", "safeParseAsync"]);

const hasZod = (e) => !!checker.getTypeAtLocation(e).getProperty("_zod");
const isCall = (e) => ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression);
/** A schema, or a classic method chain on one: in a half-converted file `.int()` on a mini schema has no type. */
const untyped = (e) => (checker.getTypeAtLocation(e).flags & ts.TypeFlags.Any) !== 0;
const isZod = (e) => hasZod(e) || (isCall(e) && untyped(e) && !KEEP.has(e.expression.name.text) && isZod(e.expression.expression));
const kindOf = (e) =>
  hasZod(e) || !isCall(e) ? checker.typeToString(checker.getTypeAtLocation(e)).replace(/<.*/s, "") : kindOf(e.expression.expression);

for (const file of files) {
  const sf = program.getSourceFile(file);
  const todo = [];
  const text = (n) => n.getText(sf);
  /** Emits node `n` rewritten; zod chains come back as { base, checks } so consecutive checks share one .check(). */
  const chain = (n) => {
    if (ts.isParenthesizedExpression(n)) return { base: `(${emit(n.expression)})`, checks: [] };
    if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression) || !isZod(n.expression.expression)) {
      return { base: emit(n), checks: [] };
    }
    const recv = n.expression.expression;
    const name = n.expression.name.text;
    const args = n.arguments.map(emit);
    if (KEEP.has(name)) return { base: emit(n), checks: [] };
    const kind = kindOf(recv);
    const table = /String/.test(kind) ? STRING_CHECKS : /Number|Int/.test(kind) ? NUMBER_CHECKS : /Array/.test(kind) ? ARRAY_CHECKS : {};
    if (name in table) {
      const r = chain(recv);
      r.checks.push(`z.${table[name]}(${args.join(", ")})`);
      return r;
    }
    if (name === "nonempty") {
      const r = chain(recv);
      r.checks.push(`z.minLength(1${args.length ? `, ${args[0]}` : ""})`);
      return r;
    }
    if (name === "refine" || name === "superRefine") {
      const r = chain(recv);
      r.checks.push(`z.${name}(${args.join(", ")})`);
      return r;
    }
    const inner = done(chain(recv));
    if (name in WRAP) return { base: `z.${WRAP[name]}(${inner})`, checks: [] };
    if (name in WRAP_ARG) return { base: `z.${WRAP_ARG[name]}(${inner}, ${args.join(", ")})`, checks: [] };
    if (name === "transform") return { base: `z.pipe(${inner}, z.transform(${args.join(", ")}))`, checks: [] };
    if (name === "url" && /^z\s*\.string\(\)$/.test(inner)) return { base: `z.url(${args.join(", ")})`, checks: [] };
    if ((name === "strict" || name === "passthrough") && ts.isCallExpression(recv) && /^z\s*\.\s*object$/.test(text(recv.expression))) {
      const fn = name === "strict" ? "strictObject" : "looseObject";
      return { base: `z.${fn}(${recv.arguments.map(emit).join(", ")})`, checks: [] };
    }
    todo.push(`${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}: .${name}() on ${kind}`);
    return { base: `${inner}.${name}(${args.join(", ")})`, checks: [] };
  };
  const done = (r) => (r.checks.length ? `${r.base}.check(${r.checks.join(", ")})` : r.base);
  /** Original text of `n` with every zod chain inside it rewritten. */
  const emit = (n) => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && isZod(n.expression.expression) && !KEEP.has(n.expression.name.text)) {
      return done(chain(n));
    }
    const start = n.getStart(sf);
    let out = "";
    let at = start;
    n.forEachChild((c) => {
      const cs = c.getStart(sf);
      out += sf.text.slice(at, cs) + emit(c);
      at = c.getEnd();
    });
    return out + sf.text.slice(at, n.getEnd());
  };
  let out = sf.text.slice(0, sf.getStart(sf));
  let at = sf.getStart(sf);
  for (const st of sf.statements) {
    out += sf.text.slice(at, st.getStart(sf)) + emit(st);
    at = st.getEnd();
  }
  out += sf.text.slice(at);
  let rel = relative(dirname(file), resolve(root, "src/zod")).replace(/\\/g, "/");
  if (!rel.startsWith(".")) rel = `./${rel}`;
  out = out
    .replace(/import \* as z from "zod";/, `import * as z from "${rel}";`)
    .replace(/import type \{ z \} from "zod";/, `import type * as z from "${rel}";`);
  writeFileSync(file, out);
  for (const t of todo) console.log(`${relative(root, file)}:${t}`);
}
