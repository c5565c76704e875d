/**
 * Deterministic text measures the comparator uses: normalised tokens, token-set overlap, length ratio, and the
 * refusal phrases models answer with when they decline without a content-filter finish. No model, no network.
 */

/** Lower-case word tokens (letters and digits, any script), punctuation dropped. */
export function tokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Jaccard overlap of the two texts' token sets, 0 … 1 (two empty texts are identical). */
export function tokenSetSimilarity(a: string, b: string): number {
  const sa = new Set(tokens(a));
  const sb = new Set(tokens(b));
  if (sa.size === 0 && sb.size === 0) return 1;
  let both = 0;
  for (const t of sa) if (sb.has(t)) both++;
  return both / (sa.size + sb.size - both);
}

/** Shorter length over longer length (in characters), 0 … 1; two empty texts have ratio 1. */
export function lengthRatio(a: string, b: string): number {
  const la = a.trim().length;
  const lb = b.trim().length;
  if (la === 0 && lb === 0) return 1;
  return Math.min(la, lb) / Math.max(la, lb);
}

/** A label or short value, compared loosely: case, surrounding punctuation and inner whitespace ignored. */
export function normaliseLabel(text: string): string {
  return tokens(text).join(" ");
}

/**
 * How models decline in words (finish "stop"): checked only at the start of an answer, where a refusal puts it, so an
 * answer that merely quotes such a phrase later is not a refusal.
 */
const REFUSAL_OPENINGS = [
  /^(i'?m|i am) (sorry|afraid)\b[^.]{0,40}\b(can(no|')t|cannot|unable|not able)\b/i,
  /^(sorry|apologies)[,.!]?\s+(but\s+)?i (can(no|')t|cannot|won'?t|am unable|'m unable)\b/i,
  /^i (can(no|')t|cannot|won'?t|am unable to|'m unable to|am not able to) (help|assist|comply|provide|do that|answer|fulfil|fulfill)/i,
  /^(unfortunately,?\s+)?i('m| am) (not able|unable) to (help|assist|comply|provide)/i,
  /^as an ai\b[^.]{0,60}\b(can(no|')t|cannot|unable)\b/i,
];

/** Does this text read as the model declining? */
export function refusesInWords(text: string | null): boolean {
  if (!text) return false;
  const head = text.trim().slice(0, 160);
  return REFUSAL_OPENINGS.some((re) => re.test(head));
}
