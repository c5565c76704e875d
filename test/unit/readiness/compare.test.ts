import { describe, expect, it } from "vitest";
import type { CanonicalRequest, CanonicalResponse } from "../../../src/canonical";
import { compare, labelOf } from "../../../src/readiness/compare";

const req = (extra: Partial<CanonicalRequest> = {}): CanonicalRequest => ({
  messages: [{ role: "user", content: "hello" }],
  stream: false,
  includeUsage: false,
  ...extra,
});
const text = (content: string, finishReason: CanonicalResponse["finishReason"] = "stop"): CanonicalResponse => ({ model: "m", content, toolCalls: [], finishReason });
const calls = (...cs: [string, unknown][]): CanonicalResponse => ({
  model: "m",
  content: null,
  toolCalls: cs.map(([name, args], i) => ({ id: `c${i}`, name, arguments: typeof args === "string" ? args : JSON.stringify(args) })),
  finishReason: "tool_calls",
});

const ticketSchema = {
  type: "object",
  properties: {
    label: { type: "string", enum: ["billing", "technical", "account"] },
    urgent: { type: "boolean" },
    summary: { type: "string" },
  },
  required: ["label", "urgent", "summary"],
};
const jsonReq = req({ responseFormat: { type: "json_schema", name: "ticket", schema: ticketSchema } });
const j = (v: unknown) => text(JSON.stringify(v));

describe("compare: JSON / schema answers", () => {
  const primary = j({ label: "billing", urgent: true, summary: "customer was charged twice for the March invoice" });
  it("equal: the same object is equivalent with score 1", () => {
    const c = compare(jsonReq, primary, j({ label: "billing", urgent: true, summary: "customer was charged twice for the March invoice" }));
    expect(c).toMatchObject({ equivalent: true, score: 1, class: "json", valid: true });
  });
  it("near: a reworded free string still passes; the enum and boolean are equal", () => {
    const c = compare(jsonReq, primary, j({ label: "billing", urgent: true, summary: "the customer was charged twice on the March invoice" }));
    expect(c.equivalent).toBe(true);
    expect(c.score).toBeGreaterThan(0.8);
    expect(c.score).toBeLessThan(1);
  });
  it("different: another enum value fails whatever the strings say", () => {
    const c = compare(jsonReq, primary, j({ label: "technical", urgent: true, summary: "customer was charged twice for the March invoice" }));
    expect(c.equivalent).toBe(false);
    expect(c.checks.find((x) => x.name === "exact_fields")).toMatchObject({ pass: false, detail: "differ: /label" });
  });
  it("different: a missing key fails (and breaks the caller's schema: not valid)", () => {
    const c = compare(jsonReq, primary, j({ label: "billing", urgent: true }));
    expect(c.equivalent).toBe(false);
    expect(c.valid).toBe(false);
    expect(c.checks.find((x) => x.name === "validation")?.detail).toMatch(/summary/);
  });
  it("refusal mismatch: a candidate that refuses is never equivalent", () => {
    const c = compare(jsonReq, primary, text("I'm sorry, but I can't help with that request.", "content_filter"));
    expect(c).toMatchObject({ equivalent: false, score: 0 });
    expect(c.checks.find((x) => x.name === "refusal")).toMatchObject({ pass: false, hard: true });
  });
});

