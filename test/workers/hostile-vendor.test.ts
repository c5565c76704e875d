/**
 * Hostile or broken vendors (README "Security model"): a body that never ends, an SSE line that never ends, an error
 * body that never ends, a model name that would break a response header. Each is the vendor's failure — the caller
 * is served by the next target, never a 500, and the isolate keeps its memory.
 */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness, streamedText } from "../support/harness";

/** A body that sends `chunk` forever (until Detour cancels it), counting the bytes it was asked for. */
function endless(chunk: string, contentType: string, status = 200) {
  const bytes = new TextEncoder().encode(chunk);
  const sent = { bytes: 0, cancelled: false };
  const raw = () =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          sent.bytes += bytes.byteLength;
          controller.enqueue(bytes);
        },
        cancel() {
          sent.cancelled = true;
        },
      }),
      { status, headers: { "content-type": contentType } },
    );
  return { raw, sent };
}

/** Alpha (OpenAI) with small caps so the tests read kilobytes, not megabytes; beta answers. */
const capped = {
  ...VENDOR_CONFIG,
  providers: VENDOR_CONFIG.providers.map((p) => (p.id === "alpha" ? { ...p, limits: { maxBodyBytes: 100_000, maxErrorBodyBytes: 4096, maxSseLineBytes: 50_000 } } : p)),
  routes: { auto: { targets: ["alpha/gpt-4o-mini", "beta/claude-3-5-haiku-latest"], retry: { maxRetries: 0 } } },
};

function setup(config: unknown = capped) {
  const h = harness({ config });
  h.vendors.always("anthropic.test", { text: "from beta" });
  return h;
}

describe("hostile vendors", () => {
  it("a 2xx JSON body that never ends is 'malformed' at the cap; the caller is served by the next target", async () => {
    const h = setup();
    const body = endless(`{"pad":"${"x".repeat(8000)}",`, "application/json");
    h.vendors.always("openai.test", { raw: body.raw });
    const r = await h.chat({}, { "x-detour-trace": "1" });
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("from beta");
    expect(r.headers.get("x-detour-mode")).toBe("failover");
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", outcome: "error", error_class: "malformed" });
    expect(r.json.detour.attempts[0].message).toContain("maxBodyBytes");
    expect(body.sent.bytes).toBeLessThan(150_000);
    expect(body.sent.cancelled).toBe(true);
  });

  it("a body whose content-length is over the cap is refused before it is read", async () => {
    const h = setup();
    h.vendors.always("openai.test", { raw: () => new Response("x".repeat(200_000), { headers: { "content-type": "application/json", "content-length": "200000" } }) });
    const r = await h.chat({}, { "x-detour-trace": "1" });
    expect(r.json.choices[0].message.content).toBe("from beta");
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", error_class: "malformed" });
  });

  it("an SSE line that never ends is 'malformed' at the cap, before commit: the stream fails over invisibly", async () => {
    const h = setup();
    const body = endless("data: " + "y".repeat(4000), "text/event-stream");
    h.vendors.always("openai.test", { raw: body.raw });
    const r = await h.chat({ stream: true }, { "x-detour-trace": "1" });
    expect(r.status).toBe(200);
    expect(streamedText(r.events)).toBe("from beta");
    expect(r.events.at(-1)).toBe("[DONE]");
    expect(r.headers.get("x-detour-mode")).toBe("failover");
    expect(body.sent.bytes).toBeLessThan(80_000);
  });

  it("an SSE event of endless short data lines (no blank line) is capped too", async () => {
    const h = setup();
    const body = endless("data: zzzzzzzzzzzzzzzz\n", "text/event-stream");
    h.vendors.always("openai.test", { raw: body.raw });
    const r = await h.chat({ stream: true });
    expect(streamedText(r.events)).toBe("from beta");
    expect(body.sent.bytes).toBeLessThan(120_000);
  });

  it("an error body that never ends: only its start is read, the status still decides (503 → failover)", async () => {
    const h = setup();
    const body = endless(`{"error":{"message":"busy ${"z".repeat(1000)}`, "application/json", 503);
    h.vendors.always("openai.test", { raw: body.raw });
    const r = await h.chat({}, { "x-detour-trace": "1" });
    expect(r.json.choices[0].message.content).toBe("from beta");
    expect(r.json.detour.attempts[0]).toMatchObject({ provider: "alpha", error_class: "server_error", status: 503 });
    expect(body.sent.bytes).toBeLessThan(10_000);
  });

  it("the default caps apply with no limits configured (10 MB body)", async () => {
    const h = setup({ ...capped, providers: VENDOR_CONFIG.providers });
    const body = endless("x".repeat(65_536), "application/json");
    h.vendors.always("openai.test", { raw: body.raw });
    const r = await h.chat({});
    expect(r.json.choices[0].message.content).toBe("from beta");
    expect(body.sent.bytes).toBeGreaterThan(10_000_000);
    expect(body.sent.bytes).toBeLessThan(10_200_000);
  });

  it.each([
    ["CR/LF", "gpt-4o\r\nx-evil: 1"],
    ["a character above 0xFF", "gpt-4o-模型"],
    ["longer than 128 characters", "m".repeat(300)],
  ])("a vendor model name with %s is dropped from x-detour-upstream-model, never a 500 (JSON and stream)", async (_what, model) => {
    const h = setup();
    h.vendors.always("openai.test", { text: "from alpha", model });
    const r = await h.chat({});
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe("from alpha");
    expect(r.headers.get("x-detour-upstream-model")).toBeNull();
    expect(r.headers.get("x-evil")).toBeNull();
    const s = await h.chat({ stream: true });
    expect(s.status).toBe(200);
    expect(streamedText(s.events)).toBe("from alpha");
  });

  it("a plain swapped model name still reaches x-detour-upstream-model", async () => {
    const h = setup();
    h.vendors.always("openai.test", { text: "from alpha", model: "gpt-4o-2024-08-06" });
    const r = await h.chat({});
    expect(r.headers.get("x-detour-upstream-model")).toBe("gpt-4o-2024-08-06");
  });
});
