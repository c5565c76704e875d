import { describe, expect, it } from "vitest";
import type { CanonicalRequest } from "../../../src/canonical";
import { bucketKey, cacheKeys, canonicalText, intentPrefix, nearScope, nearText, sha256Hex, tenantHash, type KeyParts } from "../../../src/cache/keys";

const parts: KeyParts = { tenant: "acme", route: "support", model: "openai/gpt-4o-mini" };

function req(text: string, extra: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { messages: [{ role: "user", content: text }], stream: false, includeUsage: false, ...extra };
}

describe("canonicalText", () => {
  it.each([
    ["NFKC folds full-width and ligatures", "Ｈｅｌｌｏ ﬁne", "hello fine"],
    ["lower-cases", "Reset My PASSWORD", "reset my password"],
    ["folds whitespace of every kind", "  reset\t\tmy\u00a0\u2003password \n", "reset my password"],
    ["drops zero-width characters", "pass\u200bword\u200d re\ufeffset\u00ad", "password reset"],
    ["drops meaningless punctuation", "How do I reset my password?!", "how do i reset my password"],
    ["joins apostrophes inside words", "What’s the way? it's", "whats the way its"],
    ["quotes and brackets become spaces", `Translate "good morning" (formal)`, "translate good morning formal"],
    ["keeps decimals, times, negatives", "Is 3.5 > -2 at 10:30, or 1,000?", "is 3.5 > -2 at 10:30 or 1,000"],
    ["keeps meaning-bearing symbols", "50% of $20 + tax = 2*5 #tag @me a/b", "50% of $20 + tax = 2*5 #tag @me a/b"],
    ["keeps non-Latin letters and digits", "Привет, МИР! 東京は？ ٣٤", "привет мир 東京は ٣٤"],
    ["keeps combining marks (Devanagari)", "नमस्ते!", "नमस्ते"],
  ])("%s", (_why, input, expected) => {
    expect(canonicalText(input)).toBe(expected);
  });
});

