import { describe, expect, it } from "vitest";
import { fastChatCompletion } from "../../../src/api/fast-request";
import { ApiError } from "../../../src/api/errors";
import { ChatCompletionBody, parseChatCompletion } from "../../../src/api/openai-request";
import { mulberry32 } from "../../../scripts/drill/requests.mjs";

/** What the zod schema says about `body`: its value, or its first issue. */
function zodSays(body: unknown) {
  const r = ChatCompletionBody.safeParse(body);
  return r.success ? { ok: true, data: r.data } : { ok: false };
}

/**
 * The fast path's contract: when it accepts, zod accepts with an equal value (it may decline what zod accepts).
 * Returns whether the fast path took the body, so tests can also check it is not vacuous.
 */
function agrees(body: unknown): boolean {
  const fast = fastChatCompletion(body);
  if (!fast) return false;
  const zod = zodSays(body);
  expect(zod, JSON.stringify(body)).toEqual({ ok: true, data: fast.data });
  return true;
}

const hot = {
  model: "auto",
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "Say hello in one short sentence." },
  ],
};

describe("fastChatCompletion", () => {
  it("takes the common body shapes, with the value zod gives", () => {
    const bodies: unknown[] = [
      hot,
      { ...hot, stream: true, stream_options: { include_usage: true } },
      { ...hot, stream: false, stream_options: null, temperature: 0, top_p: 1, max_tokens: 64, max_completion_tokens: null },
      { ...hot, stop: "\n", n: 1, user: "u-1", logprobs: false },
      { ...hot, stop: ["a", "b", "c", "d"], temperature: 2, top_p: 0 },
      { model: "openai/gpt-4o-mini", messages: [{ role: "developer", content: "", name: "d" }, { role: "user", content: "hi", name: "bob" }, { role: "assistant", content: "hello" }] },
      { model: "auto", messages: [{ role: "user", content: "x" }], n: 3 },
      Object.assign(Object.create(null), hot),
    ];
    for (const b of bodies) expect(agrees(b), JSON.stringify(b)).toBe(true);
  });

  it("declines anything outside the hot shape, so zod decides (and words) it", () => {
    const declined: unknown[] = [
      null,
      [],
      "text",
      {},
      { messages: hot.messages },
      { model: "auto" },
      { ...hot, model: "" },
      { ...hot, model: 5 },
      { ...hot, messages: [] },
      { ...hot, messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] },
      { ...hot, messages: [{ role: "tool", content: "x", tool_call_id: "c1" }] },
      { ...hot, messages: [{ role: "assistant", content: null, tool_calls: [] }] },
      { ...hot, messages: [{ role: "user", content: "hi", extra: 1 }] },
      { ...hot, messages: [{ role: "user", content: "hi", name: null }] },
      { ...hot, messages: [{ role: "wizard", content: "hi" }] },
      { ...hot, tools: [] },
      { ...hot, response_format: { type: "text" } },
      { ...hot, metadata: { a: "b" } },
      { ...hot, unknown_field: true },
      { ...hot, temperature: 2.5 },
      { ...hot, top_p: -0.1 },
      { ...hot, max_tokens: 0 },
      { ...hot, max_tokens: 1.5 },
      { ...hot, n: 1.5 },
      { ...hot, stop: ["a", "b", "c", "d", "e"] },
      { ...hot, stop: [1] },
      { ...hot, stream: "yes" },
      { ...hot, stream_options: { include_usage: "yes" } },
      { ...hot, stream_options: { other: true } },
      { ...hot, user: null },
      JSON.parse(`{"model":"auto","messages":[{"role":"user","content":"hi"}],"__proto__":{"x":1}}`),
    ];
    for (const b of declined) expect(fastChatCompletion(b), JSON.stringify(b)).toBeUndefined();
  });

  it("agrees with zod on 5,000 seeded random bodies, and takes a fair share of them", () => {
    const rnd = mulberry32(15);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const scalars: unknown[] = [null, true, false, 0, -0, 1, 2, 0.5, 1.5, 2.5, -1, 64, 2 ** 53, 1e300, "", "x", "auto", [], ["a"], ["a", "b", "c", "d", "e"], [1], {}, { include_usage: true }, { include_usage: 1 }, { a: "b" }];
    // Mostly plausible values (so many bodies are in the hot shape), sometimes any value at all (edges, wrong types).
    const message = () => {
      const m: Record<string, unknown> = {};
      if (rnd() < 0.98) m.role = rnd() < 0.9 ? pick(["system", "developer", "user", "user", "assistant"]) : pick(["tool", "other", 1, null]);
      if (rnd() < 0.98) m.content = rnd() < 0.9 ? pick(["hi", "", "a longer sentence"]) : pick([null, 3, [{ type: "text", text: "t" }], []]);
      if (rnd() < 0.1) m.name = pick(["n", "", null, 2]);
      if (rnd() < 0.03) m[pick(["tool_call_id", "tool_calls", "refusal", "x"])] = pick(scalars);
      return m;
    };
    const plausible: Record<string, unknown[]> = {
      stream: [true, false, null],
      stream_options: [null, {}, { include_usage: true }, { include_usage: false }],
      max_tokens: [1, 64, 4096, null],
      max_completion_tokens: [1, 256, null],
      temperature: [0, 0.7, 1, 2, null],
      top_p: [0, 0.9, 1, null],
      stop: ["\n", ["a"], ["a", "b", "c", "d"], [], null],
      n: [1, null],
      user: ["u", ""],
      logprobs: [false, null],
      metadata: [null, {}, { a: "b" }],
      tools: [[]],
      response_format: [{ type: "text" }],
      extra: [1],
    };
    const fields = Object.keys(plausible);
    let taken = 0;
    let zodOk = 0;
    const N = 5000;
    for (let i = 0; i < N; i++) {
      const body: Record<string, unknown> = {};
      if (rnd() < 0.97) body.model = rnd() < 0.9 ? pick(["auto", "openai/gpt-4o", "fast"]) : pick(scalars);
      if (rnd() < 0.97) body.messages = rnd() < 0.95 ? Array.from({ length: Math.floor(rnd() * 4) + (rnd() < 0.95 ? 1 : 0) }, message) : pick(scalars);
      for (const f of fields) if (rnd() < 0.1) body[f] = rnd() < 0.8 ? pick(plausible[f]!) : pick(scalars);
      if (agrees(body)) taken++;
      if (ChatCompletionBody.safeParse(body).success) zodOk++;
    }
    // Not vacuous: most bodies zod takes are in the hot shape, and the fast path takes them.
    expect(taken).toBeGreaterThan(zodOk * 0.5);
    expect(taken).toBeGreaterThan(N * 0.2);
    expect(taken).toBeLessThanOrEqual(zodOk);
  });

  it("leaves the canonical request and every refusal as they were", () => {
    const { model, request } = parseChatCompletion({ ...hot, stream: true, stream_options: { include_usage: true }, max_tokens: 32, stop: "END" });
    expect(model).toBe("auto");
    expect(request).toEqual({
      messages: [
        { role: "system", content: "You are a helpful assistant." },
        { role: "user", content: "Say hello in one short sentence." },
      ],
      stream: true,
      includeUsage: true,
      maxTokens: 32,
      stop: ["END"],
    });
    // Refusals after the schema still apply to fast-path bodies (n, logprobs, a conversation with no user message).
    const refusal = (b: unknown) => {
      try {
        parseChatCompletion(b);
      } catch (e) {
        return e instanceof ApiError ? [e.status, e.message] : String(e);
      }
      return "accepted";
    };
    expect(refusal({ ...hot, n: 2 })).toEqual([400, "Detour serves n=1 only; send one request per choice."]);
    expect(refusal({ ...hot, logprobs: true })[1]).toMatch(/logprobs are not supported/);
    expect(refusal({ model: "auto", messages: [{ role: "system", content: "s" }] })).toEqual([400, "messages must include at least one user message."]);
    // A declined body gets zod's wording and path.
    expect(refusal({ ...hot, temperature: 3 })).toEqual([400, expect.stringMatching(/^Invalid value for 'temperature': /)]);
  });
});
