/**
 * A pass-through stream's after-commit judge: prefix checks stop a runaway or forbidden answer while it streams, the
 * finish is held until the whole answer passed, and a failure is an `invalid_output` error naming the check.
 */
import { describe, expect, it } from "vitest";
import type { CanonicalRequest, StreamEvent } from "../../../src/canonical";
import { PREFIX_EVERY_CHARS, streamJudge } from "../../../src/engine/judged";
import { UpstreamError } from "../../../src/engine/errors";
import { checksFor } from "../../../src/validate/builtin";
import { routeChecks, ValidateConfig } from "../../../src/validate/route";

const REQ = { model: "auto", messages: [{ role: "user", content: "hi" }], stream: true } as unknown as CanonicalRequest;
const text = (t: string): StreamEvent => ({ type: "text", text: t });
const finish: StreamEvent = { type: "finish", finishReason: "stop" };
const usage: StreamEvent = { type: "usage", usage: { inputTokens: 3, outputTokens: 5 } };
const judgeFor = (cfg: unknown, req = REQ) => streamJudge({ req, checks: [...checksFor(req), ...routeChecks(ValidateConfig.parse(cfg))] }, "m");

function failure(fn: () => unknown): UpstreamError {
  try {
    fn();
  } catch (err) {
    return err as UpstreamError;
  }
  throw new Error("expected a failed check");
}

describe("streamJudge", () => {
  it("passes text through at once, holds the finish and usage until the whole answer passed", () => {
    const j = judgeFor({ minChars: 5 });
    expect(j.push(text("Hello"))).toEqual([text("Hello")]);
    expect(j.push(text(" there"))).toEqual([text(" there")]);
    expect(j.push(finish)).toEqual([]);
    expect(j.push(usage)).toEqual([]);
    expect(j.end()).toEqual([finish, usage]);
  });

  it("a whole-answer check that fails throws invalid_output with the check's name, and releases nothing", () => {
    const j = judgeFor({ minChars: 50 });
    j.push(text("short"));
    j.push(finish);
    const e = failure(() => j.end());
    expect(e).toBeInstanceOf(UpstreamError);
    expect(e.errorClass).toBe("invalid_output");
    expect(e.check).toBe("minChars");
  });

  it("maxChars stops the stream within one prefix window of the limit, before the vendor finished", () => {
    const j = judgeFor({ maxChars: 100 });
    let sent = 0;
    const e = failure(() => {
      for (let i = 0; i < 100; i++) sent += j.push(text("0123456789")).length * 10;
    });
    expect(e.check).toBe("maxChars");
    expect(sent).toBeLessThanOrEqual(100 + PREFIX_EVERY_CHARS);
  });

  it("mustNotMatch fires on the text so far, even across chunk boundaries", () => {
    const j = judgeFor({ mustNotMatch: ["as an ai model"] });
    const e = failure(() => {
      j.push(text("Well, as an "));
      j.push(text("AI model, " + "x".repeat(PREFIX_EVERY_CHARS)));
    });
    expect(e.check).toBe("mustNotMatch");
  });

  it("checks a prefix cannot fail (minChars, mustMatch, jsonRequired) wait for the end", () => {
    const j = judgeFor({ minChars: 1000, mustMatch: ["^done"], jsonRequired: ["/a"] });
    expect(() => j.push(text("x".repeat(3 * PREFIX_EVERY_CHARS)))).not.toThrow();
  });

  it("built-in checks judge a pass-through json_schema stream at its end", () => {
    const req = {
      ...REQ,
      responseFormat: { type: "json_schema", name: "x", strict: true, schema: { type: "object", properties: { a: { type: "number" } }, required: ["a"], additionalProperties: false } },
    } as unknown as CanonicalRequest;
    const bad = judgeFor({}, req);
    bad.push(text('{"b":1}'));
    bad.push(finish);
    expect(failure(() => bad.end()).check).toBe("json_schema");
    const good = judgeFor({}, req);
    good.push(text('{"a":1}'));
    good.push(finish);
    expect(good.end()).toEqual([finish]);
  });

  it("a stream that never finished has nothing to judge: the cut is reported by the stream, not as invalid output", () => {
    const j = judgeFor({ minChars: 1000 });
    j.push(text("partial"));
    expect(j.end()).toEqual([]);
  });
});
