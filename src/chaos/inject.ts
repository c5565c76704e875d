/**
 * Applies one fault at the provider-fetch edge. The wrapped fetch behaves like the network or the vendor would in
 * that failure, in the vendor's own wire format where a body is involved, so adapters, the engine and breakers all
 * see an ordinary failure.
 */
import type { ProviderConfig } from "../config/schema";
import { untilAborted, type Clock } from "../engine/clock";
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

/** A vendor error body in that vendor's shape, so its adapter reads the message. */
function errorBody(kind: ProviderConfig["kind"], status: number, message: string): string {
  if (kind === "anthropic") return JSON.stringify({ type: "error", error: { type: status === 429 ? "rate_limit_error" : "api_error", message } });
  if (kind === "gemini") return JSON.stringify({ error: { code: status, message, status: status === 429 ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE" } });
  return JSON.stringify({ error: { message, type: status === 429 ? "rate_limit_exceeded" : "server_error", param: null, code: null } });
}

function refusal(kind: ProviderConfig["kind"], streaming: boolean): Response {
  const text = "I can't help with that.";
  let body: string;
  if (kind === "anthropic") {
    body = streaming
      ? [
          `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { id: "msg_chaos", type: "message", role: "assistant", model: "chaos", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 0 } } })}\n\n`,
          `event: content_block_start\ndata: ${JSON.stringify({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } })}\n\n`,
          `event: content_block_delta\ndata: ${JSON.stringify({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } })}\n\n`,
          `event: content_block_stop\ndata: ${JSON.stringify({ type: "content_block_stop", index: 0 })}\n\n`,
          `event: message_delta\ndata: ${JSON.stringify({ type: "message_delta", delta: { stop_reason: "refusal", stop_sequence: null }, usage: { output_tokens: 6 } })}\n\n`,
          `event: message_stop\ndata: ${JSON.stringify({ type: "message_stop" })}\n\n`,
        ].join("")
      : JSON.stringify({ id: "msg_chaos", type: "message", role: "assistant", model: "chaos", content: [{ type: "text", text }], stop_reason: "refusal", stop_sequence: null, usage: { input_tokens: 1, output_tokens: 6 } });
  } else if (kind === "gemini") {
    const chunk = { candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "SAFETY", index: 0 }], usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 6 }, modelVersion: "chaos" };
    body = streaming ? `data: ${JSON.stringify(chunk)}\n\n` : JSON.stringify(chunk);
  } else {
    const base = { id: "chatcmpl-chaos", created: 0, model: "chaos" };
    body = streaming
      ? [
          `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: { role: "assistant", content: text }, finish_reason: null }] })}\n\n`,
          `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "content_filter" }] })}\n\n`,
          "data: [DONE]\n\n",
        ].join("")
      : JSON.stringify({ ...base, object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, finish_reason: "content_filter" }], usage: { prompt_tokens: 1, completion_tokens: 6, total_tokens: 7 } });
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
