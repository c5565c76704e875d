/**
 * Response validation through the real worker: an answer that breaks the caller's contract (schema, tool parameters,
 * json_object) fails its attempt as `invalid_output`, the next target answers, the health window records a semantic
 * failure, and the bad answer is never cached.
 */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";

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
    // Both providers answered; their answers failed the caller's checks. The banner said "our AI provider is
    // unavailable" (reason=providers_down), which sent people to the vendors' status pages.
    expect(r.headers.get("x-detour-degraded")).toMatch(/reason=invalid_output/);
    expect(r.json.detour.degraded.message).toContain("did not pass");
    expect(r.json.detour.degraded.message).not.toContain("unavailable");
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


/** A harness whose route has these route-level checks (`routes.auto.validate`) and no retries. */
const routed = (validate: Record<string, unknown>) =>
  harness({
    config: { ...config, routes: { auto: { ...config.routes.auto, retry: { maxRetries: 0 }, validate } } },
    extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN },
  });

describe("route-level checks fail over (routes.<name>.validate)", () => {
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

describe("route-level checks: maxChars and mustMatch", () => {
  const ask = { messages: [{ role: "user", content: "Summarise the ticket" }] };

  it("maxChars: a too-long answer fails over; one within the limit is served", async () => {
    const h = routed({ maxChars: 20 });
    h.vendors.always("openai.test", { text: "This summary runs on far past the twenty characters the route allows." });
    h.vendors.always("gemini.test", { text: "Short summary." });
    const r = await h.chat(ask, trace);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-provider")).toBe("gamma");
    expect(r.json.choices[0].message.content).toBe("Short summary.");
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", error_class: "invalid_output", check: "maxChars" });
    expect(r.json.detour.attempts[0].message).toContain("the route allows at most 20");
  });

  it("mustMatch: an answer the pattern does not match fails over; a matching one is served from the primary", async () => {
    const h = routed({ mustMatch: ["^ticket #\\d+:"] });
    h.vendors.always("openai.test", { text: "Here is a summary." });
    h.vendors.always("gemini.test", { text: "Ticket #7: password reset." });
    const first = await h.chat(ask, trace);
    expect(first.headers.get("x-detour-provider")).toBe("gamma");
    expect(first.json.detour.attempts[0]).toMatchObject({ provider: "alpha", error_class: "invalid_output", check: "mustMatch" });
    const ok = routed({ mustMatch: ["^ticket #\\d+:"] });
    ok.vendors.always("openai.test", { text: "Ticket #42: refund issued." });
    const second = await ok.chat(ask, trace);
    expect(second.headers.get("x-detour-provider")).toBe("alpha");
    expect(second.json.choices[0].message.content).toBe("Ticket #42: refund issued.");
  });
});

describe("pass-through streams are judged after commit and end with an explicit error event", () => {
  const chunksOf = (events: any[]) => events.filter((e) => typeof e === "object" && e.choices);
  const textOf = (events: any[]) => chunksOf(events).map((e) => e.choices[0]?.delta?.content ?? "").join("");
  const errorOf = (events: any[]) => events.find((e) => typeof e === "object" && e.error)?.error;
  const finishes = (events: any[]) => chunksOf(events).filter((e) => e.choices[0]?.finish_reason);
  const ask = { stream: true, messages: [{ role: "user", content: "Tell me about the plan" }] };

  it("plain text, mustNotMatch: the stream stops with invalid_upstream_output and no finish_reason; recorded, not cached", async () => {
    const h = routed({ mustNotMatch: ["as an ai (language )?model"] });
    h.vendors.always("openai.test", { text: "Sure. As an AI language model I think the plan is fine.", chunks: 4 });
    const task = { "x-detour-task": "classification" };
    const r = await h.chat(ask, task);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-detour-mode")).toBe("primary");
    expect(errorOf(r.events)).toMatchObject({ code: "invalid_upstream_output" });
    expect(errorOf(r.events).message).toContain("mustNotMatch");
    expect(finishes(r.events)).toHaveLength(0);
    expect(r.events).not.toContain("[DONE]");
    expect((await statusOf(h, "alpha")).health.semanticFailureRate).toBeGreaterThan(0);
    expect(JSON.stringify(h.logs[h.logs.length - 1])).toContain("invalid_output");
    const again = await h.chat(ask, task);
    // Not cached: the same question is asked of a vendor again (alpha's score fell, so the router may prefer gamma now).
    expect(again.headers.get("x-detour-cache")).toBe("miss");
    expect(h.vendors.calls).toHaveLength(2);
  });

  it("plain text, minChars: judged on the whole answer when it ends", async () => {
    const h = routed({ minChars: 40 });
    h.vendors.always("openai.test", { text: "Too short.", chunks: 2 });
    const r = await h.chat(ask);
    expect(textOf(r.events)).toBe("Too short.");
    expect(errorOf(r.events)).toMatchObject({ code: "invalid_upstream_output" });
    expect(errorOf(r.events).message).toContain("at least 40");
    expect(finishes(r.events)).toHaveLength(0);
  });

  it("plain text that passes its checks streams to [DONE] as usual", async () => {
    const h = routed({ minChars: 10, mustNotMatch: ["forbidden"] });
    h.vendors.always("openai.test", { text: "The plan covers three phases.", chunks: 3 });
    const r = await h.chat(ask);
    expect(textOf(r.events)).toBe("The plan covers three phases.");
    expect(errorOf(r.events)).toBeUndefined();
    expect(finishes(r.events)).toHaveLength(1);
    expect(r.events[r.events.length - 1]).toBe("[DONE]");
  });

  it("plain text, maxChars: a runaway answer is cut as soon as it passes the limit, not after the vendor finished", async () => {
    const h = routed({ maxChars: 300 });
    const long = "word ".repeat(800); // 4,000 characters in 40 chunks of 100
    h.vendors.always("openai.test", { text: long, chunks: 40 });
    const r = await h.chat(ask);
    expect(errorOf(r.events)).toMatchObject({ code: "invalid_upstream_output" });
    expect(errorOf(r.events).message).toContain("at most 300");
    const got = textOf(r.events).length;
    expect(got).toBeGreaterThan(300);
    expect(got).toBeLessThan(1000);
  });

  it('json_schema with validate.stream "passthrough": bytes flow at once, and an invalid answer ends with the error event', async () => {
    const h = routed({ stream: "passthrough" });
    h.vendors.always("openai.test", { text: '{"label":"spam"}', chunks: 3 });
    h.vendors.always("gemini.test", { text: '{"label":"ham","confidence":0.5}' });
    const r = await h.chat({ ...schemaBody, stream: true });
    expect(r.status).toBe(200);
    // Committed to the primary at its first content: no failover once bytes were sent.
    expect(r.headers.get("x-detour-provider")).toBe("alpha");
    expect(textOf(r.events)).toBe('{"label":"spam"}');
    expect(errorOf(r.events)).toMatchObject({ code: "invalid_upstream_output" });
    expect(errorOf(r.events).message).toContain("confidence");
    expect(finishes(r.events)).toHaveLength(0);
    expect(h.vendors.callsTo("gemini.test")).toHaveLength(0);
    expect((await statusOf(h, "alpha")).health.semanticFailureRate).toBeGreaterThan(0);
  });

  it('json_schema with validate.stream "passthrough": a valid answer streams to [DONE]', async () => {
    const h = routed({ stream: "passthrough" });
    h.vendors.always("openai.test", { text: '{"label":"spam","confidence":0.9}', chunks: 3 });
    const r = await h.chat({ ...schemaBody, stream: true });
    expect(JSON.parse(textOf(r.events))).toEqual({ label: "spam", confidence: 0.9 });
    expect(errorOf(r.events)).toBeUndefined();
    expect(finishes(r.events)[0].choices[0].finish_reason).toBe("stop");
    expect(r.events[r.events.length - 1]).toBe("[DONE]");
  });

  it("the official openai SDK raises the error event of a pass-through stream that failed its check", async () => {
    const { default: OpenAI } = await import("openai");
    const h = routed({ mustNotMatch: ["forbidden"] });
    h.vendors.always("openai.test", { text: "this text is forbidden here", chunks: 3 });
    const client = new OpenAI({
      apiKey: PREMIUM,
      baseURL: "https://detour.test/v1",
      maxRetries: 0,
      fetch: async (url, init) => h.app.fetch(new Request(url as string, init as RequestInit), h.env, { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext),
    });
    const run = async () => {
      const stream = await client.chat.completions.create({ model: "auto", stream: true, messages: [{ role: "user", content: "hi" }] });
      for await (const _ of stream) {
        // drain
      }
    };
    await expect(h.clock.run(run())).rejects.toThrow(/output check/);
  });
});
