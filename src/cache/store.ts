/**
 * The KV store behind an interface, with an in-memory twin so unit tests need no platform. Detour uses KV only for
 * things where eventual consistency is fine: cached answers, near-duplicate band pointers and templates — never breaker
 * state (no compare-and-set, ~60 s propagation).
 */

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

export class KvStore implements KeyValueStore {
  constructor(private readonly kv: KVNamespace) {}

  async get<T>(key: string): Promise<StoredValue<T> | null> {
    const { value, metadata } = await this.kv.getWithMetadata<unknown>(key, "json");
    return value === null ? null : { value: value as T, metadata };
  }

  async put(key: string, value: unknown, opts: { ttlSeconds?: number; metadata?: unknown } = {}): Promise<void> {
    await this.kv.put(key, JSON.stringify(value), {
      ...(opts.ttlSeconds !== undefined ? { expirationTtl: Math.max(KV_MIN_TTL_SECONDS, Math.ceil(opts.ttlSeconds)) } : {}),
      ...(opts.metadata !== undefined ? { metadata: opts.metadata } : {}),
    });
  }

  async delete(key: string): Promise<void> {
    await this.kv.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page: KVNamespaceListResult<unknown, string> = await this.kv.list({ prefix, ...(cursor ? { cursor } : {}) });
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
