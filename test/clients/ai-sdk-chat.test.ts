/**
 * Conformance: the Vercel AI SDK's chat models — `@ai-sdk/openai` `.chat()` and `@ai-sdk/openai-compatible` — against
 * the worker in workerd (only their `fetch` calls the worker in-process).
 */
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateObject, generateText, stepCountIs, streamText, tool } from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { harness, PREMIUM } from "../support/harness";
import { inProcessFetch } from "../support/in-process";
import { INSTANT_SIMULATED_CONFIG, VENDOR_CONFIG } from "../support/config";

type H = ReturnType<typeof harness>;
const compatible = (h: H) => createOpenAICompatible({ name: "detour", baseURL: "https://detour.test/v1", apiKey: PREMIUM, fetch: inProcessFetch(h) }).chatModel("auto");
const openaiChat = (h: H) => createOpenAI({ baseURL: "https://detour.test/v1", apiKey: PREMIUM, fetch: inProcessFetch(h) }).chat("auto");
const simulated = () => harness({ config: INSTANT_SIMULATED_CONFIG });

for (const [name, model] of [
  ["@ai-sdk/openai-compatible", compatible],
  ["@ai-sdk/openai .chat()", openaiChat],
] as const) {
  describe(`AI SDK ${name}`, () => {
    it("generateText and streamText", async () => {
      const h = simulated();
      const g = await h.clock.run(generateText({ model: model(h), prompt: "What is a circuit breaker?", maxRetries: 0 }));
      expect(g.text).toMatch(/^\[swift swift-mini\] .*circuit/);
      const s = await h.clock.run(
        (async () => {
          const r = streamText({ model: model(h), prompt: "Tell me a story", maxRetries: 0 });
          let t = "";
          for await (const d of r.textStream) t += d;
          return t;
        })(),
      );
      expect(s).toMatch(/^\[swift swift-mini\] .*story/);
    });

    it("tool(): the simulated model calls it for a natural prompt, then answers from its result", async () => {
      const h = simulated();
      const calls: unknown[] = [];
      const r = await h.clock.run(
        generateText({
          model: model(h),
          prompt: "what's the weather in Paris?",
          maxRetries: 0,
          stopWhen: stepCountIs(3),
          tools: {
            get_weather: tool({
              description: "Current weather for a city",
              inputSchema: z.object({ city: z.string() }),
              execute: async (input) => {
                calls.push(input);
                return { city: input.city, temperature_c: 18, conditions: "sunny" };
              },
            }),
          },
        }),
      );
      expect(calls).toEqual([{ city: "Paris" }]);
      expect(r.text).toMatch(/According to get_weather: city Paris, temperature c 18, conditions sunny/);
    });

    it("generateObject with a natural prompt naming the fields (no schema in the prompt) parses with the caller's zod schema", async () => {
      const h = simulated();
      const schema = z.object({ city: z.string(), population: z.number(), landmarks: z.array(z.string()) });
      const r = await h.clock.run(generateObject({ model: model(h), schema, maxRetries: 0, prompt: "Give the city, population and landmarks of Paris as JSON" }));
      expect(schema.parse(r.object)).toEqual(r.object);
      expect(r.object.city).toBe("Paris");
      expect(r.object.landmarks.length).toBeGreaterThan(0);
    });

    it("failover, a mid-stream error and a degraded answer", async () => {
      const down = harness();
      down.vendors.always("openai.test", { status: 503 });
      down.vendors.script("anthropic.test", { text: "from beta" });
      const f = await down.clock.run(generateText({ model: model(down), prompt: "hi", maxRetries: 0 }));
      expect(f.text).toBe("from beta");
      expect(f.response.headers?.["x-detour-mode"]).toBe("failover");

      const cut = harness();
      cut.vendors.script("openai.test", { text: "aaaa bbbb cccc dddd", chunks: 4, cutAfterEvents: 3 });
      const errors: unknown[] = [];
      await cut.clock.run(
        (async () => {
          const r = streamText({ model: model(cut), prompt: "hello", maxRetries: 0, onError: ({ error }) => void errors.push(error) });
          for await (const _ of r.fullStream) void _;
        })(),
      );
      expect(String((errors[0] as Error)?.message ?? errors[0])).toMatch(/stream_cut|incomplete/);

      const all = harness({ config: { ...VENDOR_CONFIG, degrade: { rules: { labels: [{ name: "billing", keywords: ["invoice", "refund"] }] } } } });
      for (const host of ["openai.test", "anthropic.test", "gemini.test"]) all.vendors.always(host, { status: 503 });
      const d = await all.clock.run(
        generateText({ model: model(all), prompt: "please refund the invoice", headers: { "x-detour-task": "classification" }, maxRetries: 0 }),
      );
      expect(d.text).toBe("billing");
      expect(d.response.headers?.["x-detour-mode"]).toBe("degraded");
    });
  });
}

