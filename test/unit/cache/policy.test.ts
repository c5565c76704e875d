import { describe, expect, it } from "vitest";
import type { CanonicalRequest } from "../../../src/canonical";
import { DEFAULT_MEANING_THRESHOLD } from "../../../src/intent/match";
import { CacheConfig, cacheDecision, parseCacheControl, type RouteCache } from "../../../src/cache/policy";

type TaskClass = Parameters<typeof cacheDecision>[0]["taskClass"];

function req(extra: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { messages: [{ role: "user", content: "Classify: great product" }], stream: false, includeUsage: false, ...extra };
}

const defaults = CacheConfig.parse({});
const plain = { noStore: false, noCache: false };
const lookupTool = { name: "lookup", parameters: { type: "object" } };

/** One decision with sensible defaults: a cacheable classification request, no intent, no route switches. */
function decide(o: {
  req?: CanonicalRequest;
  taskClass?: TaskClass;
  intent?: string;
  config?: Partial<CacheConfig>;
  route?: RouteCache;
  cacheControl?: { noStore: boolean; noCache: boolean };
}) {
  return cacheDecision({
    req: o.req ?? req(),
    taskClass: o.taskClass ?? "classification",
    intent: o.intent,
    config: CacheConfig.parse(o.config ?? {}),
    route: o.route,
    cacheControl: o.cacheControl ?? plain,
  });
}

describe("CacheConfig defaults (README configuration table)", () => {
  it("an empty config has every documented default", () => {
    expect(defaults).toEqual({
      enabled: true,
      cacheableClasses: ["classification", "extraction", "rewrite", "summarization"],
      timeSensitiveClasses: [],
      ttlSeconds: {},
      defaultTtlSeconds: 3600,
      intentTtlSeconds: 86_400,
      staleGraceSeconds: 86_400,
      near: true,
      nearThreshold: 1,
      qaThreshold: 1,
      matching: { synonyms: {}, stopWords: [], actions: [], byTenant: {} },
      tenantWritesPerMinute: 120,
      allowTemperature: false,
      edgeTtlSeconds: 60,
      kvTimeoutMs: 300,
    });
    expect(DEFAULT_MEANING_THRESHOLD).toBe(1);
  });

  it.each<[string, unknown]>([
    ["unknown field", { ttl: 5 }],
    ["unknown class", { cacheableClasses: ["poetry"] }],
    ["zero TTL", { defaultTtlSeconds: 0 }],
    ["threshold below 0.3", { nearThreshold: 0.2 }],
    ["edge TTL over an hour", { edgeTtlSeconds: 3601 }],
    ["KV timeout under 10 ms", { kvTimeoutMs: 5 }],
  ])("refuses %s", (_why, input) => {
    expect(CacheConfig.safeParse(input).success).toBe(false);
  });
});

describe("parseCacheControl", () => {
  it.each<[string | null | undefined, boolean, boolean]>([
    [null, false, false],
    [undefined, false, false],
    ["", false, false],
    ["no-store", true, false],
    ["no-cache", false, true],
    ["No-Store", true, false],
    ["NO-CACHE", false, true],
    ["max-age=0, no-cache", false, true],
    ["no-cache,no-store", true, true],
    ["  no-store  ,  max-age=10 ", true, false],
    ["max-age=60", false, false],
    ["no-storefront", false, false],
  ])("%j → noStore=%s noCache=%s", (header, noStore, noCache) => {
    expect(parseCacheControl(header)).toEqual({ noStore, noCache });
  });
});

