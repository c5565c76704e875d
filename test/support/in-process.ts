/**
 * A `fetch` for the official clients (openai, @anthropic-ai/sdk, the AI SDK, LangChain) that calls the worker
 * in-process instead of the network: the client runs unchanged, its requests go straight to `h.app.fetch`. Work the
 * worker leaves to `ctx.waitUntil` is dropped, as a client never sees it; tests of background work use the harness's
 * own request helpers instead.
 */
import type { harness } from "./harness";

const CLIENT_CTX = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;

export function inProcessFetch(h: ReturnType<typeof harness>) {
  return async (url: RequestInfo | URL, init?: RequestInit): Promise<Response> => h.app.fetch(new Request(url, init), h.env, CLIENT_CTX);
}