describe("sha256Hex", () => {
  it("matches a known vector", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("cacheKeys", () => {
  it("is stable and shaped cache:<tenant16>:<kind>:<sha256>", async () => {
    const a = await cacheKeys(req("How do I reset my password?"), parts, "faq:password-reset");
    const b = await cacheKeys(req("How do I reset my password?"), parts, "faq:password-reset");
    expect(a).toEqual(b);
    const t = await tenantHash("acme");
    expect(a.intent).toMatch(new RegExp(`^cache:${t}:i:[0-9a-f]{16}:[0-9a-f]{16}$`));
    expect(a.exact).toMatch(new RegExp(`^cache:${t}:x:[0-9a-f]{64}$`));
    expect(a.canonical).toMatch(new RegExp(`^cache:${t}:c:[0-9a-f]{64}$`));
  });

  it("has no intent key without an intent", async () => {
    expect((await cacheKeys(req("hi"), parts)).intent).toBeUndefined();
  });

  it("scopes every key by tenant, whatever characters the tenant has", async () => {
    const a = await cacheKeys(req("same prompt"), parts, "faq:1");
    const b = await cacheKeys(req("same prompt"), { ...parts, tenant: "globex/üñí:code sk-secret" }, "faq:1");
    expect(b.exact).not.toBe(a.exact);
    expect(b.canonical).not.toBe(a.canonical);
    expect(b.intent).not.toBe(a.intent);
    for (const k of Object.values(b)) expect(k).toMatch(/^cache:[0-9a-f]{16}:([xc]:[0-9a-f]{64}|i:[0-9a-f]{16}:[0-9a-f]{16})$/);
  });

  it("scopes an intent by route, model and answer shape: a json_schema request never shares a plain-text answer", async () => {
    const base = (await cacheKeys(req("refund policy?"), parts, "faq:refunds")).intent!;
    const schema: CanonicalRequest["responseFormat"] = { type: "json_schema", name: "a", schema: { type: "object" } };
    expect((await cacheKeys(req("when do I get my money back"), parts, "faq:refunds")).intent).toBe(base); // wording: same
    expect((await cacheKeys(req("refund policy?", { responseFormat: schema }), parts, "faq:refunds")).intent).not.toBe(base);
    expect((await cacheKeys(req("refund policy?"), { ...parts, route: "other" }, "faq:refunds")).intent).not.toBe(base);
    expect((await cacheKeys(req("refund policy?"), { ...parts, model: "x/y" }, "faq:refunds")).intent).not.toBe(base);
    // Every shape of one intent shares a prefix, so a purge by intent finds them all.
    expect(base.startsWith(await intentPrefix("acme", "faq:refunds"))).toBe(true);
  });

  it("never puts prompt text or the tenant in a key", async () => {
    const keys = await cacheKeys(req("my secret prompt"), { ...parts, tenant: "tenant-secret" }, "intent-secret");
    expect(JSON.stringify(keys)).not.toMatch(/secret/);
  });

  const base = req("Classify: great product", { temperature: 0, maxTokens: 50 });
  it.each<[string, Partial<CanonicalRequest> | Partial<KeyParts>]>([
    ["route", { route: "other" }],
    ["model", { model: "anthropic/claude" }],
    ["message text", { messages: [{ role: "user", content: "Classify: bad product" }] }],
    ["a system prompt", { messages: [{ role: "system", content: "Be terse." }, ...base.messages] }],
    ["role", { messages: [{ role: "system", content: "Classify: great product" }] }],
    ["tools", { tools: [{ name: "lookup", parameters: { type: "object" } }] }],
    ["toolChoice", { toolChoice: "none" }],
    ["responseFormat", { responseFormat: { type: "json_object" } }],
    ["temperature", { temperature: 0.7 }],
    ["topP", { topP: 0.5 }],
    ["stop", { stop: ["\n"] }],
    ["maxTokens", { maxTokens: 51 }],
  ])("changing %s changes the exact and canonical keys", async (_field, change) => {
    const a = await cacheKeys(base, parts);
    const isPart = "route" in change || "model" in change;
    const b = isPart ? await cacheKeys(base, { ...parts, ...change }) : await cacheKeys({ ...base, ...change }, parts);
    expect(b.exact).not.toBe(a.exact);
    expect(b.canonical).not.toBe(a.canonical);
  });

  it.each<[string, Partial<CanonicalRequest>]>([
    ["user", { user: "end-user-42" }],
    ["metadata", { metadata: { trace: "abc" } }],
    ["stream", { stream: true }],
    ["includeUsage", { includeUsage: true }],
  ])("changing %s keeps the keys", async (_field, change) => {
    expect(await cacheKeys({ ...base, ...change }, parts)).toEqual(await cacheKeys(base, parts));
  });

  it("ignores JSON key order in tool schemas", async () => {
    const t1 = { tools: [{ name: "f", parameters: { type: "object", properties: { a: { type: "string" } } } }] };
    const t2 = { tools: [{ name: "f", parameters: { properties: { a: { type: "string" } }, type: "object" } }] };
    expect((await cacheKeys(req("x", t1), parts)).exact).toBe((await cacheKeys(req("x", t2), parts)).exact);
  });

  it("folds case, space and punctuation variants into one canonical key but distinct exact keys", async () => {
    const a = await cacheKeys(req("How do I reset my password?"), parts);
    const b = await cacheKeys(req("  how DO i reset\u200b my   password "), parts);
    expect(b.canonical).toBe(a.canonical);
    expect(b.exact).not.toBe(a.exact);
  });
});

describe("bucketKey", () => {
  it("is nd:<tenant16>:<scope16>:<head16>, the same for one meaning head and different for another", async () => {
    const k = await bucketKey("t".repeat(16), "s".repeat(16), "cancel · subscription");
    expect(k).toMatch(/^nd:t{16}:s{16}:[0-9a-f]{16}$/);
    expect(await bucketKey("t".repeat(16), "s".repeat(16), "cancel · subscription")).toBe(k);
    expect(await bucketKey("t".repeat(16), "s".repeat(16), "upgrade · subscription")).not.toBe(k);
    expect(await bucketKey("u".repeat(16), "s".repeat(16), "cancel · subscription")).not.toBe(k);
  });
});

describe("nearText and nearScope", () => {
  it("compares the text of the last user message", () => {
    const r: CanonicalRequest = req("", {
      messages: [
        { role: "system", content: "You are Support." },
        { role: "user", content: "first question" },
        { role: "assistant", content: "an answer" },
        { role: "user", content: [{ type: "text", text: "Second  QUESTION?" }, { type: "image", url: "https://x/y.png" }] },
      ],
    });
    expect(nearText(r)).toBe("second question");
  });

  const scope = (text: string, extra: Partial<CanonicalRequest> = {}, p = parts) => nearScope(req(text, extra), p);
  const withSystem = (system: string, text: string) => ({ messages: [{ role: "system" as const, content: system }, { role: "user" as const, content: text }] });

  it("is shared by rewordings of one question", async () => {
    expect(await scope("how can I reset a password")).toBe(await scope("Reset my password!"));
    expect(await scope("", withSystem("Be brief.", "reset my password"))).toBe(await scope("", withSystem("be  BRIEF", "how do I reset my password")));
  });

  it.each<[string, () => Promise<string>]>([
    ["route", () => scope("reset my password", {}, { ...parts, route: "other" })],
    ["model", () => scope("reset my password", {}, { ...parts, model: "other/model" })],
    ["parameters", () => scope("reset my password", { temperature: 0.2 })],
    ["system prompt", () => scope("", withSystem("Answer in French.", "reset my password"))],
    ["earlier turns", () => scope("", { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }, { role: "user", content: "reset my password" }] })],
    ["images", () => scope("", { messages: [{ role: "user", content: [{ type: "text", text: "reset my password" }, { type: "image", url: "https://x/a.png" }] }] })],
  ])("differs by %s", async (_what, other) => {
    expect(await other()).not.toBe(await scope("reset my password"));
  });

  it.each([
    ["digits", "Status of order 48213?", "Status of order 48214?"],
    ["number words", "Summarize this in three bullet points", "Summarize this in ten bullet points"],
    ["names", "What is the capital of France?", "What is the capital of Germany?"],
    ["acronyms and product names", "Is the iPhone waterproof?", "Is the Pixel waterproof?"],
  ])("differs when the question's %s differ", async (_what, a, b) => {
    expect(await scope(a)).not.toBe(await scope(b));
  });

  it("ignores sentence-initial capitals, 'I', and all-caps text when finding names", async () => {
    expect(await scope("Reset my password. Now I'm locked out")).toBe(await scope("reset my password now im locked out"));
    expect(await scope("HOW DO I RESET MY PASSWORD")).toBe(await scope("how do i reset my password"));
  });
});
