import { describe, expect, it } from "vitest";
import type { CanonicalRequest, CanonicalResponse, StreamEvent } from "../../src/canonical";
import { ModelConfig, ProviderConfig } from "../../src/config/schema";
import { UpstreamError } from "../../src/engine/errors";
import { continueStream, executeJson, executeStream, type AttemptPolicy, type EngineDeps, type PlannedTarget } from "../../src/engine/execute";
import type { Provider, Target } from "../../src/providers/types";
import { ManualClock } from "../support/clock";

/** One scripted call: an answer, an error, or a hang until aborted. Streams: events, then maybe a cut/stall/error. */
type Step =
  | { ok: string }
  | { error: UpstreamError }
  | { hang: true }
  | { events: StreamEvent[]; then?: "end" | "stall" | UpstreamError };

const req: CanonicalRequest = { messages: [{ role: "user", content: "hi" }], stream: false, includeUsage: false };
const policy: AttemptPolicy = { maxRetries: 1, baseDelayMs: 100, maxDelayMs: 1000, retryAfterCapMs: 5000, firstByteMs: 1000, stallMs: 500 };

function target(id: string): Target {
  return {
    provider: ProviderConfig.parse({ id, kind: "openai", baseUrl: "https://example.test/v1", models: [{ id: "m" }] }),
    model: ModelConfig.parse({ id: "m" }),
  };
}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
}

function scripted(scripts: Record<string, Step[]>) {
  const calls: string[] = [];
  const provider: Provider = {
    async complete(_r, t, ctx): Promise<CanonicalResponse> {
      calls.push(t.provider.id);
      const step = scripts[t.provider.id]!.shift() ?? { error: new UpstreamError("server_error", "script ran out") };
      if ("hang" in step) return untilAborted(ctx.signal);
      if ("error" in step) throw step.error;
      if ("ok" in step) return { model: "m", content: step.ok, toolCalls: [], finishReason: "stop" };
      throw new Error("stream step in complete()");
    },
    async stream(_r, t, ctx) {
      calls.push(t.provider.id);
      const step = scripts[t.provider.id]!.shift() ?? { error: new UpstreamError("server_error", "script ran out") };
      if ("hang" in step) return untilAborted(ctx.signal);
      if ("error" in step) throw step.error;
      if (!("events" in step)) throw new Error("json step in stream()");
      return (async function* () {
        for (const e of step.events) yield e;
        if (step.then === "stall") await untilAborted(ctx.signal);
        if (step.then instanceof UpstreamError) throw step.then;
      })();
    },
  };
  return { provider, calls };
}

function setup(scripts: Record<string, Step[]>, p: Partial<AttemptPolicy> = {}, random = 0.5) {
  const clock = new ManualClock();
  const { provider, calls } = scripted(scripts);
  const deps: EngineDeps = {
    clock,
    random: () => random,
    providerFor: () => provider,
    contextFor: (_t, signal) => ({ fetch: fetch, signal, apiKey: undefined, now: clock.now }),
  };
  const plan: PlannedTarget[] = Object.keys(scripts).map((id) => ({ target: target(id), policy: { ...policy, ...p } }));
  return { clock, deps, plan, calls };
}

const rl = (ms?: number) => new UpstreamError("rate_limited", "a answered 429", { status: 429, ...(ms !== undefined ? { retryAfterMs: ms } : {}) });

