/** The workers-ai provider through the worker, with a fake `AI` binding in env. */
import { describe, expect, it } from "vitest";
import { fakeAi } from "../fakes/workers-ai";
import { VENDOR_CONFIG } from "../support/config";
import { harness, streamedText } from "../support/harness";

const config = {
  ...VENDOR_CONFIG,
  providers: [...VENDOR_CONFIG.providers, { id: "edge", kind: "workers-ai", models: [{ id: "@cf/meta/llama-3.1-8b-instruct", tools: true }] }],
  routes: { auto: { targets: ["edge/@cf/meta/llama-3.1-8b-instruct", "alpha/gpt-4o-mini"] } },
};

describe("workers-ai through the worker", () => {
  it("answers JSON and streams from the AI binding", async () => {
    const ai = fakeAi({ text: "llama says hi", chunks: 3 });
    const h = harness({ config, extraEnv: { AI: ai } });
    const r = await h.chat({});
    expect(r.json.choices[0].message.content).toBe("llama says hi");
    expect(r.headers.get("x-detour-provider")).toBe("edge");
    expect(ai.calls[0]!.model).toBe("@cf/meta/llama-3.1-8b-instruct");

    const s = await h.chat({ stream: true });
    expect(streamedText(s.events)).toBe("llama says hi");
    expect(s.events.at(-1)).toBe("[DONE]");
  });

  it("fails over when the binding reports capacity exceeded", async () => {
    const h = harness({ config, extraEnv: { AI: fakeAi({ status: 429 }) } });
    h.vendors.script("openai.test", { text: "from alpha" });
    const r = await h.chat({}, { "x-detour-trace": "1" });
    expect(r.json.choices[0].message.content).toBe("from alpha");
    expect(r.json.detour.attempts[0].error_class).toBe("rate_limited");
  });

  it("fails over, without retrying, when the AI binding is missing", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "from alpha" });
    const r = await h.chat({}, { "x-detour-trace": "1" });
    expect(r.json.choices[0].message.content).toBe("from alpha");
    expect(r.json.detour.attempts).toHaveLength(2);
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "edge", error_class: "misconfigured" });
  });
});
