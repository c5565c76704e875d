/**
 * What a new caller meets at the gateway's edge: model retrieval (GET /v1/models/:id), CORS for browser apps, and the
 * guard that keeps simulated providers off the internet unless the config opts in.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { harness, PREMIUM } from "../support/harness";
import { INSTANT_SIMULATED_CONFIG, VENDOR_CONFIG } from "../support/config";

/** A request as the deployed worker would see it, at any URL (the harness always uses https://detour.test). */
async function at(h: ReturnType<typeof harness>, url: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await h.clock.run(Promise.resolve(h.app.fetch(new Request(url, init), h.env, ctx)));
  const text = await res.text();
  await h.clock.run(waitOnExecutionContext(ctx));
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

const chatInit = (headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${PREMIUM}`, ...headers },
  body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: "hello" }] }),
});

describe("GET /v1/models/:id", () => {
  it("returns a route as an OpenAI model object", async () => {
    const r = await harness().call("/v1/models/auto");
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: "auto", object: "model", owned_by: "detour", detour: { kind: "route" } });
    expect(r.json.detour.targets).toEqual(VENDOR_CONFIG.routes.auto.targets);
  });

  it("returns a provider/model id, percent-encoded as the SDKs send it or raw as curl does", async () => {
    const h = harness();
    for (const path of ["/v1/models/beta%2Fclaude-3-5-haiku-latest", "/v1/models/beta/claude-3-5-haiku-latest"]) {
      const r = await h.call(path);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ id: "beta/claude-3-5-haiku-latest", object: "model", owned_by: "beta", detour: { provider_kind: "anthropic" } });
    }
  });

  it("answers an unknown id with a 404 in OpenAI's error shape", async () => {
    const r = await harness().call("/v1/models/gpt-nope");
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ type: "invalid_request_error", code: "model_not_found", param: "model" });
    expect(r.json.error.message).toContain("gpt-nope");
  });

  it("needs the gateway key like every /v1 route", async () => {
    const r = await harness().call("/v1/models/auto", { headers: { authorization: "Bearer wrong" } });
    expect(r.status).toBe(401);
  });
});

describe("CORS", () => {
  const withCors = (cors: unknown) => harness({ config: { ...VENDOR_CONFIG, cors } });
  const preflight = (origin: string, headers = "authorization, content-type, x-stainless-os") => ({
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": headers },
  });

  it("is off by default: no CORS headers, and a preflight is not answered", async () => {
    const h = harness();
    h.vendors.script("openai.test", { text: "hi" });
    const r = await at(h, "https://detour.test/v1/chat/completions", chatInit({ origin: "https://app.example" }));
    expect(r.status).toBe(200);
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
    const p = await at(h, "https://detour.test/v1/chat/completions", preflight("https://app.example"));
    expect(p.headers.get("access-control-allow-origin")).toBeNull();
  });

  // With CORS off a preflight answered 401 missing_api_key (auth ran first; browsers never send a key on a
  // preflight), which sent an operator debugging a browser app after its keys. It is now the same refusal as an
  // unlisted origin's, saying CORS is off — still without any CORS header.
  it("off: a preflight is refused with 403 cors_origin_not_allowed saying CORS is off, before auth, with no CORS headers", async () => {
    const h = harness();
    for (const path of ["/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/models"]) {
      const p = await at(h, `https://detour.test${path}`, preflight("https://app.example"));
      expect(p.status, path).toBe(403);
      const error = p.json.error;
      expect(error.code, path).toBe("cors_origin_not_allowed");
      expect(error.message, path).toMatch(/CORS is off.*cors\.origins/);
      expect(p.headers.get("access-control-allow-origin"), path).toBeNull();
      expect(p.headers.get("access-control-allow-methods"), path).toBeNull();
      expect(p.headers.get("x-request-id"), path).toBeTruthy();
    }
    // An OPTIONS that is not a preflight is just a method the path does not serve.
    const plain = await at(h, "https://detour.test/v1/chat/completions", { method: "OPTIONS", headers: { authorization: `Bearer ${PREMIUM}` } });
    expect(plain.status).toBe(405);
    expect(plain.headers.get("allow")).toBe("POST");
  });

  it("answers a preflight from a listed origin without authentication", async () => {
    const h = withCors({ origins: ["https://app.example"] });
    const r = await at(h, "https://detour.test/v1/chat/completions", preflight("https://app.example"));
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(r.headers.get("access-control-allow-methods")).toContain("POST");
    expect(r.headers.get("access-control-allow-headers")).toBe("authorization, content-type, x-stainless-os");
    expect(r.headers.get("access-control-max-age")).toBe("600");
    expect(r.headers.get("vary")).toContain("Origin");
  });

  it("refuses a preflight from an unlisted origin, with no CORS headers", async () => {
    const h = withCors({ origins: ["https://app.example"] });
    const r = await at(h, "https://detour.test/v1/chat/completions", preflight("https://evil.example"));
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe("cors_origin_not_allowed");
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets the page read answers, errors and Detour's headers", async () => {
    const h = withCors({ origins: ["https://app.example"] });
    h.vendors.always("openai.test", { status: 503 });
    h.vendors.script("anthropic.test", { text: "from beta" });
    const ok = await at(h, "https://detour.test/v1/chat/completions", chatInit({ origin: "https://app.example" }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const exposed = ok.headers.get("access-control-expose-headers")!.split(", ");
    expect(exposed).toEqual(expect.arrayContaining(["x-detour-mode", "x-detour-provider", "x-detour-degraded", "x-request-id", "retry-after"]));
    expect(ok.headers.get("x-detour-mode")).toBe("failover");
    const denied = await at(h, "https://detour.test/v1/chat/completions", chatInit({ origin: "https://app.example", authorization: "Bearer wrong" }));
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const other = await at(h, "https://detour.test/v1/models", { headers: { origin: "https://evil.example", authorization: `Bearer ${PREMIUM}` } });
    expect(other.status).toBe(200);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a '*' origin answers every page with '*'", async () => {
    const h = withCors({ origins: ["*"], allowHeaders: ["authorization", "content-type"], maxAgeSeconds: 60 });
    const r = await at(h, "https://detour.test/v1/models", preflight("https://anything.example"));
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
    expect(r.headers.get("access-control-max-age")).toBe("60");
  });

  it("rejects a bad cors config with every issue's path", async () => {
    const h = withCors({ origins: ["https://app.example/", "*"], credentials: true });
    const r = await h.call("/v1/models");
    expect(r.status).toBe(500);
    expect(r.json.error.message).toContain("cors.origins[0]");
    expect(r.json.error.message).toContain("cors.credentials");
  });
});