describe("executeJson: retry vs failover vs report", () => {
  it("serves from the first target when it answers", async () => {
    const { clock, deps, plan, calls } = setup({ a: [{ ok: "A" }], b: [{ ok: "B" }] });
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok && out.value.content).toBe("A");
    expect(out.ok && out.targetIndex).toBe(0);
    expect(calls).toEqual(["a"]);
  });

  it.each([
    ["server_error", 503],
    ["rate_limited", 429],
    ["network", undefined],
    ["malformed", undefined],
  ] as const)("retries %s on the same target, then succeeds there", async (cls, status) => {
    const { clock, deps, plan, calls } = setup({ a: [{ error: new UpstreamError(cls, "x", status ? { status } : {}) }, { ok: "A2" }], b: [] });
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok && out.value.content).toBe("A2");
    expect(calls).toEqual(["a", "a"]);
    expect(out.attempts.map((a) => a.outcome)).toEqual(["error", "ok"]);
  });

  it("moves on after a timeout: a vendor that stayed silent is not asked twice", async () => {
    const { clock, deps, plan, calls } = setup({ a: [{ error: new UpstreamError("timeout", "x", { status: 408 }) }, { ok: "A2" }], b: [{ ok: "B" }] });
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok && out.value.content).toBe("B");
    expect(calls).toEqual(["a", "b"]);
  });

  it("fails over after the retry budget of a target is spent", async () => {
    const e = () => ({ error: new UpstreamError("server_error", "a answered 500", { status: 500 }) });
    const { clock, deps, plan, calls } = setup({ a: [e(), e(), e()], b: [{ ok: "B" }] });
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok && out.value.content).toBe("B");
    expect(out.ok && out.targetIndex).toBe(1);
    expect(calls).toEqual(["a", "a", "b"]);
  });

  it.each(["context_length", "upstream_auth", "model_not_found", "misconfigured"] as const)(
    "%s is not retried on the same target but fails over",
    async (cls) => {
      const { clock, deps, plan, calls } = setup({ a: [{ error: new UpstreamError(cls, "a said no") }], b: [{ ok: "B" }] });
      const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 10_000 }));
      expect(out.ok && out.value.content).toBe("B");
      expect(calls).toEqual(["a", "b"]);
    },
  );

  it("reports a caller error without retrying or failing over", async () => {
    const { clock, deps, plan, calls } = setup({ a: [{ error: new UpstreamError("bad_request", "a answered 400", { status: 400 }) }], b: [{ ok: "B" }] });
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok).toBe(false);
    expect(!out.ok && out.failure.kind).toBe("caller");
    expect(calls).toEqual(["a"]);
  });

  it("treats an empty completion as retryable", async () => {
    const { clock, deps, plan } = setup({ a: [{ ok: "  " }, { ok: "full" }] });
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok && out.value.content).toBe("full");
    expect(out.attempts[0]!.errorClass).toBe("empty");
  });

  it("reports every target's last error when all fail", async () => {
    const { clock, deps, plan } = setup({ a: [{ error: rl() }, { error: rl() }], b: [{ error: new UpstreamError("upstream_auth", "b 401", { status: 401 }) }] });
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 10_000 }));
    expect(!out.ok && out.failure.kind).toBe("exhausted");
    if (!out.ok && out.failure.kind === "exhausted") {
      expect(out.failure.errors.map((e) => [e.target.provider.id, e.error.errorClass])).toEqual([
        ["a", "rate_limited"],
        ["b", "upstream_auth"],
      ]);
    }
  });
});

