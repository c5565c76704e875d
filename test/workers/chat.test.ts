import { describe, expect, it } from "vitest";
import { PRICED_PROVIDERS, SECRETS, VENDOR_CONFIG } from "../support/config";
import { harness, streamedText } from "../support/harness";

const weather = {
  type: "function",
  function: { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
};

describe.each([
  ["alpha (openai)", "auto", "openai.test"],
  ["beta (anthropic)", "anthropic", "anthropic.test"],
  ["gamma (gemini)", "gemini", "gemini.test"],
])("%s through the worker", (_name, route, host) => {
  it("answers JSON in OpenAI's shape", async () => {
    const h = harness();
    h.vendors.script(host, { text: "Hello there", usage: { inputTokens: 7, outputTokens: 2 } });
    const r = await h.chat({ model: route });
    expect(r.status).toBe(200);
    expect(r.json.object).toBe("chat.completion");
    expect(r.json.choices[0].message).toMatchObject({ role: "assistant", content: "Hello there" });
    expect(r.json.choices[0].finish_reason).toBe("stop");
    expect(r.json.usage).toEqual({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 });
    expect(r.headers.get("x-detour-mode")).toBe("primary");
    expect(h.vendors.callsTo(host)).toHaveLength(1);
  });

  it("streams SSE ending in [DONE], with usage when asked", async () => {
    const h = harness();
    h.vendors.script(host, { text: "one two three four", chunks: 3, usage: { inputTokens: 5, outputTokens: 4 } });
    const r = await h.chat({ model: route, stream: true, stream_options: { include_usage: true } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/event-stream");
    expect(streamedText(r.events)).toBe("one two three four");
    expect(r.events.at(-1)).toBe("[DONE]");
    const usage = r.events.find((e) => typeof e === "object" && e.usage);
    expect(usage.usage).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    expect(r.events.some((e) => e?.choices?.[0]?.finish_reason === "stop")).toBe(true);
  });

  it("returns tool calls, JSON and streamed", async () => {
    const h = harness();
    const call = { id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' };
    h.vendors.script(host, { toolCalls: [call] }, { toolCalls: [call], chunks: 2 });
    const r = await h.chat({ model: route, tools: [weather], messages: [{ role: "user", content: "Weather in Paris?" }] });
    expect(r.status).toBe(200);
    const tc = r.json.choices[0].message.tool_calls[0];
    expect(tc.type).toBe("function");
    expect(tc.function.name).toBe("get_weather");
    expect(JSON.parse(tc.function.arguments)).toEqual({ city: "Paris" });
    expect(r.json.choices[0].finish_reason).toBe("tool_calls");

    const s = await h.chat({ model: route, stream: true, tools: [weather], messages: [{ role: "user", content: "Weather in Paris?" }] });
    const deltas = s.events.flatMap((e) => e?.choices?.[0]?.delta?.tool_calls ?? []);
    expect(deltas[0].function.name).toBe("get_weather");
    expect(JSON.parse(deltas.map((d: any) => d.function.arguments ?? "").join(""))).toEqual({ city: "Paris" });
    expect(s.events.at(-1)).toBe("[DONE]");
  });

  it("sends the provider's key from its secret and never leaks it", async () => {
    const h = harness();
    h.vendors.script(host, { status: 401, errorMessage: "Incorrect API key provided: sk-alpha-secret-0123456789" });
    h.vendors.always("openai.test", { status: 401, errorMessage: "Incorrect API key provided: sk-alpha-secret-0123456789" });
    h.vendors.always("anthropic.test", { status: 401 });
    h.vendors.always("gemini.test", { status: 401 });
    const r = await h.chat({ model: route }, { "x-detour-trace": "1" });
    const sent = JSON.stringify(h.vendors.calls[0]!.headers);
    expect([SECRETS.ALPHA_KEY, SECRETS.BETA_KEY, SECRETS.GAMMA_KEY].some((k) => sent.includes(k))).toBe(true);
    expect(r.text).not.toMatch(/sk-alpha-secret|sk-ant-beta-secret|AIzaGammaSecret/);
    expect(JSON.stringify(h.logs)).not.toMatch(/secret/i);
  });
});

describe("failover, retries and the error taxonomy", () => {
  it("retries a 503 on the same provider, then serves", async () => {
    const h = harness();
    h.vendors.script("openai.test", { status: 503 }, { text: "second try" });
    const r = await h.chat({});
    expect(r.json.choices[0].message.content).toBe("second try");
    expect(r.headers.get("x-detour-attempts")).toBe("2");
    expect(r.headers.get("x-detour-mode")).toBe("primary");
    expect(h.vendors.callsTo("anthropic.test")).toHaveLength(0);
  });

  it("fails over across vendor wire formats when the primary keeps failing", async () => {
    const h = harness();
    h.vendors.always("openai.test", { status: 500 });
    h.vendors.script("anthropic.test", { text: "from claude" });
    const r = await h.chat({}, { "x-detour-trace": "1" });
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("from claude");
    expect(r.headers.get("x-detour-provider")).toBe("beta");
    expect(r.headers.get("x-detour-model")).toBe("claude-3-5-haiku-latest");
    expect(r.headers.get("x-detour-mode")).toBe("failover");
    expect(r.headers.get("x-detour-attempts")).toBe("3");
    expect(r.json.detour.attempts.map((a: any) => [a.provider, a.outcome, a.error_class ?? null, a.status ?? null])).toEqual([
      ["alpha", "error", "server_error", 500],
      ["alpha", "error", "server_error", 500],
      ["beta", "ok", null, null],
    ]);
  });

  it("honours Retry-After before retrying a 429", async () => {
    const h = harness();
    h.vendors.script("openai.test", { status: 429, headers: { "retry-after": "2" } }, { text: "after the wait" });
    const r = await h.chat({});
    expect(r.json.choices[0].message.content).toBe("after the wait");
    expect(h.clock.sleeps).toContain(2000);
  });

  it("does not retry a 401 from a vendor, fails over, and names the provider when all fail", async () => {
    const h = harness();
    h.vendors.always("openai.test", { status: 401 });
    h.vendors.always("anthropic.test", { status: 401 });
    h.vendors.always("gemini.test", { status: 401 });
    const r = await h.chat({}, { "x-request-id": "req-all-failed" });
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe("all_providers_failed");
    expect(r.headers.get("x-request-id")).toBe("req-all-failed");
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.json.error.message).toContain("provider 'alpha' was rejected; check the secret ALPHA_KEY");
    expect(h.vendors.callsTo("openai.test")).toHaveLength(1);
    expect(r.headers.get("retry-after")).toBeTruthy();
  });

  it("reports a vendor 400 to the caller without failing over", async () => {
    const h = harness();
    h.vendors.script("openai.test", { status: 400, errorMessage: "Invalid 'messages[0].content': too weird" });
    const r = await h.chat({});
    expect(r.status).toBe(400);
    expect(r.json.error.type).toBe("invalid_request_error");
    expect(r.json.error.message).toContain("too weird");
    expect(h.vendors.callsTo("anthropic.test")).toHaveLength(0);
  });

  it("fails a context-length error over to the next model", async () => {
    const h = harness();
    h.vendors.script("openai.test", { status: 400, errorCode: "context_length_exceeded", errorMessage: "This model's maximum context length is 128000 tokens." });
    h.vendors.script("anthropic.test", { text: "I can read it all" });
    const r = await h.chat({});
    expect(r.json.choices[0].message.content).toBe("I can read it all");
    expect(h.vendors.callsTo("openai.test")).toHaveLength(1);
  });

  it("times out a hung provider and fails over", async () => {
    const h = harness({
      config: { ...(await import("../support/config")).VENDOR_CONFIG, defaults: { timeouts: { firstByteMs: 3000 } } },
    });
    h.vendors.always("openai.test", { hang: true });
    h.vendors.script("anthropic.test", { text: "not hung" });
    const r = await h.chat({}, { "x-detour-trace": "1" });
    expect(r.json.choices[0].message.content).toBe("not hung");
    expect(r.json.detour.attempts[0].error_class).toBe("timeout");
    // Timed out at the configured first-byte timeout, not before or after.
    expect(r.json.detour.attempts[0].ms).toBe(3000);
  });

  it("treats a network error as retryable", async () => {
    const cfg = (await import("../support/config")).VENDOR_CONFIG;
    const h = harness({ config: { ...cfg, providers: cfg.providers.map((p) => (p.id === "alpha" ? { ...p, baseUrl: "https://down.test/v1" } : p)) } });
    h.vendors.script("anthropic.test", { text: "fallback" });
    const r = await h.chat({}, { "x-detour-trace": "1" });
    expect(r.json.detour.attempts[0].error_class).toBe("network");
    expect(r.json.choices[0].message.content).toBe("fallback");
  });

  it("treats a malformed 200 as retryable", async () => {
    const h = harness();
    h.vendors.script("openai.test", { malformed: true }, { text: "well formed" });
    const r = await h.chat({}, { "x-detour-trace": "1" });
    expect(r.json.detour.attempts[0].error_class).toBe("malformed");
    expect(r.json.choices[0].message.content).toBe("well formed");
  });

  it("returns 504 when the deadline passes", async () => {
    const h = harness();
    h.vendors.always("openai.test", { hang: true });
    h.vendors.always("anthropic.test", { hang: true });
    h.vendors.always("gemini.test", { hang: true });
    const r = await h.chat({}, { "x-detour-deadline-ms": "1500" });
    expect(r.status).toBe(504);
    expect(r.json.error.code).toBe("deadline_exceeded");
  });
});

describe("streams never truncate silently", () => {
  it("fails over invisibly when the primary's stream is cut before its first content", async () => {
    const h = harness();
    h.vendors.always("openai.test", { text: "never seen", cutAfterEvents: 1 });
    h.vendors.script("anthropic.test", { text: "complete answer", chunks: 2 });
    const r = await h.chat({ stream: true });
    expect(r.status).toBe(200);
    expect(streamedText(r.events)).toBe("complete answer");
    expect(r.headers.get("x-detour-provider")).toBe("beta");
    expect(r.events.at(-1)).toBe("[DONE]");
  });

  it("ends with an explicit error event when the stream is cut after content", async () => {
    const h = harness();
    h.vendors.script("openai.test", { text: "aaaa bbbb cccc dddd", chunks: 4, cutAfterEvents: 3 });
    const r = await h.chat({ stream: true });
    expect(r.status).toBe(200);
    const last = r.events.at(-1);
    expect(last.error.code).toBe("upstream_stream_cut");
    expect(r.events).not.toContain("[DONE]");
    expect(h.logs.at(-1)!.stream_error).toBe("stream_cut");
  });

  // OpenAI sends a chunk with `choices: []` only to a caller who asked for usage. Detour added one (carrying the
  // stream's real cost) to every stream, and the openai README's own loop, `chunk.choices[0].delta.content`, threw on it.
  it("sends no chunk without choices unless usage was asked for; the cost and the trace ride on the finishing chunk", async () => {
    const h = harness({ config: { ...VENDOR_CONFIG, providers: PRICED_PROVIDERS } });
    h.vendors.script("openai.test", { text: "one two three", chunks: 3, usage: { inputTokens: 5, outputTokens: 3 } }, { text: "one two three", chunks: 3 });
    for (const headers of [{}, { "x-detour-trace": "1" }] as Record<string, string>[]) {
      const r = await h.chat({ stream: true }, headers);
      const chunks = r.events.filter((e) => typeof e === "object");
      expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
      expect(streamedText(r.events)).toBe("one two three");
      expect(r.events.at(-1)).toBe("[DONE]");
      const last = r.events.at(-2);
      expect(last.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
      expect(last.detour.cost_usd).toBeGreaterThan(0);
      if ("x-detour-trace" in headers) expect(last.detour.attempts).toHaveLength(1);
    }
  });

  it("ends with an explicit error event when the stream stalls after content", async () => {
    const h = harness();
    h.vendors.script("openai.test", { text: "aaaa bbbb cccc dddd", chunks: 4, stallAfterEvents: 3 });
    const r = await h.chat({ stream: true });
    expect(r.events.at(-1).error.code).toBe("upstream_stall");
    expect(r.events).not.toContain("[DONE]");
  });
});

describe("a provider whose key secret is not set", () => {
  // README: "misconfigured — a provider needs a secret/binding that is missing — next target". The request went to the
  // vendor without a key instead (a 401 in production; a wasted round trip, and the operator told the key was wrong).
  it("is skipped as misconfigured without a vendor call, and the error names the secret to set", async () => {
    const { ALPHA_KEY: _unset, ...rest } = SECRETS;
    const h = harness({ secrets: rest });
    h.vendors.script("anthropic.test", { text: "from beta" });
    const ok = await h.chat({}, { "x-detour-trace": "1" });
    expect(ok.status).toBe(200);
    expect(ok.json.choices[0].message.content).toBe("from beta");
    expect(ok.json.detour.attempts[0]).toMatchObject({ provider: "alpha", error_class: "misconfigured" });
    expect(h.vendors.callsTo("openai.test")).toHaveLength(0);

    const only = await h.chat({ model: "alpha/gpt-4o-mini" });
    expect(only.status).toBe(503);
    expect(only.json.error.message).toContain("ALPHA_KEY");
    expect(h.vendors.callsTo("openai.test")).toHaveLength(0);
  });
});

describe("headers, trace and logs", () => {
  it("says how every answer was served", async () => {
    const h = harness();
    h.vendors.script("openai.test", { text: "hi" });
    const r = await h.chat({}, { "x-request-id": "req-123" });
    expect(r.headers.get("x-request-id")).toBe("req-123");
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("x-detour-provider")).toBe("alpha");
    expect(r.headers.get("x-detour-model")).toBe("gpt-4o-mini");
    expect(r.headers.get("x-detour-attempts")).toBe("1");
    expect(r.headers.get("server-timing")).toMatch(/^routing;dur=[\d.]+, breaker;dur=[\d.]+, upstream;dur=[\d.]+, total;dur=[\d.]+$/);
    expect(r.json.detour).toBeUndefined();
  });

  it("logs one JSON line per request without prompt text", async () => {
    const h = harness();
    h.vendors.script("openai.test", { text: "the answer" });
    await h.chat({ messages: [{ role: "user", content: "my secret diary entry" }] });
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatchObject({ status: 200, tenant: "acme", route: "auto", provider: "alpha", mode: "primary" });
    expect(JSON.stringify(h.logs)).not.toContain("diary");
    expect(JSON.stringify(h.logs)).not.toContain("the answer");
  });
});
