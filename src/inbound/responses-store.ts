/**
 * Stored responses of the OpenAI Responses API (`store`, `previous_response_id`, `item_reference`, GET/DELETE
 * /v1/responses/:id) in Workers KV. One key per response, `resp:<tenant16>:<response id>`, holding the response object
 * as the caller got it and the whole conversation that led to it, with a TTL (`responses.store.ttlSeconds`). So:
 * - one KV write per stored response, after the answer (ctx.waitUntil);
 * - continuing a conversation (`previous_response_id`) is one KV read: the stored conversation is already whole;
 * - an `item_reference` is one KV read per response it names: item ids embed their response's id
 *   (`msg_<r>_<n>`, `fc_<r>_<n>`, input items `…_<r>_in<n>`), so no index is needed.
 * Keys are tenant-scoped by the same hash as the cache's (src/cache/keys.ts): another tenant's id is simply not found,
 * and no key holds a tenant name or a secret. KV is eventually consistent across locations: see docs/inbound-apis.md.
 */
import { ApiError, excerpt } from "../api/errors";
import { tenantHash } from "../cache/keys";
import { KvStore } from "../cache/store";
import type { Clock } from "../engine/clock";
import type { ResponsesStoreConfig } from "./responses-store-config";
import { itemReferences, type ResponsesBody, type StoredContext } from "./responses-request";

/** One stored response (the KV value, JSON). */
export interface StoredResponse {
  v: 1;
  /** The response object as the caller got it (`store: true`), without Detour's `detour` trace object. */
  response: { id: string; output: unknown[]; [field: string]: unknown };
  /** The whole conversation that led to it, as wire items with ids: the previous conversation, then this request's input. */
  input: unknown[];
}

const ID_BODY = "[A-Za-z0-9.:-]{1,128}";
const RESPONSE_ID = new RegExp(`^resp_(${ID_BODY})$`);
const ITEM_ID = new RegExp(`^(?:msg|fc|fco)_(${ID_BODY})_(?:in)?\\d+$`);

/** A fresh response id, stored or not (never the caller's x-request-id, so two requests never share one). */
export const newResponseId = () => `resp_${crypto.randomUUID().replaceAll("-", "")}`;

/** The response an item id belongs to, or undefined when the id is not one Detour gave out. */
export function responseIdOfItem(itemId: string): string | undefined {
  const m = ITEM_ID.exec(itemId);
  return m ? `resp_${m[1]}` : undefined;
}

/** Input items without an id get one that names this response (`msg_<r>_in<n>`), so a later item_reference finds them. */
export function withItemIds(responseId: string, items: unknown[]): unknown[] {
  const r = responseId.slice("resp_".length);
  return items.map((item, n) => {
    const it = item as { type?: unknown; id?: unknown };
    if (typeof it.id === "string" && it.id !== "") return item;
    const prefix = it.type === "function_call" ? "fc" : it.type === "function_call_output" ? "fco" : "msg";
    return { ...(item as object), id: `${prefix}_${r}_in${n}` };
  });
}

/**
 * This isolate's responses whose KV write has not finished: a tool loop's next step often arrives before the write
 * lands, and most often at the same isolate. Entries leave when their write settles; a bounded map, so a stuck KV
 * cannot grow it without limit.
 */
const pending = new Map<string, StoredResponse>();
const MAX_PENDING = 256;

/** The tenant's stored responses. Reads are bounded by `readTimeoutMs`: KV trouble is a 503, never a guessed context. */
export class ResponsesStore {
  readonly #kv: KvStore;
  readonly #writer: KVNamespace;

  private constructor(
    kv: KVNamespace,
    private readonly tenant16: string,
    private readonly config: ResponsesStoreConfig,
    clock: Pick<Clock, "sleep">,
    private readonly later: (p: Promise<unknown>) => void,
  ) {
    this.#kv = new KvStore(kv, { timeoutMs: config.readTimeoutMs, clock });
    this.#writer = kv;
  }

  static async open(kv: KVNamespace, tenant: string, config: ResponsesStoreConfig, clock: Pick<Clock, "sleep">, later: (p: Promise<unknown>) => void): Promise<ResponsesStore> {
    return new ResponsesStore(kv, await tenantHash(tenant), config, clock, later);
  }

  #key(id: string): string {
    return `resp:${this.tenant16}:${id}`;
  }

  async get(id: string): Promise<StoredResponse | null> {
    if (!RESPONSE_ID.test(id)) return null;
    const key = this.#key(id);
    const mine = pending.get(key);
    if (mine) return mine;
    try {
      const got = await this.#kv.get<StoredResponse>(key);
      return got && got.value.v === 1 ? got.value : null;
    } catch (err) {
      throw new ApiError(503, "api_error", "store_unavailable", `Stored responses could not be read (${err instanceof Error ? err.message : "KV error"}); retry, or send the whole conversation in 'input'.`);
    }
  }

  /**
   * Store after the answer (one KV write, in ctx.waitUntil); the isolate sees it at once. The write is not bounded by
   * `readTimeoutMs`: nobody waits on it, and giving up early would only lose the response.
   */
  put(stored: StoredResponse): void {
    const key = this.#key(stored.response.id);
    if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value!);
    pending.set(key, stored);
    const write = this.#writer.put(key, JSON.stringify(stored), { expirationTtl: this.config.ttlSeconds });
    this.later(write.catch(() => undefined).finally(() => pending.delete(key)));
  }

  /** Delete a stored response; false when there was none (or it expired). */
  async delete(id: string): Promise<boolean> {
    if (!(await this.get(id))) return false;
    pending.delete(this.#key(id));
    try {
      await this.#kv.delete(this.#key(id));
    } catch (err) {
      throw new ApiError(503, "api_error", "store_unavailable", `The stored response could not be deleted (${err instanceof Error ? err.message : "KV error"}); retry.`);
    }
    return true;
  }
}

/** Find `id` among a stored response's output and input items. */
function findItem(stored: StoredResponse, id: string): unknown {
  return [...stored.response.output, ...stored.input].find((item) => (item as { id?: unknown }).id === id);
}

/**
 * Read what a request continues: the previous response's conversation and the items its `item_reference`s name —
 * one KV read per distinct response, in parallel. An unknown previous response is OpenAI's 400
 * `previous_response_not_found`; an unknown item is left out here and refused (404) where the input is built.
 */
export async function resolveStored(b: ResponsesBody, store: ResponsesStore): Promise<StoredContext> {
  const refs = itemReferences(b.input);
  const wanted = new Set<string>();
  if (b.previous_response_id != null) wanted.add(b.previous_response_id);
  for (const ref of refs) {
    const rid = responseIdOfItem(ref.id);
    if (rid) wanted.add(rid);
  }
  const found = new Map<string, StoredResponse | null>();
  await Promise.all([...wanted].map(async (id) => void found.set(id, await store.get(id))));

  let previous: unknown[] = [];
  if (b.previous_response_id != null) {
    const prev = found.get(b.previous_response_id);
    if (!prev) {
      throw new ApiError(400, "invalid_request_error", "previous_response_not_found", `Previous response with id '${excerpt(b.previous_response_id)}' not found.`, "previous_response_id");
    }
    previous = [...prev.input, ...prev.response.output];
  }
  const items = new Map<string, unknown>();
  for (const ref of refs) {
    const rid = responseIdOfItem(ref.id);
    const stored = rid ? found.get(rid) : undefined;
    const item = stored ? findItem(stored, ref.id) : undefined;
    if (item !== undefined) items.set(ref.id, item);
  }
  return { previous, items };
}