describe("cacheDecision", () => {
  it("a default classification request is read and written, with the default TTL", () => {
    expect(decide({})).toEqual({ read: true, write: true, reason: "cacheable", ttlSeconds: 3600 });
  });

  describe("bypass rules: neither read nor write", () => {
    it.each<[string, Parameters<typeof decide>[0], RegExp]>([
      ["cache disabled globally", { config: { enabled: false } }, /disabled/],
      ["cache disabled on the route", { route: { enabled: false } }, /disabled/],
      ["disabled beats an intent", { route: { enabled: false }, intent: "faq:refunds" }, /disabled/],
      ["Cache-Control: no-store", { cacheControl: { noStore: true, noCache: false } }, /no-store/],
      ["no-store together with no-cache", { cacheControl: { noStore: true, noCache: true } }, /no-store/],
      ["tools present (toolChoice unset)", { req: req({ tools: [lookupTool] }) }, /tools/],
      ["tools with toolChoice auto", { req: req({ tools: [lookupTool], toolChoice: "auto" }) }, /tools/],
      ["tools with toolChoice required", { req: req({ tools: [lookupTool], toolChoice: "required" }) }, /tools/],
      ["tools with a named tool", { req: req({ tools: [lookupTool], toolChoice: { name: "lookup" } }) }, /tools/],
      ["tools even with an intent", { req: req({ tools: [lookupTool] }), intent: "faq:refunds" }, /tools/],
      ["a time-sensitive class", { config: { timeSensitiveClasses: ["classification"] } }, /time-sensitive/],
      ["a time-sensitive class even with an intent", { config: { timeSensitiveClasses: ["chat"] }, taskClass: "chat", intent: "faq:news" }, /time-sensitive/],
      ["explicit temperature > 0", { req: req({ temperature: 0.7 }) }, /temperature/],
      ["explicit temperature > 0 even with an intent", { req: req({ temperature: 1 }), intent: "faq:refunds" }, /temperature/],
      ["route opts out of temperature when global allows it", { req: req({ temperature: 0.7 }), config: { allowTemperature: true }, route: { allowTemperature: false } }, /temperature/],
      ["chat without an intent", { taskClass: "chat" }, /class chat is not cacheable/],
      ["code without an intent", { taskClass: "code" }, /class code is not cacheable/],
      ["reasoning without an intent", { taskClass: "reasoning" }, /class reasoning is not cacheable/],
      ["a default class removed from cacheableClasses", { config: { cacheableClasses: ["extraction"] } }, /not cacheable/],
    ])("%s", (_why, input, reason) => {
      const d = decide(input);
      expect(d.read).toBe(false);
      expect(d.write).toBe(false);
      expect(d.reason).toMatch(reason);
    });
  });

  describe("cacheable: read and write", () => {
    it.each<[string, Parameters<typeof decide>[0]]>([
      ...(["classification", "extraction", "rewrite", "summarization"] as const).map(
        (c): [string, Parameters<typeof decide>[0]] => [`default cacheable class ${c}`, { taskClass: c }],
      ),
      ["tools with toolChoice none", { req: req({ tools: [lookupTool], toolChoice: "none" }) }],
      ["an empty tools array", { req: req({ tools: [] }) }],
      ["unset temperature", { req: req() }],
      ["temperature 0", { req: req({ temperature: 0 }) }],
      ["temperature > 0 when the route allows it", { req: req({ temperature: 0.7 }), route: { allowTemperature: true } }],
      ["temperature > 0 when the config allows it", { req: req({ temperature: 0.7 }), config: { allowTemperature: true } }],
      ["chat with an intent", { taskClass: "chat", intent: "faq:refunds" }],
      ["reasoning with an intent", { taskClass: "reasoning", intent: "faq:why" }],
      ["a class added to cacheableClasses", { taskClass: "chat", config: { cacheableClasses: ["chat"] } }],
      ["route enabled overrides nothing but is allowed", { route: { enabled: true } }],
    ])("%s", (_why, input) => {
      expect(decide(input)).toMatchObject({ read: true, write: true, reason: "cacheable" });
    });
  });

  describe("Cache-Control: no-cache revalidates", () => {
    it("writes the fresh answer but does not read", () => {
      expect(decide({ cacheControl: { noStore: false, noCache: true } })).toEqual({
        read: false,
        write: true,
        reason: "no-cache: revalidating",
        ttlSeconds: 3600,
      });
    });

    it("does not make an uncacheable request cacheable", () => {
      expect(decide({ taskClass: "chat", cacheControl: { noStore: false, noCache: true } })).toMatchObject({ read: false, write: false });
    });
  });

  describe("TTL", () => {
    const ttlSeconds = { classification: 60, summarization: 7200 };
    it.each<[string, Parameters<typeof decide>[0], number]>([
      ["per-class TTL", { taskClass: "classification", config: { ttlSeconds } }, 60],
      ["another class's per-class TTL", { taskClass: "summarization", config: { ttlSeconds } }, 7200],
      ["default TTL for a class without its own", { taskClass: "extraction", config: { ttlSeconds } }, 3600],
      ["configured default TTL", { taskClass: "rewrite", config: { defaultTtlSeconds: 900 } }, 900],
      ["intent TTL (default 86400)", { taskClass: "classification", intent: "faq:refunds", config: { ttlSeconds } }, 86_400],
      ["configured intent TTL beats the class TTL", { taskClass: "classification", intent: "faq:refunds", config: { ttlSeconds, intentTtlSeconds: 30 } }, 30],
      ["an empty intent is no intent", { taskClass: "classification", intent: "", config: { ttlSeconds } }, 60],
      ["bypass decisions still report the TTL", { taskClass: "chat", config: { defaultTtlSeconds: 120 } }, 120],
    ])("%s", (_why, input, ttl) => {
      expect(decide(input).ttlSeconds).toBe(ttl);
    });
  });
});
