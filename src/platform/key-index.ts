/**
 * Caller-key lookup in O(1): the configured keys' SHA-256 digests are computed once per DETOUR_API_KEYS value (per
 * isolate) into a map; a request digests only the key it presents, finds its one candidate by the digest's first
 * 6 bytes, and compares all 32 bytes in constant time. So authentication costs the same with 10 or 10,000 tenants.
 *
 * Why this is as safe as comparing against every key: the map is keyed by a digest, not by the secret, so the time a
 * lookup takes depends only on bits of SHA-256(presented) — which an attacker can compute anyway and which say nothing
 * about any configured key. The final comparison has no early exit.
 */
import { digest } from "./tokens";

/**
 * The digest's first 6 bytes as one exact integer: the map key (a number, so a lookup builds no string). Two
 * configured keys sharing it (~2^-48) share one bucket, and the full compare tells them apart.
 */
function bucketOf(d: Uint8Array): number {
  return ((d[0]! << 16) | (d[1]! << 8) | d[2]!) * 0x1000000 + ((d[3]! << 16) | (d[4]! << 8) | d[5]!);
}

/** Constant-time equality of two 32-byte digests. */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}

export interface KeyIndex<T> {
  /** The value of the configured key equal to `presented`, if any. One digest, one map lookup, one compare. */
  find(presented: string): Promise<T | undefined>;
  readonly size: number;
}

/** Digest every entry's key once. */
export async function buildKeyIndex<T>(entries: [string, T][]): Promise<KeyIndex<T>> {
  const buckets = new Map<number, { d: Uint8Array; value: T }[]>();
  const digests = await Promise.all(entries.map(([key]) => digest(key)));
  entries.forEach(([, value], i) => {
    const d = digests[i]!;
    const b = bucketOf(d);
    const list = buckets.get(b);
    if (list) list.push({ d, value });
    else buckets.set(b, [{ d, value }]);
  });
  return {
    size: entries.length,
    async find(presented) {
      const p = await digest(presented);
      const candidates = buckets.get(bucketOf(p));
      if (!candidates) return undefined;
      let found: T | undefined;
      for (const c of candidates) if (sameDigest(c.d, p)) found = c.value;
      return found;
    },
  };
}

let memo: { raw: string; index: Promise<KeyIndex<unknown>> } | undefined;

/**
 * The index for one DETOUR_API_KEYS value, built once per isolate and reused while the value is unchanged (a new
 * value — a rotated secret — builds a new one). `raw` is the memo key; `entries` are its parsed keys.
 */
export function keyIndexFor<T>(raw: string, entries: () => [string, T][]): Promise<KeyIndex<T>> {
  if (memo && memo.raw === raw) return memo.index as Promise<KeyIndex<T>>;
  const index = buildKeyIndex(entries());
  memo = { raw, index };
  // A failed build (it should not fail) must not stick: the next request tries again.
  index.catch(() => {
    if (memo?.index === index) memo = undefined;
  });
  return index;
}
