import { describe, expect, it } from "vitest";
import type { CanonicalRequest, ResponseFormat } from "../../../src/canonical";
import { DegradeConfig } from "../../../src/degrade/ladder";
import {
  classifyByRules,
  compilePattern,
  conformsTo,
  labelsFromSchema,
  labelsFromValues,
  ruleAnswer,
  type RuleLabel,
} from "../../../src/degrade/rules";

const LABELS: RuleLabel[] = [
  { name: "billing", keywords: ["invoice", "refund", "credit card", "charged twice"] },
  { name: "technical", keywords: ["error", "crash", "log in", "cafe"] },
  { name: "shipping", keywords: [], patterns: ["\\btrack(ing)?\\b", "where is my (order|parcel)"] },
];

function req(text: string, responseFormat?: ResponseFormat, system?: string): CanonicalRequest {
  return {
    messages: [...(system ? [{ role: "system" as const, content: system }] : []), { role: "user", content: text }],
    responseFormat,
    stream: false,
    includeUsage: false,
  };
}
const schemaFormat = (schema: Record<string, unknown>): ResponseFormat => ({ type: "json_schema", name: "out", schema });

describe("classifyByRules", () => {
  it("matches keywords as canonical words, phrases included", () => {
    expect(classifyByRules("I was CHARGED twice this month!", LABELS)).toEqual({ label: "billing", matched: ["charged twice"] });
    expect(classifyByRules("The app crashes at the Café screen", LABELS)).toEqual({ label: "technical", matched: ["crash", "cafe"] });
  });

  it("matches whole words only, plural of the last word allowed", () => {
    expect(classifyByRules("my blog has terrors", LABELS)).toBeUndefined();
    expect(classifyByRules("two refunds please", LABELS)?.label).toBe("billing");
    expect(classifyByRules("cannot log into it", LABELS)).toBeUndefined(); // "log in" is two words, not "into"
  });

  it("a phrase outscores a single word", () => {
    expect(classifyByRules("an error on my credit card", LABELS)).toEqual({ label: "billing", matched: ["credit card"] });
  });

  it("breaks ties by label order", () => {
    expect(classifyByRules("refund this error", LABELS)?.label).toBe("billing");
    expect(classifyByRules("refund this error", [LABELS[1]!, LABELS[0]!])?.label).toBe("technical");
  });

  it("matches regex patterns, case-insensitively", () => {
    expect(classifyByRules("Where is my ORDER? No tracking yet", LABELS)).toEqual({
      label: "shipping",
      matched: ["/\\btrack(ing)?\\b/", "/where is my (order|parcel)/"],
    });
  });

  it("returns the fallback with nothing matched, or undefined without one", () => {
    expect(classifyByRules("hello there", LABELS)).toBeUndefined();
    expect(classifyByRules("hello there", LABELS, "other")).toEqual({ label: "other", matched: [] });
    expect(classifyByRules("", [], "other")).toEqual({ label: "other", matched: [] });
  });

  it("skips a bad pattern instead of failing", () => {
    expect(classifyByRules("(a", [{ name: "x", keywords: [], patterns: ["(a"] }])).toBeUndefined();
  });
});

describe("compilePattern", () => {
  it("compiles case-insensitive patterns and refuses ones that do not compile", () => {
    const ok = compilePattern("ord-(\\d+)");
    expect(ok.ok && ok.re.exec("ORD-42")?.[1]).toBe("42");
    expect(compilePattern("(a|b")).toMatchObject({ ok: false });
    // Nested repetition is harmless on a linear-time engine, so it is no longer refused (test/unit/degrade/pattern.test.ts).
    expect(compilePattern("(x*)*")).toMatchObject({ ok: true });
    expect(compilePattern("(ab)+")).toMatchObject({ ok: true });
  });
});

