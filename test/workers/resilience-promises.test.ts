/**
 * README's resilience promises on Detour's own defaults (no timeout or retry overrides), as a caller would check them
 * from outside: each test is one promise, with the injected clock standing in for real waiting.
 */
import { describe, expect, it } from "vitest";
import { CALLER_KEYS, VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const STANDARD = "dtr_standard_key_00000003";
const KEYS = { ...CALLER_KEYS, [STANDARD]: { tenant: "std", tier: "standard" } };
/** Two targets; routing (tiers, shedding), timeouts, retries and the deadline all at their built-in defaults. */
const DEFAULTS_CONFIG = { ...VENDOR_CONFIG, routing: {}, routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"] } } };

describe("a hung primary on the default timeouts", () => {
  it("is answered by the fallback after one first-byte timeout, not a 504 after two", async () => {
    const h = harness({ config: DEFAULTS_CONFIG, keys: KEYS });
    h.vendors.always("openai.test", { hang: true });
    h.vendors.always("anthropic.test", { text: "from the fallback" });
    const t0 = h.clock.now();
    // A standard caller is never hedged: only the attempts policy decides how long it waits.
    const r = await h.chat({}, { authorization: `Bearer ${STANDARD}`, "x-detour-trace": "1" });
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("from the fallback");
    expect(r.json.detour.attempts.map((a: any) => `${a.provider}:${a.error_class ?? a.outcome}`)).toEqual(["alpha:timeout", "beta:ok"]);
    // One default first-byte timeout (30 s), then the fallback: a silent vendor is not waited on twice (it was: two
    // 30 s waits filled the 60 s deadline, and the caller got a 504 without the fallback ever being asked).
    expect(r.json.detour.attempts[0].ms).toBe(30_000);
    expect(h.clock.now() - t0).toBeLessThan(35_000);
    expect(h.vendors.callsTo("openai.test")).toHaveLength(1);
  });
});

describe("a hung primary at thin traffic (one caller at a time, never hedged)", () => {
  const seq = (h: ReturnType<typeof harness>) => h.chat({}, { authorization: `Bearer ${STANDARD}`, "x-detour-trace": "1" });

  // Suspicion needs minSlow (3) slow calls in flight, which one caller at a time never reaches: each request waited
  // out the 30 s first-byte timeout until five timeouts opened the breaker (2.5 minutes of 30 s answers).
  it("moves on once a call is far slower than the provider's history, then the breaker takes the provider out", async () => {
    const h = harness({ config: { ...DEFAULTS_CONFIG, resilience: { reportFlushMs: 0 } }, keys: KEYS });
    h.vendors.always("anthropic.test", { text: "from the fallback" });
    h.vendors.always("openai.test", { text: "alpha ok" });
    for (let i = 0; i < 5; i++) expect((await seq(h)).json.choices[0].message.content).toBe("alpha ok");

    h.vendors.always("openai.test", { hang: true });
    const waits: number[] = [];
    const firsts: string[] = [];
    for (let i = 0; i < 8; i++) {
      const t0 = h.clock.now();
      const r = await seq(h);
      expect(r.status).toBe(200);
      expect(r.json.choices[0].message.content).toBe("from the fallback");
      waits.push(h.clock.now() - t0);
      firsts.push(`${r.json.detour.attempts[0].provider}:${r.json.detour.attempts[0].error_class ?? r.json.detour.attempts[0].outcome}`);
    }
    // The quick history puts the threshold at the floor (1 s); the check runs every 250 ms after it.
    for (const [i, f] of firsts.entries()) if (f === "alpha:slow") expect(waits[i]).toBeLessThanOrEqual(1_500);
    const slow = firsts.filter((f) => f === "alpha:slow").length;
    expect(firsts.slice(0, slow)).toEqual(Array(slow).fill("alpha:slow"));
    expect(slow).toBeGreaterThanOrEqual(1);
    expect(slow).toBeLessThanOrEqual(5); // the breaker's consecutiveFailures at the latest
    // The slow failures reach alpha's breaker: later callers skip it and wait for nothing.
    expect(firsts.slice(slow).every((f) => f === "alpha:skipped")).toBe(true);
    expect(firsts.slice(-3)).toEqual(Array(3).fill("alpha:skipped"));
    expect(Math.max(...waits.slice(slow))).toBeLessThan(100);
    expect(h.vendors.callsTo("openai.test").length).toBe(5 + slow);
  });

  it("without history (a cold isolate or a new model) it still waits for the first-byte timeout, not a guess", async () => {
    const h = harness({ config: DEFAULTS_CONFIG, keys: KEYS });
    h.vendors.always("openai.test", { hang: true });
    h.vendors.always("anthropic.test", { text: "from the fallback" });
    const r = await seq(h);
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", error_class: "timeout", ms: 30_000 });
  });

  it("resilience.inflight.alone: false keeps the old wait", async () => {
    const h = harness({ config: { ...DEFAULTS_CONFIG, resilience: { reportFlushMs: 0, inflight: { alone: false } } }, keys: KEYS });
    h.vendors.always("anthropic.test", { text: "from the fallback" });
    h.vendors.always("openai.test", { text: "alpha ok" });
    for (let i = 0; i < 5; i++) await seq(h);
    h.vendors.always("openai.test", { hang: true });
    const r = await seq(h);
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", error_class: "timeout", ms: 30_000 });
  });

  it("refuses a non-boolean alone with a clear configuration error", async () => {
    const h = harness({ config: { ...DEFAULTS_CONFIG, resilience: { inflight: { alone: "yes" } } }, keys: KEYS });
    const r = await seq(h);
    expect(r.status).toBe(500);
    expect(r.json.error.code).toBe("invalid_config");
    expect(r.json.error.message).toContain("resilience.inflight.alone");
  });
});

describe("every vendor down, for a caller whose tier sheds under pressure", () => {
  const RULES_CONFIG = {
    ...DEFAULTS_CONFIG,
    routes: { auto: { ...DEFAULTS_CONFIG.routes.auto, retry: { maxRetries: 0 } } },
    degrade: { rules: { labels: [{ name: "billing", keywords: ["invoice", "refund", "charge"] }] } },
  };
  const ask = { messages: [{ role: "user", content: "I was charged twice, please refund the invoice" }] };

  it("still gets the degradation ladder's labelled answer, without touching a vendor, instead of a bare load_shed", async () => {
    const h = harness({ config: RULES_CONFIG, keys: KEYS });
    h.vendors.always("openai.test", { status: 503 });
    h.vendors.always("anthropic.test", { status: 503 });
    // Premium traffic (never shed) meets the outage and opens both breakers.
    for (let i = 0; i < 5; i++) await h.chat(ask, { "x-detour-task": "classification" });
    const before = h.vendors.callsTo("openai.test").length + h.vendors.callsTo("anthropic.test").length;
    // Both targets unavailable: pressure 1, over the standard tier's 0.9 — shed from the vendors, not from the ladder.
    const r = await h.chat(ask, { authorization: `Bearer ${STANDARD}`, "x-detour-task": "classification", "x-detour-trace": "1" });
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("billing");
    expect(r.headers.get("x-detour-mode")).toBe("degraded");
    expect(r.headers.get("x-detour-degraded")).toMatch(/^rules; reason=/);
    expect(r.json.detour.degraded.message.length).toBeGreaterThan(20);
    expect(h.vendors.callsTo("openai.test").length + h.vendors.callsTo("anthropic.test").length).toBe(before);
  });

  it("keeps the load_shed code, with Retry-After and the banner, when no rung can answer", async () => {
    const h = harness({ config: RULES_CONFIG, keys: KEYS });
    h.vendors.always("openai.test", { status: 503 });
    h.vendors.always("anthropic.test", { status: 503 });
    for (let i = 0; i < 5; i++) await h.chat({});
    const r = await h.chat({ messages: [{ role: "user", content: "Write me a poem about spring" }] }, { authorization: `Bearer ${STANDARD}` });
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe("load_shed");
    expect(r.headers.get("retry-after")).toBeTruthy();
    expect(r.headers.get("x-detour-mode")).toBe("degraded");
    expect(r.json.detour.degraded.message.length).toBeGreaterThan(20);
  });
});
