import { describe, expect, it } from "vitest";
import type { Tier } from "../../../src/config/tier";
import type { ModelConfig, ProviderConfig } from "../../../src/config/schema";
import type { Target } from "../../../src/providers/types";
import type { BreakerStateName } from "../../../src/resilience/breaker";
import type { Classification, Needs, TaskClass } from "../../../src/routing/classify";
import { estimateCostUsd, expectedOutputTokens, plan, SUSPECT_REASON, type PlanInput, type TargetHealth } from "../../../src/routing/plan";
import { type Criticality, DEFAULT_ROUTING_POLICY, RoutingPolicy } from "../../../src/routing/policy";

type ModelOpts = Partial<ModelConfig> & { quality?: number };

/** A target `id/m`; the model is built by hand because `quality` is not in ModelConfig yet. */
function t(id: string, opts: ModelOpts = {}): Target {
  const model = { id: "m", contextWindow: 8192, maxOutputTokens: 4096, tools: false, json: false, vision: false, ...opts } as ModelConfig;
  const provider = { id, kind: "simulated", headers: {}, models: [model], timeouts: {} } as ProviderConfig;
  return { provider, model };
}
const name = (x: Target) => x.provider.id;
const h = (score: number, state: BreakerStateName = "CLOSED", extra: Partial<TargetHealth> = {}): TargetHealth =>
  ({ state, score, rateLimitRate: 0, ttftP95Ms: null, latencyP95Ms: null, ...extra });
const cls = (taskClass: TaskClass, estimatedInputTokens = 100, needs: Partial<Needs> = {}): Classification =>
  ({ taskClass, source: "route", reasons: [], estimatedInputTokens, needs: { tools: false, json: false, vision: false, ...needs } });

/** Plan with health given per provider id (absent → unknown). */
function run(candidates: Target[], health: Record<string, TargetHealth> = {}, over: Partial<PlanInput> = {}) {
  return plan({
    classification: cls("chat"), tier: "standard", criticality: "can-degrade", candidates,
    health: (x) => health[name(x)], policy: DEFAULT_ROUTING_POLICY, now: 0, ...over,
  });
}
const order = (p: ReturnType<typeof plan>) => p.ordered.map((e) => name(e.target));
const reasons = (p: ReturnType<typeof plan>) => p.ordered.map((e) => e.reason);
const skipOf = (p: ReturnType<typeof plan>, id: string) => p.skipped.find((s) => name(s.target) === id)?.reason;

describe("estimateCostUsd / expectedOutputTokens", () => {
  it.each<[string, ModelOpts, number, number, number | undefined]>([
    ["per million, input and output", { price: { input: 1, output: 2 } }, 1000, 500, 0.002],
    ["no tokens", { price: { input: 1, output: 2 } }, 0, 0, 0],
    ["free model", { price: { input: 0, output: 0 } }, 5000, 5000, 0],
    ["gpt-4o-like", { price: { input: 2.5, output: 10 } }, 2_000_000, 100_000, 6],
    ["no price", {}, 1000, 500, undefined],
  ])("%s", (_, opts, input, output, expected) => {
    const cost = estimateCostUsd(t("a", opts), input, output);
    if (expected === undefined) expect(cost).toBeUndefined();
    else expect(cost).toBeCloseTo(expected, 12);
  });

  it.each<[number | undefined, number, number]>([
    [200, 4096, 200],
    [undefined, 4096, 1024],
    [undefined, 512, 512],
  ])("cap %s on a model with max %i expects %i output tokens", (cap, max, expected) => {
    expect(expectedOutputTokens(t("a", { maxOutputTokens: max }), cap)).toBe(expected);
  });

  it("puts each target's estimate on the plan, 0 and priced=false without a price", () => {
    const p = run([t("a", { price: { input: 1, output: 2 } }), t("b")], {}, { classification: cls("chat", 1000, { maxOutputTokens: 500 }) });
    expect(p.ordered.map((e) => [e.estimatedCostUsd, e.priced])).toEqual([[0.002, true], [0, false]]);
  });
});

