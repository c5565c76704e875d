/**
 * Hostile callers against the operator surface: a bad DETOUR_CONFIG error says where, never what (it is answered
 * before authentication); the admin token must be long enough to be unguessable; wrong tokens are throttled per client.
 */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness } from "../support/harness";

const ADMIN = "admin-token-0123456789abcdef0123456789";

describe("disclosure: an invalid DETOUR_CONFIG", () => {
  it("names only the position of the JSON error, never the text around it", async () => {
    const raw = `{"providers":[{"id":"a","kind":"openai","headers":{"x-org-token":"org-secret-value-123"} x}]}`;
    const r = await harness({ config: raw }).chat({});
    expect(r.status).toBe(500);
    expect(r.json.error.code).toBe("invalid_config");
    expect(r.json.error.message).toMatch(/not valid JSON at line 1, column \d+/);
    expect(r.text).not.toContain("org-secret-value");
    expect(r.text).not.toContain("x-org-token");
  });

  it("a V8 message without a position still quotes nothing", async () => {
    const r = await harness({ config: `{"a": tru, "secret": "hunter2-abc"}` }).chat({});
    expect(r.status).toBe(500);
    expect(r.json.error.message).toContain("not valid JSON");
    expect(r.text).not.toContain("hunter2");
    expect(r.text).not.toContain("tru");
  });
});

describe("the admin token", () => {
  it("shorter than 32 characters is a clear configuration error, and admin does not open with it", async () => {
    const h = harness({ config: VENDOR_CONFIG, extraEnv: { DETOUR_ADMIN_TOKEN: "short-token-123" } });
    const r = await h.call("/admin/faults", { headers: { authorization: "Bearer short-token-123" } });
    expect(r.status).toBe(500);
    expect(r.json.error).toMatchObject({ code: "invalid_config", type: "configuration_error" });
    expect(r.json.error.message).toContain("DETOUR_ADMIN_TOKEN");
    expect(r.json.error.message).toContain("at least 32 characters");
    expect(r.text).not.toContain("short-token-123");
    const status = await h.call("/status", { headers: { authorization: "Bearer short-token-123" } });
    expect(status.status).toBe(500);
    // The chaos header's admin check refuses it too.
    const chat = await h.chat({}, { "x-detour-chaos": JSON.stringify({ provider: "alpha", kind: "hang" }), "x-detour-admin-token": "short-token-123" });
    expect(chat.status).toBe(403);
  });

  it("the local simulated default, with no token, keeps /status open and admin off", async () => {
    const h = harness({ config: "", keys: null });
    expect((await h.call("/status", { headers: { authorization: "" } })).status).toBe(200);
  });

  it("a client with 10 wrong tokens in a minute gets 429 with Retry-After, even with the right one; others are unaffected; it ends", async () => {
    const h = harness({ config: VENDOR_CONFIG, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    const from = (ip: string, token: string) => ({ headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": ip } });
    for (let i = 0; i < 10; i++) expect((await h.call("/admin/faults", from("203.0.113.9", `guess-${i}`))).status).toBe(401);
    const blocked = await h.call("/admin/faults", from("203.0.113.9", ADMIN));
    expect(blocked.status).toBe(429);
    expect(blocked.json.error).toMatchObject({ type: "rate_limit_error", code: "admin_throttled" });
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await h.call("/status", from("203.0.113.9", ADMIN))).status).toBe(429);
    expect((await h.call("/admin/faults", from("198.51.100.7", ADMIN))).status).toBe(200);
    await h.clock.advance(61_000);
    expect((await h.call("/admin/faults", from("203.0.113.9", ADMIN))).status).toBe(200);
  });
});

describe("the admin token on chat requests (x-detour-admin-token)", () => {
  it("wrong guesses are throttled per client like the admin routes", async () => {
    const h = harness({ config: VENDOR_CONFIG, extraEnv: { DETOUR_ADMIN_TOKEN: ADMIN } });
    h.vendors.always("openai.test", { text: "ok" });
    const chaos = { "x-detour-chaos": JSON.stringify({ provider: "alpha", kind: "status", status: 500 }), "cf-connecting-ip": "203.0.113.50" };
    for (let i = 0; i < 10; i++) expect((await h.chat({}, { ...chaos, "x-detour-admin-token": `guess-${i}` })).status).toBe(403);
    const r = await h.chat({}, { ...chaos, "x-detour-admin-token": ADMIN });
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe("admin_throttled");
    // A request without the header is not affected.
    expect((await h.chat({}, { "cf-connecting-ip": "203.0.113.50" })).status).toBe(200);
  });
});

describe("depth: bodies, schemas and tool parameters nested past limits.maxJsonDepth", () => {
  const deep = (levels: number): unknown => {
    let v: unknown = { type: "string" };
    for (let i = 0; i < levels; i++) v = { type: "object", properties: { a: v } };
    return v;
  };
  it.each([
    ["tool parameters", { tools: [{ type: "function", function: { name: "f", parameters: deep(3000) } }] }, "tools[0].function.parameters"],
    ["message content", { messages: [{ role: "user", content: JSON.parse("[".repeat(20_000) + "]".repeat(20_000)) }] }, "messages[0]"],
  ])("%s: a clear 400 naming the limit, never a 500 from the classifier", async (_what, body, param) => {
    const h = harness({ config: VENDOR_CONFIG });
    const r = await h.chat(body as Record<string, unknown>);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: "invalid_request_error", code: "json_too_deep" });
    expect(String(r.json.error.param)).toContain(param);
    expect(r.json.error.message).toContain("limits.maxJsonDepth");
    expect(h.vendors.calls).toHaveLength(0);
  });

  it("a whole body nested 100,000 levels is a 400 too", async () => {
    const h = harness({ config: VENDOR_CONFIG });
    const r = await h.call("/v1/chat/completions", { method: "POST", body: "[".repeat(100_000) + "]".repeat(100_000), headers: { "content-type": "application/json" } });
    expect(r.status).toBe(400);
    expect(r.json.error.type).toBe("invalid_request_error");
  });
});
