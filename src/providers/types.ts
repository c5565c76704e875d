/**
 * What a provider adapter is. Most vendors speak HTTP, so most adapters are an `HttpAdapter`: three pure functions
 * (build the vendor request, parse its JSON, parse its SSE) that `httpProvider` (src/providers/http.ts) turns into a
 * `Provider`. Providers that are not HTTP (the Workers AI binding) implement `Provider` directly.
 */
import type { CanonicalRequest, CanonicalResponse, StreamEvent } from "../canonical";
import type { ModelConfig, ProviderConfig } from "../config/schema";

/** The one concrete place a request goes: a provider and one of its models. */
export interface Target {
  provider: ProviderConfig;
  model: ModelConfig;
}

/** Everything an attempt may touch outside itself. Injected so tests and chaos can replace any part. */
export interface CallContext {
  /** The provider-fetch edge: every vendor HTTP call goes through this. */
  fetch: typeof fetch;
  /** Aborted when the attempt times out, the request's deadline passes, or the client goes away. */
  signal: AbortSignal;
  /** This provider's API key, read from the secret its config names; undefined when none is configured. */
  apiKey: string | undefined;
  /** Workers AI binding, when the worker has one. */
  ai?: { run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown> };
  now: () => number;
}

export interface Provider {
  /** Non-streaming completion. Throws `UpstreamError` on any failure. */
  complete(req: CanonicalRequest, target: Target, ctx: CallContext): Promise<CanonicalResponse>;
  /**
   * Streaming completion. Resolves once the vendor accepted the request (2xx headers); iterating yields canonical
   * events and throws `UpstreamError` (`malformed`, vendor error events) on failure. Truncation (no `finish`) is
   * detected by the engine, not here.
   */
  stream(req: CanonicalRequest, target: Target, ctx: CallContext): Promise<AsyncIterable<StreamEvent>>;
}

export interface VendorHttpRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface HttpAdapter {
  /** The vendor request for this canonical request. `apiKey` may be undefined (the vendor will answer 401). */
  buildRequest(req: CanonicalRequest, target: Target, apiKey: string | undefined): VendorHttpRequest;
  /** Parse a 2xx JSON body. Throws `UpstreamError("malformed")` when it is not the vendor's shape. */
  parseResponse(json: unknown, target: Target): CanonicalResponse;
  /** Parse a 2xx SSE body into canonical events. Throws `UpstreamError` on a malformed or in-stream error event. */
  parseStream(body: ReadableStream<Uint8Array>, target: Target): AsyncIterable<StreamEvent>;
  /**
   * Pull the human message and machine code out of a vendor error body (any status), and the retry delay when the
   * vendor puts it in the body rather than a header (Gemini).
   */
  parseError(bodyText: string): { message: string; code?: string; retryAfterMs?: number };
}
