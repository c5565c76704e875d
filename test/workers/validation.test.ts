/**
 * Response validation through the real worker: an answer that breaks the caller's contract (schema, tool parameters,
 * json_object) fails its attempt as `invalid_output`, the next target answers, the health window records a semantic
 * failure, and the bad answer is never cached.
 */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const ADMIN = "admin-token-for-tests-0001-abcdefghij";
const config = {
  ...VENDOR_CONFIG,
  routes: {
    auto: { targets: ["alpha/gpt-4o-mini", "gamma/gemini-2.0-flash"], retry: { maxRetries: 1, baseDelayMs: 100 } },
  },
  cache: { ttlSeconds: { classification: 600 } },
  resilience: { reportFlushMs: 0 },
};
const admin = { authorization: `Bearer ${ADMIN}` };
const trace = { "x-detour-trace": "1" };
const setup = () => harness({ config, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
const statusOf = async (h: ReturnType<typeof setup>, provider: string) =>
  (await h.call("/status", { headers: admin })).json.providers.find((p: any) => p.provider === provider);

const labelSchema = {
  type: "object",
  properties: { label: { type: "string", enum: ["spam", "ham"] }, confidence: { type: "number" } },
  required: ["label", "confidence"],
  additionalProperties: false,
};
const schemaBody = {
  temperature: 0,
  messages: [{ role: "user", content: "Label this: WIN A FREE PHONE" }],
  response_format: { type: "json_schema", json_schema: { name: "label", strict: true, schema: labelSchema } },
};
const weatherTools = [
  {
    type: "function",
    function: {
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
];

describe("built-in checks fail over", () => {
  it("json_schema: JSON missing a required field is answered by the next target, recorded, and never cached", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: '{"label":"spam"}' });
    h.vendors.always("gemini.test", { text: '{"label":"spam","confidence":0.97}' });
    const task = { ...trace, "x-detour-task": "classification" };
    const r = await h.chat(schemaBody, task);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.json.choices[0].message.content)).toEqual({ label: "spam", confidence: 0.97 });
    expect(r.headers.get("x-detour-mode")).toBe("failover");
    expect(r.headers.get("x-detour-provider")).toBe("gamma");
    // No retry on the same target: another model is tried at once.
    expect(h.vendors.callsTo("openai.test")).toHaveLength(1);
    expect(r.json.detour.attempts[0]).toMatchObject({
      provider: "alpha",
      outcome: "error",
      error_class: "invalid_output",
      check: "json_schema",
      message: "missing required property 'confidence'",
    });
    const alpha = await statusOf(h, "alpha");
    expect(alpha.health.semanticFailureRate).toBeGreaterThan(0);
    expect(alpha.requests.invalid_output).toBe(1);
    expect((await statusOf(h, "gamma")).health.semanticFailureRate).toBe(0);

    // The cache holds the served (valid) answer only; the primary's bad JSON never reached it.
    const again = await h.chat(schemaBody, task);
    expect(again.headers.get("x-detour-cache")).toMatch(/^hit/);
    expect(JSON.parse(again.json.choices[0].message.content)).toEqual({ label: "spam", confidence: 0.97 });

    const m = await h.call("/metrics", { headers: admin });
    expect(m.text).toContain('detour_validation_failures_total{provider="alpha",model="gpt-4o-mini",check="json_schema"} 1');
  });

  it("json_schema: a valid primary answer is served as usual", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: '{"label":"ham","confidence":0.5}' });
    const r = await h.chat(schemaBody, trace);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-mode")).toBe("primary");
    expect(h.vendors.callsTo("gemini.test")).toHaveLength(0);
  });

  it("tool calls: arguments that do not match the tool's parameters fail over", async () => {
    const h = setup();
    h.vendors.always("openai.test", { toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"town":"Paris"}' }] });
    h.vendors.always("gemini.test", { toolCalls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }] });
    const r = await h.chat({ tools: weatherTools, messages: [{ role: "user", content: "Weather in Paris?" }] }, trace);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-mode")).toBe("failover");
    expect(JSON.parse(r.json.choices[0].message.tool_calls[0].function.arguments)).toEqual({ city: "Paris" });
    expect(r.json.detour.attempts[0]).toMatchObject({ error_class: "invalid_output", check: "tool_call", message: "arguments of 'get_weather': missing required property 'city'" });
    expect((await statusOf(h, "alpha")).health.semanticFailureRate).toBeGreaterThan(0);
  });

  it("tool_choice required: an answer without a tool call fails over", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "It is sunny in Paris." });
    h.vendors.always("gemini.test", { toolCalls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }] });
    const r = await h.chat({ tools: weatherTools, tool_choice: "required", messages: [{ role: "user", content: "Weather?" }] }, trace);
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.tool_calls).toHaveLength(1);
    expect(r.json.detour.attempts[0]).toMatchObject({ error_class: "invalid_output", check: "tool_choice" });
  });

  it("json_object: prose is not an answer", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "Sure! The label is spam." });
    h.vendors.always("gemini.test", { text: '{"label":"spam"}' });
    const r = await h.chat({ response_format: { type: "json_object" }, messages: [{ role: "user", content: "Label as JSON" }] }, trace);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-mode")).toBe("failover");
    expect(JSON.parse(r.json.choices[0].message.content)).toEqual({ label: "spam" });
    expect(r.json.detour.attempts[0]).toMatchObject({ error_class: "invalid_output", check: "json_object" });
  });

  it("every target invalid: 502 invalid_upstream_output naming each target's reason, and nothing cached", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: '{"label":"spam"}' });
    h.vendors.always("gemini.test", { text: "spam" });
    const task = { "x-detour-task": "classification" };
    const r = await h.chat(schemaBody, task);
    expect(r.status).toBe(502);
    expect(r.json.error).toMatchObject({ type: "api_error", code: "invalid_upstream_output" });
    expect(r.json.error.message).toContain("alpha/gpt-4o-mini: missing required property 'confidence' (json_schema)");
    expect(r.json.error.message).toMatch(/gamma\/gemini-2\.0-flash: the answer is not JSON .*\(json_schema\)/);
    h.vendors.always("gemini.test", { text: '{"label":"spam","confidence":1}' });
    const next = await h.chat(schemaBody, task);
    expect(next.status).toBe(200);
    expect(next.headers.get("x-detour-cache")).toBe("miss");
  });

  it("every target invalid, where the ladder can answer: a degraded answer that fills the schema, labelled", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: '{"mood":"bad"}' });
    h.vendors.always("gemini.test", { text: "negative" });
    const sentiment = {
      type: "json_schema",
      json_schema: { name: "sentiment", schema: { type: "object", properties: { sentiment: { type: "string", enum: ["positive", "negative", "neutral"] } }, required: ["sentiment"] } },
    };
    const r = await h.chat({ response_format: sentiment, messages: [{ role: "user", content: "Classify the sentiment: this is negative and awful" }] });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-mode")).toBe("degraded");
    expect(r.headers.get("x-detour-degraded")).toMatch(/reason=providers_down/);
    expect(JSON.parse(r.json.choices[0].message.content)).toEqual({ sentiment: "negative" });
  });

  it("refuses an over-deep schema up front with a 400 naming the limit", async () => {
    const h = setup();
    let schema: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 40; i++) schema = { type: "object", properties: { x: schema } };
    const r = await h.chat({ response_format: { type: "json_schema", json_schema: { name: "deep", schema } } });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain("limits.maxJsonDepth");
    expect(h.vendors.calls).toHaveLength(0);
  });
});

