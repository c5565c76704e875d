/**
 * Conformance: the official clients in a browser page on another origin. Their `fetch` is a small emulation of what a
 * browser does for a cross-origin call (the Fetch standard's CORS check): an `OPTIONS` preflight naming the method and
 * every non-safelisted header the SDK set (authorization, content-type: application/json, x-stainless-*,
 * anthropic-*), refused unless the answer allows the origin, the method and each header; then the real request with
 * `Origin`, whose answer the page may read only if it allows the origin, and whose headers the page sees only if
 * safelisted or exposed. So these tests fail if Detour's CORS misses a header an SDK really sends.
 */
import Anthropic from "@anthropic-ai/sdk";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText } from "ai";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { INSTANT_SIMULATED_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";
import { inProcessFetch } from "../support/in-process";

type H = ReturnType<typeof harness>;
const PAGE = "https://app.example";

/** Request headers a page may send without a preflight (their values aside), and ones the browser sets itself. */
const NO_PREFLIGHT = new Set(["accept", "accept-language", "content-language", "user-agent", "content-length"]);
/** Response headers a page can always read (the Fetch standard's CORS-safelisted response-header names). */
const SAFELISTED_RESPONSE = new Set(["cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"]);

/** A browser's fetch from a page on `origin`, against the worker in-process. Network-level refusals are TypeErrors, as in a browser. */
function browserFetch(h: H, origin: string, preflights: string[][] = []) {
  const call = inProcessFetch(h);
  return async (url: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(url, init);
    const asked = [...req.headers.keys()].filter((n) => !NO_PREFLIGHT.has(n)).sort();
    preflights.push(asked);
    const pre = await call(
      new Request(req.url, { method: "OPTIONS", headers: { origin, "access-control-request-method": req.method, "access-control-request-headers": asked.join(",") } }),
    );
    const allowedHeaders = (pre.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/\s*,\s*/);
    const allowedMethods = (pre.headers.get("access-control-allow-methods") ?? "").toUpperCase().split(/\s*,\s*/);
    if (!pre.ok || !allowsOrigin(pre, origin)) throw new TypeError(`Failed to fetch (CORS preflight: ${pre.status}, allow-origin ${pre.headers.get("access-control-allow-origin")})`);
    if (!["GET", "HEAD", "POST"].includes(req.method) && !allowedMethods.includes(req.method)) throw new TypeError(`Failed to fetch (method ${req.method} not allowed)`);
    const missing = asked.filter((n) => !allowedHeaders.includes(n) && !allowedHeaders.includes("*"));
    if (missing.length > 0) throw new TypeError(`Failed to fetch (headers not allowed: ${missing.join(", ")})`);

    const real = new Request(req);
    real.headers.set("origin", origin);
    const res = await call(real);
    if (!allowsOrigin(res, origin)) throw new TypeError("Failed to fetch (answer without access-control-allow-origin)");
    const exposed = new Set((res.headers.get("access-control-expose-headers") ?? "").toLowerCase().split(/\s*,\s*/));
    const visible = new Headers();
    for (const [k, v] of res.headers) if (SAFELISTED_RESPONSE.has(k) || exposed.has(k)) visible.set(k, v);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: visible });
  };
}

const allowsOrigin = (r: Response, origin: string) => [origin, "*"].includes(r.headers.get("access-control-allow-origin") ?? "");

const withCors = (cors?: Record<string, unknown>) => harness({ config: { ...INSTANT_SIMULATED_CONFIG, ...(cors ? { cors } : {}) } });
const openai = (h: H, origin = PAGE, preflights?: string[][]) =>
  new OpenAI({ apiKey: PREMIUM, baseURL: "https://detour.test/v1", maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browserFetch(h, origin, preflights) });
const anthropic = (h: H, apiKey = PREMIUM) =>
  new Anthropic({ apiKey, baseURL: "https://detour.test", maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browserFetch(h, PAGE) });
const ask = [{ role: "user" as const, content: "What is a circuit breaker?" }];

describe("official clients from a browser page (CORS)", () => {
  it("openai SDK: chat, stream and models.retrieve pass the preflight, and the page reads Detour's headers", async () => {
    const h = withCors({ origins: [PAGE] });
    const preflights: string[][] = [];
    const c = openai(h, PAGE, preflights);
    const { data, response } = await h.clock.run(c.chat.completions.create({ model: "auto", messages: ask }).withResponse());
    expect(data.choices[0]!.message.content).toMatch(/^\[swift swift-mini\] .*circuit/);
    expect(response.headers.get("x-detour-mode")).toBe("primary");
    expect(response.headers.get("x-request-id")).toBeTruthy();
    // What the SDK really sends, and what the preflight therefore had to allow.
    expect(preflights[0]).toEqual(expect.arrayContaining(["authorization", "content-type", "x-stainless-lang"]));

    const text = await h.clock.run(
      (async () => {
        let t = "";
        for await (const chunk of await c.chat.completions.create({ model: "auto", stream: true, messages: ask })) t += chunk.choices[0]?.delta.content ?? "";
        return t;
      })(),
    );
    expect(text).toMatch(/circuit/);
    expect(await h.clock.run(c.models.retrieve("auto"))).toMatchObject({ id: "auto", object: "model" });
  });

  it("Anthropic SDK (anthropic-version, anthropic-dangerous-direct-browser-access): answers and typed errors reach the page", async () => {
    const h = withCors({ origins: [PAGE] });
    const msg = await h.clock.run(anthropic(h).messages.create({ model: "auto", max_tokens: 256, messages: ask }));
    expect(msg.content[0]).toMatchObject({ type: "text", text: expect.stringMatching(/circuit/) });
    // An error answer carries the CORS headers too, so the SDK raises its typed error rather than a connection error.
    await expect(h.clock.run(anthropic(h, "dtr_wrong_key").messages.create({ model: "auto", max_tokens: 256, messages: ask }))).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
  });

  it("Vercel AI SDK (openai-compatible) generateText from the page", async () => {
    const h = withCors({ origins: [PAGE] });
    const model = createOpenAICompatible({ name: "detour", baseURL: "https://detour.test/v1", apiKey: PREMIUM, fetch: browserFetch(h, PAGE) }).chatModel("auto");
    const r = await h.clock.run(generateText({ model, prompt: "What is a circuit breaker?", maxRetries: 0 }));
    expect(r.text).toMatch(/circuit/);
  });

  it("with CORS off (the default) or from an unlisted origin, the browser refuses: the SDK raises a connection error", async () => {
    const off = withCors();
    await expect(off.clock.run(openai(off).chat.completions.create({ model: "auto", messages: ask }))).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    const listed = withCors({ origins: [PAGE] });
    await expect(listed.clock.run(openai(listed, "https://evil.example").chat.completions.create({ model: "auto", messages: ask }))).rejects.toBeInstanceOf(
      OpenAI.APIConnectionError,
    );
  });
});
