/**
 * Is a caller's JSON Schema (a `json_schema` response format, a tool's parameters) a JSON Schema at all? Checked when
 * the request is parsed, before any vendor sees it: a schema the validator cannot make sense of (`"type": "banana"`,
 * `"required": "a"`, an empty `anyOf`) would fail every target's answer in turn, answer the caller a 502 that blames
 * the providers, and charge each provider an `invalid_output`.
 *
 * Deliberately narrow: only keyword values the JSON Schema specification forbids in every draft a vendor takes
 * (04, 07, 2020-12) are refused; unknown keywords, `format`, `pattern` syntax and `$ref` targets are left alone.
 */
import { badRequest } from "../api/errors";

const TYPES = new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);
/** Keywords whose value is one schema. */
const ONE = ["additionalProperties", "additionalItems", "not", "contains", "propertyNames", "if", "then", "else", "unevaluatedProperties", "unevaluatedItems"];
/** Keywords whose value is an object of schemas. */
const MAP = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
/** Keywords whose value is a non-empty list of schemas. */
const LIST = ["anyOf", "oneOf", "allOf", "prefixItems"];
const NUMBERS = ["minimum", "maximum", "multipleOf"];
const COUNTS = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains"];

/** Throw a 400 naming `param` and where inside the schema it breaks, or return when the schema's shape is sound. */
export function refuseMalformedSchema(schema: unknown, param: string): void {
  const problem = shapeProblem(schema, "");
  if (problem) throw badRequest(`Invalid value for '${param}': not a valid JSON Schema at ${problem.at || "/"}: ${problem.why}.`, param, "invalid_schema");
}

function shapeProblem(node: unknown, at: string): { at: string; why: string } | undefined {
  if (typeof node === "boolean") return undefined;
  if (node === null || typeof node !== "object" || Array.isArray(node)) return { at, why: "a schema is an object (or true / false)" };
  const s = node as Record<string, unknown>;
  const bad = (key: string, why: string) => ({ at: `${at}/${key}`, why });
  if ("type" in s) {
    const t = s.type;
    const ok = typeof t === "string" ? TYPES.has(t) : Array.isArray(t) && t.length > 0 && t.every((x) => typeof x === "string" && TYPES.has(x));
    if (!ok) return bad("type", `'type' is one of ${[...TYPES].join(", ")} or a list of them, not ${JSON.stringify(t)?.slice(0, 60)}`);
  }
  if ("required" in s && typeof s.required !== "boolean") {
    // `required: true` inside a property is draft 3, which some clients still send; a list of names otherwise.
    if (!Array.isArray(s.required) || !s.required.every((x) => typeof x === "string")) return bad("required", "'required' is a list of property names");
  }
  if ("enum" in s && !Array.isArray(s.enum)) return bad("enum", "'enum' is a list of values");
  for (const k of NUMBERS) if (k in s && typeof s[k] !== "number") return bad(k, `'${k}' is a number`);
  for (const k of ["exclusiveMinimum", "exclusiveMaximum"]) if (k in s && typeof s[k] !== "number" && typeof s[k] !== "boolean") return bad(k, `'${k}' is a number`);
  for (const k of COUNTS) if (k in s && !(Number.isInteger(s[k]) && (s[k] as number) >= 0)) return bad(k, `'${k}' is a whole number, 0 or more`);
  for (const k of ONE) if (k in s) {
    const p = shapeProblem(s[k], `${at}/${k}`);
    if (p) return p;
  }
  if ("items" in s) {
    // A list of schemas is the tuple form of drafts before 2020-12.
    const items = Array.isArray(s.items) ? s.items : [s.items];
    for (let i = 0; i < items.length; i++) {
      const p = shapeProblem(items[i], Array.isArray(s.items) ? `${at}/items/${i}` : `${at}/items`);
      if (p) return p;
    }
  }
  for (const k of MAP) if (k in s) {
    const m = s[k];
    if (m === null || typeof m !== "object" || Array.isArray(m)) return bad(k, `'${k}' is an object of schemas`);
    for (const [name, sub] of Object.entries(m)) {
      const p = shapeProblem(sub, `${at}/${k}/${name}`);
      if (p) return p;
    }
  }
  for (const k of LIST) if (k in s) {
    const l = s[k];
    if (!Array.isArray(l) || l.length === 0) return bad(k, `'${k}' is a non-empty list of schemas`);
    for (let i = 0; i < l.length; i++) {
      const p = shapeProblem(l[i], `${at}/${k}/${i}`);
      if (p) return p;
    }
  }
  return undefined;
}
