/**
 * Conformance: LangChain's `ChatOpenAI` against the worker in workerd (its `configuration.fetch` calls the worker
 * in-process): invoke, stream, bindTools, plus failover, a mid-stream error and a degraded answer.
 */
import { ChatOpenAI } from "@langchain/openai";
import { describe, expect, it } from "vitest";
import { harness, PREMIUM } from "../support/harness";
import { inProcessFetch } from "../support/in-process";
import { INSTANT_SIMULATED_CONFIG, VENDOR_CONFIG } from "../support/config";

type H = ReturnType<typeof harness>;
const chat = (h: H) =>
  new ChatOpenAI({
    model: "auto",
    apiKey: PREMIUM,
    maxRetries: 0,
    configuration: {
      baseURL: "https://detour.test/v1",
      fetch: inProcessFetch(h),
    },
  });
const simulated = () => harness({ config: INSTANT_SIMULATED_CONFIG });

describe("LangChain ChatOpenAI", () => {
  it("invoke and stream", async () => {
    const h = simulated();
    const r = await h.clock.run(chat(h).invoke("What is a circuit breaker?"));
    expect(String(r.content)).toMatch(/^\[swift swift-mini\] .*circuit/);
    const text = await h.clock.run(
      (async () => {
        let t = "";
        for await (const c of await chat(h).stream("Tell me a story")) t += String(c.content);
        return t;
      })(),
    );
    expect(text).toMatch(/^\[swift swift-mini\] .*story/);
  });

  it("bindTools: the simulated model calls the tool a natural prompt is about", async () => {
    const h = simulated();
    const weather = {
      type: "function" as const,
      function: { name: "get_weather", description: "Current weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
    };
    const r = await h.clock.run(chat(h).bindTools([weather]).invoke("what's the weather in Paris?"));
    expect(r.tool_calls?.map((c) => [c.name, c.args])).toEqual([["get_weather", { city: "Paris" }]]);
  });

  it("failover, a mid-stream error and a degraded answer", async () => {
    const down = harness();
    down.vendors.always("openai.test", { status: 503 });
    down.vendors.script("anthropic.test", { text: "from beta" });
    expect(String((await down.clock.run(chat(down).invoke("hi"))).content)).toBe("from beta");

    const cut = harness();
    cut.vendors.script("openai.test", { text: "aaaa bbbb cccc dddd", chunks: 4, cutAfterEvents: 3 });
    const run = cut.clock.run(
      (async () => {
        for await (const _ of await chat(cut).stream("hello")) void _;
      })(),
    );
    await expect(run).rejects.toThrow(/stream_cut|incomplete/);

    // The route names the task class (LangChain has no per-call headers on invoke).
    const routes = { auto: { ...VENDOR_CONFIG.routes.auto, taskClass: "classification" } };
    const all = harness({ config: { ...VENDOR_CONFIG, routes, degrade: { rules: { labels: [{ name: "billing", keywords: ["invoice", "refund"] }] } } } });
    for (const host of ["openai.test", "anthropic.test", "gemini.test"]) all.vendors.always(host, { status: 503 });
    const d = await all.clock.run(chat(all).invoke("please refund the invoice"));
    expect(String(d.content)).toBe("billing");
  });
});