describe("capability filter", () => {
  it.each<[string, ModelOpts, number, Partial<Needs>, string | undefined]>([
    ["context: input + default output", {}, 7976, {}, "skipped: context 9000 > 8192"],
    ["context: exact fit", {}, 7168, {}, undefined],
    ["context: the caller's cap counts", {}, 7000, { maxOutputTokens: 2000 }, "skipped: context 9000 > 8192"],
    ["context: a small max output shrinks the default", { maxOutputTokens: 256 }, 7936, {}, undefined],
    ["max output", { contextWindow: 128_000 }, 100, { maxOutputTokens: 8000 }, "skipped: max output 8000 > 4096"],
    ["tools", {}, 100, { tools: true }, "skipped: no tools"],
    ["tools supported", { tools: true }, 100, { tools: true }, undefined],
    ["json", {}, 100, { json: true }, "skipped: no json"],
    ["vision", { json: true }, 100, { vision: true, json: true }, "skipped: no vision"],
  ])("%s", (_, opts, tokens, needs, expected) => {
    const big = t("big", { contextWindow: 200_000, maxOutputTokens: 16_000, tools: true, json: true, vision: true });
    const p = run([t("a", opts), big], {}, { classification: cls("chat", tokens, needs) });
    expect(skipOf(p, "a")).toBe(expected);
    expect(order(p)).toEqual(expected ? ["big"] : ["a", "big"]);
  });

  it("never tries an incapable model, not even as the fallback", () => {
    const p = run([t("small"), t("tools", { tools: true })], { tools: h(0.1) }, { classification: cls("chat", 100, { tools: true }) });
    expect(order(p)).toEqual(["tools"]);
    expect(reasons(p)).toEqual(["fallback: no healthy target"]);
    expect(p.skipped).toEqual([{ target: expect.anything(), reason: "skipped: no tools" }]);
  });

  it("returns an empty plan only when no model can take the request, each skip explained", () => {
    const p = run([t("a"), t("b", { json: true })], {}, { classification: cls("chat", 100, { vision: true }), tier: "premium" });
    expect(p.ordered).toEqual([]);
    expect(p.skipped.map((s) => s.reason)).toEqual(["skipped: no vision", "skipped: no vision"]);
    expect(p).toMatchObject({ pressure: 0, shed: { shed: false }, hedge: { allowed: false, reason: "nothing to hedge to: 0 targets" } });
  });

  it("is empty for an empty pool", () => expect(run([])).toMatchObject({ ordered: [], skipped: [], pressure: 0, shed: { shed: false } }));

  it("drops duplicate candidates", () => {
    const a = t("a");
    expect(order(run([a, t("b"), a]))).toEqual(["a", "b"]);
  });
});

describe("health", () => {
  it.each<[Tier, TargetHealth | undefined, string | undefined]>([
    ["premium", h(0, "OPEN"), "breaker_open"],
    ["free", h(0, "FORCED_OPEN"), "forced_open"],
    ["free", h(0, "DISABLED"), "disabled"],
    ["premium", h(0.41), "skipped: health 0.41 < 0.8 (premium)"],
    ["standard", h(0.41), "skipped: health 0.41 < 0.5 (standard)"],
    ["free", h(0.41), undefined],
    ["free", h(0.1), "skipped: health 0.1 < 0.2 (free)"],
    ["premium", h(0.8), undefined],
    ["premium", h(0.799), "skipped: health 0.79 < 0.8 (premium)"],
    ["premium", undefined, undefined],
    ["premium", h(0.5, "HALF_OPEN"), undefined],
  ])("%s, %j → %s", (tier, health, expected) => {
    const p = run([t("a"), t("ok")], health ? { a: health, ok: h(0.95) } : { ok: h(0.95) }, { tier });
    expect(skipOf(p, "a")).toBe(expected);
  });

  it("keeps a half-open target in its place, so recovery gets probe traffic", () => {
    const p = run([t("a"), t("b"), t("c")], { a: h(0.5, "HALF_OPEN"), b: h(0.9), c: h(0.7) }, { tier: "premium", classification: cls("summarization") });
    expect(order(p)).toEqual(["a", "b"]);
    expect(reasons(p)).toEqual(["configured_order #1; half-open: probe", "configured_order #2"]);
    expect(skipOf(p, "c")).toBe("skipped: health 0.7 < 0.8 (premium)");
  });
});

