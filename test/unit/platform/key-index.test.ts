import { afterEach, describe, expect, it, vi } from "vitest";
import { buildKeyIndex, keyIndexFor } from "../../../src/platform/key-index";

const keys = (n: number): [string, { tenant: string }][] =>
  Array.from({ length: n }, (_, i) => [`dtr_key_${String(i).padStart(8, "0")}_secret`, { tenant: `t${i}` }]);

afterEach(() => vi.restoreAllMocks());

describe("caller key index", () => {
  it("finds every configured key's tenant and nothing else among 5,000 keys", async () => {
    const entries = keys(5000);
    const index = await buildKeyIndex(entries);
    expect(index.size).toBe(5000);
    for (const i of [0, 1, 2499, 4999]) expect(await index.find(entries[i]![0])).toEqual({ tenant: `t${i}` });
    expect(await index.find("dtr_key_00005000_secret")).toBeUndefined();
    // A prefix, a suffix and a case change of a real key are all wrong keys.
    expect(await index.find("dtr_key_00000001_secre")).toBeUndefined();
    expect(await index.find("dtr_key_00000001_secrett")).toBeUndefined();
    expect(await index.find("DTR_KEY_00000001_SECRET")).toBeUndefined();
  });

  it("digests only the presented key per lookup, however many keys are configured", async () => {
    for (const n of [10, 10_000]) {
      const entries = keys(n);
      const index = await buildKeyIndex(entries);
      const spy = vi.spyOn(crypto.subtle, "digest");
      expect(await index.find(entries[n - 1]![0])).toEqual({ tenant: `t${n - 1}` });
      expect(await index.find("not-a-configured-key-at-all")).toBeUndefined();
      expect(spy).toHaveBeenCalledTimes(2);
      spy.mockRestore();
    }
  });

  it("builds once per DETOUR_API_KEYS value and rebuilds when the value changes", async () => {
    const entries = keys(3);
    let builds = 0;
    const parse = () => (builds++, entries);
    const a = keyIndexFor("raw-a", parse);
    expect(keyIndexFor("raw-a", parse)).toBe(a);
    expect(builds).toBe(1);
    const b = keyIndexFor("raw-b", () => (builds++, keys(1)));
    expect(b).not.toBe(a);
    expect(builds).toBe(2);
    expect((await b).size).toBe(1);
    expect(await (await b).find(entries[2]![0])).toBeUndefined();
  });
});
