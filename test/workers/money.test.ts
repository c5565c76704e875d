/**
 * Honest money: a spend cap holds against unpriced models and failed-but-billed calls; a stream's real cost is in its
 * final chunk and the log (its x-detour-cost-usd header is an estimate made before any token).
 */
import { describe, expect, it } from "vitest";
import { PRICED_PROVIDERS, VENDOR_CONFIG } from "../support/config";
import { harness, streamedText } from "../support/harness";

const FREE = { authorization: "Bearer dtr_free_key_000000000002" };
const priced = {
  ...VENDOR_CONFIG,
  providers: PRICED_PROVIDERS,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
};

async function spendOf(h: ReturnType<typeof harness>, tenant: string): Promise<number> {
  const ns = h.env.TENANT_LIMITER;
  const stub = ns.get(ns.idFromName(tenant));
  return (await stub.usage(h.clock.now())).spendUsdThisMonth;
}

describe("spend caps", () => {
  it("a capped tenant naming an unpriced provider/model gets a clear 400; nothing reaches the vendor", async () => {
    const h = harness({ config: { ...VENDOR_CONFIG, providers: [{ ...PRICED_PROVIDERS[0]!, models: [{ ...PRICED_PROVIDERS[0]!.models[0]!, id: "gpt-4o-mini" }, { id: "free-lunch", contextWindow: 128000 }] }, ...PRICED_PROVIDERS.slice(1)] } });
    const r = await h.chat({ model: "alpha/free-lunch" }, FREE);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: "invalid_request_error", code: "unpriced_model", param: "model" });
    expect(r.json.error.message).toContain("alpha/free-lunch");
    expect(h.vendors.calls).toHaveLength(0);
    // An uncapped tenant (premium) may still use it.
    h.vendors.always("openai.test", { text: "ok" });
    expect((await h.chat({ model: "alpha/free-lunch" })).status).toBe(200);
  });

  it("a 2xx the vendor billed but Detour refused (malformed) is committed too, not only the answer", async () => {
    const h = harness({ config: priced });
    h.vendors.always("openai.test", { malformed: true, usage: { inputTokens: 1000, outputTokens: 1000 } });
    h.vendors.always("anthropic.test", { text: "from beta", usage: { inputTokens: 1000, outputTokens: 1000 } });
    const r = await h.chat({ messages: [{ role: "user", content: "Summarise this report. ".repeat(400) }] }, FREE);
    expect(r.json.choices[0].message.content).toBe("from beta");
    const beta = (1000 * 0.8 + 1000 * 4) / 1e6;
    // More than the answer alone: the failed alpha call's estimated input is counted.
    expect(await spendOf(h, "hobby")).toBeGreaterThan(beta);
  });

  it("the reservation is released when a request fails, so failures do not eat the cap", async () => {
    const h = harness({ config: { ...priced, tenants: { byTenant: { hobby: { monthlySpendUsd: 0.01 } } } } });
    h.vendors.always("openai.test", { status: 400, errorMessage: "bad" });
    h.vendors.always("anthropic.test", { status: 400, errorMessage: "bad" });
    for (let i = 0; i < 5; i++) expect((await h.chat({ max_tokens: 2000 }, FREE)).status).toBe(400);
    h.vendors.always("openai.test", { text: "ok" });
    expect((await h.chat({ max_tokens: 2000 }, FREE)).status).toBe(200);
  });
});

describe("stream cost", () => {
  it("the final chunk's detour object and the log carry the real cost from the vendor's usage; the header is the estimate", async () => {
    const h = harness({ config: priced });
    h.vendors.always("openai.test", { text: "one two three", usage: { inputTokens: 10, outputTokens: 3 } });
    const r = await h.chat({ stream: true, stream_options: { include_usage: true } });
    expect(streamedText(r.events)).toBe("one two three");
    const real = (10 * 0.15 + 3 * 0.6) / 1e6;
    const last = r.events.filter((e) => typeof e === "object" && e.detour).at(-1);
    expect(last.detour.cost_usd).toBeCloseTo(real, 6);
    expect(last.detour.cost_estimated).toBe(false);
    const header = Number(r.headers.get("x-detour-cost-usd"));
    expect(last.detour.header_cost_usd_estimate).toBeCloseTo(header, 6);
    expect(header).toBeGreaterThan(real);
    expect(h.logs.at(-1)!.cost_usd).toBeCloseTo(real, 6);
  });
});
