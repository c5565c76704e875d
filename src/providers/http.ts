/**
 * Turns an `HttpAdapter` (pure wire mapping) into a `Provider` (does the fetch). Status mapping to the error taxonomy
 * happens here once, for every HTTP vendor.
 */
import type { CanonicalRequest, CanonicalResponse, StreamEvent } from "../canonical";
import { classifyStatus, parseRetryAfter, UpstreamError } from "../engine/errors";
import type { CallContext, HttpAdapter, Provider, Target } from "./types";

export function httpProvider(adapter: HttpAdapter): Provider {
  return {
    async complete(req: CanonicalRequest, target: Target, ctx: CallContext): Promise<CanonicalResponse> {
      const res = await send(adapter, { ...req, stream: false }, target, ctx);
      let json: unknown;
      const text = await res.text();
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
    if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new UpstreamError("timeout", "aborted");
    throw new UpstreamError("network", `${target.provider.id}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (res.ok) return res;
  const bodyText = await res.text().catch(() => "");
  const { message, code, retryAfterMs } = adapter.parseError(bodyText);
  const opts: { code?: string; retryAfterMs?: number } = {};
  if (code !== undefined) opts.code = code;
  const ra = parseRetryAfter(res.headers, ctx.now()) ?? retryAfterMs;
  if (ra !== undefined) opts.retryAfterMs = ra;
  throw classifyStatus(res.status, `${target.provider.id} answered ${res.status}: ${message}`, opts);
}
