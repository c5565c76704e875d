/**
 * Bodies are read in one call when their length is declared and by a capped reader when it is not (the caller's in
 * src/api/body.ts, a vendor's answer in src/providers/http.ts): both ways give the same value and the same refusals,
 * in workerd's own Request and Response.
 */
import { describe, expect, it } from "vitest";
import { readJsonBody } from "../../src/api/body";
import { ApiError } from "../../src/api/errors";
import type { CanonicalRequest } from "../../src/canonical";
import { ProviderConfig } from "../../src/config/schema";
import { UpstreamError } from "../../src/engine/errors";
import { httpProvider } from "../../src/providers/http";
import { openaiAdapter } from "../../src/providers/openai";
import type { CallContext } from "../../src/providers/types";

const URL = "https://detour.test/v1/chat/completions";

/** The same bytes as a Request with a content-length, and as one streamed in chunks with none. */
function both(bytes: Uint8Array): Request[] {
  const declared = new Request(URL, { method: "POST", body: bytes, headers: { "content-length": String(bytes.byteLength) } });
  const half = Math.floor(bytes.byteLength / 2);
  const streamed = new Request(URL, {
    method: "POST",
    body: new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, half));
        c.enqueue(bytes.slice(half));
        c.close();
      },
    }),
  });
  return [declared, streamed];
}

async function outcome(req: Request, max: number): Promise<unknown> {
  try {
    return { value: await readJsonBody(req, max) };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { status: err.status, code: err.code, message: err.message };
  }
}

const enc = (s: string) => new TextEncoder().encode(s);

describe("readJsonBody: declared length and streamed body agree", () => {
  it("the streamed request really has no content-length (so both paths are exercised)", () => {
    const [declared, streamed] = both(enc('{"a":1}'));
    expect(declared!.headers.get("content-length")).toBe("7");
    expect(streamed!.headers.get("content-length")).toBeNull();
  });

  const tooLarge = (max: number) => ({ status: 413, code: "request_too_large", message: `The request body exceeds this gateway's limit of ${max} bytes (limits.maxBodyBytes).` });
  const invalid = (message: string) => ({ status: 400, code: "invalid_json", message });
  it.each([
    ["a JSON object", enc('{"model":"auto","messages":[{"role":"user","content":"héllo ✓"}]}'), 1000, { value: { model: "auto", messages: [{ role: "user", content: "héllo ✓" }] } }],
    ["a body exactly at the limit", enc('{"pad":"xxxx"}'), 14, { value: { pad: "xxxx" } }],
    ["a body one byte over the limit", enc('{"pad":"xxxxx"}'), 14, tooLarge(14)],
    ["a body far over the limit", enc(`{"pad":"${"x".repeat(5000)}"}`), 2000, tooLarge(2000)],
    ["invalid UTF-8", new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 1000, invalid("The request body is not valid UTF-8.")],
    ["blank text", enc("   \n"), 1000, invalid("The request body is empty; send a JSON object.")],
    ["text that is not JSON", enc("{model: auto}"), 1000, { status: 400, code: "invalid_json", message: expect.stringMatching(/^The request body is not valid JSON: /) }],
    ["a UTF-8 byte order mark before the JSON", new Uint8Array([0xef, 0xbb, 0xbf, ...enc('{"a":[1,2]}')]), 1000, { value: { a: [1, 2] } }],
  ])("%s", async (_what, bytes, max, expected) => {
    const [declared, streamed] = both(bytes);
    const a = await outcome(declared!, max);
    expect(a).toEqual(expected);
    expect(await outcome(streamed!, max)).toEqual(a);
  });
});

/** A vendor answer with the same bytes, declared (content-length), streamed (none), or content-encoded. */
function vendorAnswer(text: string, how: "declared" | "streamed" | "encoded"): Response {
  const bytes = enc(text);
  if (how === "streamed") {
    const half = Math.floor(bytes.byteLength / 2);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, half));
        c.enqueue(bytes.slice(half));
        c.close();
      },
    });
    return new Response(body, { headers: { "content-type": "application/json" } });
  }
  // "encoded": a content-length that, as with a gzip body the runtime decodes, is not the length of what is read.
  const length = how === "declared" ? bytes.byteLength : 10;
  const headers: Record<string, string> = { "content-type": "application/json", "content-length": String(length) };
  if (how === "encoded") headers["content-encoding"] = "identity";
  return new Response(bytes, { headers });
}

async function completion(res: Response, maxBodyBytes: number): Promise<unknown> {
  const parsed = ProviderConfig.parse({ id: "oai", kind: "openai", baseUrl: "https://api.openai.test/v1", models: [{ id: "gpt-4o-mini" }] });
  // Below the schema's 1 KiB floor, so the cases stay a few bytes long.
  const p = { ...parsed, limits: { ...parsed.limits, maxBodyBytes } };
  const ctx: CallContext = { fetch: (async () => res) as typeof fetch, signal: new AbortController().signal, apiKey: "sk-test", now: () => 0 };
  const req: CanonicalRequest = { messages: [{ role: "user", content: "hi" }], stream: false, includeUsage: false };
  try {
    return await httpProvider(openaiAdapter).complete(req, { provider: p, model: p.models[0]! }, ctx);
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    return { errorClass: err.errorClass, message: err.message };
  }
}

describe("a vendor's JSON answer: declared length, streamed, or content-encoded", () => {
  const answer = (content: string) => JSON.stringify({ id: "chatcmpl-1", model: "gpt-4o-mini", choices: [{ message: { role: "assistant", content }, finish_reason: "stop" }] });
  const served = (content: string) => ({ id: "chatcmpl-1", model: "gpt-4o-mini", content, toolCalls: [], finishReason: "stop" });
  const over = (max: number) => ({ errorClass: "malformed", message: `oai answered 2xx with a body over ${max} bytes (providers[].limits.maxBodyBytes)` });
  const small = answer("héllo ✓");
  const size = enc(small).byteLength;
  it.each([
    ["within the cap", small, size, served("héllo ✓")],
    ["one byte over the cap", small, size - 1, over(size - 1)],
    ["multi-byte text whose characters fit but whose bytes do not", answer("✓".repeat(100)), 200, over(200)],
    ["not JSON", "<html>busy</html>", 1000, { errorClass: "malformed", message: "oai answered 2xx with a body that is not JSON" }],
  ])("%s", async (_what, text, max, expected) => {
    for (const how of ["declared", "streamed", "encoded"] as const) {
      expect(await completion(vendorAnswer(text, how), max), how).toEqual(expected);
    }
  });
});