describe("AI SDK generateObject: what reaches Detour", () => {
  const schema = z.object({ city: z.string(), population: z.number(), landmarks: z.array(z.string()) });
  const prompt = "Give the city, population and landmarks of Paris as JSON";
  /** The worker in-process, recording each request body the client sends. */
  const recording = (h: H, sent: any[]) => async (url: RequestInfo | URL, init?: RequestInit) => {
    sent.push(JSON.parse(String(init?.body)));
    return inProcessFetch(h)(url, init);
  };

  it("default createOpenAICompatible sends json_object with no schema and nothing in the prompt; the simulated model infers the object", async () => {
    const h = simulated();
    const sent: any[] = [];
    const model = createOpenAICompatible({ name: "detour", baseURL: "https://detour.test/v1", apiKey: PREMIUM, fetch: recording(h, sent) }).chatModel("auto");
    const r = await h.clock.run(generateObject({ model, schema, maxRetries: 0, prompt }));
    expect(sent[0].response_format).toEqual({ type: "json_object" });
    expect(sent[0].messages).toEqual([{ role: "user", content: prompt }]);
    expect(schema.parse(r.object)).toEqual(r.object);
  });

  it("createOpenAICompatible with supportsStructuredOutputs: true sends the schema as json_schema, and Detour validates the answer against it", async () => {
    const h = harness();
    // alpha answers JSON missing `landmarks`: Detour's json_schema check fails it, and gamma (a Gemini-kind vendor;
    // beta has no JSON mode, so routing skips it) answers.
    h.vendors.always("openai.test", { text: '{"city":"Paris","population":2100000}' });
    h.vendors.always("gemini.test", { text: '{"city":"Paris","population":2100000,"landmarks":["Eiffel Tower"]}' });
    const sent: any[] = [];
    const model = createOpenAICompatible({ name: "detour", baseURL: "https://detour.test/v1", apiKey: PREMIUM, fetch: recording(h, sent), supportsStructuredOutputs: true }).chatModel("auto");
    const r = await h.clock.run(generateObject({ model, schema, maxRetries: 0, prompt }));
    expect(sent[0].response_format).toMatchObject({ type: "json_schema", json_schema: { schema: { required: ["city", "population", "landmarks"] } } });
    expect(r.object).toEqual({ city: "Paris", population: 2100000, landmarks: ["Eiffel Tower"] });
    expect(r.response.headers?.["x-detour-mode"]).toBe("failover");
    expect((h.vendors.callsTo("openai.test")[0]!.body as any).response_format.type).toBe("json_schema");

    // On the simulated default the schema itself shapes the answer.
    const sim = simulated();
    const simModel = createOpenAICompatible({ name: "detour", baseURL: "https://detour.test/v1", apiKey: PREMIUM, fetch: inProcessFetch(sim), supportsStructuredOutputs: true }).chatModel("auto");
    const s = await sim.clock.run(generateObject({ model: simModel, schema, maxRetries: 0, prompt: "Describe Porto" }));
    expect(s.object.city).toBe("Porto");
  });
});
