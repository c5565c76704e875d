/**
 * The simulated providers' tool-call ids are unique per answer, as OpenAI's are: the same tool with the same arguments
 * asked for twice got the same `call_…` id (a hash of the request), so an app keying its tool runs by call id
 * mixed up two requests' calls. Ids come from the app's injected id source (a counter in the harness), so tests stay
 * deterministic.
 */
import { describe, expect, it } from "vitest";
import { INSTANT_SIMULATED_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const tools = [{ type: "function", function: { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }];
const ask = { messages: [{ role: "user", content: "What's the weather in Paris?" }], tools, tool_choice: "required" };

describe("simulated tool-call ids", () => {
  it("differ between two identical requests (chat JSON, chat stream, responses), in OpenAI's call_ form", async () => {
    const h = harness({ config: INSTANT_SIMULATED_CONFIG, keys: null });
    const noStore = { "cache-control": "no-store" };
    const one = await h.chat(ask, noStore);
    const two = await h.chat(ask, noStore);
    const a = one.json.choices[0].message.tool_calls[0];
    const b = two.json.choices[0].message.tool_calls[0];
    expect(a.function).toEqual(b.function);
    expect(a.id).toMatch(/^call_[A-Za-z0-9]+$/);
    expect(b.id).toMatch(/^call_[A-Za-z0-9]+$/);
    expect(a.id).not.toBe(b.id);

    const streamed = await h.chat({ ...ask, stream: true }, noStore);
    const streamedId = streamed.events.find((e) => e?.choices?.[0]?.delta?.tool_calls?.[0]?.id)?.choices[0].delta.tool_calls[0].id;
    expect(streamedId).toMatch(/^call_/);
    expect([a.id, b.id]).not.toContain(streamedId);

    const responses = async () =>
      (await h.call("/v1/responses", { method: "POST", headers: noStore, json: { model: "auto", input: "What's the weather in Paris?", tool_choice: "required", tools: [{ type: "function", ...tools[0]!.function }] } })).json.output.find((i: any) => i.type === "function_call").call_id;
    const r1 = await responses();
    const r2 = await responses();
    expect(r1).toMatch(/^call_/);
    expect(r1).not.toBe(r2);
  });
});
