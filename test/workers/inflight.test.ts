/**
 * In-flight slow detection through the worker: a primary that accepts and never answers is judged while its calls
 * wait (src/resilience/inflight.ts), so open-loop traffic stops waiting for the first-byte timeout within about a
 * second; long JSON answers are not taken for hangs.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BreakerConfig } from "../../src/resilience/breaker";
import { HealthConfig } from "../../src/resilience/health";
import { VENDOR_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const configWith = (breaker: Record<string, unknown>, timeouts: Record<string, number> = {}) => ({
  ...VENDOR_CONFIG,
  // The ceiling follows the deadline: a deadline above maxDeadlineMs is a config error, not silently cut to it.
  defaults: { timeouts, ...(timeouts.deadlineMs ? { maxDeadlineMs: Math.max(120_000, timeouts.deadlineMs) } : {}) },
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
  resilience: { breaker, reportFlushMs: 0 },
});
/** A breaker that never trips, so what the test sees is the isolate's own judgement. */
const NEVER_TRIPS = { consecutiveFailures: 100_000, minimumCalls: 100_000 };

type H = ReturnType<typeof harness>;

/** Send a request without driving the clock (open-loop traffic: the test moves time), resolving with its clock cost. */
function send(h: H, body: Record<string, unknown> = {}) {
  const started = h.clock.now();
  const request = new Request("https://detour.test/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${PREMIUM}`, "content-type": "application/json", "x-detour-trace": "1" },
    body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: "Say hello" }], ...body }),
  });
  const ctx = createExecutionContext();
  return (async () => {
    const res = await h.app.fetch(request, h.env, ctx);
    const json: any = await res.json();
    const elapsed = h.clock.now() - started;
    await waitOnExecutionContext(ctx);
    return { status: res.status, json, elapsed };
  })();
}

/** `n` requests, one every `everyMs` of clock time, then run the clock until all are answered. */
async function openLoop(h: H, n: number, everyMs: number, body: Record<string, unknown> = {}) {
  const pending: ReturnType<typeof send>[] = [];
  for (let i = 0; i < n; i++) {
    pending.push(send(h, body));
    await h.clock.advance(everyMs);
  }
  return h.clock.run(Promise.all(pending));
}

const touched = (r: { json: any }, provider = "alpha") => r.json.detour.attempts.some((a: any) => a.provider === provider && a.outcome !== "skipped");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A healthy history for alpha: quick answers, so its p99 is small and the floor decides. */
async function warm(h: H) {
  h.vendors.always("openai.test", { text: "alpha ok" });
  for (let i = 0; i < 5; i++) expect((await h.chat({})).json.choices[0].message.content).toBe("alpha ok");
}

describe("a hung primary is judged while its calls are in flight", () => {
  it("open-loop traffic stops waiting on it after about a second, invisibly to callers", async () => {
    const h = harness({ config: configWith(NEVER_TRIPS) });
    h.vendors.always("anthropic.test", { text: "from beta" });
    await warm(h);
    h.vendors.always("openai.test", { hang: true });
    // 25 requests/s for 10 s of clock time.
    const results = await openLoop(h, 250, 40);
    expect(results.every((r) => r.status === 200 && r.json.choices[0].message.content === "from beta")).toBe(true);
    const hit = results.filter((r) => touched(r));
    expect(hit.length / results.length).toBeLessThan(0.2);
    expect(median(results.map((r) => r.elapsed))).toBeLessThan(1000);
    // The default first-byte timeout is 30 s: nobody waited for it.
    expect(Math.max(...results.map((r) => r.elapsed))).toBeLessThan(2000);
    // Those that reached alpha were abandoned as slow (not timed out), and later ones passed it over as suspect.
    const alphaLines = hit.map((r) => r.json.detour.attempts.find((a: any) => a.provider === "alpha"));
    expect(alphaLines.every((a: any) => a.error_class === "slow")).toBe(true);
    const passedOver = results.filter((r) => !touched(r)).map((r) => r.json.detour.attempts[0]);
    expect(passedOver.every((a: any) => a.provider === "alpha" && a.outcome === "skipped" && /^suspect/.test(a.reason))).toBe(true);
    expect(results.at(-1)!.json.detour.routing.skipped[0].reason).toMatch(/^suspect/);
    expect(results.at(-1)!.json.detour.mode).toBe("failover");
  });

  it("the slow attempts reach the provider's breaker, so other isolates skip it too", async () => {
    const h = harness({ config: configWith({ consecutiveFailures: 5, openMs: 30_000, openJitter: 0 }), extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("anthropic.test", { text: "from beta" });
    await warm(h);
    h.vendors.always("openai.test", { hang: true });
    const t0 = h.clock.now();
    await openLoop(h, 50, 40);
    // Learned from the abandoned attempts, long before any of them would have timed out (30 s).
    expect(h.clock.now() - t0).toBeLessThan(5000);
    const status = await h.call("/status", { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(status.json.providers.find((p: any) => p.provider === "alpha").state).toBe("OPEN");
  });

  it("off: callers wait for the first-byte timeout as before", async () => {
    const h = harness({ config: { ...configWith(NEVER_TRIPS, { firstByteMs: 3000 }), resilience: { breaker: NEVER_TRIPS, reportFlushMs: 0, inflight: { enabled: false } } } });
    h.vendors.always("anthropic.test", { text: "from beta" });
    await warm(h);
    h.vendors.always("openai.test", { hang: true });
    const results = await openLoop(h, 20, 40);
    expect(results.every((r) => touched(r) && r.elapsed >= 3000)).toBe(true);
    expect(results[0]!.json.detour.attempts[0].error_class).toBe("timeout");
  });
});

describe("long JSON answers are not hangs", () => {
  /** Alpha's history: 100-token answers in 2 s (50 tokens/s), so p99 latency is about 2 s. */
  async function slowPerToken(h: H) {
    const stub = h.env.PROVIDER_HEALTH.get(h.env.PROVIDER_HEALTH.idFromName("alpha")) as any;
    const settings = { breaker: BreakerConfig.parse(NEVER_TRIPS), health: HealthConfig.parse({}) };
    const now = h.clock.now();
    const samples = Array.from({ length: 20 }, () => ({ at: now, model: "gpt-4o-mini", durationMs: 2000, latencyMs: 2000, outputTokens: 100, probe: false }));
    h.breakerView.put(await stub.record("alpha", samples, settings, now), now);
  }

  it("a large max_tokens stretches the threshold by the provider's per-token rate; without it the same wait is a hang", async () => {
    const h = harness({ config: configWith(NEVER_TRIPS, { firstByteMs: 120_000, deadlineMs: 300_000 }) });
    h.vendors.always("anthropic.test", { text: "from beta" });
    h.vendors.always("openai.test", { hang: true });
    await slowPerToken(h);

    // 4000 tokens at 50 tokens/s is 80 s of honest work: judged slow only past 4 × that, so the first-byte timeout
    // (120 s) ends these first.
    const long = await openLoop(h, 6, 10, { max_tokens: 4000 });
    for (const r of long) {
      expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "error", error_class: "timeout" });
      expect(r.elapsed).toBeGreaterThanOrEqual(120_000);
    }

    // The same wait without max_tokens is judged on p99 latency (≈ 2 s × 4): a hang.
    await h.clock.advance(30_000);
    const short = await openLoop(h, 6, 10);
    for (const r of short) {
      expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "error", error_class: "slow" });
      expect(r.elapsed).toBeLessThan(12_000);
      expect(r.json.choices[0].message.content).toBe("from beta");
    }
  });
});
