/**
 * Route-level output checks: what an operator adds to the contract for one route (or all of them) in config, on top
 * of the built-in checks derived from the request. Pure: config in, `OutputCheck`s out; the engine runs them.
 *
 * The text checks look at the answer's text (`content`). An answer that is only tool calls has no text to judge, so
 * they pass it; the built-in tool checks judge those. A refusal is judged only by `refusal`: with the default "serve"
 * it passes every route check here (it is usually about the prompt, and another model would refuse it too).
 */
import * as z from "../zod";
import type { CanonicalResponse } from "../canonical";
import { compilePattern, type SafePattern } from "../degrade/pattern";
import type { CheckFailure, OutputCheck } from "./types";

/** A list of regexes, also accepted as one string; each must compile on RE2 (the issue names the pattern and why). */
const Patterns = z.pipe(
  z.transform((v: unknown) => (typeof v === "string" ? [v] : v)),
  z.array(z.string()).check(z.maxLength(20), z.superRefine((ps, ctx) => {
      ps.forEach((p, i) => {
        const c = compilePattern(p);
        if (!c.ok) ctx.addIssue({ code: "custom", path: [i], message: c.message });
      });
    })),
);

/** `/a/b/0`: RFC 6901, `~0` for `~` and `~1` for `/` inside a name. */
const Pointer = z.string().check(
  z.regex(/^(\/([^~/]|~[01])*)+$/, 'a JSON pointer starts with "/" (like "/label" or "/items/0/id"); escape ~ as ~0 and / as ~1'),
);

/** `routes.<name>.validate` and the top-level `validate`: extra checks an answer must pass to be served. */
export const ValidateConfig = z.strictObject({
  /** The answer's text has at least this many characters (code points). */
  minChars: z.optional(z.number().check(z.int(), z.nonnegative())),
  /** The answer's text has at most this many characters (code points). */
  maxChars: z.optional(z.number().check(z.int(), z.positive())),
  /** Regexes (RE2, case-insensitive) that must each match somewhere in the answer's text. */
  mustMatch: z.optional(Patterns),
  /** Regexes (RE2, case-insensitive) none of which may match the answer's text. */
  mustNotMatch: z.optional(Patterns),
  /** JSON pointers that must be present (and not null) in the answer's text parsed as JSON. */
  jsonRequired: z.optional(z.array(Pointer).check(z.maxLength(50))),
  /** A refusal (finish_reason content_filter): serve it as the answer, or fail the attempt and try the next target. */
  refusal: z._default(z.enum(["serve", "failover"]), "serve"),
  /** Streams with a contract: buffer until the answer is complete and checked, or pass through and end with an error event. */
  stream: z._default(z.enum(["buffer", "passthrough"]), "buffer"),
}).check(z.superRefine((v, ctx) => {
    if (v.minChars !== undefined && v.maxChars !== undefined && v.minChars > v.maxChars) {
      ctx.addIssue({ code: "custom", path: ["minChars"], message: `minChars (${v.minChars}) is above maxChars (${v.maxChars})` });
    }
  }));
export type ValidateConfig = z.infer<typeof ValidateConfig>;

/** The route's own `validate` replaces the top-level one as a whole, as `degrade` does; undefined means no route checks. */
export function effectiveValidate(route?: ValidateConfig, top?: ValidateConfig): ValidateConfig | undefined {
  return route ?? top;
}

/** Whether the model declined: finish_reason content_filter, or a non-empty `refusal` if the response carries one. */
export function isRefusal(res: CanonicalResponse): boolean {
  const refusal = (res as CanonicalResponse & { refusal?: unknown }).refusal;
  return res.finishReason === "content_filter" || (typeof refusal === "string" && refusal.trim() !== "");
}

/** Characters as a reader counts them: code points, so an emoji is one, not two UTF-16 units. */
function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `/a~1b/0` → ["a/b", "0"]. */
function tokens(pointer: string): string[] {
  return pointer.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The value at `pointer`, or undefined when any step is missing. Own properties only: "/__proto__" is never found. */
function at(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const t of tokens(pointer)) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(t)) return undefined;
      cur = cur[Number(t)];
    } else if (cur !== null && typeof cur === "object" && Object.hasOwn(cur, t)) {
      cur = (cur as Record<string, unknown>)[t];
    } else {
      return undefined;
    }
  }
  return cur;
}

