/**
 * Through the real entrypoint (the worker's default export, as wrangler deploys it) on the embedded simulated
 * providers, configured by vitest.config.ts with zero latency.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const post = (body: unknown, headers: Record<string, string> = {}) =>
  exports.default.fetch("https://detour.test/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("the deployed entrypoint on simulated providers", () => {
  it("serves a deterministic chat completion with no keys", async () => {
    const body = { model: "auto", messages: [{ role: "user", content: "What is a circuit breaker?" }] };
    const a = await (await post(body)).json<any>();
    const b = await (await post(body)).json<any>();
    expect(a.choices[0].message.content).toBeTruthy();
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
    expect(a.model).toBe("swift/swift-mini");
  });

  it("streams real SSE", async () => {
    const res = await post({ model: "auto", stream: true, messages: [{ role: "user", content: "Tell me a story" }] });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
    expect(text.match(/^data: /gm)!.length).toBeGreaterThan(3);
  });
});
