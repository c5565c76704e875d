import { describe, expect, it } from "vitest";
import { harness } from "../support/harness";
import { INSTANT_SIMULATED_CONFIG, PRICED_PROVIDERS, VENDOR_CONFIG } from "../support/config";

describe("caller authentication", () => {
  it("refuses a request without a key", async () => {
    const h = harness();
    const r = await h.call("/v1/chat/completions", { method: "POST", json: { model: "auto", messages: [] }, headers: { authorization: "" } });
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ type: "authentication_error", code: "missing_api_key" });
    expect(h.vendors.calls).toHaveLength(0);
  });

  it("refuses a wrong key", async () => {
    const h = harness();
    const r = await h.chat({}, { authorization: "Bearer dtr_premium_key_0000000009" });
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("invalid_api_key");
  });

  it("accepts x-api-key, as Anthropic clients send it, and tags the tenant", async () => {
    // The free tier has a spend cap, so its models need a price.
    const h = harness({ config: { ...VENDOR_CONFIG, providers: PRICED_PROVIDERS } });
    h.vendors.script("openai.test", { text: "ok" });
    const r = await h.chat({}, { authorization: "", "x-api-key": "dtr_free_key_000000000002" });
    expect(r.status).toBe(200);
    expect(h.logs[0]!.tenant).toBe("hobby");
  });

  it("serves the simulated default anonymously when no keys are set", async () => {
    const h = harness({ config: INSTANT_SIMULATED_CONFIG, keys: null });
    const r = await h.chat({});
    expect(r.status).toBe(200);
    expect(h.logs[0]!.tenant).toBe("anonymous");
  });

  it("refuses real providers without keys unless allowAnonymous", async () => {
    const refused = await harness({ keys: null }).chat({});
    expect(refused.status).toBe(500);
    expect(refused.json.error.type).toBe("configuration_error");
    expect(refused.json.error.message).toContain("allowAnonymous");

    const h = harness({ keys: null, config: { ...VENDOR_CONFIG, allowAnonymous: true } });
    h.vendors.script("openai.test", { text: "open gateway" });
    expect((await h.chat({})).status).toBe(200);
  });

  it("reports a malformed DETOUR_API_KEYS without echoing the keys", async () => {
    const r = await harness({ keys: { "short-secret-key": { tenant: "x", tier: "gold" } } }).chat({});
    expect(r.status).toBe(500);
    expect(r.json.error.message).toContain("DETOUR_API_KEYS");
    expect(r.json.error.message).toContain("key #1");
    expect(r.text).not.toContain("short-secret-key");
  });
});

describe("configuration errors", () => {
  it("lists every zod issue with its path", async () => {
    const bad = {
      providers: [{ id: "alpha", kind: "openai", models: [{ id: "m", contextWindow: -1 }], apiKeySecret: "sk-live-123" }],
      routes: { auto: { targets: ["alpha/nope", "ghost/m"] } },
    };
    const r = await harness({ config: bad }).chat({});
    expect(r.status).toBe(500);
    expect(r.json.error.code).toBe("invalid_config");
    const msg: string = r.json.error.message;
    for (const path of ["providers[0].baseUrl", "providers[0].models[0].contextWindow", "providers[0].apiKeySecret", "routes.auto.targets[0]", "routes.auto.targets[1]"]) {
      expect(msg).toContain(path);
    }
    expect(msg).not.toMatch(/at .*\.ts:\d+/);
  });

  it("says when DETOUR_CONFIG is not JSON", async () => {
    const r = await harness({ config: "{not json" }).chat({});
    expect(r.status).toBe(500);
    expect(r.json.error.message).toContain("not valid JSON");
  });
});

