/** The degradation ladder through the worker: every provider down, each rung answering what it can, labelled. */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness, streamedText } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const admin = { authorization: `Bearer ${ADMIN}` };
const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
  degrade: { rules: { labels: [{ name: "billing", keywords: ["invoice", "refund", "charge"] }, { name: "technical", keywords: ["error", "crash", "bug"] }] } },
};
function allDown() {
  const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
  h.vendors.always("openai.test", { status: 503 });
  h.vendors.always("anthropic.test", { status: 503 });
  return h;
}
const sentiment = {
  type: "json_schema",
  json_schema: { name: "sentiment", schema: { type: "object", properties: { sentiment: { type: "string", enum: ["positive", "negative", "neutral"] } }, required: ["sentiment"] } },
};
const invoice = {
  type: "json_schema",
  json_schema: {
    name: "invoice",
    schema: { type: "object", properties: { email: { type: "string", format: "email" }, invoice_id: { type: "string" }, total: { type: "number" } }, required: ["email"] },
  },
};

describe("degradation ladder with every provider down", () => {
  it("answers a classification by keyword rules, labelled", async () => {
    const h = allDown();
    const r = await h.chat({ messages: [{ role: "user", content: "I was charged twice, please refund the invoice" }] }, { "x-detour-task": "classification" });
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("billing");
    expect(r.headers.get("x-detour-mode")).toBe("degraded");
    expect(r.headers.get("x-detour-degraded")).toBe("rules; reason=providers_down");
    expect(r.json.detour.degraded).toMatchObject({ mode: "degraded", rung: "rules", reason: "providers_down", retry_after: 30 });
    expect(r.json.detour.degraded.message.length).toBeGreaterThan(20);
    // A chat.completion always carries usage in OpenAI's API; a degraded one had none (Detour's estimate now).
    expect(r.json.usage).toEqual({ prompt_tokens: expect.any(Number), completion_tokens: 2, total_tokens: r.json.usage.prompt_tokens + 2 });
  });

  it("answers a schema classification with the schema's own enum", async () => {
    const r = await allDown().chat({ response_format: sentiment, messages: [{ role: "user", content: "Classify the sentiment: this is negative and awful" }] });
    expect(JSON.parse(r.json.choices[0].message.content)).toEqual({ sentiment: "negative" });
  });

  it("extracts into the requested JSON schema", async () => {
    const r = await allDown().chat({ response_format: invoice, messages: [{ role: "user", content: "Extract: invoice INV-2024-001 for $1,250.00 from jane@example.com" }] });
    expect(r.headers.get("x-detour-degraded")).toBe("rules; reason=providers_down");
    expect(JSON.parse(r.json.choices[0].message.content)).toMatchObject({ email: "jane@example.com", invoice_id: "INV-2024-001", total: 1250 });
  });

  it("serves a template managed through the admin API, interpolated from the request", async () => {
    const h = allDown();
    const put = await h.call("/admin/templates/auto/chat", {
      method: "PUT",
      headers: admin,
      json: { text: "Hi {{name}}, we're on it: ticket {{ticket}} is saved and we'll reply by email.", variables: { name: { from: "metadata" }, ticket: { from: "regex", pattern: "ticket #?(\\d+)" } } },
    });
    expect(put.status).toBe(200);
    expect((await h.call("/admin/templates/auto/chat", { headers: admin })).json.template.text).toContain("{{ticket}}");
    const r = await h.chat({ metadata: { name: "Ada" }, messages: [{ role: "user", content: "Any update on ticket #4521?" }] });
    expect(r.json.choices[0].message.content).toBe("Hi Ada, we're on it: ticket 4521 is saved and we'll reply by email.");
    expect(r.headers.get("x-detour-degraded")).toBe("template; reason=providers_down");
    await h.call("/admin/templates/auto/chat", { method: "DELETE", headers: admin });
    expect((await h.chat({ messages: [{ role: "user", content: "Any update on ticket #4521?" }] })).status).toBe(503);
  });

  it("lists a route's templates, so an operator can see what the ladder would serve (and spot a misspelt key)", async () => {
    const h = harness({ config: { ...config, routes: { ...config.routes, "auto:eu": { targets: ["alpha/gpt-4o-mini"] } } }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    for (const [route, key] of [["auto", "chat"], ["auto", "faq:refunds"], ["auto:eu", "chat"]]) {
      expect((await h.call(`/admin/templates/${route}/${key}`, { method: "PUT", headers: admin, json: { text: "Back soon." } })).status).toBe(200);
    }
    const list = await h.call("/admin/templates/auto", { headers: admin });
    expect(list.status).toBe(200);
    expect(list.json).toEqual({ route: "auto", keys: ["chat", "faq:refunds"] });
    expect((await h.call("/admin/templates/auto:eu", { headers: admin })).json.keys).toEqual(["chat"]);
    expect((await h.call("/admin/templates/nope", { headers: admin })).json.error.code).toBe("route_not_found");
    expect((await h.call("/admin/templates/auto", { headers: { authorization: "" } })).status).toBe(401);
  });

  it("refuses invalid templates, unknown routes and callers without the admin token", async () => {
    const h = allDown();
    const bad = await h.call("/admin/templates/auto/chat", { method: "PUT", headers: admin, json: { text: "Hi {{who}}" } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain("who");
    expect((await h.call("/admin/templates/nope/chat", { method: "PUT", headers: admin, json: { text: "x" } })).status).toBe(404);
    expect((await h.call("/admin/templates/toString/chat", { method: "PUT", headers: admin, json: { text: "x" } })).status).toBe(404);
    expect((await h.call("/admin/templates/auto/chat", { method: "PUT", json: { text: "x" } })).status).toBe(401);
  });

  it("ends with an honest 503 that says what still works", async () => {
    const r = await allDown().chat({ messages: [{ role: "user", content: "Write me a poem about spring" }] });
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBeTruthy();
    expect(r.headers.get("x-detour-degraded")).toBe("error; reason=providers_down");
    expect(r.json.error.code).toBe("all_providers_failed");
    expect(r.json.error.message).toMatch(/What still works: .*cached answers/);
    expect(r.json.detour.degraded).toMatchObject({ rung: "error", reason: "providers_down" });
  });

  it("streams a degraded answer when a stream was asked for", async () => {
    const r = await allDown().chat({ stream: true, messages: [{ role: "user", content: "The app shows an error and then a crash" }] }, { "x-detour-task": "classification" });
    expect(r.headers.get("content-type")).toContain("text/event-stream");
    expect(streamedText(r.events)).toBe("technical");
    expect(r.events.at(-1)).toBe("[DONE]");
    expect(r.events.at(-2).detour.degraded.rung).toBe("rules");
  });

  // stream_options.include_usage promises usage on the last chunk; a degraded stream sent "usage": null there, and a
  // client reading chunk.usage.total_tokens threw.
  it("ends a degraded stream that asked for usage with a usage object, Detour's estimate", async () => {
    const r = await allDown().chat(
      { stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "The app shows an error and then a crash" }] },
      { "x-detour-task": "classification" },
    );
    expect(streamedText(r.events)).toBe("technical");
    const last = r.events.at(-2);
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: expect.any(Number), completion_tokens: 3, total_tokens: last.usage.prompt_tokens + 3 });
    expect(last.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it("falls back to a reduced request when capacity is the problem", async () => {
    const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.script("openai.test", { status: 429 }, { text: "Short outline: 1. a 2. b" });
    h.vendors.script("anthropic.test", { status: 429 });
    const r = await h.chat({ max_tokens: 4000, messages: [{ role: "user", content: "Write a long essay on resilience" }] });
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("Short outline: 1. a 2. b");
    expect(r.headers.get("x-detour-degraded")).toBe("reduced; reason=rate_limited");
    const reduced = h.vendors.callsTo("openai.test")[1]!.body;
    expect(reduced.max_tokens).toBe(256);
    expect(reduced.messages[0]).toMatchObject({ role: "system" });
    expect(reduced.messages[0].content).toContain("outline");
  });

  it("answers a similar question with the closest saved answer, labelled as such", async () => {
    const h = harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("openai.test", { text: "Refunds take 5 business days." });
    await h.chat({ messages: [{ role: "user", content: "What is your refund policy for online orders?" }] }, { "x-detour-intent": "faq:refunds" });
    h.vendors.always("openai.test", { status: 503 });
    h.vendors.always("anthropic.test", { status: 503 });
    const r = await h.chat({ messages: [{ role: "user", content: "How does the refund policy work for orders placed online?" }] });
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("Refunds take 5 business days.");
    expect(r.headers.get("x-detour-degraded")).toBe("rules; reason=providers_down");
    expect(r.json.detour.degraded.message).toMatch(/closest saved answer to a similar question \(similarity (0\.\d\d|1\.00)\)/);
    const unrelated = await h.chat({ messages: [{ role: "user", content: "Write me a poem about the sea" }] });
    expect(unrelated.status).toBe(503);
  });

  it("does not degrade a caller error", async () => {
    const h = allDown();
    h.vendors.script("openai.test", { status: 400, errorMessage: "bad temperature" });
    const r = await h.chat({ messages: [{ role: "user", content: "refund my invoice" }] }, { "x-detour-task": "classification" });
    expect(r.status).toBe(400);
    expect(r.headers.get("x-detour-degraded")).toBeNull();
  });

  it("keeps useful answers flowing for a mixed workload during a full outage", async () => {
    const h = harness({ config: { ...config, cache: { ttlSeconds: { classification: 60, extraction: 60 } } }, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    // Before the outage: a few answers get cached, and the support route's template exists.
    h.vendors.always("openai.test", { text: "Refunds take 5 business days." });
    await h.chat({ messages: [{ role: "user", content: "What is your refund policy?" }] }, { "x-detour-intent": "faq:refunds" });
    await h.call("/admin/templates/auto/chat", { method: "PUT", headers: admin, json: { text: "Our assistant is briefly unavailable; a human will follow up." } });
    await h.clock.advance(90_000_000); // well past every TTL: only stale answers remain
    h.vendors.always("openai.test", { status: 503 });
    h.vendors.always("anthropic.test", { status: 503 });
    const workload: [Record<string, unknown>, Record<string, string>][] = [
      [{ messages: [{ role: "user", content: "What is your refund policy?" }] }, { "x-detour-intent": "faq:refunds" }],
      [{ messages: [{ role: "user", content: "Please refund this charge on my card" }] }, { "x-detour-task": "classification" }],
      [{ messages: [{ role: "user", content: "The export has a bug" }] }, { "x-detour-task": "classification" }],
      [{ response_format: sentiment, messages: [{ role: "user", content: "Classify: positive vibes only" }] }, {}],
      [{ response_format: invoice, messages: [{ role: "user", content: "Extract from: bill INV-77 total $20 to bob@example.org" }] }, {}],
      [{ messages: [{ role: "user", content: "Hello, can you help me?" }] }, {}],
      [{ messages: [{ role: "user", content: "Write a sonnet" }] }, { "x-detour-task": "reasoning" }],
    ];
    const results = [];
    for (const [body, headers] of workload) results.push(await h.chat(body, headers));
    const rungs = results.map((r) => r.headers.get("x-detour-degraded")?.split(";")[0] ?? String(r.status));
    const answered = results.filter((r) => r.status === 200).length;
    console.log(`all-down mixed workload: ${answered}/${results.length} answered usefully (${rungs.join(", ")})`);
    // The poem has no cache, template or rule that could stand in: it gets the honest error.
    expect(rungs).toEqual(["cache", "rules", "rules", "rules", "rules", "template", "error"]);
    expect(results.at(-1)!.status).toBe(503);
    expect(results.every((r) => r.status !== 200 || r.headers.get("x-detour-mode") !== "primary")).toBe(true);
  });
});
