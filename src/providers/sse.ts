/**
 * A minimal, spec-following Server-Sent Events reader (WHATWG HTML §9.2): lines split on CRLF/LF/CR, `data:` lines
 * joined with "\n", events dispatched on a blank line, comments (`:`) ignored. Every vendor adapter reads its stream
 * through this so they share one notion of an event.
 */

import { UpstreamError } from "../engine/errors";

export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** `providers[].limits.maxSseLineBytes`' default: no answer needs a megabyte on one line. */
export const DEFAULT_MAX_SSE_LINE = 1_000_000;

/**
 * Yield every SSE event of a byte stream. A trailing event without its blank line is still dispatched. A line (or an
 * event's joined data) longer than `maxLine` characters is a `malformed` failure: without a cap, a vendor that never
 * sends a newline grows the buffer until the isolate runs out of memory.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, maxLine: number = DEFAULT_MAX_SSE_LINE): AsyncGenerator<SseEvent> {
  // Read bytes and decode here rather than pipeThrough(TextDecoderStream): in workerd a pipe from a JS-sourced
  // stream into a native transform is not pumped once the response is consumed natively, and the request hangs.
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event: string | undefined;
  let data: string[] = [];
  let dataChars = 0;
  let sawField = false;
  const tooLong = (what: string) => new UpstreamError("malformed", `the vendor sent an SSE ${what} longer than ${maxLine} characters (providers[].limits.maxSseLineBytes)`);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        buffer += decoder.decode();
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      let idx: number;
      while ((idx = nextLineBreak(buffer)) !== -1) {
        const line = buffer.slice(0, idx);
        buffer = buffer.slice(buffer[idx] === "\r" && buffer[idx + 1] === "\n" ? idx + 2 : idx + 1);
        if (line === "") {
          if (sawField && data.length > 0) yield { event, data: data.join("\n") };
          event = undefined;
          data = [];
          dataChars = 0;
          sawField = false;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let val = colon === -1 ? "" : line.slice(colon + 1);
        if (val.startsWith(" ")) val = val.slice(1);
        sawField = true;
        if (field === "data") {
          data.push(val);
          dataChars += val.length + 1;
          if (dataChars > maxLine) throw tooLong("event");
        } else if (field === "event") event = val;
      }
      if (buffer.length > maxLine) throw tooLong("line");
    }
    if (buffer !== "") {
      // A final line without a line break: treat it as complete.
      const colon = buffer.indexOf(":");
      const field = colon === -1 ? buffer : buffer.slice(0, colon);
      let val = colon === -1 ? "" : buffer.slice(colon + 1);
      if (val.startsWith(" ")) val = val.slice(1);
      if (field === "data") data.push(val);
      else if (field === "event") event = val;
    }
    if (data.length > 0) yield { event, data: data.join("\n") };
  } finally {
    // Stop the upstream when the consumer stops early (e.g. at OpenAI's [DONE] or on an error).
    reader.cancel().catch(() => {});
  }
}

function nextLineBreak(s: string): number {
  const n = s.indexOf("\n");
  const r = s.indexOf("\r");
  if (r === -1) return n;
  // A lone trailing "\r" may be the first half of "\r\n": wait for more input.
  if (r === s.length - 1) return n === -1 ? -1 : Math.min(n, r);
  if (n === -1) return r;
  return Math.min(n, r);
}

/** Parse an SSE data payload as JSON, or throw a `malformed` error naming the vendor. */
export function parseJsonEvent(data: string, vendor: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new UpstreamError("malformed", `${vendor} sent an SSE event that is not JSON: ${data.slice(0, 120)}`);
  }
}
