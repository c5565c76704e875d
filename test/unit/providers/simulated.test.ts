/**
 * The simulated provider: an in-process OpenAI-compatible server, read back through the real `openaiAdapter` and
 * `httpProvider`. Its sleep is injected and recorded, so nothing here waits on a real timer.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CanonicalRequest, StreamEvent } from "../../../src/canonical";
import { ProviderConfig } from "../../../src/config/schema";
import { UpstreamError } from "../../../src/engine/errors";
import { httpProvider } from "../../../src/providers/http";
import { openaiAdapter } from "../../../src/providers/openai";
import { DEFAULT_SIMULATED_SLEEP, simulatedFetch } from "../../../src/providers/simulated";
import type { CallContext, Target } from "../../../src/providers/types";

const provider = httpProvider(openaiAdapter);

function sim(voice = "swift", model = "swift-mini", profile: Record<string, number> = {}): Target {
  const p = ProviderConfig.parse({
    id: voice,
    kind: "simulated",
    simulated: { latencyMs: 40, chunkDelayMs: 15, wordsPerChunk: 2, voice, ...profile },
    models: [{ id: model, tools: true, json: true }],
  });
  return { provider: p, model: p.models[0]! };
}

/** A context whose fetch is the simulator, with a sleep that records its calls and returns at once. */
function ctxFor(t: Target, signal = new AbortController().signal) {
  const sleeps: number[] = [];
  const sleep = (ms: number, s: AbortSignal) => {
    sleeps.push(ms);
    return s.aborted ? Promise.reject(s.reason) : Promise.resolve();
  };
  const ctx: CallContext = { fetch: simulatedFetch(t.provider, sleep), signal, apiKey: undefined, now: () => 0 };
  return { ctx, sleeps };
}

function req(over: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return {
    messages: [{ role: "user", content: "Explain how rainbows form after summer storms" }],
    stream: false,
    includeUsage: false,
    ...over,
  };
}

async function collect(it: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const weatherTool = {
  name: "get_weather",
  description: "Current weather",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, days: { type: "integer" }, metric: { type: "boolean" }, note: { type: "string" } },
    required: ["city", "days", "metric"],
  },
};

describe("simulated text", () => {
  it("is deterministic, labelled and about the prompt", async () => {
    const t = sim();
    const a = await provider.complete(req(), t, ctxFor(t).ctx);
    const b = await provider.complete(req(), t, ctxFor(t).ctx);
    expect(a).toEqual(b);
    expect(a.content).toMatch(/^\[swift swift-mini\] /);
    expect(a.content).toMatch(/rainbows/);
    expect(a.model).toBe("swift-mini");
    expect(a.finishReason).toBe("stop");
    expect(a.id).toMatch(/^chatcmpl-sim/);
  });

  it("answers differently for different prompts", async () => {
    const t = sim();
    const a = await provider.complete(req(), t, ctxFor(t).ctx);
    const b = await provider.complete(req({ messages: [{ role: "user", content: "Compare tea and coffee" }] }), t, ctxFor(t).ctx);
    expect(a.content).not.toEqual(b.content);
  });

  it("gives each default voice its own style, not just its own label", async () => {
    const targets = [sim("swift", "swift-mini"), sim("ember", "ember-medium"), sim("sage", "sage-large")];
    const bodies = await Promise.all(
      targets.map(async (t) => (await provider.complete(req(), t, ctxFor(t).ctx)).content!.replace(/^\[[^\]]*\] /, "")),
    );
    expect(new Set(bodies).size).toBe(3);
  });

  it("counts usage at about four characters a token", async () => {
    const t = sim();
    const res = await provider.complete(req(), t, ctxFor(t).ctx);
    expect(res.usage!.inputTokens).toBe(Math.ceil("Explain how rainbows form after summer storms".length / 4));
    expect(res.usage!.outputTokens).toBe(Math.ceil(res.content!.length / 4));
  });

  it("truncates to max_tokens and finishes with length", async () => {
    const t = sim("sage", "sage-large");
    const full = await provider.complete(req(), t, ctxFor(t).ctx);
    const cut = await provider.complete(req({ maxTokens: 5 }), t, ctxFor(t).ctx);
    expect(cut.finishReason).toBe("length");
    expect(cut.usage!.outputTokens).toBeLessThanOrEqual(5);
    expect(full.content!.startsWith(cut.content!)).toBe(true);
    const streamed = await collect(await provider.stream(req({ maxTokens: 5 }), t, ctxFor(t).ctx));
    expect(streamed.find((e) => e.type === "finish")).toEqual({ type: "finish", finishReason: "length" });
  });

  it("stops at a stop sequence", async () => {
    const t = sim();
    const res = await provider.complete(req({ stop: ["rainbows"] }), t, ctxFor(t).ctx);
    expect(res.content).not.toMatch(/rainbows/);
    expect(res.finishReason).toBe("stop");
  });
});