describe("simulated providers stay local unless the config opts in", () => {
  it("serves the simulated default on loopback and the test hosts", async () => {
    const h = harness({ config: INSTANT_SIMULATED_CONFIG });
    for (const url of ["http://127.0.0.1:8787", "http://localhost:8787", "http://[::1]:8787", "https://detour.test"]) {
      const r = await at(h, `${url}/v1/chat/completions`, chatInit());
      expect(r.status, url).toBe(200);
      expect(r.headers.get("x-detour-provider")).toBe("swift");
    }
  });

  it("refuses it on a public hostname, saying what to set", async () => {
    const h = harness({ config: INSTANT_SIMULATED_CONFIG });
    const r = await at(h, "https://detour.acme.workers.dev/v1/chat/completions", chatInit());
    expect(r.status).toBe(500);
    expect(r.json.error.code).toBe("simulated_not_allowed");
    expect(r.json.error.message).toContain("swift, ember, sage");
    expect(r.json.error.message).toContain('"allowSimulated": true');
    const models = await at(h, "https://detour.acme.workers.dev/v1/models", { headers: { authorization: `Bearer ${PREMIUM}` } });
    expect(models.status).toBe(500);
  });

  it("says so plainly when DETOUR_CONFIG is empty", async () => {
    const h = harness({ config: "", keys: null });
    const r = await at(h, "https://detour.acme.workers.dev/v1/chat/completions", chatInit());
    expect(r.status).toBe(500);
    expect(r.json.error.message).toContain("DETOUR_CONFIG is empty");
  });

  it("serves it publicly with allowSimulated, and never blocks real providers", async () => {
    const demo = harness({ config: { ...INSTANT_SIMULATED_CONFIG, allowSimulated: true } });
    expect((await at(demo, "https://demo.example.com/v1/chat/completions", chatInit())).status).toBe(200);
    const real = harness();
    real.vendors.script("openai.test", { text: "real" });
    expect((await at(real, "https://detour.acme.workers.dev/v1/chat/completions", chatInit())).status).toBe(200);
  });
});
