/**
 * Issue 17's FAQ table through the worker with real KV: answers warmed while vendors were healthy, then every vendor
 * down. FAQ questions with their intent, the same questions in other words without any header, and near-misses that
 * share words but ask something else — which must get an honest 503 or their own answer, never another question's.
 */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const admin = { authorization: `Bearer ${ADMIN}` };
const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
};

const FAQ = [
  { intent: "cancel", examples: ["How do I cancel my subscription?"], answer: "Settings → Billing → Cancel subscription.", paraphrase: "How can I end my membership?" },
  { intent: "reset", examples: ["How do I reset my password?"], answer: "Use 'Forgot password' on the sign-in page.", paraphrase: "I forgot my password, what do I do?" },
  { intent: "refund", examples: ["How do I get a refund?"], answer: "Refunds are requested from Orders → Refund.", paraphrase: "How can I get my money back?" },
  { intent: "track", examples: ["Where is my order?"], answer: "Track it from Orders → Track.", paraphrase: "Can I track my package?" },
  { intent: "support", examples: ["How do I contact support?"], answer: "Chat with us from the Help menu.", paraphrase: "How can I reach customer service?" },
];
const NEAR_MISSES = ["How do I upgrade my subscription?", "How do I change my username?", "Why was my refund denied?", "How do I cancel my order?", "What are support's hours?"];
const ANSWERS = new Set(FAQ.map((f) => f.answer));
const ask = (content: string, extra: Record<string, unknown> = {}) => ({ messages: [{ role: "user", content }], ...extra });

