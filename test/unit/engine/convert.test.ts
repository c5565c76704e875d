import { describe, expect, it } from "vitest";
import type { CanonicalRequest } from "../../../src/canonical";
import { ModelConfig, ProviderConfig } from "../../../src/config/schema";
import { executeJson, executeStream, type EngineDeps, type PlannedTarget } from "../../../src/engine/execute";
import type { Provider } from "../../../src/providers/types";
import { ManualClock } from "../../support/clock";

const req: CanonicalRequest = { messages: [{ role: "user", content: "hi" }], stream: false, includeUsage: false };
const policy = { maxRetries: 1, baseDelayMs: 100, maxDelayMs: 1000, retryAfterCapMs: 5000, firstByteMs: 1000, stallMs: 500 };
const plan: PlannedTarget[] = ["a", "b"].map((id) => ({
  target: { provider: ProviderConfig.parse({ id, kind: "openai", baseUrl: `https://${id}.test/v1`, models: [{ id: "m" }] }), model: ModelConfig.parse({ id: "m" }) },
  policy,
}));

/** A provider whose adapter throws a plain error, before or after it fetched. */
function throwing(when: "before" | "after") {
  const clock = new ManualClock();
  let calls = 0;
  const fail = async (fetchFn: typeof fetch): Promise<never> => {
    calls++;
    if (when === "after") await fetchFn("https://a.test/v1").catch(() => {});
    throw new RangeError("Maximum call stack size exceeded");
  };
  const provider: Provider = { complete: (_r, _t, ctx) => fail(ctx.fetch), stream: (_r, _t, ctx) => fail(ctx.fetch) };
  const deps: EngineDeps = {
    clock,
    random: () => 0.5,
    providerFor: () => provider,
    contextFor: (_t, signal) => ({ fetch: async () => new Response("{}"), signal, apiKey: undefined, now: clock.now }),
  };
  return { clock, deps, calls: () => calls };
}

describe("an adapter that throws before sending anything", () => {
  it("JSON: is `unconvertible`, a caller failure: no retry, no other target", async () => {
    const { clock, deps, calls } = throwing("before");
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 10_000 }));
    expect(!out.ok && out.failure.kind).toBe("caller");
    expect(!out.ok && out.failure.kind === "caller" && out.failure.error.errorClass).toBe("unconvertible");
    expect(out.attempts.map((a) => a.errorClass)).toEqual(["unconvertible"]);
    expect(calls()).toBe(1);
  });

  it("stream: the same", async () => {
    const { clock, deps } = throwing("before");
    const out = await clock.run(executeStream({ ...req, stream: true }, plan, deps, { deadlineMs: 10_000 }));
    expect(out.attempts.map((a) => a.errorClass)).toEqual(["unconvertible"]);
  });

  it("a throw after the fetch is still the provider's `network`", async () => {
    const { clock, deps } = throwing("after");
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 10_000 }));
    expect(out.attempts[0]!.errorClass).toBe("network");
  });
});
