/**
 * Readiness config: the comparator's bar per answer class (`readiness.thresholds`), how many comparisons a
 * (route, target) readiness keeps, and a route's shadow traffic (`routes.<name>.shadow`, default off). Defaults and
 * why they are what they are: docs/readiness.md "Thresholds".
 */
import * as z from "zod";

/** The answer classes the comparator judges differently (src/readiness/compare.ts `classOf`). */
export const CompareClass = z.enum(["json", "tools", "classification", "extraction", "text"]);
export type CompareClass = z.infer<typeof CompareClass>;

const Share = z.number().min(0).max(1);

export const Thresholds = z
  .object({
    /** JSON answers: mean field score (enums, numbers, booleans exact; free strings by token overlap). */
    json: Share.default(0.7),
    /** Tool calls: same functions, and this share of argument fields equal after normalising. */
    tools: Share.default(1),
    /** Classification: the label must be the same; kept as a number so one table holds every class. */
    classification: Share.default(1),
    /** Extraction: field-level F1 (precision and recall of the primary's fields). */
    extraction: Share.default(0.8),
    /** Free text (chat, summarization, rewrite): token-set overlap (Jaccard) of the two answers. */
    text: Share.default(0.3),
    /** Free text: the shorter answer is at least this share of the longer one's length. */
    textLengthRatio: Share.default(0.4),
  })
  .strict();
export type Thresholds = z.infer<typeof Thresholds>;

export const ReadinessConfig = z
  .object({
    thresholds: Thresholds.prefault({}),
    /** Each (route, target) readiness is computed over its last this-many comparisons. */
    window: z.number().int().min(10).max(1000).default(200),
  })
  .strict();
export type ReadinessConfig = z.infer<typeof ReadinessConfig>;

const Target = z.string().regex(/^[^/]+\/.+$/, "a shadow target is 'provider/model'");

/** `routes.<name>.shadow` (and the top-level `shadow` default): mirror a sample of primary-served requests. */
export const ShadowConfig = z
  .object({
    /** `provider/model` pairs to mirror to; empty means off. */
    targets: z.array(Target).max(4).default([]),
    /** Share of eligible requests mirrored, 0 … 1. */
    sampleRate: Share.default(0.05),
    /** At most this many mirrored requests per route per minute, per isolate (a ceiling on shadow spend). */
    maxPerMinute: z.number().int().min(0).max(10_000).default(60),
  })
  .strict();
export type ShadowConfig = z.infer<typeof ShadowConfig>;
