import { describe, expect, it } from "vitest";
import type { CanonicalRequest, CanonicalResponse, FinishReason, StreamEvent } from "../../../src/canonical";
import { ModelConfig, ProviderConfig } from "../../../src/config/schema";
import { emptyIsExplained } from "../../../src/engine/empty";
import { continueStream, executeJson, executeStream, type EngineDeps, type PlannedTarget } from "../../../src/engine/execute";
import type { Provider } from "../../../src/providers/types";
import { ManualClock } from "../../support/clock";

describe("emptyIsExplained", () => {
  it.each<[string, Pick<CanonicalRequest, "stop" | "maxTokens">, FinishReason | undefined, boolean]>([
    ["stop on the caller's stop sequence", { stop: ["\n"] }, "stop", true],
    ["stop without a caller stop sequence", {}, "stop", false],
    ["stop with only an empty stop string", { stop: [""] }, "stop", false],
    ["length with the caller's max_tokens", { maxTokens: 1 }, "length", true],
    ["length with no max_tokens (the vendor's own cap)", {}, "length", false],
    ["length with a stop sequence but no max_tokens", { stop: ["x"] }, "length", false],
    ["tool_calls with no calls", { stop: ["x"], maxTokens: 5 }, "tool_calls", false],
    ["content_filter", { stop: ["x"], maxTokens: 5 }, "content_filter", false],
    ["no finish reason", { stop: ["x"], maxTokens: 5 }, undefined, false],
  ])("%s", (_name, req, finish, expected) => {
    expect(emptyIsExplained(req, finish)).toBe(expected);
  });
});

const base: CanonicalRequest = { messages: [{ role: "user", content: "hi" }], stream: false, includeUsage: false };
const policy = { maxRetries: 1, baseDelayMs: 100, maxDelayMs: 1000, retryAfterCapMs: 5000, firstByteMs: 1000, stallMs: 500 };
const plan: PlannedTarget[] = [
  { target: { provider: ProviderConfig.parse({ id: "a", kind: "openai", baseUrl: "https://a.test/v1", models: [{ id: "m" }] }), model: ModelConfig.parse({ id: "m" }) }, policy },
];

/** A provider that always answers with no content and `finish`. */
function emptyDeps(finish: FinishReason) {
  const clock = new ManualClock();
  let calls = 0;
  const provider: Provider = {
    async complete(): Promise<CanonicalResponse> {
      calls++;
      return { model: "m", content: "", toolCalls: [], finishReason: finish };
    },
    async stream() {
      calls++;
      const events: StreamEvent[] = [{ type: "text", text: "" }, { type: "finish", finishReason: finish }, { type: "usage", usage: { inputTokens: 3, outputTokens: 0 } }];
      return (async function* () {
        yield* events;
      })();
    },
  };
  const deps: EngineDeps = { clock, random: () => 0.5, providerFor: () => provider, contextFor: (_t, signal) => ({ fetch, signal, apiKey: undefined, now: clock.now }) };
  return { clock, deps, calls: () => calls };
}

describe("the engine passes an explained empty answer through", () => {
  it("JSON: the caller's stop sequence explains it: one call, the answer as the vendor gave it", async () => {
    const { clock, deps, calls } = emptyDeps("stop");
    const out = await clock.run(executeJson({ ...base, stop: ["Q:"] }, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok && out.value).toMatchObject({ content: "", finishReason: "stop" });
    expect(out.attempts.map((a) => a.outcome)).toEqual(["ok"]);
    expect(calls()).toBe(1);
  });

  it("JSON: an unexplained empty answer is still `empty` and retried", async () => {
    const { clock, deps, calls } = emptyDeps("stop");
    const out = await clock.run(executeJson(base, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok).toBe(false);
    expect(out.attempts.map((a) => a.errorClass)).toEqual(["empty", "empty"]);
    expect(calls()).toBe(2);
  });

  it("stream: commits on the finish event and passes the empty stream through, reported ok", async () => {
    const { clock, deps, calls } = emptyDeps("length");
    const reports: string[] = [];
    deps.onAttempt = (_t, r) => reports.push(r.outcome);
    const out = await clock.run(executeStream({ ...base, stream: true, maxTokens: 1 }, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    const events: StreamEvent[] = [];
    for await (const e of continueStream(out.value, clock)) events.push(e);
    expect(events.map((e) => e.type)).toEqual(["text", "finish", "usage"]);
    expect(reports).toEqual(["ok"]);
    expect(calls()).toBe(1);
  });

  it("stream: an unexplained empty stream is still `empty`", async () => {
    const { clock, deps } = emptyDeps("length");
    const out = await clock.run(executeStream({ ...base, stream: true }, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok).toBe(false);
    expect(out.attempts.map((a) => a.errorClass)).toEqual(["empty", "empty"]);
  });
});
