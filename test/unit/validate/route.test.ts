import { describe, expect, it } from "vitest";
import type { CanonicalRequest, CanonicalResponse } from "../../../src/canonical";
import { formatIssues } from "../../../src/config/load";
import { DetourConfig } from "../../../src/config/schema";
import { effectiveValidate, firstFailure, isRefusal, routeChecks, ValidateConfig } from "../../../src/validate/route";

const REQ: CanonicalRequest = { messages: [{ role: "user", content: "classify this" }], stream: false, includeUsage: false };

function answer(content: string | null, extra: Partial<CanonicalResponse> = {}): CanonicalResponse {
  return { model: "m", content, toolCalls: [], finishReason: "stop", ...extra };
}

/** The first failure of the checks built from `cfg` on `res`. */
function judge(cfg: unknown, res: CanonicalResponse) {
  return firstFailure(routeChecks(ValidateConfig.parse(cfg)), REQ, res);
}

function configErrors(cfg: unknown): string[] {
  const r = ValidateConfig.safeParse(cfg);
  return r.success ? [] : formatIssues(r.error);
}

describe("ValidateConfig", () => {
  it("defaults refusal to serve and stream to buffer, and adds no checks when empty", () => {
    expect(ValidateConfig.parse({})).toEqual({ refusal: "serve", stream: "buffer" });
    expect(routeChecks(ValidateConfig.parse({}))).toEqual([]);
  });

  it("accepts one regex as a string", () => {
    expect(ValidateConfig.parse({ mustMatch: "label" }).mustMatch).toEqual(["label"]);
  });

  it("names the pattern path and RE2's reason for a bad regex", () => {
    expect(configErrors({ mustMatch: ["ok", "(?<=x)y"] })).toEqual([
      expect.stringMatching(/^mustMatch\[1\]: pattern "\(\?<=x\)y" uses lookbehind .*RE2/),
    ]);
    expect(configErrors({ mustNotMatch: "(unclosed" })).toEqual([
      expect.stringMatching(/^mustNotMatch\[0\]: pattern "\(unclosed" does not compile: .*missing closing \)/),
    ]);
  });

  it("refuses malformed pointers, unknown fields, bad enums and an impossible length range", () => {
    expect(configErrors({ jsonRequired: ["label"] })[0]).toMatch(/^jsonRequired\[0\]: a JSON pointer starts with "\/"/);
    expect(configErrors({ jsonRequired: ["/a~2"] })[0]).toMatch(/^jsonRequired\[0\]: .*escape ~ as ~0/);
    expect(configErrors({ minChar: 3 })[0]).toMatch(/minChar/);
    expect(configErrors({ refusal: "retry" })[0]).toMatch(/^refusal: /);
    expect(configErrors({ stream: "fast" })[0]).toMatch(/^stream: /);
    expect(configErrors({ minChars: 10, maxChars: 5 })).toEqual(["minChars: minChars (10) is above maxChars (5)"]);
    expect(configErrors({ maxChars: 0 })[0]).toMatch(/^maxChars: /);
  });
});

describe("config wiring", () => {
  const base = {
    providers: [{ id: "p", kind: "simulated", models: [{ id: "m" }] }],
    routes: { support: { targets: ["p/m"], validate: { jsonRequired: ["/label"], refusal: "failover" } } },
  };

  it("parses routes.<name>.validate and the top-level validate", () => {
    const c = DetourConfig.parse({ ...base, validate: { minChars: 1 } });
    expect(c.routes.support!.validate).toEqual({ jsonRequired: ["/label"], refusal: "failover", stream: "buffer" });
    expect(c.validate).toEqual({ minChars: 1, refusal: "serve", stream: "buffer" });
    expect(effectiveValidate(c.routes.support!.validate, c.validate)).toBe(c.routes.support!.validate);
    expect(effectiveValidate(undefined, c.validate)).toBe(c.validate);
    expect(DetourConfig.parse(base).validate).toBeUndefined();
  });

  it("reports a bad route regex with its full path and RE2's message", () => {
    const bad = { ...base, routes: { support: { targets: ["p/m"], validate: { mustNotMatch: ["(a)\\1"] } } } };
    const r = DetourConfig.safeParse(bad);
    expect(r.success).toBe(false);
    expect(formatIssues(r.error!)).toEqual([
      expect.stringMatching(/^routes\.support\.validate\.mustNotMatch\[0\]: pattern "\(a\)\\\\1" uses backreferences .*invalid escape/),
    ]);
    const top = DetourConfig.safeParse({ ...base, validate: { mustMatch: "(?=x)" } });
    expect(formatIssues(top.error!)).toEqual([expect.stringMatching(/^validate\.mustMatch\[0\]: .*lookahead/)]);
  });
});

