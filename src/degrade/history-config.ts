/**
 * Settings of the history rung (classification and extraction from past answers), per route inside `degrade`. A leaf
 * module, so the ladder's config can include it without importing the rung itself. Policy: docs/degradation.md.
 */
import * as z from "zod";

/** Settings of the history rung, per route (inside `degrade`). */
export const HistoryConfig = z
  .object({
    /** Record healthy answers and answer from them when vendors are down. */
    enabled: z.boolean().default(true),
    /** Share of eligible answers recorded (0…1): a write budget on busy routes. */
    sampleRate: z.number().min(0).max(1).default(1),
    /** Examples kept per tenant, route and label space; a new one replaces an older one in its slot. */
    maxExamples: z.number().int().min(10).max(1000).default(200),
    /** How long an example is kept after it was last written, seconds (KV expiry). */
    ttlSeconds: z.number().int().min(3600).max(90 * 86_400).default(30 * 86_400),
    /** Neighbours that vote. */
    k: z.number().int().min(1).max(25).default(5),
    /** A neighbour votes only at or above this similarity (0…1). */
    minSimilarity: z.number().min(0).max(1).default(0.12),
    /** The winning label's share of the vote needed to answer; below it the rung abstains. */
    minConfidence: z.number().min(0).max(1).default(0.45),
    /** Text kept per example, characters (after scrubbing). */
    maxTextChars: z.number().int().min(50).max(2000).default(600),
    /** Optional semantic backstop: a Workers AI embedding model re-ranks the lexical candidates. Off by default. */
    semantic: z
      .object({
        enabled: z.boolean().default(false),
        /** A Workers AI text-embeddings model taking `{ text: string[] }`. */
        model: z.string().min(1).max(200).default("@cf/baai/bge-small-en-v1.5"),
        /** Lexical candidates embedded with the query, in one call. */
        candidates: z.number().int().min(1).max(100).default(24),
        /** Longest wait for the binding; then the lexical vote answers. */
        timeoutMs: z.number().int().min(10).max(10_000).default(800),
        /** A neighbour votes only at or above this cosine of embeddings. */
        minSimilarity: z.number().min(0).max(1).default(0.6),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type HistoryConfig = z.infer<typeof HistoryConfig>;

