import { describe, expect, it } from "vitest";
import { jsonErrorOffset } from "../../../src/config/json-position";

describe("jsonErrorOffset", () => {
  it.each([
    ['{"providers": [}', 15],
    ['{"routes": {"a": {"targets": [alpha/x]}}}', 30],
    ['{"a": tru}', 6],
    ["{'a': 1}", 1],
    ['{"a": 1 "b": 2}', 8],
    ['{"a": 1,}', 8],
    ['{"a": 01}', 7],
    ['{"a":1}}', 7],
    ["{", 1],
    ["", 0],
    ['{\n  "a": [1, 2,\n  ]\n}', 18],
  ])("%j goes wrong at %i", (text, at) => {
    expect(jsonErrorOffset(text)).toBe(at);
  });

  it.each(['{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"], "b": {}}', "[]", " 3 ", '"s"', '{"a":{"b":[[[]]]}}'])("%j is valid", (text) => {
    expect(jsonErrorOffset(text)).toBeUndefined();
  });

  it("agrees with JSON.parse on what is valid, and survives deep nesting", () => {
    const samples = ['{"a":[1,2]}', '{"a":[1,2,]}', "[1 2]", '{"a" 1}', '[{"x":"y"},{"x":}]', "[".repeat(100_000)];
    for (const s of samples) {
      let valid = true;
      try { JSON.parse(s); } catch { valid = false; }
      expect(jsonErrorOffset(s) === undefined).toBe(valid);
    }
  });
});