describe("simulated streaming", () => {
  it("streams the same answer in wordsPerChunk pieces, then finish and usage", async () => {
    const t = sim();
    const json = await provider.complete(req(), t, ctxFor(t).ctx);
    const events = await collect(await provider.stream(req({ stream: true }), t, ctxFor(t).ctx));
    const texts = events.flatMap((e) => (e.type === "text" ? [e.text] : []));
    expect(texts.join("")).toBe(json.content);
    expect(texts[0]!.trim().split(" ")).toHaveLength(2);
    expect(events.slice(-2)).toEqual([
      { type: "finish", finishReason: "stop" },
      { type: "usage", usage: json.usage },
    ]);
  });

  it("speaks the OpenAI SSE wire format: role chunk, usage chunk only when asked, [DONE]", async () => {
    const t = sim();
    const fetch = simulatedFetch(t.provider, async () => {});
    const post = (body: unknown) =>
      fetch("https://swift.simulated.invalid/v1/chat/completions", { method: "POST", body: JSON.stringify(body) }).then((r) => r.text());
    const base = { model: "swift-mini", messages: [{ role: "user", content: "hi" }], stream: true };
    const plain = (await post(base)).trim().split("\n\n");
    expect(plain[plain.length - 1]).toBe("data: [DONE]");
    const first = JSON.parse(plain[0]!.slice(6));
    expect(first).toMatchObject({ object: "chat.completion.chunk", model: "swift-mini", choices: [{ index: 0, delta: { role: "assistant", content: "" } }] });
    expect(plain.some((e) => e.includes('"usage"'))).toBe(false);
    const withUsage = (await post({ ...base, stream_options: { include_usage: true } })).trim().split("\n\n");
    const usageChunk = JSON.parse(withUsage[withUsage.length - 2]!.slice(6));
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toMatchObject({ prompt_tokens: 1, completion_tokens: expect.any(Number) });
  });

  it("sleeps latencyMs before the first byte and chunkDelayMs between chunks", async () => {
    const t = sim("swift", "swift-mini", { latencyMs: 40, chunkDelayMs: 15 });
    const { ctx, sleeps } = ctxFor(t);
    const events = await collect(await provider.stream(req({ stream: true }), t, ctx));
    const chunks = events.filter((e) => e.type === "text").length;
    expect(sleeps).toEqual([40, ...Array(chunks - 1).fill(15)]);

    const j = ctxFor(t);
    await provider.complete(req(), t, j.ctx);
    expect(j.sleeps).toEqual([40, 15 * (chunks - 1)]);
  });

  it("rejects with the abort reason while waiting, and errors the body mid-stream", async () => {
    const t = sim();
    const ac = new AbortController();
    const pending = (ms: number, s: AbortSignal) =>
      new Promise<void>((_, reject) => s.addEventListener("abort", () => reject(s.reason), { once: true }));
    const fetch = simulatedFetch(t.provider, pending);
    const p = provider.complete(req(), t, { fetch, signal: ac.signal, apiKey: undefined, now: () => 0 });
    ac.abort(new UpstreamError("timeout", "first byte"));
    await expect(p).rejects.toMatchObject({ errorClass: "timeout" });

    // Mid-stream: the first chunk arrives, then the pacing sleep is aborted.
    const ac2 = new AbortController();
    let calls = 0;
    const sleep = (ms: number, s: AbortSignal) => (calls++ === 0 ? Promise.resolve() : pending(ms, s));
    const stream = await provider.stream(req({ stream: true }), t, {
      fetch: simulatedFetch(t.provider, sleep),
      signal: ac2.signal,
      apiKey: undefined,
      now: () => 0,
    });
    const seen: StreamEvent[] = [];
    const reading = (async () => {
      for await (const e of stream) {
        seen.push(e);
        if (seen.length === 1) ac2.abort(new Error("client went away"));
      }
    })();
    await expect(reading).rejects.toThrow("client went away");
    expect(seen.some((e) => e.type === "finish")).toBe(false);
  });
});

