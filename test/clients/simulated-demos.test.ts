/**
 * Conformance: a demo on the simulated default (no keys) through the two newer inbound APIs. Under
 * `tool_choice: "auto"` a natural prompt calls the tool it is about, and the answer after the tool's result is built
 * from it; structured output follows the caller's schema. The same behaviour for Chat Completions clients is in
 * openai-chat.test.ts, ai-sdk-chat.test.ts and langchain.test.ts.
 */
import Anthropic from "@anthropic-ai/sdk";
import { createOpenAI } from "@ai-sdk/openai";
import { generateObject, generateText, stepCountIs, tool } from "ai";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { INSTANT_SIMULATED_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";
import { inProcessFetch } from "../support/in-process";

const simulated = () => harness({ config: INSTANT_SIMULATED_CONFIG });
const cityParams = { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] };
const forecast = (city: string) => ({ city, temperature_c: 18, conditions: "sunny" });

describe("the simulated default as a model, through every inbound API", () => {
  it("@anthropic-ai/sdk: tool_choice auto calls get_weather for a natural prompt, then answers from the tool_result", async () => {
    const h = simulated();
    const c = new Anthropic({ apiKey: PREMIUM, baseURL: "https://detour.test", maxRetries: 0, fetch: inProcessFetch(h) });
    const tools = [{ name: "get_weather", description: "Current weather for a city", input_schema: cityParams }];
    const user = { role: "user" as const, content: "what's the weather in Paris?" };
    const first = await h.clock.run(c.messages.create({ model: "auto", max_tokens: 512, tools, tool_choice: { type: "auto" }, messages: [user] }));
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b) => b.type === "tool_use")!;
    expect(use).toMatchObject({ name: "get_weather", input: { city: "Paris" } });
    const second = await h.clock.run(
      c.messages.create({
        model: "auto",
        max_tokens: 512,
        tools,
        messages: [user, { role: "assistant", content: first.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: JSON.stringify(forecast("Paris")) }] }],
      }),
    );
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content[0]).toMatchObject({ type: "text", text: expect.stringMatching(/According to get_weather: city Paris, temperature c 18, conditions sunny/) });
    // An unrelated prompt is answered in prose.
    const story = await h.clock.run(c.messages.create({ model: "auto", max_tokens: 512, tools, messages: [{ role: "user", content: "Tell me a story about dragons" }] }));
    expect(story.stop_reason).toBe("end_turn");
  });

  it("openai responses.create: tool_choice auto calls the function for a natural prompt, then answers from function_call_output", async () => {
    const h = simulated();
    const c = new OpenAI({ apiKey: PREMIUM, baseURL: "https://detour.test/v1", maxRetries: 0, fetch: inProcessFetch(h) });
    const tools = [{ type: "function" as const, name: "get_weather", description: "Current weather for a city", parameters: cityParams, strict: false }];
    const first = await h.clock.run(c.responses.create({ model: "auto", tools, tool_choice: "auto", input: "what's the weather in Paris?" }));
    const call = first.output.find((o) => o.type === "function_call")!;
    expect(call).toMatchObject({ type: "function_call", name: "get_weather" });
    expect(JSON.parse(call.arguments)).toEqual({ city: "Paris" });
    const second = await h.clock.run(
      c.responses.create({
        model: "auto",
        tools,
        input: [{ role: "user", content: "what's the weather in Paris?" }, call, { type: "function_call_output", call_id: call.call_id, output: JSON.stringify(forecast("Paris")) }],
      }),
    );
    expect(second.output_text).toMatch(/According to get_weather: city Paris, temperature c 18, conditions sunny/);
  });

  it("AI SDK default createOpenAI: tool() runs for a natural prompt, and generateObject follows the zod schema", async () => {
    const h = simulated();
    const model = createOpenAI({ apiKey: PREMIUM, baseURL: "https://detour.test/v1", fetch: inProcessFetch(h) })("auto");
    const calls: unknown[] = [];
    const get_weather = tool({
      description: "Current weather for a city",
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        calls.push(city);
        return forecast(city);
      },
    });
    const r = await h.clock.run(
      generateText({ model, tools: { get_weather }, stopWhen: stepCountIs(3), prompt: "what's the weather in Paris?", maxRetries: 0, providerOptions: { openai: { store: false } } }),
    );
    expect(calls).toEqual(["Paris"]);
    expect(r.text).toMatch(/According to get_weather: city Paris, temperature c 18, conditions sunny/);

    const schema = z.object({ city: z.string(), population: z.number(), landmarks: z.array(z.string()) });
    const o = await h.clock.run(generateObject({ model, schema, prompt: "Give the city, population and landmarks of Paris", maxRetries: 0 }));
    expect(schema.parse(o.object)).toEqual(o.object);
    expect(o.object.city).toBe("Paris");
  });
});
