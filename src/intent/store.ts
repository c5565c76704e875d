/**
 * Reading a route's registered intents on the request path: one KV read per route per isolate every
 * `INTENTS_MEMO_MS`, not one per request. A registration therefore reaches other isolates within that period plus
 * KV's own propagation (up to about a minute); the isolate that served the admin call sees it at once.
 */
import type { KeyValueStore } from "../cache/store";
import { IntentDoc, intentsKey } from "./registry";

/** How long an isolate reuses a route's intents before reading KV again. */
export const INTENTS_MEMO_MS = 10_000;

const memo = new WeakMap<object, Map<string, { at: number; doc: IntentDoc | undefined }>>();

/** The route's intents (undefined when none are registered), memoised per KV binding and route. */
export async function routeIntents(binding: object, kv: KeyValueStore, route: string, now: number): Promise<IntentDoc | undefined> {
  let byRoute = memo.get(binding);
  if (!byRoute) memo.set(binding, (byRoute = new Map()));
  const hit = byRoute.get(route);
  if (hit && now - hit.at < INTENTS_MEMO_MS) return hit.doc;
  const stored = await kv.get<unknown>(intentsKey(route));
  const parsed = stored ? IntentDoc.safeParse(stored.value) : undefined;
  const doc = parsed?.success ? parsed.data : undefined;
  byRoute.set(route, { at: now, doc });
  return doc;
}

/** Drop the memo for a route after an admin change, so this isolate applies it at once. */
export function forgetIntents(binding: object, route: string): void {
  memo.get(binding)?.delete(route);
}
