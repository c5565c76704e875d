import { describe, expect, it } from "vitest";
import type { CanonicalRequest } from "../../../src/canonical";
import {
  bandKeys,
  cacheKeys,
  canonicalText,
  DEFAULT_NEAR_THRESHOLD,
  jaccardEstimate,
  minhash,
  nearScope,
  nearText,
  sha256Hex,
  shingles,
  tenantHash,
  type KeyParts,
} from "../../../src/cache/keys";
import fixture from "../../fixtures/paraphrases.json";

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
    expect(a.intent).toMatch(new RegExp(`^cache:${t}:i:[0-9a-f]{64}$`));
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
    for (const k of Object.values(b)) expect(k).toMatch(/^cache:[0-9a-f]{16}:[ixc]:[0-9a-f]{64}$/);
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

describe("MinHash", () => {
  it("shingles short texts into words, bigrams and character grams; long texts into word 3-grams", () => {
    const short = shingles("How do I reset my password?");
    expect(short).toEqual(expect.arrayContaining(["w:reset", "w:password", "w:reset password", "c:passw"]));
    const long = shingles("The quarterly report shows revenue growth across every region, led by strong demand in Asia and Europe");
    expect(long.every((s) => s.startsWith("w:") && s.split(" ").length === 3)).toBe(true);
  });

  it("is deterministic and has the requested length", () => {
    const sh = shingles("track my order 1234");
    expect(minhash(sh)).toEqual(minhash([...sh].reverse()));
    expect(minhash(sh)).toHaveLength(64);
    expect(minhash(sh, 128)).toHaveLength(128);
    expect(minhash(sh, 128).slice(0, 64)).toEqual(minhash(sh));
  });

  it.each([
    [0.0, 0],
    [0.25, 80],
    [0.5, 133],
    [0.75, 171],
    [1.0, 200],
  ])("estimates Jaccard %f within ±0.1 (256 hashes)", (expected, shared) => {
    // Two sets of 200 elements sharing `shared`: Jaccard = shared / (400 − shared).
    const a = Array.from({ length: 200 }, (_, i) => `e${i}`);
    const b = Array.from({ length: 200 }, (_, i) => (i < shared ? `e${i}` : `f${i}`));
    const truth = shared / (400 - shared);
    expect(Math.abs(truth - expected)).toBeLessThan(0.01);
    expect(Math.abs(jaccardEstimate(minhash(a, 256), minhash(b, 256)) - truth)).toBeLessThan(0.1);
  });

  it("treats empty texts as similar to nothing and rejects mismatched signatures", () => {
    expect(jaccardEstimate(minhash([]), minhash([]))).toBe(0);
    expect(() => jaccardEstimate(minhash(["a"], 64), minhash(["a"], 32))).toThrow(RangeError);
  });

  it("makes band keys scoped by tenant and scope", () => {
    const sig = minhash(shingles("reset my password"));
    const keys = bandKeys(sig, "t".repeat(16), "s".repeat(16));
    expect(keys).toHaveLength(16);
    keys.forEach((k, i) => expect(k).toMatch(new RegExp(`^nd:t{16}:s{16}:${i}:[0-9a-f]{16}$`)));
    expect(bandKeys(sig, "u".repeat(16), "s".repeat(16))).not.toEqual(keys);
    expect(bandKeys(sig, "t", "s", 16, 4)).toHaveLength(16);
    expect(() => bandKeys(sig, "t", "s", 40)).toThrow(RangeError); // 40 bands × 2 rows > 64 values
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

describe("near-duplicate matching on the labelled fixture", () => {
  const pairs = fixture.pairs;

  /** A hit the way the cache finds one: same scope, at least one shared band key, estimate at or over the threshold. */
  async function judge(a: string, b: string, threshold: number) {
    const [ra, rb] = [req(a), req(b)];
    const sa = minhash(shingles(nearText(ra)));
    const sb = minhash(shingles(nearText(rb)));
    const ka = new Set(bandKeys(sa, "t", await nearScope(ra, parts)));
    const candidate = bandKeys(sb, "t", await nearScope(rb, parts)).some((k) => ka.has(k));
    const similarity = jaccardEstimate(sa, sb);
    return { hit: candidate && similarity >= threshold, similarity };
  }

  it("has a balanced labelled set of at least 40 pairs", () => {
    expect(pairs.length).toBeGreaterThanOrEqual(40);
    const positives = pairs.filter((p) => p.paraphrase).length;
    expect(positives / pairs.length).toBeGreaterThan(0.4);
    expect(positives / pairs.length).toBeLessThan(0.6);
  });

  it(`reaches precision ≥ 0.9 and recall ≥ 0.6 at threshold ${DEFAULT_NEAR_THRESHOLD}`, async () => {
    let [tp, fp, fn] = [0, 0, 0];
    const wrong: string[] = [];
    for (const p of pairs) {
      const { hit, similarity } = await judge(p.a, p.b, DEFAULT_NEAR_THRESHOLD);
      if (hit && p.paraphrase) tp++;
      else if (hit) fp++, wrong.push(`false hit ${similarity.toFixed(2)}: ${p.a} | ${p.b}`);
      else if (p.paraphrase) fn++, wrong.push(`missed ${similarity.toFixed(2)}: ${p.a} | ${p.b}`);
    }
    const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
    const recall = tp / (tp + fn);
    console.log(`near-dup recall=${recall.toFixed(2)} precision=${precision.toFixed(2)} threshold=${DEFAULT_NEAR_THRESHOLD} (tp=${tp} fp=${fp} fn=${fn})`);
    expect(precision, wrong.join("\n")).toBeGreaterThanOrEqual(0.9);
    expect(recall, wrong.join("\n")).toBeGreaterThanOrEqual(0.6);
  });

  it("does not let a long shared system prompt make different questions near", async () => {
    const system = "You are the support assistant for Acme Cloud. Answer questions about billing, accounts, storage, " +
      "networking and security. Be concise, friendly and accurate, cite the relevant help-centre article when you " +
      "can, never invent features, and escalate anything about legal matters or outages to a human agent.";
    const r = (q: string) => req("", { messages: [{ role: "system", content: system }, { role: "user", content: q }] });
    const sim = (a: string, b: string) => jaccardEstimate(minhash(shingles(nearText(r(a)))), minhash(shingles(nearText(r(b)))));
    expect(sim("How do I cancel my order?", "How do I track my order?")).toBeLessThan(DEFAULT_NEAR_THRESHOLD);
    expect(sim("How do I reset my password?", "how can i reset my password")).toBe(1);
  });
});
