/**
 * The KV store behind an interface, with an in-memory twin so unit tests need no platform. Detour uses KV only for
 * things where eventual consistency is fine: cached answers, near-duplicate band pointers, templates and the chaos
 * version flag — never breaker state (no compare-and-set, ~60 s propagation). On the request path every call is
 * bounded (`cache.kvTimeoutMs`): a KV that never answers costs one bounded wait, then the caller bypasses it.
 */
import { withTimeout, type Clock } from "../engine/clock";

export interface StoredValue<T> {
  value: T;
  metadata: unknown;
}

export interface KeyValueStore {
  get<T>(key: string): Promise<StoredValue<T> | null>;
  /** `ttlSeconds` is raised to KV's minimum of 60. */
  put(key: string, value: unknown, opts?: { ttlSeconds?: number; metadata?: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys under a prefix (all pages). */
  list(prefix: string): Promise<string[]>;
}

/** KV refuses expirationTtl below 60 s. */
export const KV_MIN_TTL_SECONDS = 60;

/** A bound on every call: reject with "no answer within N ms" after `timeoutMs` on `clock`. */
export interface CallBound {
  timeoutMs: number;
  clock: Pick<Clock, "sleep">;
}

/** `p` within `bound`, or `p` itself when there is no bound. */
export function bounded<T>(p: Promise<T>, bound: CallBound | undefined): Promise<T> {
  return bound ? withTimeout(p, bound.timeoutMs, bound.clock) : p;
}

export class KvStore implements KeyValueStore {
  constructor(
    private readonly kv: KVNamespace,
    private readonly bound?: CallBound,
  ) {}

  async get<T>(key: string): Promise<StoredValue<T> | null> {
    const { value, metadata } = await bounded(this.kv.getWithMetadata<unknown>(key, "json"), this.bound);
    return value === null ? null : { value: value as T, metadata };
  }

  async put(key: string, value: unknown, opts: { ttlSeconds?: number; metadata?: unknown } = {}): Promise<void> {
    const put = this.kv.put(key, JSON.stringify(value), {
      ...(opts.ttlSeconds !== undefined ? { expirationTtl: Math.max(KV_MIN_TTL_SECONDS, Math.ceil(opts.ttlSeconds)) } : {}),
      ...(opts.metadata !== undefined ? { metadata: opts.metadata } : {}),
    });
    await bounded(put, this.bound);
  }

  async delete(key: string): Promise<void> {
    await bounded(this.kv.delete(key), this.bound);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page: KVNamespaceListResult<unknown, string> = await bounded(this.kv.list({ prefix, ...(cursor ? { cursor } : {}) }), this.bound);
      keys.push(...page.keys.map((k) => k.name));
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    return keys;
  }
}

/** In-memory twin: same contract, expiry by an injected clock. */
export class MemoryStore implements KeyValueStore {
  #data = new Map<string, { json: string; metadata: unknown; expiresAt?: number }>();
  constructor(private readonly now: () => number = () => Date.now()) {}

  async get<T>(key: string): Promise<StoredValue<T> | null> {
    const e = this.#data.get(key);
    if (!e) return null;
    if (e.expiresAt !== undefined && this.now() >= e.expiresAt) {
      this.#data.delete(key);
      return null;
    }
    return { value: JSON.parse(e.json) as T, metadata: e.metadata };
  }

  async put(key: string, value: unknown, opts: { ttlSeconds?: number; metadata?: unknown } = {}): Promise<void> {
    this.#data.set(key, {
      json: JSON.stringify(value),
      metadata: opts.metadata,
      ...(opts.ttlSeconds !== undefined ? { expiresAt: this.now() + Math.max(KV_MIN_TTL_SECONDS, opts.ttlSeconds) * 1000 } : {}),
    });
  }

  async delete(key: string): Promise<void> {
    this.#data.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.#data.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