describe("compare: tool calls", () => {
  const tools = [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city"] } }];
  const toolReq = req({ tools });
  it("equal: the same function with the same arguments in another key order and spacing", () => {
    const c = compare(toolReq, calls(["get_weather", { city: "Paris", days: 3 }]), calls(["get_weather", '{ "days": 3,  "city": "paris" }']));
    expect(c).toMatchObject({ equivalent: true, score: 1, class: "tools" });
  });
  it("near: one argument differs — below the default bar of exact arguments", () => {
    const c = compare(toolReq, calls(["get_weather", { city: "Paris", days: 3 }]), calls(["get_weather", { city: "Paris", days: 5 }]));
    expect(c.equivalent).toBe(false);
    expect(c.score).toBe(0.5);
    const lenient = compare(toolReq, calls(["get_weather", { city: "Paris", days: 3 }]), calls(["get_weather", { city: "Paris", days: 5 }]), {
      thresholds: { json: 0.7, tools: 0.5, classification: 1, extraction: 0.8, text: 0.3, textLengthRatio: 0.4 },
    });
    expect(lenient.equivalent).toBe(true);
  });
  it("different: text instead of a call, or another function, is not equivalent", () => {
    expect(compare(toolReq, calls(["get_weather", { city: "Paris" }]), text("It is sunny in Paris.")).equivalent).toBe(false);
    const other = compare(req({ tools: [...tools, { name: "get_time", parameters: { type: "object" } }] }), calls(["get_weather", { city: "Paris" }]), calls(["get_time", {}]));
    expect(other.equivalent).toBe(false);
    expect(other.checks.find((x) => x.name === "functions")?.detail).toBe("get_weather vs get_time");
  });
  it("a call breaking the tool's parameters is invalid, not equivalent", () => {
    const c = compare(toolReq, calls(["get_weather", { city: "Paris" }]), calls(["get_weather", { days: 2 }]));
    expect(c).toMatchObject({ equivalent: false, valid: false });
  });
  it("refusal mismatch: refusing instead of calling the tool", () => {
    const c = compare(toolReq, calls(["get_weather", { city: "Paris" }]), text("I cannot help with that."));
    expect(c.checks.find((x) => x.name === "refusal")?.pass).toBe(false);
    expect(c.equivalent).toBe(false);
  });
});

describe("compare: classification", () => {
  const opts = { taskClass: "classification" as const };
  it("equal: the same label in text, ignoring case and punctuation", () => {
    expect(compare(req(), text("Billing."), text("billing"), opts)).toMatchObject({ equivalent: true, score: 1, class: "classification" });
  });
  it("near: the same label in JSON with a different confidence is still the same label", () => {
    const schema = { type: "object", properties: { confidence: { type: "number" }, category: { type: "string", enum: ["spam", "ham"] } } };
    const r = req({ responseFormat: { type: "json_schema", name: "c", schema } });
    expect(compare(r, j({ confidence: 0.9, category: "spam" }), j({ confidence: 0.6, category: "spam" }), opts).equivalent).toBe(true);
    expect(labelOf(r, j({ confidence: 0.9, category: "spam" }))).toBe("spam");
  });
  it("different: another label scores 0", () => {
    const c = compare(req(), text("billing"), text("technical"), opts);
    expect(c).toMatchObject({ equivalent: false, score: 0 });
    expect(c.checks[1]).toMatchObject({ name: "label", detail: "billing vs technical" });
  });
  it("refusal mismatch", () => {
    expect(compare(req(), text("billing"), text("Sorry, but I can't classify this message."), opts).equivalent).toBe(false);
  });
});

describe("compare: extraction", () => {
  const opts = { taskClass: "extraction" as const };
  const r = req({ responseFormat: { type: "json_object" } });
  const primary = j({ name: "Ada Lovelace", email: "ada@example.com", city: "London", year: 1843 });
  it("equal: same fields, values normalised", () => {
    expect(compare(r, primary, j({ city: "london", name: "ada lovelace", email: "ada@example.com", year: 1843 }), opts)).toMatchObject({ equivalent: true, score: 1, class: "extraction" });
  });
  it("near: one field of four missing → recall 0.75, F1 ≈ 0.86, above the 0.8 bar", () => {
    const c = compare(r, primary, j({ name: "Ada Lovelace", email: "ada@example.com", year: 1843 }), opts);
    expect(c.equivalent).toBe(true);
    expect(c.checks.find((x) => x.name === "recall")?.score).toBe(0.75);
    expect(c.score).toBeCloseTo(0.857, 2);
  });
  it("different: wrong values fail precision and recall", () => {
    const c = compare(r, primary, j({ name: "Charles Babbage", email: "cb@example.com", city: "London", year: 1837 }), opts);
    expect(c.equivalent).toBe(false);
    expect(c.score).toBe(0.25);
  });
  it("refusal mismatch", () => {
    expect(compare(r, primary, text("I am unable to provide personal data.", "content_filter"), opts).equivalent).toBe(false);
  });
});

describe("compare: free text", () => {
  const primary = text("Paris is the capital of France and its largest city, on the river Seine.");
  it("equal", () => {
    expect(compare(req(), primary, text("Paris is the capital of France and its largest city, on the river Seine."))).toMatchObject({ equivalent: true, score: 1, class: "text" });
  });
  it("near: a paraphrase sharing most words passes", () => {
    const c = compare(req(), primary, text("The capital of France is Paris, its largest city, on the Seine river."));
    expect(c.equivalent).toBe(true);
    expect(c.score).toBeLessThan(1);
  });
  it("different: an unrelated answer fails on overlap; a one-word answer fails on length", () => {
    expect(compare(req(), primary, text("Bananas are a good source of potassium and fibre for athletes.")).equivalent).toBe(false);
    const short = compare(req(), primary, text("Paris."));
    expect(short.equivalent).toBe(false);
    expect(short.checks.find((x) => x.name === "length_ratio")?.pass).toBe(false);
  });
  it("refusal mismatch is a hard failure either way round; two refusals agree", () => {
    const refusal = text("I'm sorry, but I cannot help with that.");
    expect(compare(req(), primary, refusal)).toMatchObject({ equivalent: false, score: 0 });
    expect(compare(req(), refusal, primary)).toMatchObject({ equivalent: false, score: 0 });
    expect(compare(req(), refusal, text("", "content_filter"))).toMatchObject({ equivalent: true, score: 1 });
  });
  it("quoting a refusal phrase later in the answer is not a refusal", () => {
    const a = text("The phrase you asked about is a polite way to decline: I cannot help with that is common in support scripts.");
    expect(compare(req(), a, a).equivalent).toBe(true);
  });
});