describe("executeJson: backoff, Retry-After, timeouts, deadline", () => {
  it("backs off with full jitter: random × min(max, base·2^n)", async () => {
    const e = () => ({ error: new UpstreamError("server_error", "500") });
    const { clock, deps, plan } = setup({ a: [e(), e(), e(), { ok: "A" }] }, { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 300 }, 0.5);
    await clock.run(executeJson(req, plan, deps, { deadlineMs: 100_000 }));
    // Sleeps also include the armed timers (deadline, first-byte); backoffs are the ones below 1000.
    expect(clock.sleeps.filter((s) => s < 1000)).toEqual([50, 100, 150]);
  });

  it("honours Retry-After up to the cap", async () => {
    const { clock, deps, plan } = setup({ a: [{ error: rl(1200) }, { ok: "A" }] });
    const t0 = clock.now();
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok && out.value.content).toBe("A");
    expect(clock.sleeps).toContain(1200);
    expect(clock.now() - t0).toBe(1200);
    expect(out.attempts[1]!.waitedMs).toBe(1200);
  });

  it("moves to the next target when Retry-After exceeds the cap", async () => {
    const { clock, deps, plan, calls } = setup({ a: [{ error: rl(60_000) }], b: [{ ok: "B" }] });
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 100_000 }));
    expect(out.ok && out.value.content).toBe("B");
    expect(calls).toEqual(["a", "b"]);
    expect(clock.sleeps).not.toContain(60_000);
  });

  it("times out an attempt with no first byte and fails over", async () => {
    const { clock, deps, plan, calls } = setup({ a: [{ hang: true }, { hang: true }], b: [{ ok: "B" }] }, { firstByteMs: 700 });
    const t0 = clock.now();
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 100_000 }));
    expect(out.ok && out.value.content).toBe("B");
    expect(out.attempts.map((a) => a.errorClass ?? a.outcome)).toEqual(["timeout", "ok"]);
    expect(calls).toEqual(["a", "b"]);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(700);
  });

  it("stops at the request deadline", async () => {
    const { clock, deps, plan } = setup({ a: [{ hang: true }, { hang: true }], b: [{ hang: true }] }, { firstByteMs: 5000 });
    const t0 = clock.now();
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 2500 }));
    expect(!out.ok && out.failure.kind).toBe("deadline");
    expect(clock.now() - t0).toBe(2500);
  });

  it("stops when the client goes away", async () => {
    const { clock, deps, plan } = setup({ a: [{ hang: true }] });
    const client = new AbortController();
    const p = executeJson(req, plan, deps, { deadlineMs: 100_000, signal: client.signal });
    await clock.settle();
    client.abort();
    const out = await clock.run(p);
    expect(!out.ok && out.failure.kind).toBe("aborted");
  });
});

async function drain(it: AsyncIterable<StreamEvent>): Promise<{ events: StreamEvent[]; error?: UpstreamError }> {
  const events: StreamEvent[] = [];
  try {
    for await (const e of it) events.push(e);
    return { events };
  } catch (err) {
    return { events, error: err as UpstreamError };
  }
}

const text = (t: string): StreamEvent => ({ type: "text", text: t });
const finish: StreamEvent = { type: "finish", finishReason: "stop" };