describe("quality floor", () => {
  it.each<[TaskClass, number | undefined, string | undefined]>([
    ["code", 2, "skipped: quality 2 < 3 (code)"],
    ["reasoning", 1, "skipped: quality 1 < 3 (reasoning)"],
    ["code", 3, undefined],
    ["code", undefined, undefined], // unset quality is 3
    ["chat", 1, "skipped: quality 1 < 2 (chat)"],
    ["summarization", 2, undefined],
    ["extraction", 1, undefined],
  ])("%s, quality %s → %s", (taskClass, quality, expected) => {
    const p = run([t("a", quality === undefined ? {} : { quality }), t("ok", { quality: 5 })], {}, { classification: cls(taskClass) });
    expect(skipOf(p, "a")).toBe(expected);
  });

  it("follows a configured floor", () => {
    const policy = RoutingPolicy.parse({ classes: { chat: { qualityFloor: 5 } } });
    const p = run([t("a", { quality: 4 }), t("b", { quality: 5 })], {}, { policy });
    expect(skipOf(p, "a")).toBe("skipped: quality 4 < 5 (chat)");
  });
});

const [p1, p2, p3] = [1, 2, 3].map((usd) => ({ price: { input: usd, output: usd } })) as [ModelOpts, ModelOpts, ModelOpts];

describe("strategies", () => {
  it.each<[string, TaskClass, Target[], Record<string, TargetHealth>, string[], string[]]>([
    ["cheapest: ascending cost", "extraction", [t("c", p3), t("a", p1), t("b", p2)], {}, ["a", "b", "c"], ["cheapest_healthy", "next_cheapest", "next_cheapest"]],
    ["cheapest: a cost tie goes to the higher score", "rewrite", [t("a", p1), t("b", p1)], { a: h(0.7), b: h(0.95) }, ["b", "a"], ["cheapest_healthy", "next_cheapest"]],
    ["cheapest: a full tie keeps configured order", "classification", [t("a", p1), t("b", p1)], {}, ["a", "b"], ["cheapest_healthy", "next_cheapest"]],
    ["cheapest: unknown price sorts last", "extraction", [t("x"), t("b", p2)], {}, ["b", "x"], ["cheapest_healthy", "next_cheapest (no price)"]],
    ["cheapest: unpriced models by score", "extraction", [t("x"), t("y")], { x: h(0.6), y: h(0.9) }, ["y", "x"], ["cheapest_healthy (no price)", "next_cheapest (no price)"]],
    ["cheapest: output price matters", "extraction", [t("a", { price: { input: 0.1, output: 10 } }), t("b", p1)], {}, ["b", "a"], ["cheapest_healthy", "next_cheapest"]],
    ["reliable: descending score", "code", [t("a"), t("b"), t("c")], { a: h(0.6), b: h(0.95), c: h(0.8) }, ["b", "c", "a"], ["most_reliable (score 0.95)", "next_reliable (score 0.8)", "next_reliable (score 0.6)"]],
    ["reliable: a score tie goes to quality", "reasoning", [t("a", { quality: 3 }), t("b", { quality: 5 })], { a: h(0.9), b: h(0.9) }, ["b", "a"], ["most_reliable (score 0.9)", "next_reliable (score 0.9)"]],
    ["reliable: a full tie keeps configured order", "code", [t("a"), t("b")], {}, ["a", "b"], ["most_reliable (score 0.9)", "next_reliable (score 0.9)"]],
    ["ordered: configured order, not score or cost", "chat", [t("a", p3), t("b", p1)], { a: h(0.6), b: h(0.99) }, ["a", "b"], ["configured_order #1", "configured_order #2"]],
    ["ordered: half-open keeps its place", "summarization", [t("a"), t("b")], { a: h(0.5, "HALF_OPEN") }, ["a", "b"], ["configured_order #1; half-open: probe", "configured_order #2"]],
  ])("%s", (_, taskClass, candidates, health, expectedOrder, expectedReasons) => {
    const p = run(candidates, health, { classification: cls(taskClass) });
    expect(order(p)).toEqual(expectedOrder);
    expect(reasons(p)).toEqual(expectedReasons);
  });

  it("follows a configured strategy", () =>
    expect(order(run([t("a", p2), t("b", p1)], {}, { policy: RoutingPolicy.parse({ classes: { chat: { strategy: "cheapest" } } }) }))).toEqual(["b", "a"]));
});