describe("simulated tools", () => {
  it("calls a tool the prompt mentions, with arguments built from its required properties", async () => {
    const t = sim();
    const r = req({ messages: [{ role: "user", content: "Use get_weather for Paris please" }], tools: [weatherTool] });
    const res = await provider.complete(r, t, ctxFor(t).ctx);
    expect(res.finishReason).toBe("tool_calls");
    expect(res.content).toBeNull();
    expect(res.toolCalls).toHaveLength(1);
    expect(res.toolCalls[0]!.name).toBe("get_weather");
    expect(res.toolCalls[0]!.id).toMatch(/^call_/);
    const args = JSON.parse(res.toolCalls[0]!.arguments);
    expect(args).toEqual({ city: expect.any(String), days: 1, metric: true });
    expect("Use get_weather for Paris please").toContain(args.city);

    const events = await collect(await provider.stream({ ...r, stream: true }, t, ctxFor(t).ctx));
    const calls = events.filter((e) => e.type === "toolCall");
    // The same call, streamed, with an id of its own: tool-call ids are unique per answer, as OpenAI's are.
    expect(calls[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_[0-9a-f]{24}$/), name: "get_weather" });
    expect(calls[0]!.id).not.toBe(res.toolCalls[0]!.id);
    expect(calls.map((e) => e.argumentsDelta).join("")).toBe(res.toolCalls[0]!.arguments);
    expect(events.find((e) => e.type === "finish")).toEqual({ type: "finish", finishReason: "tool_calls" });
  });

  // The same tool and arguments asked for twice got the same id (a hash of the request): apps keying tool runs by
  // call id mixed up two requests. Each answer's id now comes from the injected id source.
  it("gives each answer's tool call an id from the injected source: identical requests, different ids", async () => {
    const t = sim();
    let n = 0;
    const fetch = simulatedFetch(t.provider, async () => {}, () => `id${++n}`);
    const ctx: CallContext = { fetch, signal: new AbortController().signal, apiKey: undefined, now: () => 0 };
    const r = req({ messages: [{ role: "user", content: "Use get_weather for Paris please" }], tools: [weatherTool] });
    const a = await provider.complete(r, t, ctx);
    const b = await provider.complete(r, t, ctx);
    expect(a.toolCalls[0]).toMatchObject({ id: "call_id1", name: "get_weather" });
    expect(b.toolCalls[0]).toMatchObject({ id: "call_id2", arguments: a.toolCalls[0]!.arguments });
    const streamed = await collect(await provider.stream({ ...r, stream: true }, t, ctx));
    expect(streamed.find((e) => e.type === "toolCall")).toMatchObject({ id: "call_id3" });
  });

  it("matches a tool named with underscores when the prompt uses spaces", async () => {
    const t = sim();
    const res = await provider.complete(req({ messages: [{ role: "user", content: "what's the Get Weather in Rome" }], tools: [weatherTool] }), t, ctxFor(t).ctx);
    expect(res.toolCalls[0]?.name).toBe("get_weather");
  });

  it("answers in text when auto and the tool is not mentioned, or when tool_choice is none", async () => {
    const t = sim();
    const auto = await provider.complete(req({ tools: [weatherTool] }), t, ctxFor(t).ctx);
    expect(auto.toolCalls).toEqual([]);
    const none = await provider.complete(
      req({ messages: [{ role: "user", content: "get_weather now" }], tools: [weatherTool], toolChoice: "none" }),
      t,
      ctxFor(t).ctx,
    );
    expect(none.toolCalls).toEqual([]);
    expect(none.content).toMatch(/^\[swift/);
  });

  it("calls a tool when required or named, even unmentioned", async () => {
    const t = sim();
    const other = { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } };
    const required = await provider.complete(req({ tools: [weatherTool, other], toolChoice: "required" }), t, ctxFor(t).ctx);
    expect(required.toolCalls[0]?.name).toBe("get_weather");
    const named = await provider.complete(req({ tools: [weatherTool, other], toolChoice: { name: "lookup" } }), t, ctxFor(t).ctx);
    expect(named.toolCalls[0]?.name).toBe("lookup");
    // A query-like parameter gets the question itself.
    expect(JSON.parse(named.toolCalls[0]!.arguments)).toEqual({ q: "Explain how rainbows form after summer storms" });
  });

  it("answers from the tool result instead of calling again", async () => {
    const t = sim();
    const res = await provider.complete(
      req({
        messages: [
          { role: "user", content: "Use get_weather for Paris" },
          { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }] },
          { role: "tool", toolCallId: "call_1", content: "Sunny, 24C" },
        ],
        tools: [weatherTool],
      }),
      t,
      ctxFor(t).ctx,
    );
    expect(res.toolCalls).toEqual([]);
    expect(res.content).toBe('[swift swift-mini] According to get_weather: Sunny, 24C. That answers "Use get_weather for Paris".');
  });
});