describe("bad input gets a 4xx in OpenAI's shape and never reaches a vendor", () => {
  const cases: [string, RequestInit & { json?: unknown }, number, string | null][] = [
    ["invalid JSON", { method: "POST", body: "{oops", headers: { "content-type": "application/json" } }, 400, null],
    ["empty body", { method: "POST", body: "" }, 400, null],
    ["a JSON array", { method: "POST", json: [1, 2] }, 400, null],
    ["missing model", { method: "POST", json: { messages: [{ role: "user", content: "x" }] } }, 400, "model"],
    ["empty messages", { method: "POST", json: { model: "auto", messages: [] } }, 400, "messages"],
    ["wrong type", { method: "POST", json: { model: "auto", messages: [{ role: "user", content: 42 }] } }, 400, "messages[0].content"],
    ["unknown role", { method: "POST", json: { model: "auto", messages: [{ role: "wizard", content: "x" }] } }, 400, "messages[0].role"],
    ["temperature out of range", { method: "POST", json: { model: "auto", temperature: 3, messages: [{ role: "user", content: "x" }] } }, 400, "temperature"],
    ["n=2", { method: "POST", json: { model: "auto", n: 2, messages: [{ role: "user", content: "x" }] } }, 400, "n"],
    ["stream_options without stream", { method: "POST", json: { model: "auto", stream_options: { include_usage: true }, messages: [{ role: "user", content: "x" }] } }, 400, "stream_options"],
    ["tool_choice without tools", { method: "POST", json: { model: "auto", tool_choice: "required", messages: [{ role: "user", content: "x" }] } }, 400, "tool_choice"],
    ["tool result for an unknown call", { method: "POST", json: { model: "auto", messages: [{ role: "user", content: "x" }, { role: "tool", tool_call_id: "nope", content: "r" }] } }, 400, "messages[1].tool_call_id"],
    ["legacy functions", { method: "POST", json: { model: "auto", functions: [], messages: [{ role: "user", content: "x" }] } }, 400, "functions"],
    ["unknown model", { method: "POST", json: { model: "gpt-17", messages: [{ role: "user", content: "x" }] } }, 404, "model"],
    ["unknown provider/model", { method: "POST", json: { model: "alpha/gpt-17", messages: [{ role: "user", content: "x" }] } }, 404, "model"],
    // OpenAI refuses metadata past 16 pairs / 64-char keys / 512-char values: it reached the vendor, earning a 400 there.
    ["metadata over OpenAI's limits", { method: "POST", json: { model: "auto", metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])), messages: [{ role: "user", content: "x" }] } }, 400, "metadata"],
    ["a metadata value over 512 characters", { method: "POST", json: { model: "auto", metadata: { note: "x".repeat(513) }, messages: [{ role: "user", content: "x" }] } }, 400, "metadata"],
    // A schema that is not a JSON Schema reached every vendor; each answer then "failed" it, the caller got a 502 saying
    // the providers were unavailable, and each provider was charged an invalid_output.
    ["a json_schema whose type is not a JSON type", { method: "POST", json: { model: "auto", response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "banana" } } }, messages: [{ role: "user", content: "x" }] } }, 400, "response_format.json_schema.schema"],
    ["a json_schema whose required is not a list", { method: "POST", json: { model: "auto", response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", required: "a" } } }, messages: [{ role: "user", content: "x" }] } }, 400, "response_format.json_schema.schema"],
    ["tool parameters with an empty anyOf", { method: "POST", json: { model: "auto", tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { a: { anyOf: [] } } } } }], messages: [{ role: "user", content: "x" }] } }, 400, "tools[0].function.parameters"],
    // Names of Object.prototype's members were looked up as routes and answered a 500 internal_error.
    ["a model named toString", { method: "POST", json: { model: "toString", messages: [{ role: "user", content: "x" }] } }, 404, "model"],
    ["a model named __proto__", { method: "POST", json: { model: "__proto__", messages: [{ role: "user", content: "x" }] } }, 404, "model"],
  ];
  it.each(cases)("%s", async (_name, init, status, param) => {
    const h = harness();
    const r = await h.call("/v1/chat/completions", init);
    expect(r.status).toBe(status);
    expect(r.json.error.message.length).toBeGreaterThan(10);
    expect(r.json.error.type).toBeTruthy();
    if (param) expect(r.json.error.param).toBe(param);
    expect(h.vendors.calls).toHaveLength(0);
  });

  it("refuses a body over limits.maxBodyBytes with 413", async () => {
    const h = harness({ config: { ...VENDOR_CONFIG, limits: { maxBodyBytes: 2000 } } });
    const r = await h.chat({ messages: [{ role: "user", content: "x".repeat(5000) }] });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe("request_too_large");
    expect(h.vendors.calls).toHaveLength(0);
  });

  // A gzip body was refused as "not valid UTF-8", which sent the caller looking for an encoding bug in their JSON.
  it("says a compressed body is not supported, with 415", async () => {
    const h = harness();
    const gz = new Response(new Blob([JSON.stringify({ model: "auto", messages: [{ role: "user", content: "hi" }] })]).stream().pipeThrough(new CompressionStream("gzip")));
    const r = await h.call("/v1/chat/completions", { method: "POST", body: await gz.arrayBuffer(), headers: { "content-type": "application/json", "content-encoding": "gzip" } });
    expect(r.status).toBe(415);
    expect(r.json.error).toMatchObject({ type: "invalid_request_error", code: "unsupported_content_encoding" });
    expect(r.json.error.message).toContain("uncompressed");
    expect(h.vendors.calls).toHaveLength(0);
  });

  // Fields that take one of several shapes answered "Invalid input", which names no shape to send instead.
  it.each([
    ["stop", { stop: ["a", "b", "c", "d", "e"] }, "stop", /a string or an array of up to 4 strings/],
    ["user content", { messages: [{ role: "user", content: null }] }, "messages[0].content", /a string or a non-empty array of text and image_url parts/],
    ["system content", { messages: [{ role: "system", content: 7 }, { role: "user", content: "x" }] }, "messages[0].content", /a string or an array of text parts/],
    ["tool_choice", { tools: [{ type: "function", function: { name: "f" } }], tool_choice: "sometimes" }, "tool_choice", /"auto", "none", "required" or \{"type": "function"/],
  ])("names the shapes a %s may take", async (_name, body, param, message) => {
    const h = harness();
    const r = await h.chat(body);
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe(param);
    expect(r.json.error.message).toMatch(message);
  });

  // An unknown model on /v1/chat/completions answered type "not_found_error", while GET /v1/models/nope answered
  // "invalid_request_error"; OpenAI answers every unknown model with 404 invalid_request_error model_not_found.
  it("an unknown model is OpenAI's 404 invalid_request_error model_not_found on every OpenAI path, Anthropic's not_found_error on /v1/messages", async () => {
    const h = harness();
    const openai = [
      await h.chat({ model: "nope" }),
      await h.chat({ model: "alpha/nope", stream: true }),
      await h.call("/v1/responses", { method: "POST", json: { model: "nope", input: "x" } }),
      await h.call("/v1/models/nope"),
    ];
    for (const r of openai) {
      expect(r.status).toBe(404);
      expect(r.json.error).toMatchObject({ type: "invalid_request_error", code: "model_not_found" });
    }
    const messages = await h.call("/v1/messages", { method: "POST", json: { model: "nope", max_tokens: 10, messages: [{ role: "user", content: "x" }] } });
    expect(messages.status).toBe(404);
    expect(messages.json).toMatchObject({ type: "error", error: { type: "not_found_error", code: "model_not_found" } });
    expect(h.vendors.calls).toHaveLength(0);
  });

  // A 900 KB model name came back whole in the 404's message: every byte a caller sends was reflected.
  it("quotes at most the start of an unknown model's name", async () => {
    const h = harness();
    const long = "m".repeat(900_000);
    const chat = await h.chat({ model: long });
    expect(chat.status).toBe(404);
    expect(chat.json.error.code).toBe("model_not_found");
    expect(chat.text.length).toBeLessThan(2_000);
    const get = await h.call(`/v1/models/${"m".repeat(50_000)}`);
    expect(get.status).toBe(404);
    expect(get.text.length).toBeLessThan(2_000);
    const path = await h.call(`/v1/${"p".repeat(50_000)}`);
    expect(path.status).toBe(404);
    expect(path.text.length).toBeLessThan(2_000);
    const method = await h.call(`/v1/responses/${"r".repeat(50_000)}`, { method: "PUT", body: "{}" });
    expect(method.status).toBe(405);
    expect(method.text.length).toBeLessThan(2_000);
    const previous = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "x", previous_response_id: "r".repeat(500_000) } });
    expect(previous.json.error.code).toBe("previous_response_not_found");
    expect(previous.text.length).toBeLessThan(2_000);
  });

  // `curl -F` / a form post answered "No number after minus sign in JSON at position 1", which names nothing the
  // caller did; the message now says what was sent and what to send.
  it("says a form-encoded body is not JSON, naming its content-type", async () => {
    const h = harness();
    const form = new FormData();
    form.set("model", "auto");
    const r = await h.call("/v1/chat/completions", { method: "POST", body: form });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("invalid_json");
    expect(r.json.error.message).toMatch(/sent as multipart\/form-data; send a JSON object with .Content-Type: application\/json./);
    const urlencoded = await h.call("/v1/messages", { method: "POST", body: "model=auto", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(urlencoded.json.error.message).toContain("sent as application/x-www-form-urlencoded");
  });

  it("refuses a bad x-detour-deadline-ms", async () => {
    const r = await harness().chat({}, { "x-detour-deadline-ms": "soon" });
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe("x-detour-deadline-ms");
  });

  // OpenAI answers an unknown URL with type "invalid_request_error"; Detour said "not_found_error", a type OpenAI's
  // clients do not know. Under /v1/messages the type stays Anthropic's for a 404.
  it("answers unknown URLs with a 404 in the path's API shape and type", async () => {
    const h = harness();
    const r = await h.call("/v1/nothing");
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ type: "invalid_request_error", code: "unknown_url" });
    const anthropic = await h.call("/v1/messages/nothing", { method: "POST", body: "{}" });
    expect(anthropic.status).toBe(404);
    expect(anthropic.json).toMatchObject({ type: "error", error: { type: "not_found_error", code: "unknown_url" } });
  });

  // A browser or a curl without -d sends GET to /v1/chat/completions: it used to be told the URL was unknown.
  it("answers a known path asked with the wrong method with a 405 naming the right one, in the path's API shape", async () => {
    const h = harness();
    const chat = await h.call("/v1/chat/completions");
    expect(chat.status).toBe(405);
    expect(chat.headers.get("allow")).toBe("POST");
    expect(chat.json.error).toMatchObject({ type: "invalid_request_error", code: "method_not_allowed", param: null });
    expect(chat.json.error.message).toContain("use POST");

    const messages = await h.call("/v1/messages", { method: "PUT", json: {} });
    expect(messages.status).toBe(405);
    expect(messages.json).toMatchObject({ type: "error", error: { type: "invalid_request_error", code: "method_not_allowed" } });

    const stored = await h.call("/v1/responses/resp_x", { method: "POST", json: {} });
    expect(stored.status).toBe(405);
    expect(stored.headers.get("allow")).toBe("GET, HEAD, DELETE");

    const models = await h.call("/v1/models", { method: "POST", json: {} });
    expect(models.status).toBe(405);
    expect(models.headers.get("allow")).toBe("GET, HEAD");
    expect((await h.call("/healthz", { method: "POST", body: "x" })).status).toBe(405);
    expect((await h.call("/admin/faults", { method: "PATCH", body: "{}" })).headers.get("allow")).toBe("POST, GET, HEAD, DELETE");
    expect(h.vendors.calls).toHaveLength(0);
  });
});

describe("models and health", () => {
  it("lists routes and concrete models in OpenAI's list shape", async () => {
    const r = await harness().call("/v1/models");
    expect(r.json.object).toBe("list");
    const ids = r.json.data.map((m: any) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["auto", "anthropic", "alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest", "gamma/gemini-2.0-flash"]));
    expect(r.json.data.every((m: any) => m.object === "model")).toBe(true);
  });

  it("answers liveness without auth", async () => {
    const r = await harness().call("/healthz", { headers: { authorization: "" } });
    expect(r.status).toBe(200);
    expect(r.json.ok).toBe(true);
  });

  it("a concrete provider/model bypasses routes", async () => {
    const h = harness();
    h.vendors.script("gemini.test", { text: "direct" });
    const r = await h.chat({ model: "gamma/gemini-2.0-flash" });
    expect(r.json.choices[0].message.content).toBe("direct");
    expect(r.json.model).toBe("gamma/gemini-2.0-flash");
  });
});
