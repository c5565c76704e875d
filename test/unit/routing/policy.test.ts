import { describe, expect, it } from "vitest";
import type { ModelConfig } from "../../../src/config/schema";
import { DEFAULT_ROUTING_POLICY, ModelQuality, modelQuality, RoutingPolicy } from "../../../src/routing/policy";

describe("RoutingPolicy defaults", () => {
  it.each([
    ["premium", { minHealth: 0.8, hedge: true, shed: false }],
    ["standard", { minHealth: 0.5, hedge: false, shed: 0.9 }],
    ["free", { minHealth: 0.2, hedge: false, shed: 0.5 }],
  ] as const)("tier %s", (tier, expected) => {
    expect(DEFAULT_ROUTING_POLICY.tiers[tier]).toEqual(expected);
  });

  it.each([
    ["classification", "cheapest", 1],
    ["extraction", "cheapest", 1],
    ["rewrite", "cheapest", 1],
    ["summarization", "ordered", 2],
    ["chat", "ordered", 2],
    ["code", "reliable", 3],
    ["reasoning", "reliable", 3],
  ] as const)("class %s: %s, floor %i", (taskClass, strategy, qualityFloor) => {
    expect(DEFAULT_ROUTING_POLICY.classes[taskClass]).toEqual({ strategy, qualityFloor });
  });

  it("has the documented top-level defaults", () => {
    expect(DEFAULT_ROUTING_POLICY).toMatchObject({
      criticality: "can-degrade",
      standby: true,
      hedging: { maxHedgeShare: 0.1, minDelayMs: 50, maxDelayMs: 5000 },
    });
  });

  it("keeps every other default when one field is overridden", () => {
    const p = RoutingPolicy.parse({ tiers: { free: { shed: false } }, classes: { code: { qualityFloor: 5 } } });
    expect(p.tiers.free).toEqual({ minHealth: 0.2, hedge: false, shed: false });
    expect(p.tiers.premium).toEqual(DEFAULT_ROUTING_POLICY.tiers.premium);
    expect(p.classes.code).toEqual({ strategy: "reliable", qualityFloor: 5 });
    expect(p.classes.chat).toEqual(DEFAULT_ROUTING_POLICY.classes.chat);
  });

  it.each([
    ["an unknown class", { classes: { poetry: { strategy: "cheapest" } } }],
    ["an unknown tier", { tiers: { gold: { minHealth: 0.9 } } }],
    ["an unknown field", { tiers: { free: { minhealth: 0.9 } } }],
    ["a floor of 0", { classes: { chat: { qualityFloor: 0 } } }],
    ["a floor of 6", { classes: { chat: { qualityFloor: 6 } } }],
    ["an unknown strategy", { classes: { chat: { strategy: "fastest" } } }],
    ["minHealth above 1", { tiers: { premium: { minHealth: 1.5 } } }],
    ["a shed pressure above 1", { tiers: { free: { shed: 2 } } }],
    ["shed: true (give a pressure)", { tiers: { free: { shed: true } } }],
    ["minDelayMs > maxDelayMs", { hedging: { minDelayMs: 6000 } }],
    ["an unknown criticality", { criticality: "optional" }],
  ])("rejects %s", (_, input) => {
    expect(RoutingPolicy.safeParse(input).success).toBe(false);
  });
});

describe("model quality", () => {
  it.each([
    [1, true],
    [5, true],
    [0, false],
    [6, false],
    [2.5, false],
  ])("%s valid: %s", (q, ok) => expect(ModelQuality.safeParse(q).success).toBe(ok));

  it("is 3 when a model does not set it", () => {
    const model = { id: "m", contextWindow: 8192, maxOutputTokens: 4096, tools: false, json: false, vision: false } as ModelConfig;
    expect(modelQuality(model)).toBe(3);
    expect(modelQuality({ ...model, quality: 5 } as ModelConfig)).toBe(5);
  });
});
