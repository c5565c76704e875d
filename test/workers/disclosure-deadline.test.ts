/**
 * What a caller may learn, and how long it may wait: stream errors after the first byte are redacted like every other
 * error; the reduced rung of the ladder runs inside the caller's own deadline.
 */
import { describe, expect, it } from "vitest";
import { SECRETS, VENDOR_CONFIG } from "../support/config";
import { harness, streamedText } from "../support/harness";

const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
};

describe("stream errors after the first byte", () => {
  it("pass through the redactor: a vendor error echoing the configured key never reaches the caller", async () => {
    const h = harness({ config });
    const sse = [
      `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}\n\n`,
      `data: {"error":{"message":"Upstream failed for key ${SECRETS.ALPHA_KEY}","type":"server_error","code":null}}\n\n`,
    ].join("");
    h.vendors.always("openai.test", { raw: () => new Response(sse, { headers: { "content-type": "text/event-stream" } }) });
    const r = await h.chat({ stream: true });
    expect(r.status).toBe(200);
    expect(streamedText(r.events)).toBe("Hel");
    const err = r.events.find((e) => typeof e === "object" && e.error);
    expect(err.error.message).toContain("failed after it started");
    expect(r.text).not.toContain(SECRETS.ALPHA_KEY);
    expect(r.text).toContain("[redacted]");
  });
});

describe("the reduced rung shares the caller's deadline", () => {
  it("x-detour-deadline-ms: 3000: a reduced request after 2 s of failures gets the 1 s left, not a fresh 3 s", async () => {
    const slowAlpha = { ...config, providers: config.providers.map((p) => (p.id === "alpha" ? { ...p, timeouts: { firstByteMs: 2000 } } : p)) };
    // reportFlushMs 0: the dashboard's flush timer would otherwise move the manual clock after the answer.
    const h = harness({ config: { ...slowAlpha, resilience: { ...(slowAlpha as { resilience?: object }).resilience, reportFlushMs: 0 } } });
    h.vendors.always("openai.test", { hang: true });
    h.vendors.always("anthropic.test", { status: 429 });
    const t0 = h.clock.now();
    const r = await h.chat({ messages: [{ role: "user", content: "Write a long essay on resilience" }] }, { "x-detour-deadline-ms": "3000", "x-detour-trace": "1" });
    expect(h.clock.now() - t0).toBeLessThanOrEqual(3100);
    expect(r.status).toBeGreaterThanOrEqual(400);
    // The reduced request did run, inside what was left.
    expect(JSON.stringify(r.json.detour?.attempts ?? [])).toContain("reduced:");
  });
});

describe("x-detour-deadline-ms", () => {
  it.each(["5", " 5", "99"])("%j, shorter than any vendor can answer in, is a 400 naming the minimum, not a 504", async (v) => {
    const h = harness({ config });
    h.vendors.always("openai.test", { text: "ok" });
    const r = await h.chat({}, { "x-detour-deadline-ms": v });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: "invalid_deadline", param: "x-detour-deadline-ms" });
    expect(r.json.error.message).toContain("at least 100");
    expect(h.vendors.calls).toHaveLength(0);
  });
});
