/**
 * Stored responses through the official `openai` client, unchanged: `previous_response_id`, `responses.retrieve`,
 * `responses.inputItems.list`, `responses.delete`, and the typed errors for what is not there (or is another
 * tenant's). The client's `fetch` calls the worker in-process; real-wire vendor fakes sit behind the route.
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { CALLER_KEYS, VENDOR_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";
import { inProcessFetch } from "../support/in-process";

type H = ReturnType<typeof harness>;
const FREE = Object.keys(CALLER_KEYS).find((k) => k !== PREMIUM)!;
/** The SDK's `Response` type has no `store` field (the wire object has). */
const storeOf = (r: object) => (r as { store?: unknown }).store;

function client(h: H, apiKey = PREMIUM) {
  return new OpenAI({
    apiKey,
    baseURL: "https://detour.test/v1",
    maxRetries: 0,
    fetch: inProcessFetch(h),
  });
}

const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
};

describe("stored responses through the official openai client", () => {
  it("continues a conversation with previous_response_id, then retrieves, lists and deletes it", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "Nice to meet you, Ada." }, { text: "Your name is Ada." });
    const c = client(h);
    const first = await h.clock.run(c.responses.create({ model: "auto", instructions: "Be brief.", input: "My name is Ada." }));
    expect(storeOf(first)).toBe(true);
    expect(first.id).toMatch(/^resp_[0-9a-f]{32}$/);
    const second = await h.clock.run(c.responses.create({ model: "auto", input: "What is my name?", previous_response_id: first.id }));
    expect(second.output_text).toBe("Your name is Ada.");
    expect(second.previous_response_id).toBe(first.id);
    // The vendor saw the whole conversation; instructions are not carried over (as in OpenAI's API).
    expect(h.vendors.callsTo("openai.test")[1]!.body.messages).toEqual([
      { role: "user", content: "My name is Ada." },
      { role: "assistant", content: "Nice to meet you, Ada." },
      { role: "user", content: "What is my name?" },
    ]);

    const got = await h.clock.run(c.responses.retrieve(second.id));
    expect(got).toMatchObject({ id: second.id, object: "response", status: "completed", store: true, previous_response_id: first.id });
    expect(got.output_text).toBe("Your name is Ada.");

    const items = await h.clock.run(c.responses.inputItems.list(second.id, { order: "asc" }));
    expect(items.data.map((i) => [i.type, (i as { role?: string }).role])).toEqual([
      ["message", "user"],
      ["message", "assistant"],
      ["message", "user"],
    ]);
    expect(items.data[1]!.id).toBe(first.output[0]!.id);

    await h.clock.run(c.responses.delete(second.id));
    await expect(h.clock.run(c.responses.retrieve(second.id))).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(h.clock.run(c.responses.delete(second.id))).rejects.toMatchObject({ status: 404, code: "response_not_found" });
    // A deleted response cannot be continued: OpenAI's 400 previous_response_not_found.
    const gone = h.clock.run(c.responses.create({ model: "auto", input: "And now?", previous_response_id: second.id }));
    await expect(gone).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(gone).rejects.toMatchObject({ status: 400, code: "previous_response_not_found", param: "previous_response_id" });
    expect(h.vendors.callsTo("openai.test")).toHaveLength(2);
  });

  it("runs a function tool loop with previous_response_id and only the function_call_output as input", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { toolCalls: [{ id: "call_9", name: "get_weather", arguments: '{"city":"Paris"}' }] }, { text: "Sunny, 21C." });
    const c = client(h);
    const tools = [{ type: "function" as const, name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false }];
    const first = await h.clock.run(c.responses.create({ model: "auto", tools, input: "weather in Paris?" }));
    const call = first.output.find((o) => o.type === "function_call")!;
    const second = await h.clock.run(
      c.responses.create({ model: "auto", tools, previous_response_id: first.id, input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny, 21C" }] }),
    );
    expect(second.output_text).toBe("Sunny, 21C.");
    const sent = h.vendors.callsTo("openai.test")[1]!.body.messages;
    expect(sent[0]).toEqual({ role: "user", content: "weather in Paris?" });
    expect(sent.at(-2).tool_calls[0]).toMatchObject({ id: "call_9", function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    expect(sent.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_9", content: "sunny, 21C" });
  });

  it("stores a streamed response once it completed, and continues from it", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "one two three", chunks: 3 }, { text: "four", chunks: 1 });
    const c = client(h);
    const streamed = await h.clock.run(c.responses.stream({ model: "auto", input: "count" }).finalResponse());
    expect(storeOf(streamed)).toBe(true);
    const got = await h.clock.run(c.responses.retrieve(streamed.id));
    expect(got.output_text).toBe("one two three");
    const next = await h.clock.run(c.responses.create({ model: "auto", input: "go on", previous_response_id: streamed.id }));
    expect(next.output_text).toBe("four");
    expect(h.vendors.callsTo("openai.test")[1]!.body.messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant", "user"]);
  });

  it("never stores with store: false or cache-control: no-store", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "a" }, { text: "b" });
    const c = client(h);
    const off = await h.clock.run(c.responses.create({ model: "auto", input: "hi", store: false }));
    expect(storeOf(off)).toBe(false);
    const noStore = await h.clock.run(c.responses.create({ model: "auto", input: "hi again" }, { headers: { "cache-control": "no-store" } }));
    expect(storeOf(noStore)).toBe(false);
    for (const id of [off.id, noStore.id]) await expect(h.clock.run(c.responses.retrieve(id))).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("another tenant's response is not found, to retrieve, delete or continue", async () => {
    const h = harness({ config });
    h.vendors.script("openai.test", { text: "secret plans" });
    const mine = await h.clock.run(client(h).responses.create({ model: "auto", input: "remember my plans" }));
    const other = client(h, FREE);
    await expect(h.clock.run(other.responses.retrieve(mine.id))).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(h.clock.run(other.responses.delete(mine.id))).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(h.clock.run(other.responses.create({ model: "auto", input: "what were they?", previous_response_id: mine.id }))).rejects.toMatchObject({
      status: 400,
      code: "previous_response_not_found",
    });
    const ref = h.clock.run(other.responses.create({ model: "auto", input: [{ role: "user", content: "x" }, { type: "item_reference", id: mine.output[0]!.id! }] }));
    await expect(ref).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(ref).rejects.toMatchObject({ code: "item_not_found", param: "input[1]" });
    // Still there for its owner.
    expect((await h.clock.run(client(h).responses.retrieve(mine.id))).output_text).toBe("secret plans");
    expect(h.vendors.callsTo("openai.test")).toHaveLength(1);
  });

  it("with storage off (responses.store.enabled: false) refuses stateful requests with a clear 400", async () => {
    const h = harness({ config: { ...config, responses: { store: { enabled: false } } } });
    h.vendors.script("openai.test", { text: "stateless" });
    const c = client(h);
    const plain = await h.clock.run(c.responses.create({ model: "auto", input: "hi" }));
    expect(storeOf(plain)).toBe(false);
    await expect(h.clock.run(c.responses.retrieve(plain.id))).rejects.toMatchObject({ status: 404, message: expect.stringContaining("storage is off") });
    await expect(h.clock.run(c.responses.create({ model: "auto", input: "hi", store: true }))).rejects.toMatchObject({ status: 400, code: "store_unsupported", param: "store" });
    await expect(h.clock.run(c.responses.create({ model: "auto", input: "hi", previous_response_id: plain.id }))).rejects.toMatchObject({
      status: 400,
      code: "stateful_unsupported",
      param: "previous_response_id",
    });
    await expect(h.clock.run(c.responses.create({ model: "auto", input: [{ role: "user", content: "hi" }, { type: "item_reference", id: plain.output[0]!.id! }] }))).rejects.toMatchObject({
      status: 400,
      code: "stateful_unsupported",
      param: "input[1]",
    });
    expect(h.vendors.callsTo("openai.test")).toHaveLength(1);
  });
});
