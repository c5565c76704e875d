/**
 * The per-tenant cache write budget holds across isolates (src/cache/write-budget.ts): two isolates of one deployment
 * (two apps, each with its own memory, sharing KV and Durable Objects) store at most `tenantWritesPerMinute` answers
 * between them, leased from the tenant's TenantLimiter object; without the object each isolate counts alone.
 */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const config = { ...VENDOR_CONFIG, routes: { auto: { targets: ["alpha/gpt-4o-mini"], retry: { maxRetries: 0 } } }, cache: { tenantWritesPerMinute: 6 } };

function isolates(extraEnv: Record<string, unknown> = {}) {
  const isolation = crypto.randomUUID();
  const [a, b] = [harness({ config, isolation, extraEnv }), harness({ config, isolation, extraEnv })];
  for (const h of [a, b]) h.vendors.always("openai.test", { text: "An answer worth keeping." });
  return { a, b };
}

/** Answers stored so far: one `cache:` entry per stored answer (its meaning bucket is an `nd:` key). */
const stored = async (h: ReturnType<typeof harness>) => (await h.env.DETOUR_KV.list({ prefix: "cache:" })).keys.length;

/** Each request names a new intent, so each answer is a new entry a caller forces the deployment to write. */
const force = (h: ReturnType<typeof harness>, i: number) => h.chat({ messages: [{ role: "user", content: `question ${i}` }] }, { "x-detour-intent": `forced-${i}` });

describe("cache write budget across isolates", () => {
  it("two isolates store at most the tenant's budget between them in a minute, and again the next minute", async () => {
    const { a, b } = isolates();
    for (let i = 0; i < 8; i++) {
      expect((await force(a, i)).status).toBe(200);
      expect((await force(b, 100 + i)).status).toBe(200);
    }
    // Per isolate this would have been 6 + 6 = 12; the leases from the one object cap the pair at 6.
    expect(await stored(a)).toBe(6);
    await a.clock.advance(60_000);
    await b.clock.advance(60_000);
    for (let i = 8; i < 12; i++) await force(b, 100 + i);
    expect(await stored(a)).toBe(10);
  });

  it("without the TenantLimiter binding each isolate keeps its own budget (the fallback)", async () => {
    const { a, b } = isolates({ TENANT_LIMITER: undefined });
    for (let i = 0; i < 8; i++) {
      await force(a, i);
      await force(b, 100 + i);
    }
    expect(await stored(a)).toBe(12);
  });
});
