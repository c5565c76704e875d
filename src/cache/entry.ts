/**
 * What the intent cache stores: the final useful answer with its metadata, replayable as JSON or as an SSE stream.
 * docs/storage.md lists every KV prefix and value shape; keep it in step with this file.
 */
import { z } from "zod";
import { CanonicalResponse } from "../canonical";

export const CacheEntry = z
  .object({
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
    intent: z.string().optional(),
    /** MinHash signature of the request's near-duplicate text, for verifying near matches. */
    sig: z.array(z.number()).optional(),
  })
  .strict();
export type CacheEntry = z.infer<typeof CacheEntry>;

/** KV metadata mirrors the timing, so freshness is known without parsing the value. */
export interface EntryMeta {
  freshUntil: number;
  staleUntil: number;
}
