/**
 * When an answer with no text and no tool calls is still the answer. A vendor that stops on the caller's own stop
 * sequence before writing anything, or spends the caller's whole `max_tokens` before any visible text, did exactly
 * what it was asked: that empty answer is passed through as the vendor gave it, never the provider's `empty` failure
 * (otherwise one tenant's stop sequence could open a breaker for every tenant). Any other empty answer stays `empty`.
 */
import type { CanonicalRequest, FinishReason } from "../canonical";

/** True when an empty answer that finished with `finishReason` is explained by the caller's own `stop`/`max_tokens`. */
export function emptyIsExplained(req: Pick<CanonicalRequest, "stop" | "maxTokens">, finishReason: FinishReason | undefined): boolean {
  if (finishReason === "stop") return (req.stop ?? []).some((s) => s !== "");
  if (finishReason === "length") return req.maxTokens !== undefined;
  return false;
}