describe("must-succeed warm standby", () => {
  const pool = () => [t("a"), t("b"), t("c"), t("d", { tools: false, contextWindow: 100 })];
  const health = { a: h(0.95), b: h(0.6), c: h(0.7), d: h(0.99) };

  it.each<[string, Criticality, Partial<PlanInput>, string[]]>([
    ["appends the most reliable skipped model", "must-succeed", {}, ["a", "c"]],
    ["not for can-degrade", "can-degrade", {}, ["a"]],
    ["not for can-delay", "can-delay", {}, ["a"]],
    ["not when the policy turns it off", "must-succeed", { policy: RoutingPolicy.parse({ standby: false }) }, ["a"]],
  ])("%s", (_, criticality, over, expected) => {
    const p = run(pool(), health, { tier: "premium", criticality, ...over });
    expect(order(p)).toEqual(expected);
    if (expected.length > 1) expect(reasons(p).at(-1)).toBe("warm standby");
    expect(skipOf(p, "d")).toBe("skipped: context 1124 > 100"); // the incapable model is never the standby
  });

  it("ignores the quality floor but never picks a blocked breaker", () => {
    const p = run([t("a", { quality: 4 }), t("low", { quality: 1 }), t("open", { quality: 5 })], { open: h(0, "OPEN"), low: h(0.9) }, {
      classification: cls("code"), criticality: "must-succeed",
    });
    expect(order(p)).toEqual(["a", "low"]);
    expect(p.skipped.map((s) => s.reason)).toEqual(["breaker_open"]);
  });

  it("adds nothing when every capable model is already planned", () =>
    expect(reasons(run([t("a"), t("b")], {}, { criticality: "must-succeed" }))).toEqual(["configured_order #1", "configured_order #2"]));
});

describe("fallback when nothing is healthy", () => {
  it("plans every capable model, closed by score, then half-open, then blocked", () => {
    const p = run([t("open"), t("half", { quality: 2 }), t("weak"), t("weaker"), t("big", { contextWindow: 10 })], {
      open: h(0, "OPEN"), half: h(0.5, "HALF_OPEN"), weak: h(0.3), weaker: h(0.1),
    }, { tier: "premium", criticality: "must-succeed", classification: cls("code") });
    expect(order(p)).toEqual(["weak", "weaker", "half", "open"]);
    expect(new Set(reasons(p))).toEqual(new Set(["fallback: no healthy target"]));
    expect(p.skipped.map((s) => name(s.target))).toEqual(["big"]);
  });

  it("also when the quality floor leaves nothing", () =>
    expect(reasons(run([t("a", { quality: 1 })], {}, { classification: cls("code") }))).toEqual(["fallback: no healthy target"]));
});

describe("suspect providers (in-flight slow detection)", () => {
  it("are passed over like an open breaker, typed in the skip reason, and make the answer a failover", () => {
    const p = run([t("a"), t("b")], { a: h(0.95, "CLOSED", { suspect: true }) });
    expect(order(p)).toEqual(["b"]);
    expect(skipOf(p, "a")).toBe(SUSPECT_REASON);
    expect(p.passedOver).toBe(true);
    expect(p.pressure).toBe(0.5);
  });

  it("are still tried, before blocked breakers, when nothing healthy is left", () => {
    const p = run([t("a"), t("b")], { a: h(0.95, "OPEN"), b: h(0.95, "CLOSED", { suspect: true }) });
    expect(order(p)).toEqual(["b", "a"]);
    expect(reasons(p)).toEqual(["fallback: no healthy target", "fallback: no healthy target"]);
  });

  it("a suspect first target is hedged even when the hedge share is spent", () => {
    const health = { a: h(0.9, "CLOSED", { latencyP95Ms: 900, suspect: true }), b: h(0.9, "CLOSED", { suspect: true }) };
    expect(run([t("a"), t("b")], health, { tier: "premium", hedgeShare: 0.5 }).hedge).toMatchObject({ allowed: true, afterMs: 900 });
    const healthy = { a: h(0.9, "CLOSED", { latencyP95Ms: 900 }) };
    expect(run([t("a"), t("b")], healthy, { tier: "premium", hedgeShare: 0.5 }).hedge).toMatchObject({ allowed: false });
  });
});

