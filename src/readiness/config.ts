/**
 * Readiness config: the comparator's bar per answer class (`readiness.thresholds`), how many comparisons a
 * (route, target) readiness keeps, and a route's shadow traffic (`routes.<name>.shadow`, default off). Defaults and
 * why they are what they are: docs/readiness.md "Thresholds".
 */
import * as z from "../zod";

/** The answer classes the comparator judges differently (src/readiness/compare.ts `classOf`). */
export const CompareClass = z.enum(["json", "tools", "classification", "extraction", "text"]);
export type CompareClass = z.infer<typeof CompareClass>;

const Share = z.number().check(z.gte(0), z.lte(1));

export const Thresholds = z.strictObject({
  /** JSON answers: mean field score (enums, numbers, booleans exact; free strings by token overlap). */
  json: z._default(Share, 0.7),
  /** Tool calls: same functions, and this share of argument fields equal after normalising. */
  tools: z._default(Share, 1),
  /** Classification: the label must be the same; kept as a number so one table holds every class. */
  classification: z._default(Share, 1),
  /** Extraction: field-level F1 (precision and recall of the primary's fields). */
  extraction: z._default(Share, 0.8),
  /** Free text (chat, summarization, rewrite): token-set overlap (Jaccard) of the two answers. */
  text: z._default(Share, 0.3),
  /** Free text: the shorter answer is at least this share of the longer one's length. */
  textLengthRatio: z._default(Share, 0.4),
});
export type Thresholds = z.infer<typeof Thresholds>;

export const ReadinessConfig = z.strictObject({
  thresholds: z.prefault(Thresholds, {}),
  /** Each (route, target) readiness is computed over its last this-many comparisons. */
  window: z._default(z.number().check(z.int(), z.gte(10), z.lte(1000)), 200),
});
export type ReadinessConfig = z.infer<typeof ReadinessConfig>;

const Target = z.string().check(z.regex(/^[^/]+\/.+$/, "a shadow target is 'provider/model'"));

/** `routes.<name>.shadow` (and the top-level `shadow` default): mirror a sample of primary-served requests. */
export const ShadowConfig = z.strictObject({
  /** `provider/model` pairs to mirror to; empty means off. */
  targets: z._default(z.array(Target).check(z.maxLength(4)), []),
  /** Share of eligible requests mirrored, 0 … 1. */
  sampleRate: z._default(Share, 0.05),
  /** At most this many mirrored requests per route per minute, per isolate (a ceiling on shadow spend). */
  maxPerMinute: z._default(z.number().check(z.int(), z.gte(0), z.lte(10_000)), 60),
});
export type ShadowConfig = z.infer<typeof ShadowConfig>;
