/**
 * What the intent cache stores: the final useful answer with its metadata, replayable as JSON or as an SSE stream.
 * docs/storage.md lists every KV prefix and value shape; keep it in step with this file.
 */
import * as z from "../zod";
import { CanonicalResponse } from "../canonical";

export const CacheEntry = z.strictObject({
  v: z.literal(1),
  response: CanonicalResponse,
  provider: z.string(),
  model: z.string(),
  /** Caller-clock ms. Fresh until `freshUntil`; servable as stale (labelled) until `staleUntil`. */
  createdAt: z.number(),
  freshUntil: z.number(),
  staleUntil: z.number(),
  taskClass: z.string(),
  route: z.string(),
  /** sha256 of the exact request, to tell an exact match from a canonical one. */
  exactHash: z.string(),
  intent: z.optional(z.string()),
  /** Legacy (MinHash signature of entries written before meaning buckets): accepted on read, never written. */
  sig: z.optional(z.array(z.number())),
});
export type CacheEntry = z.infer<typeof CacheEntry>;

/**
 * A meaning bucket (`nd:` keys): the stored questions that share one meaning head (actions · objects), newest first,
 * each with its concepts so a lookup judges every candidate from this one read and fetches only the winner.
 */
export const Bucket = z.object({
  v: z.literal(1),
  items: z.array(
      z.object({
        /** The `cache:` key of the entry. */
        key: z.string(),
        a: z.array(z.string()),
        o: z.array(z.string()),
        q: z.array(z.string()),
        /** When it was stored (caller-clock ms). */
        at: z.number(),
      }),
    ).check(z.maxLength(32)),
});
export type Bucket = z.infer<typeof Bucket>;

/** KV metadata mirrors the timing, so freshness is known without parsing the value. */
export interface EntryMeta {
  freshUntil: number;
  staleUntil: number;
}
