/**
 * Shadow traffic and readiness through the real worker: primary-served requests mirrored to a candidate fallback after
 * the response, compared, and recorded in the candidate's ProviderHealth object; what is never mirrored; /status and
 * /metrics; and `requireReadiness` keeping an unprepared fallback behind a prepared one.
 */
import { describe, expect, it } from "vitest";
import { CALLER_KEYS, VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const admin = { authorization: `Bearer ${ADMIN}` };
const ALPHA = "alpha/gpt-4o-mini";
const BETA = "beta/claude-3-5-haiku-latest";
const GAMMA = "gamma/gemini-2.0-flash";
const OPTED_OUT = "dtr_no_shadow_key_00000003";
const keys = { ...CALLER_KEYS, [OPTED_OUT]: { tenant: "private-co", tier: "premium", shadow: false } };

function setup(shadow: Record<string, unknown> = {}, route: Record<string, unknown> = {}) {
  const config = {
    ...VENDOR_CONFIG,
    routes: { auto: { targets: [ALPHA, BETA], shadow: { targets: [BETA], sampleRate: 1, maxPerMinute: 1000, ...shadow }, ...route } },
    resilience: { reportFlushMs: 0 },
  };
  const h = harness({ config, keys, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
  h.vendors.always("openai.test", { text: "Paris is the capital of France and its largest city." });
  h.vendors.always("anthropic.test", { text: "Paris is the capital of France, and its largest city." });
  return h;
}
const ask = (i: number) => ({ messages: [{ role: "user", content: `Question ${i}: what is the capital of France?` }] });
const readiness = async (h: ReturnType<typeof setup>) => (await h.call("/status", { headers: admin })).json.readiness;

describe("shadow traffic", () => {
  it("mirrors primary-served answers to the shadow target after the response; readiness shows in /status and /metrics", async () => {
    const h = setup();
    for (let i = 0; i < 20; i++) {
      const r = await h.chat(ask(i));
      expect(r.status).toBe(200);
      expect(r.headers.get("x-detour-provider")).toBe("alpha");
      expect(r.headers.get("x-detour-mode")).toBe("primary");
      expect(r.json.choices[0].message.content).toBe("Paris is the capital of France and its largest city.");
    }
    // The backup's vendor received the same requests, in its own wire format.
    const beta = h.vendors.callsTo("anthropic.test");
    expect(beta).toHaveLength(20);
    expect(JSON.stringify(beta[3]!.body.messages)).toContain("Question 3");
    const r = (await readiness(h)).auto[BETA];
    expect(r).toMatchObject({ comparisons: 20, equivalenceRate: 1, validationPassRate: 1, totals: { equivalent: 20, different: 0, invalid: 0, error: 0 } });
    expect(r.meanScore).toBeGreaterThan(0.5);
    const m = (await h.call("/metrics", { headers: admin })).text;
    expect(m).toContain(`detour_readiness_equivalence{route="auto",target="${BETA}"} 1`);
    expect(m).toContain(`detour_shadow_comparisons_total{route="auto",target="${BETA}",verdict="equivalent"} 20`);
    expect(m).toMatch(/detour_shadow_cost_usd_total\{route="auto",target="beta\/claude-3-5-haiku-latest"\} \d/);
    // The caller's answer and headers are those of a route without shadow traffic.
    const plain = harness({ config: { ...VENDOR_CONFIG, routes: { auto: { targets: [ALPHA, BETA] } } }, keys });
    plain.vendors.always("openai.test", { text: "Paris is the capital of France and its largest city." });
    const a = await plain.chat(ask(99));
    const b = await h.chat(ask(99));
    const comparable = (x: Headers) => [...x.entries()].filter(([k]) => !["x-request-id", "server-timing"].includes(k));
    expect(comparable(b.headers)).toEqual(comparable(a.headers));
    expect({ ...b.json, id: "", created: 0 }).toEqual({ ...a.json, id: "", created: 0 });
  });

  it("a streamed answer is mirrored (as one JSON call) once the stream has ended", async () => {
    const h = setup();
    const r = await h.chat({ ...ask(1), stream: true });
    expect(r.status).toBe(200);
    expect(r.events.at(-1)).toBe("[DONE]");
    const beta = h.vendors.callsTo("anthropic.test");
    expect(beta).toHaveLength(1);
    expect(beta[0]!.body.stream).toBeFalsy();
    expect((await readiness(h)).auto[BETA]).toMatchObject({ comparisons: 1, equivalenceRate: 1 });
  });

  it("a backup that refuses or answers other labels gets a low equivalence", async () => {
    const h = setup();
    h.vendors.always("anthropic.test", { text: "I'm sorry, but I can't help with that.", finishReason: "content_filter" });
    for (let i = 0; i < 10; i++) await h.chat(ask(i));
    const labels = (text: string) => ({ text });
    h.vendors.always("openai.test", labels("billing"));
    h.vendors.always("anthropic.test", labels("technical"));
    for (let i = 0; i < 10; i++) await h.chat({ ...ask(100 + i) }, { "x-detour-task": "classification" });
    const r = (await readiness(h)).auto[BETA];
    expect(r.comparisons).toBe(20);
    expect(r.equivalenceRate).toBe(0);
    expect(r.totals.different).toBe(20);
    const m = (await h.call("/metrics", { headers: admin })).text;
    expect(m).toContain(`detour_readiness_equivalence{route="auto",target="${BETA}"} 0`);
  });

  it("never mirrors a tenant that opted out, a no-store request, or while the target's breaker is open", async () => {
    const h = setup();
    await h.chat(ask(1), { authorization: `Bearer ${OPTED_OUT}` });
    await h.chat(ask(2), { "cache-control": "no-store" });
    expect(h.vendors.callsTo("anthropic.test")).toHaveLength(0);
    expect((await readiness(h)).auto).toBeUndefined();

    const forced = await h.call("/admin/breakers/beta", { method: "POST", json: { action: "force_open" }, headers: admin });
    expect(forced.json.state).toBe("FORCED_OPEN");
    const r = await h.chat(ask(3));
    expect(r.headers.get("x-detour-provider")).toBe("alpha");
    expect(h.vendors.callsTo("anthropic.test")).toHaveLength(0);

    await h.call("/admin/breakers/beta", { method: "POST", json: { action: "reset" }, headers: admin });
    await h.chat(ask(4));
    expect(h.vendors.callsTo("anthropic.test")).toHaveLength(1);
  });

  it("samples by sampleRate and stops at maxPerMinute; a failover answer is never compared", async () => {
    // The harness draws 0.5 for every request.
    const unsampled = setup({ sampleRate: 0.4 });
    for (let i = 0; i < 3; i++) await unsampled.chat(ask(i));
    expect(unsampled.vendors.callsTo("anthropic.test")).toHaveLength(0);

    const capped = setup({ sampleRate: 0.6, maxPerMinute: 2 });
    for (let i = 0; i < 4; i++) await capped.chat(ask(i));
    expect(capped.vendors.callsTo("anthropic.test")).toHaveLength(2);
    await capped.clock.advance(60_000);
    await capped.chat(ask(9));
    expect(capped.vendors.callsTo("anthropic.test")).toHaveLength(3);

    const failover = setup({ targets: [GAMMA] }, { targets: [ALPHA, BETA, GAMMA] });
    failover.vendors.always("openai.test", { status: 503, errorMessage: "down" });
    failover.vendors.always("gemini.test", { text: "anything" });
    const r = await failover.chat(ask(1));
    expect(r.headers.get("x-detour-mode")).toBe("failover");
    expect(failover.vendors.callsTo("gemini.test")).toHaveLength(0);
  });
});

describe("requireReadiness", () => {
  it("keeps a failover whose measured equivalence is below the bar behind a better-prepared one, never out", async () => {
    const h = setup({ targets: [BETA, GAMMA] }, { targets: [ALPHA, BETA, GAMMA], requireReadiness: 0.8 });
    h.vendors.always("openai.test", { text: "billing" });
    h.vendors.always("anthropic.test", { text: "technical" });
    h.vendors.always("gemini.test", { text: "billing" });
    const task = { "x-detour-task": "classification" };
    for (let i = 0; i < 12; i++) await h.chat(ask(i), task);
    const r = await readiness(h);
    expect(r.auto[BETA].equivalenceRate).toBe(0);
    expect(r.auto[GAMMA].equivalenceRate).toBe(1);

    // The primary fails: gamma (proven) answers before beta (below the bar).
    await h.clock.advance(2_000); // past the snapshot TTL, so the isolate's view picks up the readiness
    await h.chat(ask(50), task);
    h.vendors.always("openai.test", { status: 503, errorMessage: "down" });
    const failed = await h.chat(ask(51), { ...task, "x-detour-trace": "1" });
    expect(failed.headers.get("x-detour-provider")).toBe("gamma");
    expect(failed.json.detour.routing.below_readiness).toEqual([BETA]);
    expect(failed.json.detour.routing.order.map((o: any) => o.target)).toEqual([ALPHA, GAMMA, BETA]);

    // Still a fallback when it is the only one left.
    h.vendors.always("gemini.test", { status: 503, errorMessage: "down" });
    const last = await h.chat(ask(52), task);
    expect(last.headers.get("x-detour-provider")).toBe("beta");
  });
});
