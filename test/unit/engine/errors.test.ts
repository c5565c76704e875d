import { describe, expect, it } from "vitest";
import { failureToApiError } from "../../../src/api/failure";
import { ModelConfig, ProviderConfig } from "../../../src/config/schema";
import {
  classifyStatus,
  countsForBreaker,
  decisionFor,
  degradeReasonOf,
  healthSignalOf,
  ignoredByHealth,
  isCapacityLimited,
  isOverload,
  mayDegrade,
  policyOf,
  statusFor,
  statusForAll,
  UpstreamError,
  type ErrorClass,
} from "../../../src/engine/errors";
import type { Failure } from "../../../src/engine/execute";
import type { Target } from "../../../src/providers/types";

const CLASSES: ErrorClass[] = [
  "rate_limited", "server_error", "timeout", "network", "malformed", "empty", "invalid_output", "stream_cut", "stall", "slow",
  "context_length", "bad_request", "upstream_auth", "model_not_found", "misconfigured", "cancelled",
  "unconvertible",
];

const target: Target = {
  provider: ProviderConfig.parse({ id: "p", kind: "openai", baseUrl: "https://example.test/v1", models: [{ id: "m" }] }),
  model: ModelConfig.parse({ id: "m" }),
};

/** How the engine ends when every attempt failed with `cls` (report classes stop at the first, as the engine does). */
function finalFailure(cls: ErrorClass): Failure {
  const error = new UpstreamError(cls, cls);
  if (cls === "cancelled") return { kind: "aborted" };
  if (decisionFor(cls) === "report") return { kind: "caller", error };
  return { kind: "exhausted", errors: [{ target, error }, { target, error }], skipped: [] };
}

describe("the error-policy table", () => {
  it.each(CLASSES)("%s: the accessors read one row", (cls) => {
    const row = policyOf(cls);
    expect(decisionFor(cls)).toBe(row.decision);
    expect(countsForBreaker(cls)).toBe(row.countsForBreaker);
    expect(ignoredByHealth(cls)).toBe(!row.countsForBreaker);
    expect(isOverload(cls)).toBe(row.overload);
    expect(healthSignalOf(cls)).toBe(row.healthSignal);
    expect(degradeReasonOf(cls)).toBe(row.degradeReason);
    expect(mayDegrade(cls)).toBe(row.degradeReason !== null);
    expect(isCapacityLimited(cls)).toBe(row.capacity);
    expect(statusFor(cls)).toBe(row.status);
  });

  it("an answer that fails validation moves on at once, counts like a malformed answer, and is a 502 when final", () => {
    expect(policyOf("invalid_output")).toEqual({ decision: "next_target", countsForBreaker: true, overload: false, healthSignal: null, degradeReason: "invalid_output", capacity: false, status: 502 });
    expect(new UpstreamError("invalid_output", "missing required property 'label'", { check: "json_schema" }).check).toBe("json_schema");
  });

  it("a success is neither a failure, ignored, nor overload", () => {
    expect(countsForBreaker(undefined)).toBe(false);
    expect(ignoredByHealth(undefined)).toBe(false);
    expect(isOverload(undefined)).toBe(false);
    expect(healthSignalOf(undefined)).toBeNull();
  });

  it("caller faults never count against a provider, never degrade, and stop the request", () => {
    for (const cls of ["bad_request", "cancelled", "unconvertible"] as const) {
      expect([decisionFor(cls), countsForBreaker(cls), mayDegrade(cls)]).toEqual(["report", false, false]);
    }
    expect([decisionFor("context_length"), countsForBreaker("context_length"), mayDegrade("context_length")]).toEqual(["next_target", false, false]);
  });

  it("an abandoned slow attempt moves on at once and counts against its provider like a timeout", () => {
    expect([decisionFor("slow"), countsForBreaker("slow"), healthSignalOf("slow"), degradeReasonOf("slow")]).toEqual(["next_target", true, "timeout", "timeout"]);
  });

  it("overload is the classes adaptive throttling has always counted as rejections", () => {
    expect(CLASSES.filter(isOverload).sort()).toEqual(["rate_limited", "server_error", "slow", "stall", "timeout"]);
  });

  it("health's extra rates: silence feeds timeouts, 429s feed rate limits", () => {
    expect(CLASSES.filter((c) => healthSignalOf(c) === "timeout").sort()).toEqual(["slow", "stall", "timeout"]);
    expect(CLASSES.filter((c) => healthSignalOf(c) === "rate_limited")).toEqual(["rate_limited"]);
  });

  it.each(CLASSES)("%s: statusFor is the status the caller gets when it is the final failure", (cls) => {
    expect(failureToApiError(finalFailure(cls), "r", (s) => s).status).toBe(statusFor(cls));
  });

  it("mixed final failures are a 503 unless they share a status", () => {
    expect(statusForAll(["rate_limited", "rate_limited"])).toBe(429);
    expect(statusForAll(["rate_limited", "server_error"])).toBe(503);
    expect(statusForAll(["context_length", "rate_limited"])).toBe(503);
    expect(statusForAll(["context_length"])).toBe(400);
    expect(statusForAll([])).toBe(503);
  });

  it("every status the adapters map lands on a class whose row exists", () => {
    for (const status of [400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 529]) {
      expect(CLASSES).toContain(classifyStatus(status, "x").errorClass);
    }
  });
});
