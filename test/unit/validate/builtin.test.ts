import { describe, expect, it } from "vitest";
import type { CanonicalRequest, CanonicalResponse } from "../../../src/canonical";
import { checksFor, validate } from "../../../src/validate/builtin";

const base: CanonicalRequest = { messages: [{ role: "user", content: "hi" }], stream: false, includeUsage: false };
const answer = (content: string | null, extra: Partial<CanonicalResponse> = {}): CanonicalResponse => ({
  model: "m",
  content,
  toolCalls: [],
  finishReason: "stop",
  ...extra,
});
const run = (req: CanonicalRequest, res: CanonicalResponse) => validate(req, res, checksFor(req));

const labelSchema = {
  type: "object",
  properties: {
    label: { type: "string", enum: ["spam", "ham"] },
    score: { type: "number" },
    tags: { type: "array", items: { type: "string" } },
    meta: { type: "object", properties: { lang: { type: "string" } }, required: ["lang"] },
  },
  required: ["label"],
  additionalProperties: false,
};
const schemaReq = (strict: boolean): CanonicalRequest => ({
  ...base,
  responseFormat: { type: "json_schema", name: "label", schema: labelSchema, strict },
});

describe("json_schema", () => {
  it("passes a valid object", () => {
    expect(run(schemaReq(true), answer('{"label":"spam","tags":["a"],"meta":{"lang":"en"}}'))).toBeUndefined();
  });
  it("names a missing required property", () => {
    expect(run(schemaReq(true), answer('{"score":1}'))).toEqual({ check: "json_schema", reason: "missing required property 'label'" });
  });
  it("names a nested missing property with its location", () => {
    expect(run(schemaReq(true), answer('{"label":"ham","meta":{}}'))?.reason).toBe("missing required property 'lang' at /meta");
  });
  it("rejects a wrong type, an enum miss and a bad array item", () => {
    expect(run(schemaReq(true), answer('{"label":"spam","score":"high"}'))?.reason).toMatch(/^\/score: .*number/);
    expect(run(schemaReq(true), answer('{"label":"eggs"}'))?.reason).toMatch(/^\/label: /);
    expect(run(schemaReq(true), answer('{"label":"ham","tags":[1]}'))?.reason).toMatch(/^\/tags\/0: /);
  });
  it("rejects prose and an empty answer", () => {
    expect(run(schemaReq(true), answer("Sure! Here is the label: spam"))?.reason).toMatch(/not JSON \(starts with "Sure!/);
    expect(run(schemaReq(true), answer("   "))?.check).toBe("json_schema");
  });
  it("honours additionalProperties:false only when strict", () => {
    const extra = answer('{"label":"spam","why":"because"}');
    expect(run(schemaReq(true), extra)?.reason).toBe("property 'why' is not allowed (additionalProperties: false)");
    expect(run(schemaReq(false), extra)).toBeUndefined();
  });
  it("does not judge an answer the caller's max_tokens cut, a refusal, or a tool call", () => {
    expect(run(schemaReq(true), answer('{"lab', { finishReason: "length" }))).toBeUndefined();
    expect(run(schemaReq(true), answer("I can't help", { finishReason: "content_filter" }))).toBeUndefined();
  });
  it("skips a schema the validator cannot read instead of blaming the provider", () => {
    const req: CanonicalRequest = { ...base, responseFormat: { type: "json_schema", name: "x", schema: { $ref: "#/nowhere" } } };
    expect(run(req, answer("{}"))).toBeUndefined();
  });
});

describe("json_object", () => {
  const req: CanonicalRequest = { ...base, responseFormat: { type: "json_object" } };
  it("passes an object, rejects prose, arrays and scalars", () => {
    expect(run(req, answer('{"a":1}'))).toBeUndefined();
    expect(run(req, answer("The answer is 42."))).toMatchObject({ check: "json_object" });
    expect(run(req, answer("[1,2]"))?.reason).toBe("the answer is JSON but not an object");
    expect(run(req, answer("42"))?.reason).toBe("the answer is JSON but not an object");
  });
  it("a text response_format has no check", () => {
    expect(checksFor({ ...base, responseFormat: { type: "text" } })).toHaveLength(0);
    expect(checksFor(base)).toHaveLength(0);
  });
});

describe("tool calls", () => {
  const tools: CanonicalRequest["tools"] = [
    {
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city"] },
    },
    { name: "ping", parameters: { type: "object", properties: {} } },
  ];
  const req: CanonicalRequest = { ...base, tools };
  const call = (name: string, args: string) => answer(null, { finishReason: "tool_calls", toolCalls: [{ id: "c1", name, arguments: args }] });
  it("passes matching arguments and empty arguments for a tool without required ones", () => {
    expect(run(req, call("get_weather", '{"city":"Paris","days":3}'))).toBeUndefined();
    expect(run(req, call("ping", ""))).toBeUndefined();
    expect(run(req, answer("no tool needed"))).toBeUndefined();
  });
  it("rejects an unknown tool, unparseable and mismatching arguments", () => {
    expect(run(req, call("launch", "{}"))).toEqual({ check: "tool_call", reason: "tool call 'launch' is not one of the caller's tools" });
    expect(run(req, call("get_weather", "{city:"))?.reason).toMatch(/^arguments of 'get_weather': they are not JSON/);
    expect(run(req, call("get_weather", '{"days":"three"}'))?.reason).toBe("arguments of 'get_weather': missing required property 'city'");
    expect(run(req, call("get_weather", '{"city":"Paris","days":"3"}'))?.reason).toMatch(/^arguments of 'get_weather': \/days: /);
  });
  it("tool_choice required or named: a (named) call must be present", () => {
    const required: CanonicalRequest = { ...req, toolChoice: "required" };
    expect(run(required, answer("I'd rather chat"))).toEqual({ check: "tool_choice", reason: "tool_choice is 'required' but the answer calls no tool" });
    expect(run(required, call("ping", "{}"))).toBeUndefined();
    const named: CanonicalRequest = { ...req, toolChoice: { name: "get_weather" } };
    expect(run(named, call("ping", "{}"))?.reason).toBe("tool_choice names 'get_weather' but the answer does not call it");
    expect(run(named, call("get_weather", '{"city":"Oslo"}'))).toBeUndefined();
    expect(run({ ...req, toolChoice: "auto" }, answer("fine"))).toBeUndefined();
  });
});
