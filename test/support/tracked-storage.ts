/**
 * KV and Cache API wrappers for workers tests: every operation is tracked by the manual clock as real I/O, and KV
 * keys get a per-harness prefix so one test's cached answers never reach another.
 */
import type { EdgeCache } from "../../src/cache/intent-cache";
import type { ManualClock } from "./clock";

/** `prefix` "" keeps keys as they are (a test that shares the namespace with a Durable Object, say). */
export function trackedKv(kv: KVNamespace, clock: ManualClock, prefix: string): KVNamespace {
  const p = (k: string) => (prefix ? `${prefix}/${k}` : k);
  const wrapped = {
    get: (key: string, opts?: unknown) => clock.track(kv.get(p(key), opts as "text")),
    getWithMetadata: (key: string, opts?: unknown) => clock.track(kv.getWithMetadata(p(key), opts as "text")),
    put: (key: string, value: string, opts?: KVNamespacePutOptions) => clock.track(kv.put(p(key), value, opts)),
    delete: (key: string) => clock.track(kv.delete(p(key))),
    list: async (opts?: KVNamespaceListOptions) => {
      const res = await clock.track(kv.list({ ...opts, prefix: p(opts?.prefix ?? "") }));
      return { ...res, keys: res.keys.map((k) => ({ ...k, name: prefix ? k.name.slice(prefix.length + 1) : k.name })) };
    },
  };
  return wrapped as unknown as KVNamespace;
}

export function trackedEdge(clock: ManualClock, prefix: string): EdgeCache {
  const scoped = (r: Request) => new Request(`${r.url}/${prefix}`);
  const cache = (caches as unknown as { default: EdgeCache }).default;
  return {
    match: (r) => clock.track(cache.match(scoped(r))),
    put: (r, res) => clock.track(cache.put(scoped(r), res)),
    delete: (r) => clock.track(cache.delete(scoped(r))),
  };
}
