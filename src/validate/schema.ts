/**
 * JSON Schema validation of a caller's schema, with `@cfworker/json-schema` (an interpreter: no `eval`/`new Function`,
 * so it runs on Workers). A schema is prepared once per request and applied to every target's answer.
 */
import { Validator, type OutputUnit } from "@cfworker/json-schema";

/** A prepared schema: the first reason a value breaks it, or undefined when it holds. */
export type SchemaCheck = (value: unknown) => string | undefined;

/**
 * Prepare `schema`. `closed` false drops `additionalProperties: false` everywhere first: a non-strict `json_schema`
 * asks for the listed fields, and an extra one a model adds is no reason to fail over.
 */
export function compileSchema(schema: Record<string, unknown>, closed: boolean): SchemaCheck {
  let validator: Validator;
  try {
    validator = new Validator((closed ? schema : openObjects(schema)) as object, "2020-12", false);
  } catch {
    // A schema the validator cannot read is the caller's to fix, not a provider's fault: nothing to check against.
    return () => undefined;
  }
  return (value) => {
    let errors: OutputUnit[];
    try {
      const out = validator.validate(value);
      if (out.valid) return undefined;
      errors = out.errors;
    } catch {
      return undefined; // e.g. a $ref the validator cannot resolve: the schema, not the answer, is at fault
    }
    return describe(errors);
  };
}

/** The first error that names a rule broken (wrappers such as "properties" only point at one) in plain words. */
function describe(errors: OutputUnit[]): string {
  const wrappers = new Set(["properties", "items", "prefixItems", "allOf", "anyOf", "oneOf", "$ref", "additionalProperties", "false"]);
  const leaf = (u: OutputUnit) => (wrappers.has(u.keyword) ? 0 : 1);
  const best = errors.find((u) => leaf(u) === 1) ?? errors[0];
  if (!best) return "does not match the schema";
  const at = best.instanceLocation.replace(/^#/, "");
  if (best.keyword === "required") {
    const name = /"([^"]*)"/.exec(best.error)?.[1];
    if (name !== undefined) return `missing required property '${name}'${at ? ` at ${at}` : ""}`;
  }
  if (best.keyword === "additionalProperties" || best.keyword === "false") {
    const name = /"([^"]*)"/.exec(best.error)?.[1];
    const where = best.keyword === "false" ? at.slice(0, at.lastIndexOf("/")) : at;
    const prop = name ?? at.slice(at.lastIndexOf("/") + 1);
    return `property '${prop}' is not allowed${where ? ` at ${where}` : ""} (additionalProperties: false)`;
  }
  return `${at || "/"}: ${best.error}`;
}

/** A copy of `schema` without `additionalProperties: false` (depth is bounded by the request's JSON depth limit). */
function openObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openObjects);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "additionalProperties" && v === false) continue;
    out[k] = openObjects(v);
  }
  return out;
}