describe("executeStream: commit after the first content event", () => {
  it("streams a whole answer", async () => {
    const { clock, deps, plan } = setup({ a: [{ events: [text("he"), text("llo"), finish] }] });
    const out = await clock.run(executeStream({ ...req, stream: true }, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    const { events, error } = await clock.run(drain(continueStream(out.value, clock)));
    expect(error).toBeUndefined();
    expect(events).toEqual([text("he"), text("llo"), finish]);
  });

  it("fails over invisibly when a stream is cut before its first content", async () => {
    const { clock, deps, plan, calls } = setup(
      { a: [{ events: [text("")], then: "end" }, { error: new UpstreamError("server_error", "500") }], b: [{ events: [text("B"), finish] }] },
    );
    const out = await clock.run(executeStream({ ...req, stream: true }, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok && out.target.provider.id).toBe("b");
    expect(out.attempts[0]!.errorClass).toBe("stream_cut");
    expect(calls).toEqual(["a", "a", "b"]);
  });

  it("fails over when the first event never comes (first-byte timeout)", async () => {
    const { clock, deps, plan } = setup({ a: [{ events: [], then: "stall" }, { events: [], then: "stall" }], b: [{ events: [text("B"), finish] }] });
    const out = await clock.run(executeStream({ ...req, stream: true }, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok && out.target.provider.id).toBe("b");
    expect(out.attempts[0]!.errorClass).toBe("timeout");
  });

  it("after commit, a cut ends with stream_cut instead of a clean end", async () => {
    const { clock, deps, plan } = setup({ a: [{ events: [text("partial")], then: "end" }] });
    const out = await clock.run(executeStream({ ...req, stream: true }, plan, deps, { deadlineMs: 10_000 }));
    if (!out.ok) throw new Error("expected commit");
    const { events, error } = await clock.run(drain(continueStream(out.value, clock)));
    expect(events).toEqual([text("partial")]);
    expect(error?.errorClass).toBe("stream_cut");
  });

  it("after commit, a stall longer than stallMs ends with stall", async () => {
    const { clock, deps, plan } = setup({ a: [{ events: [text("partial")], then: "stall" }] }, { stallMs: 400 });
    const out = await clock.run(executeStream({ ...req, stream: true }, plan, deps, { deadlineMs: 10_000 }));
    if (!out.ok) throw new Error("expected commit");
    const { error } = await clock.run(drain(continueStream(out.value, clock)));
    expect(error?.errorClass).toBe("stall");
    expect(clock.sleeps).toContain(400);
  });

  it("after commit, a vendor error event is passed on as an error", async () => {
    const { clock, deps, plan } = setup({ a: [{ events: [text("x")], then: new UpstreamError("server_error", "overloaded") }] });
    const out = await clock.run(executeStream({ ...req, stream: true }, plan, deps, { deadlineMs: 10_000 }));
    if (!out.ok) throw new Error("expected commit");
    const { error } = await clock.run(drain(continueStream(out.value, clock)));
    expect(error?.message).toBe("overloaded");
  });
});

describe("hedged requests", () => {
  it("starts the next target after afterMs without an answer, takes the first good one, and cancels the other", async () => {
    const { clock, deps, plan, calls } = setup({ a: [{ hang: true }], b: [{ ok: "B" }] }, { firstByteMs: 10_000 });
    const t0 = clock.now();
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 60_000, hedge: { afterMs: 300, allow: () => true } }));
    expect(out.ok && out.value.content).toBe("B");
    expect(out.hedged).toBe(true);
    expect(clock.now() - t0).toBe(300);
    expect(calls).toEqual(["a", "b"]);
    expect(out.attempts.find((a) => a.provider === "b")).toMatchObject({ outcome: "ok", hedge: true });
  });

  it("does not hedge when the first target answers in time", async () => {
    const { clock, deps, plan, calls } = setup({ a: [{ ok: "A" }], b: [{ ok: "B" }] });
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 60_000, hedge: { afterMs: 300, allow: () => true } }));
    expect(out.ok && out.value.content).toBe("A");
    expect(out.hedged).toBeUndefined();
    expect(calls).toEqual(["a"]);
  });

  it("does not hedge when the budget says no", async () => {
    const { clock, deps, plan, calls } = setup({ a: [{ hang: true }, { ok: "A2" }], b: [{ ok: "B" }] }, { firstByteMs: 1000 });
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 60_000, hedge: { afterMs: 300, allow: () => false } }));
    expect(out.hedged).toBeUndefined();
    // b starts only after a's first-byte timeout (1 s), not at the hedge time (300 ms).
    expect(calls).toEqual(["a", "b"]);
    expect(out.ok && out.value.content).toBe("B");
    expect(out.attempts[0]).toMatchObject({ errorClass: "timeout", ms: 1000 });
  });

  it("hedges streams on the first content event and closes the loser", async () => {
    const { clock, deps, plan } = setup({ a: [{ events: [], then: "stall" }], b: [{ events: [text("B"), finish] }] }, { firstByteMs: 10_000 });
    const out = await clock.run(executeStream({ ...req, stream: true }, plan, deps, { deadlineMs: 60_000, hedge: { afterMs: 200, allow: () => true } }));
    expect(out.ok && out.target.provider.id).toBe("b");
    if (!out.ok) return;
    const { events } = await clock.run(drain(continueStream(out.value, clock)));
    expect(events).toEqual([text("B"), finish]);
  });
});