function compiled(patterns: string[] | undefined): SafePattern[] {
  // Config validation compiled these already; one that slipped through (a hand-built config) is skipped, not thrown.
  return (patterns ?? []).flatMap((p) => {
    const c = compilePattern(p);
    return c.ok ? [c.re] : [];
  });
}

/**
 * A check of the answer's text; tool-call-only answers have none, and served refusals are not judged. `judgesPrefix`:
 * a prefix of the text that fails fails the whole answer too (see OutputCheck).
 */
function textCheck(refusal: ValidateConfig["refusal"], judge: (text: string) => CheckFailure | undefined, judgesPrefix = false): OutputCheck {
  const check: OutputCheck = (_req, res) => {
    if (refusal === "serve" && isRefusal(res)) return undefined;
    if ((res.content === null || res.content === "") && res.toolCalls.length > 0) return undefined;
    return judge(res.content ?? "");
  };
  if (judgesPrefix) check.judgesPrefix = true;
  return check;
}

/**
 * The route's checks, in the order a reader would ask (refused? long enough? too long? the right words? the fields?).
 * Only configured checks are returned: an empty config yields no checks.
 */
export function routeChecks(cfg: ValidateConfig): OutputCheck[] {
  const checks: OutputCheck[] = [];
  const { refusal } = cfg;
  if (refusal === "failover") {
    checks.push((_req, res) =>
      isRefusal(res)
        ? { check: "refusal", reason: "the model refused to answer (finish_reason content_filter); the route fails over on refusals" }
        : undefined,
    );
  }
  const { minChars, maxChars } = cfg;
  if (minChars !== undefined) {
    checks.push(
      textCheck(refusal, (text) => {
        const n = chars(text);
        return n < minChars ? { check: "minChars", reason: `answer is ${n} characters; the route requires at least ${minChars}` } : undefined;
      }),
    );
  }
  if (maxChars !== undefined) {
    checks.push(
      textCheck(refusal, (text) => {
        const n = chars(text);
        return n > maxChars ? { check: "maxChars", reason: `answer is ${n} characters; the route allows at most ${maxChars}` } : undefined;
      }, true),
    );
  }
  const must = compiled(cfg.mustMatch);
  if (must.length > 0) {
    checks.push(
      textCheck(refusal, (text) => {
        const miss = must.find((re) => !re.test(text));
        return miss ? { check: "mustMatch", reason: `answer does not match /${miss.source}/` } : undefined;
      }),
    );
  }
  const mustNot = compiled(cfg.mustNotMatch);
  if (mustNot.length > 0) {
    checks.push(
      textCheck(refusal, (text) => {
        const hit = mustNot.find((re) => re.test(text));
        return hit ? { check: "mustNotMatch", reason: `answer matches /${hit.source}/, which the route forbids` } : undefined;
      }, true),
    );
  }
  const pointers = cfg.jsonRequired ?? [];
  if (pointers.length > 0) {
    checks.push(
      textCheck(refusal, (text) => {
        let doc: unknown;
        try {
          doc = JSON.parse(text);
        } catch {
          return { check: "jsonRequired", reason: `answer is not JSON, so ${pointers.map((p) => `'${p}'`).join(", ")} cannot be present` };
        }
        const missing = pointers.filter((p) => at(doc, p) === undefined || at(doc, p) === null);
        return missing.length > 0
          ? { check: "jsonRequired", reason: `missing required ${missing.length === 1 ? "field" : "fields"} ${missing.map((p) => `'${p}'`).join(", ")}` }
          : undefined;
      }),
    );
  }
  return checks;
}

/** The first failure of `checks` on this answer, or undefined when every check passes. */
export function firstFailure(
  checks: OutputCheck[],
  req: Parameters<OutputCheck>[0],
  res: CanonicalResponse,
): CheckFailure | undefined {
  for (const check of checks) {
    const f = check(req, res);
    if (f) return f;
  }
  return undefined;
}
