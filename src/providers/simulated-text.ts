/**
 * Small deterministic text helpers of the simulated provider (src/providers/simulated.ts): a stable hash, the token
 * rule of thumb, and the content words of a prompt that every simulated answer talks about.
 */

/** FNV-1a: a stable 32-bit hash, so ids and styles never depend on randomness. */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The "~4 characters per token" rule of thumb; at least 1 so usage is never zero for a non-empty turn. */
export function tokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

export const STOPWORDS = new Set(
  (
    "a an and are as at be can do does for from have how i in is it me my of on or so the to was we what when where " +
    "which who why will with you your about after also been before being could give into just like make more most " +
    "need please should some tell than that then there their them they this very want were would write explain"
  ).split(" "),
);

/** Distinct content words of the prompt, in order: what the reply talks about. */
export function keywords(prompt: string): string[] {
  const words = prompt.match(/[\p{L}\p{N}][\p{L}\p{N}_-]*/gu) ?? [];
  const seen = new Set<string>();
  const pick = (w: string) => {
    const k = w.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  };
  const content = (w: string) => !STOPWORDS.has(w.toLowerCase());
  let out = words.filter((w) => w.length >= 4 && content(w) && pick(w));
  if (out.length === 0) out = words.filter((w) => content(w) && pick(w));
  if (out.length === 0) out = words.filter(pick);
  return out.length > 0 ? out.slice(0, 6) : ["that"];
}

/** The first words of a text, whitespace-normalised, for quoting back. */
export function echo(text: string, n = 10): string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return "your request";
  return words.slice(0, n).join(" ") + (words.length > n ? "…" : "");
}

/** "a", "a and b", "a, b and c" (at most three). */
export function list(ks: string[]): string {
  const xs = ks.slice(0, 3);
  return xs.length <= 1 ? (xs[0] ?? "") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`;
}

/** An endless supply of the given words, in order. */
export function cycle(words: string[]): () => string {
  let i = 0;
  return () => words[i++ % words.length]!;
}

/** Lower-cased word stems (a trailing plural "s" dropped), for matching a prompt to a tool's name and description. */
export function stems(text: string): string[] {
  // camelCase and snake_case names split into words first: getWeather, get_weather → get, weather.
  const words = text.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.map((w) => (w.length > 4 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w));
}