describe("hedge", () => {
  const two = [t("a"), t("b")];
  it.each<[string, Tier, Record<string, TargetHealth>, Partial<PlanInput>, { allowed: boolean; afterMs?: number; reason: string }]>([
    ["after the first target's p95 TTFT", "premium", { a: h(0.9, "CLOSED", { ttftP95Ms: 800 }) }, { stream: true }, { allowed: true, afterMs: 800, reason: "after p95 TTFT of a/m: 800ms" }],
    ["clamped up to minDelayMs", "premium", { a: h(0.9, "CLOSED", { ttftP95Ms: 10 }) }, { stream: true }, { allowed: true, afterMs: 50, reason: "after p95 TTFT of a/m: 10ms, clamped to 50ms" }],
    ["clamped down to maxDelayMs", "premium", { a: h(0.9, "CLOSED", { ttftP95Ms: 9000 }) }, { stream: true }, { allowed: true, afterMs: 5000, reason: "after p95 TTFT of a/m: 9000ms, clamped to 5000ms" }],
    ["p95 latency when not streaming", "premium", { a: h(0.9, "CLOSED", { ttftP95Ms: 100, latencyP95Ms: 2400 }) }, {}, { allowed: true, afterMs: 2400, reason: "after p95 latency of a/m: 2400ms" }],
    ["not without observations", "premium", { a: h(0.9, "CLOSED", { latencyP95Ms: 2400 }) }, { stream: true }, { allowed: false, reason: "no p95 TTFT observed for a/m" }],
    ["not with unknown health", "premium", {}, {}, { allowed: false, reason: "no p95 latency observed for a/m" }],
    ["not for standard", "standard", { a: h(0.9, "CLOSED", { latencyP95Ms: 900 }) }, {}, { allowed: false, reason: "tier standard does not hedge" }],
    ["not for free", "free", {}, {}, { allowed: false, reason: "tier free does not hedge" }],
    ["not over the hedge share", "premium", { a: h(0.9, "CLOSED", { latencyP95Ms: 900 }) }, { hedgeShare: 0.1 }, { allowed: false, reason: "hedge budget spent: 0.1 ≥ 0.1" }],
    ["under the hedge share", "premium", { a: h(0.9, "CLOSED", { latencyP95Ms: 900 }) }, { hedgeShare: 0.05 }, { allowed: true, afterMs: 900, reason: "after p95 latency of a/m: 900ms" }],
  ])("%s", (_, tier, health, over, expected) => {
    expect(run(two, health, { tier, ...over }).hedge).toEqual(expected);
  });

  it("needs a second target", () =>
    expect(run([t("a")], { a: h(0.9, "CLOSED", { latencyP95Ms: 900 }) }, { tier: "premium" }).hedge).toEqual({ allowed: false, reason: "nothing to hedge to: 1 target" }));

  it("follows a tier's configured hedge switch", () => {
    const policy = RoutingPolicy.parse({ tiers: { free: { hedge: true } } });
    expect(run(two, { a: h(0.9, "CLOSED", { latencyP95Ms: 900 }) }, { tier: "free", policy }).hedge.afterMs).toBe(900);
  });
});

/** `n` capable targets, the first `strained` of them with health from `bad`. */
function pool(n: number, strained: number, bad: TargetHealth = h(0, "OPEN")) {
  const candidates = Array.from({ length: n }, (_, i) => t(`p${i}`));
  return { candidates, health: Object.fromEntries(candidates.slice(0, strained).map((c) => [name(c), bad])) };
}

describe("pressure", () => {
  it.each<[string, number, number, TargetHealth, number]>([
    ["all healthy", 4, 0, h(0.9), 0],
    ["one open of four", 4, 1, h(0, "OPEN"), 0.25],
    ["half-open counts", 4, 2, h(0.5, "HALF_OPEN"), 0.5],
    ["rate-limited at 20 %", 4, 3, h(0.9, "CLOSED", { rateLimitRate: 0.2 }), 0.75],
    ["19 % 429s is not", 4, 3, h(0.9, "CLOSED", { rateLimitRate: 0.19 }), 0],
    ["score below 0.2", 2, 2, h(0.19), 1],
    ["score 0.2 is not", 2, 2, h(0.2), 0],
  ])("%s", (_, n, strained, bad, expected) => {
    const { candidates, health } = pool(n, strained, bad);
    expect(run(candidates, health).pressure).toBe(expected);
  });

  it("counts only capable targets and unknown health as available", () =>
    expect(run([t("a"), t("b"), t("tiny", { contextWindow: 10 })], { a: h(0, "OPEN"), tiny: h(0, "OPEN") }).pressure).toBe(0.5));
});