describe("streams the caller's contract judges are buffered until valid", () => {
  const streamText = (events: any[]) => events.filter((e) => typeof e === "object" && e.choices).map((e) => e.choices[0]?.delta?.content ?? "").join("");

  it("json_schema: the primary's invalid stream never reaches the caller; the second target's valid one does", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: '{"label":"spam"}', chunks: 3 });
    h.vendors.always("gemini.test", { text: '{"label":"ham","confidence":0.5}', chunks: 4 });
    const r = await h.chat({ ...schemaBody, stream: true }, trace);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-mode")).toBe("failover");
    expect(JSON.parse(streamText(r.events))).toEqual({ label: "ham", confidence: 0.5 });
    expect(r.events.some((e) => typeof e === "object" && e.error)).toBe(false);
    expect(r.events[r.events.length - 1]).toBe("[DONE]");
    expect((await statusOf(h, "alpha")).health.semanticFailureRate).toBeGreaterThan(0);
    const line = h.logs[h.logs.length - 1]!;
    expect(JSON.stringify(line)).toContain("invalid_output");
  });

  it("tool calls: streamed arguments that miss the parameters fail over before any byte is sent", async () => {
    const h = setup();
    h.vendors.always("openai.test", { toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"town":"Oslo"}' }] });
    h.vendors.always("gemini.test", { toolCalls: [{ name: "get_weather", arguments: '{"city":"Oslo"}' }] });
    const r = await h.chat({ stream: true, tools: weatherTools, messages: [{ role: "user", content: "Weather in Oslo?" }] });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-mode")).toBe("failover");
    const args = r.events
      .filter((e) => typeof e === "object" && e.choices?.[0]?.delta?.tool_calls)
      .map((e) => e.choices[0].delta.tool_calls[0].function?.arguments ?? "")
      .join("");
    expect(JSON.parse(args)).toEqual({ city: "Oslo" });
  });

  it("every stream invalid: 502 invalid_upstream_output, no SSE begun", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "not json" });
    h.vendors.always("gemini.test", { text: "still not json" });
    const r = await h.chat({ ...schemaBody, stream: true });
    expect(r.status).toBe(502);
    expect(r.json.error.code).toBe("invalid_upstream_output");
  });

  it("a plain-text stream still passes through at its first content", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "not json, and nobody asked for JSON", chunks: 3 });
    const r = await h.chat({ stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-mode")).toBe("primary");
    expect(streamText(r.events)).toBe("not json, and nobody asked for JSON");
  });
});