describe("labelsFromSchema", () => {
  it("finds the first enum-typed property", () => {
    const schema = {
      type: "object",
      properties: { reason: { type: "string" }, category: { type: "string", enum: ["billing", "tech", null] }, other: { enum: ["z"] } },
    };
    expect(labelsFromSchema(schema)).toEqual(["billing", "tech"]);
  });

  it("enum values match as phrases, snake_case and camelCase alike, each scoring once", () => {
    expect(classifyByRules("a billing issue", labelsFromValues(["loginProblem", "billingIssue"]))).toEqual({
      label: "billingIssue",
      matched: ["billing Issue"],
    });
    expect(labelsFromValues(["tech_support", "sales"])).toEqual([
      { name: "tech_support", keywords: ["tech_support"] },
      { name: "sales", keywords: ["sales"] },
    ]);
  });

  it("uses the schema's own enum, and is undefined with none", () => {
    expect(labelsFromSchema({ type: "string", enum: ["yes", "no"] })).toEqual(["yes", "no"]);
    expect(labelsFromSchema({ type: "object", properties: { a: { type: "string" } } })).toBeUndefined();
    expect(labelsFromSchema({})).toBeUndefined();
  });
});

describe("ruleAnswer", () => {
  const none = DegradeConfig.parse({});
  const withLabels = DegradeConfig.parse({ rules: { labels: LABELS, fallbackLabel: "other" } });
  const CATEGORY = { type: "object", properties: { category: { type: "string", enum: ["billing", "tech_support", "sales"] } }, required: ["category"], additionalProperties: false };

  it("answers classification from the schema's enum with no configured labels", () => {
    const a = ruleAnswer(req("I need tech support, the app froze", schemaFormat(CATEGORY)), "classification", none);
    expect(a).toEqual({
      content: '{"category":"tech_support"}',
      kind: "classification",
      detail: { label: "tech_support", matched: ["tech_support"], source: "schema", fallback: false },
      confidence: 1,
      evidence: 'keyword "tech_support" in the text',
    });
    expect(conformsTo(JSON.parse(a!.content), CATEGORY)).toBe(true);
  });

  it("answers a plain label without a schema, JSON for json_object", () => {
    expect(ruleAnswer(req("please refund me"), "classification", withLabels)?.content).toBe("billing");
    expect(ruleAnswer(req("please refund me", { type: "json_object" }), "classification", withLabels)?.content).toBe('{"label":"billing"}');
    expect(ruleAnswer(req("hello"), "classification", withLabels)?.detail).toMatchObject({ label: "other", fallback: true });
    // The confidence is the winner's share of the keyword evidence; the operator's fallback label has none.
    expect(ruleAnswer(req("hello"), "classification", withLabels)).toMatchObject({ confidence: 0, evidence: "no keyword matched, the route's default label" });
    expect(ruleAnswer(req("refund this error"), "classification", withLabels)?.confidence).toBe(0.5);
  });

  it("reads only the last user message, not a system prompt listing every label", () => {
    const a = ruleAnswer(req("a refund please", undefined, "Labels: billing, technical error, crash, tracking"), "classification", withLabels);
    expect(a?.content).toBe("billing");
  });

  it("uses configured labels the enum accepts, enum values for the rest, and never answers outside the enum", () => {
    // "billing" is configured and in the enum; "technical" and the fallback "other" are not, so they are dropped.
    const billing = ruleAnswer(req("refund it", schemaFormat(CATEGORY)), "classification", withLabels);
    expect(billing).toMatchObject({ content: '{"category":"billing"}', detail: { source: "config", matched: ["refund"] } });
    const sales = ruleAnswer(req("a sales question", schemaFormat(CATEGORY)), "classification", withLabels);
    expect(sales).toMatchObject({ content: '{"category":"sales"}', detail: { source: "schema" } });
    expect(ruleAnswer(req("the app shows an error", schemaFormat(CATEGORY)), "classification", withLabels)).toBeUndefined();
  });

  it("puts a configured label into a schema without an enum, or declines when there is nowhere to put it", () => {
    const labelled = { type: "object", properties: { label: { type: "string" } }, required: ["label"] };
    expect(ruleAnswer(req("refund", schemaFormat(labelled)), "classification", withLabels)?.content).toBe('{"label":"billing"}');
    const answer = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] };
    expect(ruleAnswer(req("refund", schemaFormat(answer)), "classification", withLabels)?.content).toBe('{"answer":"billing"}');
    const numeric = { type: "object", properties: { score: { type: "number" } }, required: ["score"] };
    expect(ruleAnswer(req("refund", schemaFormat(numeric)), "classification", withLabels)).toBeUndefined();
  });

  it("fills other required fields with null where allowed, declines where not", () => {
    const nullable = { ...CATEGORY, properties: { ...CATEGORY.properties, reason: { type: ["string", "null"] } }, required: ["category", "reason"] };
    expect(ruleAnswer(req("sales question", schemaFormat(nullable)), "classification", none)?.content).toBe('{"category":"sales","reason":null}');
    const strict = { ...CATEGORY, properties: { ...CATEGORY.properties, confidence: { type: "number" } }, required: ["category", "confidence"] };
    expect(ruleAnswer(req("sales question", schemaFormat(strict)), "classification", none)).toBeUndefined();
  });

  it("declines classification with no labels and no enum", () => {
    expect(ruleAnswer(req("refund"), "classification", none)).toBeUndefined();
  });

  it("answers extraction into the requested schema", () => {
    const schema = {
      type: "object",
      properties: { email: { type: "string", format: "email" }, order_id: { type: ["string", "null"] }, refund_amount: { type: "number" }, currency: { type: "string" } },
      required: ["email", "order_id"],
    };
    const a = ruleAnswer(req("I'm bo@shop.io, please refund $25.99"), "extraction", none);
    expect(a).toBeUndefined(); // extraction needs a JSON response format
    const b = ruleAnswer(req("I'm bo@shop.io, please refund $25.99", schemaFormat(schema)), "extraction", none)!;
    expect(JSON.parse(b.content)).toEqual({ email: "bo@shop.io", refund_amount: 25.99, currency: "USD", order_id: null });
    expect(b.detail).toEqual({ filled: ["email", "refund_amount", "currency"], missing: ["order_id"] });
    expect(b).toMatchObject({ confidence: 0.75, evidence: "3 of 4 fields found word for word in the text" });
    expect(conformsTo(JSON.parse(b.content), schema)).toBe(true);
  });

  it("extracts a default object for json_object", () => {
    const a = ruleAnswer(req("Mail a@b.io about #20931 by 2024-06-01, $40 and €5, see https://x.io or call +44 20 7946 0958", { type: "json_object" }), "extraction", none)!;
    expect(JSON.parse(a.content)).toEqual({
      emails: ["a@b.io"],
      urls: ["https://x.io"],
      phones: ["+44 20 7946 0958"],
      dates: ["2024-06-01"],
      amounts: [{ value: 40, currency: "USD" }, { value: 5, currency: "EUR" }],
      ids: ["20931"],
    });
  });

  it("declines extraction that finds nothing or cannot satisfy the schema", () => {
    const schema = { type: "object", properties: { email: { type: "string" }, name: { type: "string" } }, required: ["name"] };
    expect(ruleAnswer(req("nothing here", { type: "json_object" }), "extraction", none)).toBeUndefined();
    expect(ruleAnswer(req("nothing here", schemaFormat(schema)), "extraction", none)).toBeUndefined();
    expect(ruleAnswer(req("x@y.io", schemaFormat(schema)), "extraction", none)).toBeUndefined();
  });

  it("does not answer other task classes", () => {
    for (const c of ["chat", "code", "reasoning", "rewrite", "summarization"] as const) {
      expect(ruleAnswer(req("refund please", { type: "json_object" }), c, withLabels)).toBeUndefined();
    }
  });
});
