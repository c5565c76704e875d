import { describe, expect, it } from "vitest";
import { tooDeepAt } from "../../../src/api/json-depth";
import { ApiError } from "../../../src/api/errors";
import { parseChatCompletion } from "../../../src/api/openai-request";

/** `{"a":{"a":…{}}}` with `levels` objects. */
function nested(levels: number): unknown {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

describe("tooDeepAt", () => {
  it("counts containers: scalars 0, {} 1, nested objects and arrays add one each", () => {
    expect(tooDeepAt(1, 0)).toBeNull();
    expect(tooDeepAt({}, 0)).toEqual([]);
    expect(tooDeepAt({}, 1)).toBeNull();
    expect(tooDeepAt({ a: [1, { b: 2 }] }, 3)).toBeNull();
    expect(tooDeepAt({ a: [1, { b: {} }] }, 3)).toEqual(["a", 1, "b"]);
  });

  it("measures 100,000 levels without overflowing the stack", () => {
    expect(tooDeepAt(nested(100_000), 64)).toHaveLength(64);
  });
});

const body = (extra: Record<string, unknown>) => ({ model: "auto", messages: [{ role: "user", content: "hi" }], ...extra });

function refusal(b: unknown, max?: number): ApiError {
  try {
    parseChatCompletion(b, max);
  } catch (err) {
    return err as ApiError;
  }
  throw new Error("accepted");
}

describe("parseChatCompletion's depth limit", () => {
  it("refuses a json_schema nested 5,000 levels with a 400 naming the limit and the param", () => {
    const err = refusal(body({ response_format: { type: "json_schema", json_schema: { name: "x", schema: nested(5000) } } }));
    expect(err.status).toBe(400);
    expect(err.toJSON().error).toMatchObject({ type: "invalid_request_error", code: "json_too_deep", param: "response_format.json_schema.schema" });
    expect(err.message).toContain("limits.maxJsonDepth");
    expect(err.message).toContain("64");
  });

  it("names a tool's parameters", () => {
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }, { type: "function", function: { name: "g", parameters: nested(100) } }];
    expect(refusal(body({ tools })).param).toBe("tools[1].function.parameters");
  });

  it("takes a schema within the limit, and the limit is configurable", () => {
    const rf = { type: "json_schema", json_schema: { name: "x", schema: nested(20) } };
    expect(parseChatCompletion(body({ response_format: rf })).request.responseFormat).toBeDefined();
    expect(refusal(body({ response_format: rf }), 16).param).toBe("response_format.json_schema.schema");
  });
});

describe("parseChatCompletion's schema size limit", () => {
  const wide = (n: number) => ({ type: "object", properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`field_${i}`, { type: "string" }])) });
  it("refuses a json_schema over the limit with a 400 naming it", () => {
    const err = refusal(body({ response_format: { type: "json_schema", json_schema: { name: "x", schema: wide(5000) } } }));
    expect(err.toJSON().error).toMatchObject({ type: "invalid_request_error", code: "schema_too_large", param: "response_format.json_schema.schema" });
    expect(err.message).toContain("limit of 100000");
  });
  it("names a tool's parameters, and admits a large but reasonable schema", () => {
    const tools = [{ type: "function", function: { name: "f", parameters: wide(10) } }, { type: "function", function: { name: "g", parameters: wide(5000) } }];
    expect(refusal(body({ tools })).param).toBe("tools[1].function.parameters");
    expect(() => parseChatCompletion(body({ tools: [{ type: "function", function: { name: "f", parameters: wide(500) } }] }))).not.toThrow();
  });
});