describe("shedding", () => {
  it.each<[Tier, Criticality, number, string | undefined]>([
    ["free", "can-degrade", 4, undefined],
    ["free", "can-degrade", 5, "pressure 0.5 ≥ 0.5 (free)"],
    ["standard", "can-degrade", 8, undefined],
    ["standard", "can-degrade", 9, "pressure 0.9 ≥ 0.9 (standard)"],
    ["premium", "can-degrade", 10, undefined],
    ["free", "must-succeed", 10, undefined],
    ["standard", "must-succeed", 10, undefined],
    ["premium", "can-delay", 4, undefined],
    ["premium", "can-delay", 5, "pressure 0.5 ≥ 0.5 (can-delay)"],
    ["standard", "can-delay", 9, "pressure 0.9 ≥ 0.5 (can-delay)"],
  ])("%s %s at %i/10 strained → %s", (tier, criticality, strained, reason) => {
    const { candidates, health } = pool(10, strained);
    expect(run(candidates, health, { tier, criticality }).shed).toEqual(reason ? { shed: true, reason } : { shed: false });
  });

  it("sheds free before standard before premium, must-succeed never", () => {
    const who: [Tier, Criticality][] = [["free", "can-degrade"], ["standard", "can-degrade"], ["premium", "can-degrade"], ["free", "must-succeed"]];
    const shedAt = (strained: number) => {
      const { candidates, health } = pool(10, strained);
      return who.filter(([tier, criticality]) => run(candidates, health, { tier, criticality }).shed.shed).map(([tier]) => tier);
    };
    expect([0, 5, 9, 10].map(shedAt)).toEqual([[], ["free"], ["free", "standard"], ["free", "standard"]]);
  });

  it("follows configured thresholds; can-delay is not shed when free never is", () => {
    const policy = RoutingPolicy.parse({ tiers: { free: { shed: false }, premium: { shed: 0.8 } } });
    const { candidates, health } = pool(10, 10);
    expect(run(candidates, health, { tier: "standard", criticality: "can-delay", policy }).shed.reason).toBe("pressure 1 ≥ 0.9 (standard)");
    expect(run(candidates, health, { tier: "free", criticality: "can-delay", policy }).shed).toEqual({ shed: false });
    expect(run(candidates, health, { tier: "premium", policy }).shed.reason).toBe("pressure 1 ≥ 0.8 (premium)");
  });
});

describe("a health skip is never permanent", () => {
  const premium = { tier: "premium" as Tier };
  it("a score below minHealth on thin evidence keeps the target, and the reason says why", () => {
    const p = run([t("a"), t("b")], { a: h(0.54, "CLOSED", { excludable: false }) }, premium);
    expect(p.ordered.map((e) => name(e.target))).toEqual(["a", "b"]);
    expect(p.ordered[0]!.reason).toBe("configured_order #1; health 0.54 < 0.8 on thin evidence: kept");
    expect(p.skipped).toEqual([]);
  });

  it("without a draw under the share, a skipped target stays skipped", () => {
    const p = run([t("a"), t("b")], { a: h(0.5) }, { ...premium, canary: { share: 0.05, draw: 0.05 } });
    expect(p.ordered.map((e) => name(e.target))).toEqual(["b"]);
    expect(p.canary).toBeUndefined();
    expect(p.skipped[0]!.reason).toBe("skipped: health 0.5 < 0.8 (premium)");
  });

  it("a canary request tries the first target skipped for health first, the healthy order behind it", () => {
    const p = run([t("a"), t("b"), t("c")], { a: h(0.5), b: h(0.6) }, { ...premium, canary: { share: 0.05, draw: 0.049 } });
    expect(p.ordered.map((e) => name(e.target))).toEqual(["a", "c"]);
    expect(p.ordered[0]!.reason).toBe("canary: health 0.5 < 0.8 (premium), share 0.05");
    expect(p.canary).toMatchObject({ reason: "canary: health 0.5 < 0.8 (premium), share 0.05" });
    expect(name(p.canary!.target)).toBe("a");
    expect(p.skipped.map((s) => name(s.target))).toEqual(["b"]);
  });

  it("never a canary for a blocked breaker or a quality gap, nor when nothing healthy is left (the fallback takes them all)", () => {
    const canary = { share: 1, draw: 0 };
    expect(run([t("a"), t("b")], { a: h(0, "OPEN") }, { ...premium, canary }).canary).toBeUndefined();
    const lowQuality = run([t("a", { quality: 1 }), t("b")], {}, { ...premium, classification: cls("code"), canary });
    expect(lowQuality.canary).toBeUndefined();
    const allSick = run([t("a"), t("b")], { a: h(0.5), b: h(0.5) }, { ...premium, canary });
    expect(allSick.canary).toBeUndefined();
    expect(allSick.ordered.every((e) => e.reason === "fallback: no healthy target")).toBe(true);
  });
});