function setup(extraConfig: Record<string, unknown> = {}) {
  const h = harness({ config: { ...config, ...extraConfig }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
  // Cache writes only (an answer and its meaning bucket); classification history (hist:) has its own bounded budget.
  const puts: string[] = [];
  const kv = h.env.DETOUR_KV;
  // Count every write that reaches the real KV binding.
  h.env.DETOUR_KV = new Proxy(kv, { get: (t, p) => (p === "put" ? (k: string, ...rest: unknown[]) => (k.startsWith("hist:") || puts.push(k), (t.put as (...a: unknown[]) => unknown)(k, ...rest)) : Reflect.get(t, p)) });
  return { h, puts };
}
const allDown = (h: ReturnType<typeof harness>) => {
  h.vendors.always("openai.test", { status: 503 });
  h.vendors.always("anthropic.test", { status: 503 });
};

describe("degraded FAQ answers with every vendor down (issue 17)", () => {
  it("serves FAQ questions and their paraphrases correctly, and never a near-miss another question's answer", async () => {
    // Answers expire a minute after warming, so the outage below is served by the ladder (stale, labelled).
    const { h } = setup({ cache: { intentTtlSeconds: 60, staleGraceSeconds: 86_400 } });
    for (const f of FAQ) {
      const put = await h.call(`/admin/intents/auto/${f.intent}`, { method: "PUT", headers: admin, json: { examples: f.examples, answer: f.answer } });
      expect(put.status).toBe(200);
    }
    // Warm: each FAQ asked once with its intent while healthy (the live answer is what gets cached).
    for (const f of FAQ) {
      h.vendors.always("openai.test", { text: `LIVE ${f.answer}` });
      expect((await h.chat(ask(f.examples[0]!), { "x-detour-intent": f.intent })).status).toBe(200);
    }
    allDown(h);
    await h.clock.advance(61_000);
    let useful = 0;
    for (const f of FAQ) {
      const r = await h.chat(ask(f.examples[0]!), { "x-detour-intent": f.intent });
      if (r.status === 200 && r.json.choices[0].message.content === `LIVE ${f.answer}`) useful++;
      expect(r.headers.get("x-detour-mode")).toBe("stale");
    }
    for (const f of FAQ) {
      const r = await h.chat(ask(f.paraphrase)); // no header at all
      expect(r.status, f.paraphrase).toBe(200);
      expect(r.json.choices[0].message.content).toBe(`LIVE ${f.answer}`);
      expect(r.headers.get("x-detour-mode")).toBe("stale");
      expect(r.headers.get("x-detour-cache")).toMatch(/^stale; match=registered; similarity=1\.00$/);
      expect(r.json.detour.degraded.message).toMatch(/same meaning \(similarity 1\.00\)/);
      useful++;
    }
    for (const q of NEAR_MISSES) {
      const r = await h.chat(ask(q));
      const content: string | undefined = r.json?.choices?.[0]?.message?.content;
      // Honest 503, or an answer that is not another FAQ's.
      if (r.status === 200) expect(ANSWERS.has(content!) || [...ANSWERS].some((a) => content === `LIVE ${a}`), q).toBe(false);
      else expect(r.status).toBe(503);
    }
    expect(useful).toBe(FAQ.length * 2);
  });

  it("serves the registered answer, labelled, when no live answer was ever cached", async () => {
    const { h } = setup();
    const f = FAQ[0]!;
    await h.call(`/admin/intents/auto/${f.intent}`, { method: "PUT", headers: admin, json: { examples: f.examples, answer: f.answer } });
    allDown(h);
    const r = await h.chat(ask("Cancelling my subscription - how?"));
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe(f.answer);
    expect(r.headers.get("x-detour-mode")).toBe("stale");
    expect(r.json.detour.degraded.message).toMatch(/similarity 1\.00/);
    expect((await h.chat(ask("How do I upgrade my subscription?"))).status).toBe(503);
  });

  it("reads a chat message by its ask: context before the question neither hides the FAQ nor stands in for it", async () => {
    const { h } = setup();
    for (const f of FAQ) await h.call(`/admin/intents/auto/${f.intent}`, { method: "PUT", headers: admin, json: { examples: f.examples, answer: f.answer } });
    allDown(h);
    const chats = [
      ["hi! been with you for 3 years but money is tight now.\nhow do I cancel my subscription? thanks", "cancel"],
      ["hello, locked myself out this morning lol. How do I reset my password?", "reset"],
      ["hey, ordered a lamp last week and it never showed up — where is my order?", "track"],
    ] as const;
    for (const [chat, intent] of chats) {
      const r = await h.chat(ask(chat));
      expect(r.status, chat).toBe(200);
      expect(r.json.choices[0].message.content).toBe(FAQ.find((f) => f.intent === intent)!.answer);
      expect(r.headers.get("x-detour-mode")).toBe("stale");
    }
    // The context names another FAQ's object or action; the ask does not, so nothing is served from it.
    for (const chat of ["hi, I want to cancel my subscription soon. how do I upgrade my subscription first?", "my order arrived broken. how do I get a replacement?"]) {
      const r = await h.chat(ask(chat));
      expect(r.status, chat).toBe(503);
    }
  });

  it("an intent's plain-text answer never reaches a json_schema request, and intents never cross routes", async () => {
    const { h } = setup({ routes: { ...config.routes, other: { targets: ["alpha/gpt-4o-mini"], retry: { maxRetries: 0 } } } });
    h.vendors.always("openai.test", { text: "Refunds take 5 days." });
    await h.chat(ask("refund policy?"), { "x-detour-intent": "faq:refunds" });
    h.vendors.always("openai.test", { text: '{"days": 5}' });
    const schema = { type: "json_schema", json_schema: { name: "r", schema: { type: "object", properties: { days: { type: "number" } }, required: ["days"] } } };
    const structured = await h.chat(ask("refund policy?", { response_format: schema }), { "x-detour-intent": "faq:refunds" });
    expect(structured.headers.get("x-detour-cache")).toBe("miss");
    expect(JSON.parse(structured.json.choices[0].message.content)).toEqual({ days: 5 });
    const otherRoute = await h.chat(ask("refund policy?", { model: "other" }), { "x-detour-intent": "faq:refunds" });
    expect(otherRoute.headers.get("x-detour-cache")).toBe("miss");
    const again = await h.chat(ask("refund policy?"), { "x-detour-intent": "faq:refunds" });
    expect(again.json.choices[0].message.content).toBe("Refunds take 5 days.");
  });

  it("a stored answer costs at most 4 KV writes on the real binding; a tenant's write budget caps what callers can force", async () => {
    const { h, puts } = setup({ cache: { tenantWritesPerMinute: 2 } });
    h.vendors.always("openai.test", { text: "positive" });
    await h.chat(ask("Sentiment of: I love this product", { temperature: 0 }), { "x-detour-task": "classification" });
    expect(puts.length).toBeGreaterThan(0);
    expect(puts.length).toBeLessThanOrEqual(4);
    const before = puts.length;
    for (const i of [1, 2, 3]) await h.chat(ask(`Sentiment of: review number ${i}`, { temperature: 0 }), { "x-detour-intent": `random-${i}` });
    expect(puts.length - before).toBe(before); // one more answer fits the budget of 2; the other two are not stored
    expect((await h.chat(ask("Sentiment of: review number 3", { temperature: 0 }), { "x-detour-intent": "random-3" })).headers.get("x-detour-cache")).toBe("miss");
  });

  it("validates intents: clear 400s for bad bodies, 404 for unknown routes, GET shows how examples read", async () => {
    const { h } = setup();
    const bad = await h.call("/admin/intents/auto/x", { method: "PUT", headers: admin, json: { examples: [], answer: "" } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/examples: give at least one example phrasing/);
    expect((await h.call("/admin/intents/nope/x", { method: "PUT", headers: admin, json: { examples: ["How do I cancel?"], answer: "a" } })).status).toBe(404);
    const noWords = await h.call("/admin/intents/auto/x", { method: "PUT", headers: admin, json: { examples: ["how do I do it?"], answer: "a" } });
    expect(noWords.status).toBe(400);
    await h.call("/admin/intents/auto/cancel", { method: "PUT", headers: admin, json: { examples: ["How do I cancel my subscription?"], answer: "a" } });
    const got = await h.call("/admin/intents/auto/cancel", { headers: admin });
    expect(got.json.examples[0].meaning).toBe("cancel · subscription");
    expect((await h.call("/admin/intents/auto/cancel", { method: "DELETE", headers: admin })).json.deleted).toBe(true);
    expect((await h.call("/admin/intents/auto/cancel", { headers: admin })).status).toBe(404);
    expect((await h.call("/admin/intents/auto/cancel", { method: "PUT", json: { examples: ["x y z"], answer: "a" } })).status).toBe(401);
  });

  // GET /admin/intents/auto/__proto__ answered a 500 (its PUT "succeeded" and stored nothing), and GET …/toString
  // read Object.prototype's member as an intent.
  it("treats intent names like Object members as names: __proto__ is refused, toString is just an unknown intent", async () => {
    const { h } = setup();
    const proto = await h.call("/admin/intents/auto/__proto__", { method: "PUT", headers: admin, json: { examples: ["How do I cancel my subscription?"], answer: "a" } });
    expect(proto.status).toBe(400);
    expect(proto.json.error.param).toBe("intent");
    expect((await h.call("/admin/intents/auto/__proto__", { headers: admin })).status).toBe(400);
    expect((await h.call("/admin/intents/auto/toString", { headers: admin })).status).toBe(404);
    const own = await h.call("/admin/intents/auto/constructor", { method: "PUT", headers: admin, json: { examples: ["How do I cancel my subscription?"], answer: "a" } });
    expect(own.status).toBe(200);
    expect((await h.call("/admin/intents/auto/constructor", { headers: admin })).json.answer).toBe("a");
  });
});

// 1,200 real KV writes and deletes: seconds on a loaded machine, so more than the default 5 s.
describe("purge of any size (issue 15)", { timeout: 30_000 }, () => {
  it("purges 1,200 keys through the real KV binding in bounded steps, reporting progress, and spares other tenants", async () => {
    const { h } = setup();
    // The caller-driven mode (no CACHE_PURGE binding); purge jobs that finish on their own: test/workers/purge.test.ts.
    (h.env as { CACHE_PURGE?: unknown }).CACHE_PURGE = undefined;
    const { tenantHash } = await import("../../src/cache/keys");
    const [mine, other] = [await tenantHash("bulk-tenant"), await tenantHash("other-tenant")];
    const kv = h.env.DETOUR_KV;
    const keys = Array.from({ length: 1200 }, (_, i) => (i % 3 === 0 ? `nd:${mine}:s:${i}` : `cache:${mine}:c:${i}`));
    for (let i = 0; i < keys.length; i += 200) await Promise.all(keys.slice(i, i + 200).map((k) => kv.put(k, "{}")));
    await kv.put(`cache:${other}:c:keep`, "{}");
    let url = "/admin/cache?tenant=bulk-tenant";
    const steps: { removed_keys: number; done: boolean }[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await h.call(url, { method: "DELETE", headers: admin });
      expect(r.status).toBe(200);
      steps.push(r.json);
      if (r.json.done) break;
      expect(r.json.next).toMatch(/^DELETE \/admin\/cache\?tenant=bulk-tenant&cursor=/);
      url = r.json.next.slice("DELETE ".length);
    }
    expect(steps.at(-1)!.done).toBe(true);
    expect(steps.length).toBeGreaterThanOrEqual(3); // no single call exceeds the per-invocation operation limit
    for (const s of steps) expect(s.removed_keys).toBeLessThanOrEqual(450);
    expect(steps.reduce((n, s) => n + s.removed_keys, 0)).toBe(1200);
    expect((await kv.list({ prefix: `cache:${mine}:` })).keys).toHaveLength(0);
    expect((await kv.list({ prefix: `nd:${mine}:` })).keys).toHaveLength(0);
    expect((await kv.list({ prefix: `cache:${other}:` })).keys).toHaveLength(1);
    expect((await h.call("/admin/cache?tenant=bulk-tenant&cursor=nonsense", { method: "DELETE", headers: admin })).status).toBe(400);
  }, 30_000); // writing 1,200 keys to local KV takes seconds on a loaded machine
});
