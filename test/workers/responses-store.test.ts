/**
 * Stored responses in KV, in workerd: one tenant-scoped key per response with the configured TTL, written once after
 * the answer (ctx.waitUntil), read back from KV by a later request, and never written for a stream that failed.
 */
import { describe, expect, it } from "vitest";
import { VENDOR_CONFIG } from "../support/config";
import { harness, PREMIUM } from "../support/harness";
import { eventsOf } from "../support/sse";

const TTL = 3600;
const config = {
  ...VENDOR_CONFIG,
  routes: { auto: { targets: ["alpha/gpt-4o-mini"], retry: { maxRetries: 0 } } },
  responses: { store: { ttlSeconds: TTL } },
};


/** The harness with its KV counting writes to stored-response keys. */
function counted() {
  const h = harness({ config });
  const kv = h.env.DETOUR_KV;
  const puts: { key: string; ttl: number | undefined }[] = [];
  h.env.DETOUR_KV = new Proxy(kv, {
    get(target, prop) {
      if (prop === "put") {
        return (key: string, value: string, opts?: KVNamespacePutOptions) => {
          if (key.startsWith("resp:")) puts.push({ key, ttl: opts?.expirationTtl });
          return target.put(key, value, opts);
        };
      }
      return Reflect.get(target, prop);
    },
  });
  return { h, puts };
}

describe("stored responses in KV", () => {
  it("writes one tenant-scoped key per response, with the TTL, and a later request reads it back from KV", async () => {
    const { h, puts } = counted();
    h.vendors.script("openai.test", { text: "stored answer" }, { text: "streamed answer", chunks: 2 });
    const json = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "remember this" } });
    expect(json.status).toBe(200);
    expect(json.json.store).toBe(true);
    const streamed = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "and this", stream: true } });
    const completed = eventsOf(streamed.text).find((e) => e.type === "response.completed");
    expect(completed.response.store).toBe(true);

    expect(puts).toEqual([
      { key: expect.stringMatching(/^resp:[0-9a-f]{16}:resp_[0-9a-f]{32}$/), ttl: TTL },
      { key: expect.stringMatching(/^resp:[0-9a-f]{16}:resp_[0-9a-f]{32}$/), ttl: TTL },
    ]);
    expect(puts.map((p) => p.key.split(":").pop())).toEqual([json.json.id, completed.response.id]);
    for (const p of puts) {
      expect(p.key).not.toContain("acme");
      expect(p.key).not.toContain(PREMIUM);
    }
    // The writes went through ctx.waitUntil and have landed: these reads come from KV itself.
    const listed = await h.env.DETOUR_KV.list({ prefix: "resp:" });
    const expiry = listed.keys.map((k) => (k.expiration ?? 0) - Date.now() / 1000);
    expect(expiry).toHaveLength(2);
    for (const left of expiry) expect(Math.abs(left - TTL)).toBeLessThan(120);
    const got = await h.call(`/v1/responses/${completed.response.id}`);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ id: completed.response.id, status: "completed", output: [{ type: "message", content: [{ text: "streamed answer" }] }] });
    expect(got.json.detour).toBeUndefined();
  });

  it("stores nothing for a stream that broke after it started (a retry starts from the last stored turn)", async () => {
    const { h, puts } = counted();
    h.vendors.script("openai.test", { text: "aaaa bbbb cccc dddd", chunks: 4, cutAfterEvents: 2 });
    const r = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "hello", stream: true } });
    expect(eventsOf(r.text).some((e) => e.type === "response.failed")).toBe(true);
    expect(puts).toEqual([]);
  });

  it("deletes from KV: the key is gone and the id is then unknown", async () => {
    const { h } = counted();
    h.vendors.script("openai.test", { text: "to delete" });
    const made = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "hi" } });
    const del = await h.call(`/v1/responses/${made.json.id}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect(del.json).toEqual({ id: made.json.id, object: "response", deleted: true });
    expect((await h.env.DETOUR_KV.list({ prefix: "resp:" })).keys).toEqual([]);
    expect((await h.call(`/v1/responses/${made.json.id}`)).status).toBe(404);
  });

  it("pages input_items with limit, order and after", async () => {
    const { h } = counted();
    h.vendors.script("openai.test", { text: "a1" }, { text: "a2" });
    const one = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "q1" } });
    const two = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "q2", previous_response_id: one.json.id } });
    const page1 = await h.call(`/v1/responses/${two.json.id}/input_items?limit=2`);
    expect(page1.json).toMatchObject({ object: "list", has_more: true });
    expect(page1.json.data.map((i: { content: unknown }) => i.content)).toEqual(["q2", [{ type: "output_text", text: "a1", annotations: [], logprobs: [] }]]);
    const page2 = await h.call(`/v1/responses/${two.json.id}/input_items?limit=2&after=${page1.json.last_id}`);
    expect(page2.json).toMatchObject({ has_more: false, data: [{ role: "user", content: "q1" }] });
    expect((await h.call(`/v1/responses/${two.json.id}/input_items?limit=0`)).status).toBe(400);
  });

  it("a KV that fails while a conversation is continued is a 503 store_unavailable, never a guessed context", async () => {
    const { h } = counted();
    const kv = h.env.DETOUR_KV;
    h.env.DETOUR_KV = new Proxy(kv, {
      get: (target, prop) => (prop === "getWithMetadata" ? () => Promise.reject(new Error("KV is down")) : Reflect.get(target, prop)),
    });
    const r = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "go on", previous_response_id: "resp_0123456789abcdef0123456789abcdef" } });
    expect(r.status).toBe(503);
    expect(r.json.error).toMatchObject({ code: "store_unavailable", type: "api_error" });
    expect(h.vendors.calls).toHaveLength(0);
  });
});

describe("response ids", () => {
  const ID = /^resp_[0-9a-f]{32}$/;

  it("are resp_<32 hex> whether stored, store:false, no-store or with storage off, and never the caller's x-request-id", async () => {
    const { h } = counted();
    h.vendors.always("openai.test", { text: "ok" });
    const stored = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "a" } });
    const unstored = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "b", store: false }, headers: { "x-request-id": "my-trace.1" } });
    const noStore = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "c" }, headers: { "cache-control": "no-store" } });
    const streamed = await h.call("/v1/responses", { method: "POST", json: { model: "auto", input: "d", store: false, stream: true } });
    const off = harness({ config: { ...config, responses: { store: { enabled: false } } } });
    off.vendors.always("openai.test", { text: "ok" });
    const stateless = await off.call("/v1/responses", { method: "POST", json: { model: "auto", input: "e" } });
    const ids = [stored.json.id, unstored.json.id, noStore.json.id, eventsOf(streamed.text).find((e) => e.type === "response.completed").response.id, stateless.json.id];
    for (const id of ids) expect(id).toMatch(ID);
    expect(new Set(ids).size).toBe(ids.length);
    expect(unstored.headers.get("x-request-id")).toBe("my-trace.1");
    // Item ids embed the response's id, as for a stored one.
    expect(unstored.json.output[0].id).toBe(`msg_${unstored.json.id.slice(5)}_0`);
  });
});
