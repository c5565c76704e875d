/**
 * What a fake vendor should do for one call. Every fake (test/fakes/<vendor>.ts) takes a `FakeScript` and answers in
 * that vendor's real wire format, so the same scenario can be played by any vendor.
 */
export interface FakeScript {
  /** Assistant text to return (JSON) or stream (split into `chunks`). Default "Hello from fake". */
  text?: string;
  /** Tool calls to return instead of / after the text. `arguments` is JSON text. */
  toolCalls?: { id?: string; name: string; arguments: string }[];
  /** Model name the vendor reports. Default: the model asked for. */
  model?: string;
  /** Finish reason in canonical terms. Default "stop" (or "tool_calls" when toolCalls given). */
  finishReason?: "stop" | "length" | "tool_calls" | "content_filter";
  usage?: { inputTokens: number; outputTokens: number };
  /** Non-2xx: answer with this status and the vendor's real error body shape. */
  status?: number;
  errorMessage?: string;
  /** Vendor error code/type, e.g. "context_length_exceeded". */
  errorCode?: string;
  /** Extra response headers (e.g. retry-after). */
  headers?: Record<string, string>;
  /** Stream only: text is split into this many pieces (default 3). */
  chunks?: number;
  /** Stream only: stop the body after this many SSE events, without the terminal event (a cut). */
  cutAfterEvents?: number;
  /** Stream only: after this many events, never send another byte (a stall) until the request is aborted. */
  stallAfterEvents?: number;
  /** Send a body that is not the vendor's shape (JSON) / an SSE event that is not JSON (stream, as the first event). */
  malformed?: boolean;
  /** Never answer at all (no headers) until the request is aborted. */
  hang?: boolean;
  /** A hostile or broken vendor: answer with exactly this response, whatever the vendor's wire format. */
  raw?: (request: Request) => Response;
}

/** Resolve when `signal` aborts (for hangs/stalls). */
export function untilAborted(signal: AbortSignal | null | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return;
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** Split text into `n` roughly equal pieces (the wire module owns it; re-exported for the fakes). */
export { splitText } from "../../src/wire";

/**
 * Build an SSE response from pre-rendered event strings (each a full "event: ...\ndata: ...\n\n" block), applying
 * the script's cut/stall. `signal` is the request's, so a stall ends when the caller aborts.
 */
export function sseResponse(events: string[], script: FakeScript, signal: AbortSignal | null | undefined): Response {
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (let i = 0; i < events.length; i++) {
        if (script.cutAfterEvents !== undefined && i >= script.cutAfterEvents) {
          controller.close();
          return;
        }
        if (script.stallAfterEvents !== undefined && i >= script.stallAfterEvents) {
          try {
            await untilAborted(signal);
          } catch {
            /* aborted */
          }
          try {
            controller.error(new Error("stalled stream aborted"));
          } catch {
            /* already closed */
          }
          return;
        }
        controller.enqueue(enc.encode(events[i]!));
      }
      controller.close();
    },
  });
  return new Response(stream, {
    status: 200,
    headers: { "content-type": "text/event-stream", ...(script.headers ?? {}) },
  });
}
