import { describe, expect, it } from "vitest";
import { fastCompletion } from "../../../src/providers/fast-completion";
import { WireCompletion } from "../../../src/providers/openai";
import { mulberry32 } from "../../../scripts/drill/requests.mjs";

/** The fast path's contract: when it accepts, the schema accepts with an equal value. Returns whether it accepted. */
function agrees(json: unknown): boolean {
  const fast = fastCompletion(json);
  if (!fast) return false;
  const zod = WireCompletion.safeParse(json);
  expect(zod.success, JSON.stringify(json)).toBe(true);
  expect(fast.data, JSON.stringify(json)).toEqual(zod.data);
  return true;
}

const answer = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o-mini-2024-07-18",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello.", refusal: null }, logprobs: null, finish_reason: "stop" }],
  usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18, prompt_tokens_details: { cached_tokens: 0 } },
  system_fingerprint: "fp_1",
};

describe("fastCompletion", () => {
  it("reads the common answers as the schema does (unknown fields left out)", () => {
    const answers: unknown[] = [
      answer,
      { ...answer, usage: null },
      { choices: [{ message: {} }] },
      { id: null, model: null, choices: [{ message: { content: null, refusal: "I can't help with that." }, finish_reason: "content_filter" }] },
      { ...answer, choices: [{ message: { content: "a", tool_calls: null, function_call: null }, finish_reason: null }, { message: { content: "b" } }] },
      { ...answer, usage: { prompt_tokens: 0 } },
      { ...answer, usage: { prompt_tokens: null, completion_tokens: 1.5 } },
    ];
    for (const a of answers) expect(agrees(a), JSON.stringify(a)).toBe(true);
  });

  it("leaves everything else to the schema", () => {
    const declined: unknown[] = [
      null,
      "text",
      [],
      {},
      { ...answer, choices: [] },
      { ...answer, choices: [null] },
      { ...answer, choices: [{}] },
      { ...answer, id: 5 },
      { ...answer, model: {} },
      { ...answer, choices: [{ message: { content: [{ type: "text", text: "hi" }] } }] },
      { ...answer, choices: [{ message: { content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }] } }] },
      { ...answer, choices: [{ message: { content: null, function_call: { name: "f", arguments: "{}" } } }] },
      { ...answer, choices: [{ message: { content: "x" }, finish_reason: 1 }] },
      { ...answer, usage: { prompt_tokens: -1 } },
      { ...answer, usage: { completion_tokens: "6" } },
      { ...answer, usage: [] },
    ];
    for (const a of declined) expect(fastCompletion(a), JSON.stringify(a)).toBeUndefined();
  });

  it("agrees with the schema on 5,000 seeded random answers, and takes most of those the schema takes", () => {
    const rnd = mulberry32(1515);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const any: unknown[] = [undefined, null, true, 0, -1, 1.5, Infinity, "", "x", [], [1], {}, { type: "text", text: "t" }];
    const maybe = (o: Record<string, unknown>, key: string, good: unknown[], p = 0.7) => {
      if (rnd() < p) o[key] = rnd() < 0.9 ? pick(good) : pick(any);
    };
    let taken = 0;
    let schemaOk = 0;
    const N = 5000;
    for (let i = 0; i < N; i++) {
      const a: Record<string, unknown> = {};
      maybe(a, "id", ["chatcmpl-1", null]);
      maybe(a, "model", ["m", null, ""]);
      maybe(a, "object", ["chat.completion"]);
      const choice = () => {
        const m: Record<string, unknown> = {};
        maybe(m, "role", ["assistant"]);
        maybe(m, "content", ["hi", "", null, [{ type: "text", text: "t" }]], 0.9);
        maybe(m, "refusal", [null, "no"], 0.3);
        maybe(m, "tool_calls", [null, [], [{ function: { name: "f", arguments: "{}" } }]], 0.1);
        maybe(m, "function_call", [null, { name: "f", arguments: {} }], 0.05);
        const c: Record<string, unknown> = { message: rnd() < 0.97 ? m : pick(any) };
        maybe(c, "finish_reason", ["stop", "length", null]);
        maybe(c, "index", [0]);
        return c;
      };
      a.choices = rnd() < 0.95 ? Array.from({ length: Math.floor(rnd() * 3) + (rnd() < 0.95 ? 1 : 0) }, choice) : pick(any);
      if (rnd() < 0.8) {
        const u: Record<string, unknown> = {};
        maybe(u, "prompt_tokens", [0, 12, null, 3.5], 0.9);
        maybe(u, "completion_tokens", [0, 6, null], 0.9);
        maybe(u, "total_tokens", [18]);
        a.usage = rnd() < 0.9 ? u : pick(any);
      }
      if (agrees(a)) taken++;
      if (WireCompletion.safeParse(a).success) schemaOk++;
    }
    expect(taken).toBeGreaterThan(schemaOk * 0.5);
    expect(taken).toBeGreaterThan(N * 0.2);
  });
});