describe("route-level checks fail over (routes.<name>.validate)", () => {
  const routed = (validate: Record<string, unknown>) =>
    harness({
      config: { ...config, routes: { auto: { ...config.routes.auto, retry: { maxRetries: 0 }, validate } } },
      extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN },
    });
  const ask = { messages: [{ role: "user", content: "Label this ticket" }] };

  it("jsonRequired: an answer without the field fails over and says which check failed", async () => {
    const h = routed({ jsonRequired: ["/label"] });
    h.vendors.always("openai.test", { text: '{"confidence":0.9}' });
    h.vendors.always("gemini.test", { text: '{"label":"billing"}' });
    const r = await h.chat(ask, trace);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-provider")).toBe("gamma");
    expect(r.headers.get("x-detour-mode")).toBe("failover");
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", error_class: "invalid_output", check: "jsonRequired" });
  });

  it("mustNotMatch and minChars judge the text; an answer that passes is served from the primary", async () => {
    const h = routed({ mustNotMatch: ["as an ai (language )?model"], minChars: 5 });
    h.vendors.script("openai.test", { text: "As an AI language model, I cannot." }, { text: "Billing question." });
    h.vendors.always("gemini.test", { text: "ok" });
    const bad = await h.chat(ask, trace);
    // The primary's answer matched the forbidden pattern; gemini's "ok" is under minChars: nothing valid is left.
    expect(bad.status).toBe(502);
    expect(bad.json.error.code).toBe("invalid_upstream_output");
    const good = await h.chat(ask, trace);
    expect(good.status).toBe(200);
    expect(good.headers.get("x-detour-provider")).toBe("alpha");
    expect(good.json.choices[0].message.content).toBe("Billing question.");
  });

  it('refusal: "failover" tries the next target; the default "serve" passes the refusal on', async () => {
    const refuse = { text: "I can't help with that.", finishReason: "content_filter" as const };
    const failover = routed({ refusal: "failover" });
    failover.vendors.always("openai.test", refuse);
    failover.vendors.always("gemini.test", { text: "Here is the answer." });
    const r = await failover.chat(ask, trace);
    expect(r.headers.get("x-detour-provider")).toBe("gamma");
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", error_class: "invalid_output", check: "refusal" });
    const serve = routed({ minChars: 1 });
    serve.vendors.always("openai.test", refuse);
    const s = await serve.chat(ask, trace);
    expect(s.headers.get("x-detour-provider")).toBe("alpha");
    expect(s.json.choices[0].finish_reason).toBe("content_filter");
  });
});