describe("HedgeBudget", () => {
  it("keeps hedges under the configured share of requests", async () => {
    const { HedgeBudget } = await import("../../src/engine/hedge");
    const b = new HedgeBudget(0.1);
    let taken = 0;
    for (let i = 0; i < 100; i++) {
      b.request(i);
      if (b.take(i)) taken++;
    }
    expect(taken).toBeLessThanOrEqual(10);
    expect(taken).toBeGreaterThanOrEqual(9);
  });
});

describe("attempt reports", () => {
  const withReports = (d: EngineDeps) => {
    const reports: { target: string; outcome: string; errorClass?: string; cancelled?: boolean; outputTokens?: number; refusal?: boolean }[] = [];
    d.onAttempt = (t, r) => reports.push({ target: t.provider.id, outcome: r.outcome, ...(r.errorClass ? { errorClass: r.errorClass } : {}), ...(r.cancelled ? { cancelled: true } : {}), ...(r.outputTokens !== undefined ? { outputTokens: r.outputTokens } : {}), ...(r.refusal ? { refusal: true } : {}) });
    return reports;
  };
  const usage: StreamEvent = { type: "usage", usage: { inputTokens: 3, outputTokens: 7 } };

  it("reports each JSON attempt as it settles, with what the answer knows", async () => {
    const { clock, deps, plan } = setup({ a: [{ error: new UpstreamError("server_error", "500") }, { error: new UpstreamError("server_error", "500") }], b: [{ ok: "B" }] });
    const reports = withReports(deps);
    const out = await clock.run(executeJson(req, plan, deps, { deadlineMs: 10_000 }));
    expect(out.ok).toBe(true);
    expect(reports).toEqual([
      { target: "a", outcome: "error", errorClass: "server_error" },
      { target: "a", outcome: "error", errorClass: "server_error" },
      { target: "b", outcome: "ok" },
    ]);
  });

  it("a committed stream reports itself once, when it finishes, with its output tokens", async () => {
    const { clock, deps, plan } = setup({ a: [{ error: new UpstreamError("server_error", "503") }, { events: [text("he"), text("llo"), finish, usage] }] });
    const reports = withReports(deps);
    const out = await clock.run(executeStream({ ...req, stream: true }, plan, deps, { deadlineMs: 10_000 }));
    if (!out.ok) throw new Error("expected commit");
    // The failure was reported before the stream was even read; the stream itself not yet.
    expect(reports).toEqual([{ target: "a", outcome: "error", errorClass: "server_error" }]);
    await clock.run(drain(continueStream(out.value, clock)));
    expect(reports.at(-1)).toEqual({ target: "a", outcome: "ok", outputTokens: 7 });
    expect(reports).toHaveLength(2);
  });

  it("a committed stream that fails after commit reports its error class", async () => {
    const { clock, deps, plan } = setup({ a: [{ events: [text("partial")], then: "stall" }] }, { stallMs: 400 });
    const reports = withReports(deps);
    const out = await clock.run(executeStream({ ...req, stream: true }, plan, deps, { deadlineMs: 10_000 }));
    if (!out.ok) throw new Error("expected commit");
    await clock.run(drain(continueStream(out.value, clock)));
    expect(reports).toEqual([{ target: "a", outcome: "error", errorClass: "stall" }]);
  });

  it("a committed stream its reader leaves is reported cancelled", async () => {
    const { clock, deps, plan } = setup({ a: [{ events: [text("one"), text("two"), finish] }] });
    const reports = withReports(deps);
    const out = await clock.run(executeStream({ ...req, stream: true }, plan, deps, { deadlineMs: 10_000 }));
    if (!out.ok) throw new Error("expected commit");
    const it = continueStream(out.value, clock);
    await clock.run(it.next());
    await clock.run(it.return(undefined));
    expect(reports).toEqual([{ target: "a", outcome: "error", errorClass: "cancelled", cancelled: true }]);
  });
});
