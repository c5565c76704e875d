import { describe, expect, it } from "vitest";
import type { CanonicalRequest } from "../../../src/canonical";
import { DegradeConfig } from "../../../src/degrade/ladder";
import { compilePattern, MAX_PATTERN_LENGTH } from "../../../src/degrade/pattern";
import { classifyByRules } from "../../../src/degrade/rules";
import { renderTemplate, Template, validateTemplate } from "../../../src/degrade/template";

// Each of these takes minutes on a backtracking engine (2^38 ways to fail before the "!"); the suite would hang rather
// than fail if matching were not linear, so the assertions are on results, never on timing (regex-vm.test.ts counts
// the engine's steps).
const NEAR_MISS = `${"a".repeat(38)}!`;

function compiled(p: string) {
  const c = compilePattern(p);
  if (!c.ok) throw new Error(c.message);
  return c.re;
}

describe("compilePattern: linear time", () => {
  it("runs the catastrophic shapes that used to pass the guard on a near-miss input", () => {
    expect(compiled("(a|a)*$").test(NEAR_MISS)).toBe(true); // empty match at the end, as RegExp would say
    expect(compiled("^(a|a)*$").test(NEAR_MISS)).toBe(false);
    expect(compiled("((a+))+$").test(NEAR_MISS)).toBe(false);
    expect(compiled("^(a|aa)+$").test(NEAR_MISS)).toBe(false);
    expect(compiled("((a+))+$").test("a".repeat(40))).toBe(true);
    expect(compiled("(x+x+)+y").exec(`${"x".repeat(40)}`)).toBeNull();
  });

  it("accepts nested repetition, which the linear engine runs in linear time", () => {
    expect(compiled("(a+)+").exec("zaaa")?.[0]).toBe("aaa");
    expect(compiled("(x*)*").test("")).toBe(true);
  });

  it("a catastrophic label pattern classifies instead of hanging the rules rung", () => {
    const labels = [{ name: "spam", keywords: [], patterns: ["^(a|a)*$"] }, { name: "as", keywords: [], patterns: ["((a+))+!"] }];
    expect(DegradeConfig.safeParse({ rules: { labels } }).success).toBe(true);
    expect(classifyByRules(NEAR_MISS, labels)).toEqual({ label: "as", matched: ["/((a+))+!/"] });
  });

  it("a catastrophic template variable renders instead of hanging", () => {
    const t = Template.parse({ text: "got {{x}}", variables: { x: { from: "regex", pattern: "((a+))+(b)" } } });
    const req: CanonicalRequest = { messages: [{ role: "user", content: NEAR_MISS }], stream: false, includeUsage: false };
    expect(renderTemplate(t, req, 0)).toEqual({ text: "got [x]", missing: ["x"] });
  });
});

describe("compilePattern: matching like RegExp where callers rely on it", () => {
  it("is case-insensitive, unanchored, and exec returns groups with undefined for unmatched ones", () => {
    const re = compiled("ticket\\s*#?\\s*(\\d+)(-x)?");
    expect(re.test("my TICKET #4521 is open")).toBe(true);
    expect(re.exec("my TICKET #4521 is open")).toEqual(["TICKET #4521", "4521", undefined]);
    expect(re.exec("nothing")).toBeNull();
    expect(re.source).toBe("ticket\\s*#?\\s*(\\d+)(-x)?");
  });

  it("supports the usual classes and named groups", () => {
    expect(compiled("\\bord-(?<id>\\w+)").exec("see ord-A1")?.[1]).toBe("A1");
    expect(compiled("[\\p{L}]+").test("été")).toBe(true);
  });

  it("is stateless between calls (no lastIndex surprises)", () => {
    const re = compiled("a");
    expect([re.test("a"), re.test("a"), re.test("a")]).toEqual([true, true, true]);
  });
});

describe("compilePattern: clear refusals", () => {
  it("names lookbehind, lookahead and backreferences, quoting the pattern", () => {
    const lb = compilePattern("(?<=order )\\d+");
    expect(lb.ok).toBe(false);
    if (!lb.ok) {
      expect(lb.message).toContain('"(?<=order )\\\\d+"');
      expect(lb.message).toContain("lookbehind");
      expect(lb.message).toContain("RE2");
    }
    expect(compilePattern("(?<!x)y")).toMatchObject({ ok: false, message: expect.stringContaining("lookbehind") });
    expect(compilePattern("foo(?=bar)")).toMatchObject({ ok: false, message: expect.stringContaining("lookahead") });
    expect(compilePattern("(a)\\1")).toMatchObject({ ok: false, message: expect.stringContaining("backreferences") });
  });

  it("reports other syntax errors with RE2-style words", () => {
    expect(compilePattern("(a|b")).toMatchObject({ ok: false, message: expect.stringMatching(/"\(a\|b" does not compile: .*missing closing \)/) });
    expect(compilePattern("")).toEqual({ ok: false, message: "pattern is empty" });
    expect(compilePattern("a".repeat(MAX_PATTERN_LENGTH + 1))).toMatchObject({ ok: false });
  });

  it("config and template validation refuse a lookbehind with the path and the reason", () => {
    const r = DegradeConfig.safeParse({ rules: { labels: [{ name: "x", keywords: [], patterns: ["(?<=a)b"] }] } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain("lookbehind");
    const t = validateTemplate({ text: "{{v}}", variables: { v: { from: "regex", pattern: "(?<=a)b" } } });
    expect(t.ok ? [] : t.errors.join("\n")).toMatch(/variables\.v\.pattern: .*lookbehind/);
  });
});
