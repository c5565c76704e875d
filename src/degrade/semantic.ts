/**
 * The optional semantic backstop of classification from history: a Workers AI text-embeddings model (it runs on
 * Cloudflare's own infrastructure, independent of the external vendors) embeds the new request and the best lexical
 * candidates in one call, and their cosine similarities re-rank the vote (src/degrade/history-vote.ts). Off unless
 * `degrade.history.semantic.enabled` and an `AI` binding exist; any failure or a slow answer leaves the lexical vote.
 * Cost and latency: docs/degradation.md.
 */
import { withTimeout, type Clock } from "../engine/clock";
import type { HistoryConfig } from "./history";
import type { Ranker } from "./history-vote";

/** The slice of the Workers AI binding this uses. */
export interface EmbeddingsBinding {
  run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * (b[i] ?? 0);
    na += a[i]! * a[i]!;
    nb += (b[i] ?? 0) * (b[i] ?? 0);
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** `{ data: number[][] }`, the shape text-embeddings models return; anything else is not trusted. */
function vectorsOf(out: unknown, n: number): number[][] | undefined {
  const data = (out as { data?: unknown })?.data;
  if (!Array.isArray(data) || data.length !== n) return undefined;
  return data.every((v) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number")) ? (data as number[][]) : undefined;
}

/**
 * A `Ranker` over the AI binding: one `run` with `{ text: [query, ...candidates] }`, bounded by `timeoutMs`.
 * Undefined (lexical vote) on a throw, a timeout or an answer that is not one vector per text; `onNote` says why.
 */
export function embeddingRanker(ai: EmbeddingsBinding, cfg: HistoryConfig["semantic"], clock: Pick<Clock, "sleep">, onNote: (note: string) => void): Ranker {
  return async (query, texts) => {
    try {
      const out = await withTimeout(ai.run(cfg.model, { text: [query, ...texts] }), cfg.timeoutMs, clock);
      const vectors = vectorsOf(out, texts.length + 1);
      if (!vectors) {
        onNote(`history: embeddings from ${cfg.model} had an unexpected shape; lexical vote used`);
        return undefined;
      }
      const [q, ...rest] = vectors;
      return rest.map((v) => cosine(q!, v));
    } catch (err) {
      onNote(`history: embeddings unavailable (${err instanceof Error ? err.message : String(err)}); lexical vote used`);
      return undefined;
    }
  };
}
