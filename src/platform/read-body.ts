/**
 * Reading a body of unknown length under a byte limit, for the caller's request (src/api/body.ts) and a vendor's
 * answer (src/providers/http.ts): chunk by chunk, given up as soon as it passes the limit, never buffered whole.
 */

/**
 * The body's bytes, or undefined once they pass `max` (the rest is cancelled, never read). `check` runs before each
 * read and may throw to stop (e.g. when the call was aborted); the body is cancelled then too.
 */
export async function readUpTo(body: ReadableStream<Uint8Array>, max: number, check?: () => void): Promise<Uint8Array | undefined> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  try {
    for (;;) {
      check?.();
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        // One chunk (the usual JSON body): no copy.
        return chunks.length === 1 ? chunks[0]! : join(chunks, size);
      }
      size += value.byteLength;
      if (size > max) return undefined;
      chunks.push(value);
    }
  } finally {
    // A body read to its end has nothing left to cancel.
    if (!ended) reader.cancel().catch(() => {});
  }
}

/** `chunks` (`size` bytes in all) as one array. */
export function join(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