describe("simulated JSON modes", () => {
  it("json_object → {answer}", async () => {
    const t = sim();
    const res = await provider.complete(req({ responseFormat: { type: "json_object" } }), t, ctxFor(t).ctx);
    const parsed = JSON.parse(res.content!);
    expect(Object.keys(parsed)).toEqual(["answer"]);
    expect(parsed.answer).toMatch(/^\[swift swift-mini\] /);
    const events = await collect(await provider.stream(req({ responseFormat: { type: "json_object" } }), t, ctxFor(t).ctx));
    expect(events.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("")).toBe(res.content);
  });

  it("json_schema → an object with the required properties by type", async () => {
    const t = sim();
    const schema = {
      type: "object",
      properties: {
        summary: { type: "string" },
        score: { type: "number", minimum: 3 },
        ok: { type: "boolean" },
        tags: { type: "array", items: { type: "string" }, minItems: 2 },
        mood: { type: "string", enum: ["happy", "sad"] },
        meta: { type: "object", properties: { source: { type: ["string", "null"] } }, required: ["source"] },
        optional: { type: "string" },
      },
      required: ["summary", "score", "ok", "tags", "mood", "meta"],
    };
    const res = await provider.complete(req({ responseFormat: { type: "json_schema", name: "s", schema, strict: true } }), t, ctxFor(t).ctx);
    const v = JSON.parse(res.content!);
    expect(v).toEqual({
      summary: expect.stringMatching(/^\[swift swift-mini\] /),
      score: 3,
      ok: true,
      tags: [expect.any(String), expect.any(String)],
      mood: "happy",
      meta: { source: expect.any(String) },
    });
  });
});

