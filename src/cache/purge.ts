/**
 * Purging any number of cached answers within Workers' per-invocation limit on KV operations (1,000): one step does
 * at most `maxKeys` deletes (plus this colo's Cache API copies and one list per page) and returns where it stopped.
 * The admin request runs the first step; a larger purge continues in a CachePurge object's alarm, one step per
 * invocation (durable-objects/cache-purge.ts). Listing pages forward with KV's own cursor, so keys already deleted
 * (KV lists are eventually consistent) are never listed twice.
 */
import { edgeRequest, type EdgeCache } from "./intent-cache";

/** Deletes per call: with one Cache API delete each and the list calls, well under 1,000 operations. */
export const PURGE_KEYS_PER_CALL = 450;

/** Deletes per alarm of a purge job: no Cache API copies there, so one delete per key plus a list per page. */
export const PURGE_KEYS_PER_ALARM = 900;

/** Where a purge stopped (plain JSON, so a purge job stores it as is). */
export interface Position {
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
  /** The same position, decoded (absent when done). */
  next?: Position;
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
  return { removed, done, ...(done ? {} : { cursor: encode(pos), next: pos }) };
}

/** A purge job's progress (GET /admin/cache/purges/:id). */
export interface PurgeStatus {
  id: string;
  tenant: string;
  intent?: string;
  state: "running" | "done";
  /** KV keys deleted so far, the admin request's first step included. */
  removedKeys: number;
  /** Bounded steps run so far (the admin request's first step is step 1). */
  steps: number;
  /** Epoch ms. */
  startedAt: number;
  updatedAt: number;
  /** The last step's failure, when it failed (the job retries it). */
  lastError?: string;
}

/** What the admin routes need of a CachePurge object (a structural type, as the other stubs). */
export interface PurgeJobStub {
  start(job: { id: string; tenant: string; intent?: string; prefixes: string[]; next: Position; removedKeys: number; startedAt: number }): Promise<PurgeStatus>;
  status(): Promise<PurgeStatus | null>;
}
