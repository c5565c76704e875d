/**
 * Settings of the history rung (classification and extraction from past answers), per route inside `degrade`. A leaf
 * module, so the ladder's config can include it without importing the rung itself. Policy: docs/degradation.md.
 */
import * as z from "../zod";

/** Settings of the history rung, per route (inside `degrade`). */
export const HistoryConfig = z.strictObject({
  /** Record healthy answers and answer from them when vendors are down. */
  enabled: z._default(z.boolean(), true),
  /** Share of eligible answers recorded (0…1): a write budget on busy routes. */
  sampleRate: z._default(z.number().check(z.gte(0), z.lte(1)), 1),
  /** Examples kept per tenant, route and label space; a new one replaces an older one in its slot. */
  maxExamples: z._default(z.number().check(z.int(), z.gte(10), z.lte(1000)), 200),
  /** How long an example is kept after it was last written, seconds (KV expiry). */
  ttlSeconds: z._default(z.number().check(z.int(), z.gte(3600), z.lte(90 * 86_400)), 30 * 86_400),
  /** Neighbours that vote. */
  k: z._default(z.number().check(z.int(), z.gte(1), z.lte(25)), 5),
  /** A neighbour votes only at or above this similarity (0…1). */
  minSimilarity: z._default(z.number().check(z.gte(0), z.lte(1)), 0.12),
  /** The winning label's share of the vote needed to answer; below it the rung abstains. */
  minConfidence: z._default(z.number().check(z.gte(0), z.lte(1)), 0.45),
  /** Text kept per example, characters (after scrubbing). */
  maxTextChars: z._default(z.number().check(z.int(), z.gte(50), z.lte(2000)), 600),
  /** Optional semantic backstop: a Workers AI embedding model re-ranks the lexical candidates. Off by default. */
  semantic: z.prefault(z.strictObject({
      enabled: z._default(z.boolean(), false),
      /** A Workers AI text-embeddings model taking `{ text: string[] }`. */
      model: z._default(z.string().check(z.minLength(1), z.maxLength(200)), "@cf/baai/bge-small-en-v1.5"),
      /** Lexical candidates embedded with the query, in one call. */
      candidates: z._default(z.number().check(z.int(), z.gte(1), z.lte(100)), 24),
      /** Longest wait for the binding; then the lexical vote answers. */
      timeoutMs: z._default(z.number().check(z.int(), z.gte(10), z.lte(10_000)), 800),
      /** A neighbour votes only at or above this cosine of embeddings. */
      minSimilarity: z._default(z.number().check(z.gte(0), z.lte(1)), 0.6),
    }), {}),
});
export type HistoryConfig = z.infer<typeof HistoryConfig>;