describe("routeChecks", () => {
  it("minChars counts code points", () => {
    expect(judge({ minChars: 5 }, answer("hello"))).toBeUndefined();
    expect(judge({ minChars: 5 }, answer("🙂🙂🙂🙂🙂"))).toBeUndefined();
    expect(judge({ minChars: 5 }, answer("hi"))).toEqual({ check: "minChars", reason: "answer is 2 characters; the route requires at least 5" });
    expect(judge({ minChars: 1 }, answer(null))).toEqual({ check: "minChars", reason: "answer is 0 characters; the route requires at least 1" });
  });

  it("maxChars", () => {
    expect(judge({ maxChars: 5 }, answer("hello"))).toBeUndefined();
    expect(judge({ maxChars: 5 }, answer("hello!"))).toEqual({ check: "maxChars", reason: "answer is 6 characters; the route allows at most 5" });
  });

  it("mustMatch: every pattern matches somewhere, case-insensitively", () => {
    const cfg = { mustMatch: ["^\\s*\\{", "label"] };
    expect(judge(cfg, answer('{"LABEL": 1}'))).toBeUndefined();
    expect(judge(cfg, answer('{"x": 1}'))).toEqual({ check: "mustMatch", reason: "answer does not match /label/" });
    expect(judge(cfg, answer("Sure! label"))).toEqual({ check: "mustMatch", reason: "answer does not match /^\\s*\\{/" });
  });

  it("mustNotMatch: no pattern matches", () => {
    const cfg = { mustNotMatch: ["as an ai", "lorem ipsum"] };
    expect(judge(cfg, answer("billing"))).toBeUndefined();
    expect(judge(cfg, answer("As an AI model I cannot"))).toEqual({
      check: "mustNotMatch",
      reason: "answer matches /as an ai/, which the route forbids",
    });
  });

  it("a catastrophic mustNotMatch pattern judges a long answer instead of hanging", () => {
    expect(judge({ mustNotMatch: "^(a|a)*$" }, answer(`${"a".repeat(38)}!`))).toBeUndefined();
    expect(judge({ mustMatch: "((a+))+$" }, answer(`${"a".repeat(38)}!`))).toEqual({ check: "mustMatch", reason: "answer does not match /((a+))+$/" });
  });

  it("jsonRequired: each pointer present and not null", () => {
    const cfg = { jsonRequired: ["/label", "/items/0/id", "/a~1b"] };
    expect(judge(cfg, answer('{"label":"x","items":[{"id":0}],"a/b":false}'))).toBeUndefined();
    expect(judge(cfg, answer('{"label":null,"items":[],"a/b":1}'))).toEqual({
      check: "jsonRequired",
      reason: "missing required fields '/label', '/items/0/id'",
    });
    expect(judge({ jsonRequired: ["/label"] }, answer('{"other":1}'))).toEqual({ check: "jsonRequired", reason: "missing required field '/label'" });
    expect(judge({ jsonRequired: ["/label"] }, answer("label: billing"))).toEqual({
      check: "jsonRequired",
      reason: "answer is not JSON, so '/label' cannot be present",
    });
    expect(judge({ jsonRequired: ["/__proto__"] }, answer("{}"))?.check).toBe("jsonRequired");
    expect(judge({ jsonRequired: ["/items/01"] }, answer('{"items":[1,2]}'))?.check).toBe("jsonRequired");
  });

  it("tool-call-only answers have no text to judge", () => {
    const tools = answer(null, { toolCalls: [{ id: "c1", name: "f", arguments: "{}" }], finishReason: "tool_calls" });
    expect(judge({ minChars: 10, mustMatch: "x", jsonRequired: ["/a"] }, tools)).toBeUndefined();
  });

  it("refusal: serve passes a refusal through every route check; failover fails it", () => {
    const refused = answer("I can't help with that.", { finishReason: "content_filter" });
    expect(isRefusal(refused)).toBe(true);
    expect(isRefusal(answer("ok"))).toBe(false);
    expect(judge({ jsonRequired: ["/label"], minChars: 100 }, refused)).toBeUndefined();
    expect(judge({ refusal: "failover", jsonRequired: ["/label"] }, refused)).toEqual({
      check: "refusal",
      reason: "the model refused to answer (finish_reason content_filter); the route fails over on refusals",
    });
    expect(judge({ refusal: "failover" }, answer("fine"))).toBeUndefined();
  });

  it("a refusal field, where a response carries one, counts as a refusal", () => {
    const res = { ...answer(null), refusal: "I cannot do that" } as CanonicalResponse;
    expect(isRefusal(res)).toBe(true);
    expect(isRefusal({ ...answer("x"), refusal: "" } as CanonicalResponse)).toBe(false);
  });

  it("checks run in order and the first failure wins", () => {
    expect(judge({ refusal: "failover", minChars: 50, mustMatch: "zzz" }, answer("short"))?.check).toBe("minChars");
  });
});