describe("simulated model behaviour for demos", () => {
  const forecast = {
    name: "get_forecast",
    description: "Weather forecast for a city, in metric or imperial units",
    parameters: {
      type: "object",
      properties: {
        location: { type: "string", description: "City name" },
        days: { type: "integer", minimum: 1, maximum: 7 },
        units: { type: "string", enum: ["metric", "imperial"] },
        when: { type: "string", format: "date" },
      },
      required: ["location", "days", "units", "when"],
      additionalProperties: false,
    },
  };
  const search = { name: "searchDocs", description: "Search the product documentation", parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] } };

  it("calls the tool a natural prompt is about, by its name's words or its description, with plausible arguments", async () => {
    const t = sim();
    const weather = await provider.complete(req({ messages: [{ role: "user", content: "What's the forecast in Lisbon for the next 3 days?" }], tools: [search, forecast] }), t, ctxFor(t).ctx);
    expect(weather.toolCalls.map((c) => c.name)).toEqual(["get_forecast"]);
    expect(JSON.parse(weather.toolCalls[0]!.arguments)).toEqual({ location: "Lisbon", days: 3, units: "metric", when: "2026-01-15" });

    const byDescription = await provider.complete(req({ messages: [{ role: "user", content: "Will I need an umbrella? Check the weather in Oslo" }], tools: [search, forecast] }), t, ctxFor(t).ctx);
    expect(byDescription.toolCalls[0]?.name).toBe("get_forecast");
    expect(JSON.parse(byDescription.toolCalls[0]!.arguments).location).toBe("Oslo");

    const docs = await provider.complete(req({ messages: [{ role: "user", content: "How do I rotate keys? search the docs" }], tools: [forecast, search] }), t, ctxFor(t).ctx);
    expect(docs.toolCalls[0]?.name).toBe("searchDocs");
    expect(JSON.parse(docs.toolCalls[0]!.arguments)).toEqual({ query: "How do I rotate keys? search the docs" });
  });

  it("keeps numbers within the schema's bounds and answers unrelated prompts in prose", async () => {
    const t = sim();
    const far = await provider.complete(req({ messages: [{ role: "user", content: "weather forecast for Rome in 30 days" }], tools: [forecast] }), t, ctxFor(t).ctx);
    expect(JSON.parse(far.toolCalls[0]!.arguments).days).toBe(7);
    const story = await provider.complete(req({ messages: [{ role: "user", content: "Tell me a story about dragons" }], tools: [forecast, search] }), t, ctxFor(t).ctx);
    expect(story.toolCalls).toEqual([]);
    expect(story.content).toMatch(/dragons/);
  });

  it("puts JSON tool results into words", async () => {
    const t = sim();
    const res = await provider.complete(
      req({
        messages: [
          { role: "user", content: "What's the forecast in Lisbon?" },
          { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "get_forecast", arguments: '{"location":"Lisbon"}' }] },
          { role: "tool", toolCallId: "call_1", content: '{"temperature_c":21,"conditions":"sunny","wind":{"kph":12}}' },
        ],
        tools: [forecast],
      }),
      t,
      ctxFor(t).ctx,
    );
    expect(res.toolCalls).toEqual([]);
    expect(res.content).toBe('[swift swift-mini] According to get_forecast: temperature c 21, conditions sunny. That answers "What\'s the forecast in Lisbon?".');
  });

  it("json_object follows a JSON schema in the system prompt, or an example object", async () => {
    const t = sim();
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, population: { type: "integer", minimum: 0 }, landmarks: { type: "array", items: { type: "string" } }, capital: { type: "boolean" } },
      required: ["city", "population", "landmarks", "capital"],
      additionalProperties: false,
    };
    const withSchema = await provider.complete(
      req({
        messages: [
          { role: "system", content: `Answer in JSON matching this schema:\n${JSON.stringify(schema)}` },
          { role: "user", content: "Describe Porto" },
        ],
        responseFormat: { type: "json_object" },
      }),
      t,
      ctxFor(t).ctx,
    );
    const v = JSON.parse(withSchema.content!);
    expect(v).toEqual({ city: "Porto", population: 1, landmarks: [expect.stringMatching(/^\[swift swift-mini\] /)], capital: true });

    const withExample = await provider.complete(
      req({ messages: [{ role: "user", content: 'Rate this review, reply like {"sentiment": "positive", "score": 0.5}' }], responseFormat: { type: "json_object" } }),
      t,
      ctxFor(t).ctx,
    );
    const e = JSON.parse(withExample.content!);
    expect(Object.keys(e)).toEqual(["sentiment", "score"]);
    expect(typeof e.sentiment).toBe("string");
    expect(typeof e.score).toBe("number");
  });
});

