/**
 * Applies one fault at the provider-fetch edge. The wrapped fetch behaves like the network or the vendor would in
 * that failure, in the vendor's own wire format where a body is involved, so adapters, the engine and breakers all
 * see an ordinary failure.
 */
import type { ProviderConfig } from "../config/schema";
import { untilAborted, type Clock } from "../engine/clock";
import {
  anthropicEvents,
  anthropicMessage,
  anthropicUsage,
  errorBody,
  geminiChunks,
  geminiEvents,
  geminiResponse,
  openaiChunks,
  openaiCompletion,
  openaiUsage,
} from "../wire";
import type { Fault } from "./faults";

const enc = new TextEncoder();

export function chaosFetch(base: typeof fetch, fault: Fault, kind: ProviderConfig["kind"], clock: Clock): typeof fetch {
  return async (input, init) => {
    const signal = init?.signal ?? undefined;
    const streaming = isStreaming(init);
    switch (fault.kind) {
      case "outage":
        throw new TypeError(`chaos drill: connection refused (fault ${fault.id})`);
      case "hang":
        return untilAborted(signal as AbortSignal | undefined);
      case "latency":
      case "slow_ttfb":
        await clock.sleep(fault.latencyMs ?? 1000, signal as AbortSignal | undefined);
        return base(input, init);
      case "status":
      case "quota": {
        const status = fault.kind === "quota" ? 429 : (fault.status ?? 503);
        const retryAfter = fault.kind === "quota" ? 86_400 : fault.retryAfterSeconds;
        const message = fault.kind === "quota" ? "chaos drill: quota exhausted" : `chaos drill: injected ${status}`;
        return new Response(errorBody(kind, status, message), {
          status,
          headers: { "content-type": "application/json", ...(retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {}) },
        });
      }
      case "malformed":
        return streaming
          ? new Response("data: {this is not json\n\n", { status: 200, headers: { "content-type": "text/event-stream" } })
          : new Response("<html>chaos drill: not the vendor's shape</html>", { status: 200, headers: { "content-type": "application/json" } });
      case "refusal":
        return refusal(kind, streaming);
      case "model_swap": {
        const res = await base(input, init);
        const swapped = fault.model ?? "swapped-model";
        return rewriteBody(res, (text) =>
          text.replace(/"(model|modelVersion)"\s*:\s*"[^"]*"/g, (_m, key: string) => `"${key}":${JSON.stringify(swapped)}`),
        );
      }
      case "stream_cut":
      case "stream_stall": {
        const res = await base(input, init);
        if (!res.body) return res;
        return new Response(limitEvents(res.body, fault.afterEvents ?? 2, fault.kind === "stream_stall", signal as AbortSignal | undefined), {
          status: res.status,
          headers: res.headers,
        });
      }
    }
  };
}

function isStreaming(init: RequestInit | undefined): boolean {
  try {
    return typeof init?.body === "string" && JSON.parse(init.body).stream === true;
  } catch {
    return false;
  }
}

/** A 200 in which the model refuses, in the vendor's shape (streamed or not), so its adapter reports a refusal. */
function refusal(kind: ProviderConfig["kind"], streaming: boolean): Response {
  const text = "I can't help with that.";
  let body: string;
  if (kind === "anthropic") {
    const answer = { id: "msg_chaos", model: "chaos", blocks: [{ type: "text" as const, text, pieces: [text] }], stopReason: "refusal", usage: anthropicUsage(1, 6) };
    body = streaming ? anthropicEvents(answer).join("") : JSON.stringify(anthropicMessage(answer));
  } else if (kind === "gemini") {
    const answer = { parts: [{ text }], finishReason: "SAFETY", usage: { inputTokens: 1, outputTokens: 6 }, model: "chaos", responseId: "chaos" };
    body = streaming ? geminiEvents(geminiChunks(answer, (t) => [t])).join("") : JSON.stringify(geminiResponse(answer));
  } else {
    const base = { id: "chatcmpl-chaos", created: 0, model: "chaos" };
    const answer = { content: text, finishReason: "content_filter", usage: openaiUsage(1, 6) };
    body = streaming
      ? openaiChunks(base, { ...answer, pieces: [text] }, false).map((e) => e.sse).join("")
      : JSON.stringify(openaiCompletion(base, answer));
  }
  return new Response(body, { status: 200, headers: { "content-type": streaming ? "text/event-stream" : "application/json" } });
}

async function rewriteBody(res: Response, f: (text: string) => string): Promise<Response> {
  const text = await res.text();
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  return new Response(f(text), { status: res.status, headers });
}

/** Pass `n` SSE events (blank-line separated), then end the body (cut) or go silent until aborted (stall). */
function limitEvents(body: ReadableStream<Uint8Array>, n: number, stall: boolean, signal: AbortSignal | undefined): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buffer = "";
  let passed = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const idx = buffer.indexOf("\n\n");
        if (idx !== -1) {
          if (passed >= n) {
            await reader.cancel().catch(() => {});
            if (stall) {
              try {
                await untilAborted(signal);
              } catch {
                /* aborted */
              }
              controller.error(new TypeError("chaos drill: stalled stream aborted"));
            } else controller.close();
            return;
          }
          controller.enqueue(enc.encode(buffer.slice(0, idx + 2)));
          buffer = buffer.slice(idx + 2);
          passed++;
          return;
        }
        const { value, done } = await reader.read();
        if (done) {
          if (buffer) controller.enqueue(enc.encode(buffer));
          controller.close();
          return;
        }
        buffer += dec.decode(value, { stream: true }).replace(/\r\n/g, "\n");
      }
    },
    cancel() {
      return reader.cancel().catch(() => {});
    },
  });
}
