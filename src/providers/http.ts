/**
 * Turns an `HttpAdapter` (pure wire mapping) into a `Provider` (does the fetch). Status mapping to the error taxonomy
 * happens here once, for every HTTP vendor.
 */
import type { CanonicalRequest, CanonicalResponse, StreamEvent } from "../canonical";
import { classifyStatus, parseRetryAfter, UpstreamError } from "../engine/errors";
import { join, readUpTo } from "../platform/read-body";
import type { CallContext, HttpAdapter, Provider, Target } from "./types";

export function httpProvider(adapter: HttpAdapter): Provider {
  return {
    async complete(req: CanonicalRequest, target: Target, ctx: CallContext): Promise<CanonicalResponse> {
      const res = await send(adapter, { ...req, stream: false }, target, ctx);
      let json: unknown;
      const max = target.provider.limits?.maxBodyBytes ?? DEFAULT_MAX_BODY;
      const text = await readCapped(res, max, ctx.signal);
      if (text === undefined) {
        throw new UpstreamError("malformed", `${target.provider.id} answered 2xx with a body over ${max} bytes (providers[].limits.maxBodyBytes)`, { status: res.status });
      }
      try {
        json = JSON.parse(text);
      } catch {
        throw new UpstreamError("malformed", `${target.provider.id} answered 2xx with a body that is not JSON`, {
          status: res.status,
        });
      }
      return adapter.parseResponse(json, target);
    },
    async stream(req: CanonicalRequest, target: Target, ctx: CallContext): Promise<AsyncIterable<StreamEvent>> {
      const res = await send(adapter, { ...req, stream: true }, target, ctx);
      if (!res.body) throw new UpstreamError("malformed", `${target.provider.id} answered a stream with no body`);
      const ct = res.headers.get("content-type") ?? "";
      if (!ct.includes("text/event-stream")) {
        await res.body.cancel().catch(() => {});
        throw new UpstreamError("malformed", `${target.provider.id} answered a stream as '${ct || "no content-type"}'`);
      }
      return adapter.parseStream(res.body, target);
    },
  };
}

async function send(adapter: HttpAdapter, req: CanonicalRequest, target: Target, ctx: CallContext): Promise<Response> {
  const secret = target.provider.apiKeySecret;
  if (secret !== undefined && !ctx.apiKey) {
    // Sent without its key, the call would only earn a 401 that blames a wrong key; the operator has to set one.
    throw new UpstreamError("misconfigured", `${target.provider.id}: the secret ${secret} (its apiKeySecret) is not set; run 'wrangler secret put ${secret}' (locally: add it to .dev.vars)`);
  }
  const vr = adapter.buildRequest(req, target, ctx.apiKey);
  let res: Response;
  try {
    res = await ctx.fetch(vr.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...target.provider.headers, ...vr.headers },
      body: JSON.stringify(vr.body),
      signal: ctx.signal,
    });
  } catch (err) {
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    throw new UpstreamError("network", `${target.provider.id}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (res.ok) return res;
  // Only the start of an error body is read: the status decides the class, the body only words the message.
  const bodyText = await readPrefix(res, target.provider.limits?.maxErrorBodyBytes ?? DEFAULT_MAX_ERROR_BODY).catch(() => "");
  const { message, code, retryAfterMs } = adapter.parseError(bodyText);
  const opts: { code?: string; retryAfterMs?: number } = {};
  if (code !== undefined) opts.code = code;
  const ra = parseRetryAfter(res.headers, ctx.now()) ?? retryAfterMs;
  if (ra !== undefined) opts.retryAfterMs = ra;
  throw classifyStatus(res.status, `${target.provider.id} answered ${res.status}: ${message}`, opts);
}

/** `providers[].limits` defaults, for provider objects built without the schema (tests). */
const DEFAULT_MAX_BODY = 10_000_000;
const DEFAULT_MAX_ERROR_BODY = 65_536;

/**
 * The body as text, or undefined when it is over `max` bytes (by its content-length, or counted while reading — a
 * vendor can lie about or omit the length). Never buffers more than `max` bytes plus one chunk.
 *
 * A declared length within the cap on a body that is not content-encoded is read in one call (`text()`: one native
 * read instead of a reader's round trip per chunk), since the runtime's HTTP framing holds the body to that length.
 * A content-encoded body is decoded by the runtime to a size its content-length does not tell, so it is counted.
 */
async function readCapped(res: Response, max: number, signal: AbortSignal): Promise<string | undefined> {
  const length = res.headers.get("content-length");
  const declared = length === null ? NaN : Number(length);
  if (declared > max) {
    await res.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!res.body) return "";
  if (declared >= 0 && !res.headers.has("content-encoding")) {
    if (signal.aborted) throw abortReason(signal);
    const text = await res.text();
    // A string never has more UTF-16 units than its UTF-8 bytes: over `max` units is over `max` bytes.
    return text.length > max ? undefined : text;
  }
  const bytes = await readUpTo(res.body, max, () => {
    if (signal.aborted) throw abortReason(signal);
  });
  return bytes === undefined ? undefined : DECODER.decode(bytes);
}

/** Made once: a one-shot `decode` keeps no state between calls. */
const DECODER = new TextDecoder();

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new UpstreamError("timeout", "aborted");
}

/** Up to the first `max` bytes of the body as text; the rest is left unread. */
async function readPrefix(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return DECODER.decode(join(chunks, size).subarray(0, max));
}

