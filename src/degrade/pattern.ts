/**
 * Operator-supplied regular expressions, checked before use. A leaf module: the ladder's config schema validates
 * patterns with it and the rules and templates run them, so neither has to import the other for it.
 */

/** Patterns longer than this are refused: config and templates are operator input, and long patterns hide ReDoS. */
export const MAX_PATTERN_LENGTH = 200;

/**
 * Compiles an operator-supplied pattern, case-insensitively (people do not type ids or keywords consistently). Refuses
 * over-long patterns and nested quantifiers like `(a+)+`, the classic catastrophic-backtracking shape, because a
 * Worker has a CPU budget and one bad pattern must not turn every degraded request into a timeout.
 */
export function compilePattern(pattern: string): { ok: true; re: RegExp } | { ok: false; message: string } {
  if (pattern.length === 0) return { ok: false, message: "pattern is empty" };
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, message: `pattern is ${pattern.length} characters; the limit is ${MAX_PATTERN_LENGTH}` };
  }
  if (/\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)\s*[+*{]/.test(pattern)) {
    return { ok: false, message: "pattern repeats a group that itself contains + or * (like (a+)+), which can take exponential time" };
  }
  try {
    return { ok: true, re: new RegExp(pattern, "i") };
  } catch (e) {
    return { ok: false, message: `pattern does not compile: ${(e as Error).message}` };
  }
}
