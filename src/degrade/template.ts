/**
 * Rung 3 of the degradation ladder: an operator-written reply (stored in KV as `template:<route>:<intent|class>`)
 * with `{{name}}` placeholders filled from the request: metadata, the caller's user, or a regex capture from the last
 * user message. Interpolation only: nothing in a template or a request is ever evaluated, and the output is plain
 * text, so nothing is escaped either.
 *
 * Pure, so tests pin the output: `now` is an argument (for `{{date}}`); no env, no I/O.
 */
import * as z from "../zod";
import type { CanonicalRequest } from "../canonical";
import { compilePattern } from "./pattern";
import { lastUserText } from "./rules";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Any `{{…}}`, valid name or not, so validation can point at a malformed one instead of printing it verbatim. */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
/** Regex variables look at no more than this much of the message, to bound CPU on long prompts. */
const MAX_REGEX_INPUT = 4000;

/** Placeholders every template may use without declaring them: `{{user}}` (the request's user) and `{{date}}` (UTC). */
export const BUILTIN_VARIABLES = ["user", "date"] as const;

export const TemplateVariable = z.strictObject({
  /** metadata: the request's `metadata[key]`; user: the request's `user`; regex: first capture group of `pattern`. */
  from: z.enum(["metadata", "user", "regex"], { error: 'from must be "metadata", "user" or "regex"' }),
  /** Metadata key; defaults to the variable's own name. */
  key: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  /** Case-insensitive regex run on the last user message; its first capture group (or the whole match) is the value. */
  pattern: z.optional(z.string()),
  /** Used when the request has no value; without one, a readable placeholder like "[ticket id]" is shown. */
  default: z.optional(z.string().check(z.maxLength(1000))),
}).check(z.superRefine((v, ctx) => {
    if (v.from === "regex" && v.pattern === undefined) {
      ctx.addIssue({ code: "custom", path: ["pattern"], message: 'a variable with from: "regex" needs a pattern' });
    }
    if (v.from !== "regex" && v.pattern !== undefined) {
      ctx.addIssue({ code: "custom", path: ["pattern"], message: 'pattern is only used with from: "regex"' });
    }
    if (v.from !== "metadata" && v.key !== undefined) {
      ctx.addIssue({ code: "custom", path: ["key"], message: 'key is only used with from: "metadata"' });
    }
    if (v.pattern !== undefined) {
      // Compiled at validation time so a bad pattern is refused by the admin API, not discovered during an outage.
      const c = compilePattern(v.pattern);
      if (!c.ok) ctx.addIssue({ code: "custom", path: ["pattern"], message: c.message });
    }
  }));
export type TemplateVariable = z.infer<typeof TemplateVariable>;

/** A stored degraded reply. Every `{{name}}` in `text` must be declared in `variables` or be a built-in. */
export const Template = z.strictObject({
  text: z.string().check(z.minLength(1), z.maxLength(20_000)),
  /** For operators: when this template is used. */
  description: z.optional(z.string().check(z.maxLength(500))),
  variables: z.optional(z.record(z.string(), TemplateVariable)),
}).check(z.superRefine((t, ctx) => {
    // Checked here rather than as a record key schema, whose failure zod reports only as "Invalid key in record".
    for (const name of Object.keys(t.variables ?? {})) {
      if (!NAME.test(name)) {
        ctx.addIssue({ code: "custom", path: ["variables", name], message: `variable "${name}": names use letters, digits and _, and do not start with a digit` });
      }
    }
    const reported = new Set<string>();
    for (const [whole, name] of t.text.matchAll(PLACEHOLDER)) {
      if (reported.has(whole)) continue;
      reported.add(whole);
      if (!NAME.test(name!)) {
        ctx.addIssue({ code: "custom", path: ["text"], message: `${whole} is not a valid placeholder; names use letters, digits and _` });
      } else if (!own(t.variables, name!) && !(BUILTIN_VARIABLES as readonly string[]).includes(name!)) {
        ctx.addIssue({
          code: "custom",
          path: ["text"],
          message: `{{${name}}} is not declared; add it to variables or use a built-in ({{user}}, {{date}})`,
        });
      }
    }
  }));
export type Template = z.infer<typeof Template>;

/**
 * Validates admin API input, returning messages as `path: message` lines a person can act on, e.g.
 * `text: {{ticket}} is not declared; …` or `variables.ticket.pattern: pattern does not compile: …`.
 */
export function validateTemplate(input: unknown): { ok: true; template: Template } | { ok: false; errors: string[] } {
  const r = Template.safeParse(input);
  if (r.success) return { ok: true, template: r.data };
  return { ok: false, errors: r.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)) };
}

/** "ticket_id" / "ticketId" → "[ticket id]": a gap the reader understands, rather than raw template syntax. */
function readable(name: string): string {
  return `[${name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/_+/g, " ").trim().toLowerCase()}]`;
}

/** Own keys only: `{{constructor}}` or metadata key "__proto__" must not reach Object.prototype. */
function own<T>(rec: Record<string, T> | undefined, key: string): T | undefined {
  return rec && Object.hasOwn(rec, key) ? rec[key] : undefined;
}

function resolve(name: string, v: TemplateVariable | undefined, req: CanonicalRequest, now: number): string | undefined {
  if (!v) return name === "user" ? req.user : name === "date" ? new Date(now).toISOString().slice(0, 10) : undefined;
  if (v.from === "metadata") return own(req.metadata, v.key ?? name);
  if (v.from === "user") return req.user;
  const c = compilePattern(v.pattern ?? "");
  if (!c.ok) return undefined;
  const m = c.re.exec(lastUserText(req).slice(-MAX_REGEX_INPUT));
  return m ? (m[1] ?? m[0]) : undefined;
}

/**
 * Fills `{{name}}` placeholders from the request. Declared variables shadow built-ins. A value that is absent or
 * blank uses the variable's `default`, else a readable placeholder like "[ticket id]", and its name is listed in
 * `missing` so the caller can log or label the gap.
 */
export function renderTemplate(t: Template, req: CanonicalRequest, now: number): { text: string; missing: string[] } {
  const missing: string[] = [];
  const text = t.text.replace(PLACEHOLDER, (whole, name: string) => {
    if (!NAME.test(name)) return whole;
    const v = own(t.variables, name);
    const value = resolve(name, v, req, now)?.trim();
    if (value) return value;
    if (v?.default !== undefined) return v.default;
    if (!missing.includes(name)) missing.push(name);
    return readable(name);
  });
  return { text, missing };
}
