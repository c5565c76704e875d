/**
 * The one SSE loop every inbound format streams through: it pulls canonical events, asks the format's writer for the
 * frames of each, and ends with the writer's closing frames — or, when the upstream fails after the first byte, with
 * the writer's error frames (never a silent truncation). It also tracks usage and characters for the recorder.
 */
import type { StreamEvent, Usage } from "../canonical";
import { UpstreamError } from "../engine/errors";
import { redact } from "../observability/redact";
import type { StreamRenderOptions } from "./types";

/** One stream's rendering, stateful (block indexes, sequence numbers): each method returns whole SSE frames. */
export interface StreamWriter {
  start(): string[];
  event(e: StreamEvent): string[];
  /** The normal end; `extra` goes on the last event. */
  end(extra: Record<string, unknown>): string[];
  /** The upstream failed after the stream started. */
  fail(e: UpstreamError): string[];
}

export function renderSse(events: AsyncIterable<StreamEvent>, writer: StreamWriter, opts: StreamRenderOptions): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const iterator = events[Symbol.asyncIterator]();
  let started = false;
  let usage: Usage | undefined;
  let chars = 0;
  let ended = false;
  const end = (r: { error?: UpstreamError; clientGone?: boolean }) => {
    if (ended) return;
    ended = true;
    opts.onEnd?.({ ...r, ...(usage ? { usage } : {}), chars });
  };
  const put = (controller: ReadableStreamDefaultController<Uint8Array>, frames: string[]) => {
    for (const f of frames) controller.enqueue(enc.encode(f));
    return frames.length > 0;
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let wrote = false;
      if (!started) {
        started = true;
        wrote = put(controller, writer.start());
      }
      try {
        // Keep reading until something is enqueued: workerd does not call pull() again after one that enqueued
        // nothing, and the response would hang (a usage event alone produces no bytes in some formats).
        for (;;) {
          const step = await iterator.next();
          if (!step.done) {
            const e = step.value;
            if (e.type === "text") chars += e.text.length;
            else if (e.type === "toolCall") chars += e.argumentsDelta.length;
            else if (e.type === "usage") usage = e.usage;
            if (put(controller, writer.event(e)) || wrote) return;
            continue;
          }
          put(controller, writer.end(opts.finalExtra?.(usage) ?? {}));
          controller.close();
          end({});
          return;
        }
      } catch (err) {
        const e = err instanceof UpstreamError ? err : new UpstreamError("network", err instanceof Error ? err.message : String(err));
        // Vendor text can echo a key: the caller sees the failure's message redacted.
        const clean = opts.clean ?? redact;
        put(controller, writer.fail(new UpstreamError(e.errorClass, clean(e.message), { ...(e.status ? { status: e.status } : {}), ...(e.check ? { check: e.check } : {}) })));
        controller.close();
        end({ error: e });
      }
    },
    async cancel() {
      // The client went away: stop the upstream too — abort it first, so a read waiting on a silent upstream ends now.
      opts.onCancel?.();
      await iterator.return?.();
      end({ error: new UpstreamError("timeout", "the client went away"), clientGone: true });
    },
  });
}

/** The sentence every format uses for a stream that broke after it started, or whose answer failed a check after commit. */
export function brokenStreamMessage(e: UpstreamError): string {
  // One full stop between the vendor's message and ours, whether or not it already ends with one.
  const said = /[.!?]$/.test(e.message) ? e.message : `${e.message}.`;
  if (e.errorClass === "invalid_output") {
    return `The answer failed an output check after it started streaming (${e.check ?? "check"}): ${said} Discard the text above.`;
  }
  return `The stream from the provider failed after it started (${e.errorClass}): ${said} The answer above is incomplete.`;
}

/** The error code of a stream that broke after it started: `invalid_upstream_output` for a failed check, as in JSON. */
export function brokenStreamCode(e: UpstreamError): string {
  return e.errorClass === "invalid_output" ? "invalid_upstream_output" : `upstream_${e.errorClass}`;
}
