/**
 * Purging any number of cached answers within Workers' per-invocation limit on KV operations (1,000): one call does
 * at most `PURGE_KEYS_PER_CALL` deletes (plus this colo's Cache API copies and one list per page), then returns a
 * cursor; the admin calls again with it until `done`. Listing pages forward with KV's own cursor, so keys already
 * deleted (KV lists are eventually consistent) are never listed twice.
 */
import { edgeRequest, type EdgeCache } from "./intent-cache";

/** Deletes per call: with one Cache API delete each and the list calls, well under 1,000 operations. */
export const PURGE_KEYS_PER_CALL = 450;

interface Position {
  /** Index into the prefixes. */
  p: number;
  /** KV's list cursor within that prefix. */
  c?: string;
}

const encode = (pos: Position) => btoa(JSON.stringify(pos)).replace(/=+$/, "");

/** The cursor a caller passed back, or undefined when it is not one of ours. */
export function decodeCursor(s: string): Position | undefined {
  try {
    const v = JSON.parse(atob(s)) as Position;
    return Number.isInteger(v.p) && v.p >= 0 && (v.c === undefined || typeof v.c === "string") ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface PurgeStep {
  removed: number;
  done: boolean;
  /** Pass back to continue (absent when done). */
  cursor?: string;
}

/** One bounded step of a purge over `prefixes`, from `from` (the start when absent). */
export async function purgeStep(kv: KVNamespace, prefixes: string[], from: Position = { p: 0 }, edge?: EdgeCache, maxKeys = PURGE_KEYS_PER_CALL): Promise<PurgeStep> {
  let pos: Position = { ...from };
  let removed = 0;
  while (pos.p < prefixes.length && removed < maxKeys) {
    const page = await kv.list({ prefix: prefixes[pos.p]!, limit: Math.min(1000, maxKeys - removed), ...(pos.c ? { cursor: pos.c } : {}) });
    const names = page.keys.map((k) => k.name);
    await Promise.all(names.map((k) => kv.delete(k)));
    // Only this colo's copy can be removed; other colos' expire within cache.edgeTtlSeconds.
    if (edge) await Promise.all(names.map((k) => edge.delete(edgeRequest(k)).catch(() => false)));
    removed += names.length;
    pos = page.list_complete ? { p: pos.p + 1 } : { p: pos.p, c: page.cursor };
  }
  const done = pos.p >= prefixes.length;
  return { removed, done, ...(done ? {} : { cursor: encode(pos) }) };
}