describe("simulated json_object with no schema anywhere", () => {
  const ask = async (content: string) => {
    const t = sim();
    const res = await provider.complete(req({ messages: [{ role: "user", content }], responseFormat: { type: "json_object" } }), t, ctxFor(t).ctx);
    return JSON.parse(res.content!) as Record<string, unknown>;
  };

  it("answers the object the prompt names, with values from the prompt", async () => {
    expect(await ask("Give the city, population and landmarks of Paris as JSON")).toEqual({
      city: "Paris",
      population: 1,
      landmarks: [expect.stringMatching(/^\[swift swift-mini\] /)],
    });
    const book = await ask("Return a JSON object with the title, author, year, is_available and tags of a book published in 1965");
    expect(book).toEqual({ title: expect.stringMatching(/^\[swift swift-mini\] /), author: expect.any(String), year: 1965, is_available: true, tags: [expect.any(String)] });
    expect(await ask("Give me a list of 3 fruits as JSON")).toEqual({ fruits: [expect.any(String), expect.any(String), expect.any(String)] });
  });

  it("falls back to {answer} when the prompt names nothing, and is deterministic", async () => {
    const v = await ask("Tell me about Rome in JSON");
    expect(Object.keys(v)).toEqual(["answer"]);
    expect(await ask("Give the city, population and landmarks of Paris as JSON")).toEqual(await ask("Give the city, population and landmarks of Paris as JSON"));
  });
});

describe("simulated errors", () => {
  it("answers an invalid body with a 400 OpenAI error", async () => {
    const t = sim();
    const fetch = simulatedFetch(t.provider, async () => {});
    const res = await fetch("https://x/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: "swift-mini", messages: [] }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", param: "messages", code: null, message: expect.any(String) } });
    const notJson = await fetch("https://x/v1/chat/completions", { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    const wrongPath = await fetch("https://x/v1/completions", { method: "POST", body: "{}" });
    expect(wrongPath.status).toBe(404);
  });

  it("maps through the adapter: unknown model → model_not_found, unknown named tool → bad_request", async () => {
    const t = sim();
    const other: Target = { provider: t.provider, model: { ...t.model, id: "nope" } };
    await expect(provider.complete(req(), other, ctxFor(t).ctx)).rejects.toMatchObject({ errorClass: "model_not_found" });
    await expect(provider.complete(req({ toolChoice: { name: "ghost" }, tools: [weatherTool] }), t, ctxFor(t).ctx)).rejects.toMatchObject({
      errorClass: "bad_request",
    });
  });
});

describe("DEFAULT_SIMULATED_SLEEP", () => {
  afterEach(() => vi.useRealTimers());

  it("resolves after ms and rejects with the abort reason", async () => {
    vi.useFakeTimers();
    const ac = new AbortController();
    let done = false;
    const p = DEFAULT_SIMULATED_SLEEP(100, ac.signal).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(done).toBe(true);

    const ac2 = new AbortController();
    const q = DEFAULT_SIMULATED_SLEEP(1_000, ac2.signal);
    ac2.abort(new Error("stop"));
    await expect(q).rejects.toThrow("stop");
    const aborted = AbortSignal.abort(new Error("already"));
    await expect(DEFAULT_SIMULATED_SLEEP(1, aborted)).rejects.toThrow("already");
  });
});
