/**
 * Where classification and extraction history lives: Workers KV, a few shard keys per tenant, route and label space.
 *
 *   hist:<tenant16>:<route>:<label|extract>:<space id>:<shard>  →  Example[] (at most SHARD_SIZE), TTL
 *
 * Why KV and not a Durable Object: the history is read only when every vendor is down (a DO call on that path would
 * be one more dependency in an outage, and KV reads are served from the colo); it is a sample, so a lost update
 * between two isolates writing the same shard costs one example, not correctness; and it needs no new binding or
 * migration. Bounds: `maxExamples` per space (shards × SHARD_SIZE, a new example replaces the oldest in its shard),
 * every key expires `ttlSeconds` after its last write, and an isolate writes a shard key at most once a second
 * (KV's limit per key) — an answer that arrives sooner is not recorded. The tenant is a hash, never the name;
 * texts are scrubbed before they get here (src/degrade/history.ts).
 */
import type { KeyValueStore } from "../cache/store";
import { fingerprint, type Example, type HistoryConfig, type HistorySpace } from "./history";

/** Examples per KV value: small enough to read-modify-write cheaply (~25 × 600 characters). */
export const SHARD_SIZE = 25;
/** KV accepts one write per second per key. */
const MIN_WRITE_INTERVAL_MS = 1000;

export interface HistoryScope {
  tenant: string;
  route: string;
}

const shardsOf = (cfg: Pick<HistoryConfig, "maxExamples">) => Math.ceil(cfg.maxExamples / SHARD_SIZE);

/** The first 16 hex digits of SHA-256 of the tenant: the same tenant key shape as the cache's (docs/storage.md). */
async function tenant16(tenant: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(tenant));
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Key prefix of one tenant's, route's and label space's history (docs/storage.md). */
export async function historyPrefix(scope: HistoryScope, space: HistorySpace): Promise<string> {
  return `hist:${await tenant16(scope.tenant)}:${scope.route}:${space.kind}:${space.id}:`;
}

export class HistoryStore {
  /** Last write per shard key, this isolate (bounded: cleared when it grows past 10 000 keys). */
  static readonly lastWrite = new Map<string, number>();

  constructor(
    private readonly kv: KeyValueStore,
    private readonly cfg: HistoryConfig,
  ) {}

  /**
   * Add `example` to its shard (chosen by its text, so a repeated ticket replaces itself instead of piling up).
   * Returns false when the shard was written less than a second ago by this isolate (nothing is written).
   */
  async record(scope: HistoryScope, space: HistorySpace, example: Example, now: number): Promise<boolean> {
    const shard = parseInt(fingerprint(example.t), 16) % shardsOf(this.cfg);
    const key = `${await historyPrefix(scope, space)}${shard}`;
    const last = HistoryStore.lastWrite.get(key);
    if (last !== undefined && now >= last && now - last < MIN_WRITE_INTERVAL_MS) return false;
    if (HistoryStore.lastWrite.size > 10_000) HistoryStore.lastWrite.clear();
    HistoryStore.lastWrite.set(key, now);
    const stored = await this.kv.get<Example[]>(key);
    const kept = (Array.isArray(stored?.value) ? stored.value : []).filter((e) => e.t !== example.t);
    const next = [...kept, example].sort((a, b) => a.at - b.at).slice(-SHARD_SIZE);
    await this.kv.put(key, next, { ttlSeconds: this.cfg.ttlSeconds });
    return true;
  }

  /** Every example of the space, newest last (one KV read per shard, in parallel). */
  async load(scope: HistoryScope, space: HistorySpace): Promise<Example[]> {
    const prefix = await historyPrefix(scope, space);
    const shards = await Promise.all(Array.from({ length: shardsOf(this.cfg) }, (_, i) => this.kv.get<Example[]>(`${prefix}${i}`)));
    return shards
      .flatMap((s) => (Array.isArray(s?.value) ? s.value : []))
      .filter((e) => typeof e?.t === "string")
      .sort((a, b) => a.at - b.at);
  }
}
