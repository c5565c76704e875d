/**
 * Conformance: the official `openai` client, unchanged, against the worker in workerd (only its `fetch` calls the
 * worker in-process). The simulated default for what a demo does (chat, stream, tools, runTools, parse with zod), the
 * fake vendors for failover, a mid-stream error and a degraded answer.
 */
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { harness, PREMIUM } from "../support/harness";
import { inProcessFetch } from "../support/in-process";
import { INSTANT_SIMULATED_CONFIG, VENDOR_CONFIG } from "../support/config";

function client(h: ReturnType<typeof harness>) {
  return new OpenAI({
    apiKey: PREMIUM,
    baseURL: "https://detour.test/v1",
    maxRetries: 0,
    fetch: inProcessFetch(h),
  });
}
const simulated = () => harness({ config: INSTANT_SIMULATED_CONFIG });
const weather = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
  },
};

describe("openai SDK on the simulated default", () => {
  it("chat, and model retrieval", async () => {
    const h = simulated();
    const c = client(h);
    const res = await h.clock.run(c.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "What is a circuit breaker?" }] }));
    expect(res.choices[0]!.message.content).toMatch(/^\[swift swift-mini\] .*circuit/);
    const route = await h.clock.run(c.models.retrieve("auto"));
    expect(route).toMatchObject({ id: "auto", object: "model", owned_by: "detour", detour: { kind: "route" } });
    const m = await h.clock.run(c.models.retrieve("swift/swift-mini"));
    expect(m).toMatchObject({ id: "swift/swift-mini", object: "model", owned_by: "swift" });
    await expect(h.clock.run(c.models.retrieve("nope"))).rejects.toMatchObject({ status: 404 });
  });

  it("streams", async () => {
    const h = simulated();
    const text = await h.clock.run(
      (async () => {
        const stream = await client(h).chat.completions.create({ model: "auto", stream: true, messages: [{ role: "user", content: "Tell me a story" }] });
        let t = "";
        for await (const chunk of stream) t += chunk.choices[0]?.delta.content ?? "";
        return t;
      })(),
    );
    expect(text).toMatch(/^\[swift swift-mini\] .*story/);
  });

  it("calls a tool for a natural prompt under tool_choice auto", async () => {
    const h = simulated();
    const res = await h.clock.run(client(h).chat.completions.create({ model: "auto", tools: [weather], messages: [{ role: "user", content: "what's the weather in Paris?" }] }));
    const call = res.choices[0]!.message.tool_calls![0]!;
    expect(res.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call.type === "function" && [call.function.name, JSON.parse(call.function.arguments)]).toEqual(["get_weather", { city: "Paris" }]);
  });

  it("runTools runs the tool and ends with prose built from its result", async () => {
    const h = simulated();
    const seen: unknown[] = [];
    const content = await h.clock.run(
      (async () => {
        const runner = client(h).chat.completions.runTools({
          model: "auto",
          messages: [{ role: "user", content: "what's the weather in Paris?" }],
          tools: [
            {
              type: "function",
              function: {
                ...weather.function,
                parse: JSON.parse,
                function: (args: { city: string }) => {
                  seen.push(args);
                  return { city: args.city, temperature_c: 18, conditions: "sunny" };
                },
              },
            },
          ],
        });
        return runner.finalContent();
      })(),
    );
    expect(seen).toEqual([{ city: "Paris" }]);
    expect(content).toMatch(/According to get_weather: city Paris, temperature c 18, conditions sunny/);
  });

  it("chat.completions.parse with zodResponseFormat", async () => {
    const h = simulated();
    const City = z.object({ city: z.string(), population: z.number().int(), landmarks: z.array(z.string()) });
    const res = await h.clock.run(
      client(h).chat.completions.parse({ model: "auto", messages: [{ role: "user", content: "Describe Porto" }], response_format: zodResponseFormat(City, "city") }),
    );
    const parsed = res.choices[0]!.message.parsed!;
    expect(City.parse(parsed)).toEqual(parsed);
    expect(parsed.city).toBe("Porto");
  });
});

describe("openai SDK through failures", () => {
  it("fails over invisibly", async () => {
    const h = harness();
    h.vendors.always("openai.test", { status: 503 });
    h.vendors.script("anthropic.test", { text: "from beta" });
    const { data, response } = await h.clock.run(client(h).chat.completions.create({ model: "auto", messages: [{ role: "user", content: "hi" }] }).withResponse());
    expect(data.choices[0]!.message.content).toBe("from beta");
    expect(response.headers.get("x-detour-mode")).toBe("failover");
  });

  it("raises on a mid-stream failure", async () => {
    const h = harness();
    h.vendors.script("openai.test", { text: "aaaa bbbb cccc dddd", chunks: 4, cutAfterEvents: 3 });
    const run = h.clock.run(
      (async () => {
        const stream = await client(h).chat.completions.create({ model: "auto", stream: true, messages: [{ role: "user", content: "hello" }] });
        for await (const _ of stream) void _;
      })(),
    );
    await expect(run).rejects.toThrow(/stream_cut|incomplete/);
  });

  it("gets a labelled degraded answer when every provider is down", async () => {
    const h = harness({ config: { ...VENDOR_CONFIG, degrade: { rules: { labels: [{ name: "billing", keywords: ["invoice", "refund", "charge"] }] } } } });
    for (const host of ["openai.test", "anthropic.test", "gemini.test"]) h.vendors.always(host, { status: 503 });
    const { data, response } = await h.clock.run(
      client(h)
        .chat.completions.create({ model: "auto", messages: [{ role: "user", content: "I was charged twice, please refund the invoice" }] }, { headers: { "x-detour-task": "classification" } })
        .withResponse(),
    );
    expect(data.choices[0]!.message.content).toBe("billing");
    expect(response.headers.get("x-detour-mode")).toBe("degraded");
    expect((data as unknown as { detour: { degraded: { rung: string } } }).detour.degraded.rung).toBe("rules");
  });

  it("raises the honest 503 (nothing can stand in) as the SDK's typed InternalServerError", async () => {
    const h = harness();
    for (const host of ["openai.test", "anthropic.test", "gemini.test"]) h.vendors.always(host, { status: 503 });
    const run = h.clock.run(client(h).chat.completions.create({ model: "auto", messages: [{ role: "user", content: "tell me a story about a lighthouse keeper" }] }));
    await expect(run).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(run).rejects.toMatchObject({ status: 503, code: "all_providers_failed" });
  });
});
