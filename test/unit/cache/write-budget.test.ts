import { describe, expect, it } from "vitest";
import { grantWrites, leaseSize, mayWrite } from "../../../src/cache/write-budget";

describe("cache write budget leases", () => {
  it("the object never grants more than the budget in a minute, and starts afresh the next", () => {
    let ledger = { minute: -1, granted: 0 };
    const grants: number[] = [];
    for (let i = 0; i < 5; i++) {
      const g = grantWrites(ledger, 10_000, 10, 4);
      grants.push(g.granted);
      ledger = g.ledger;
    }
    expect(grants).toEqual([4, 4, 2, 0, 0]);
    expect(grantWrites(ledger, 70_000, 10, 4).granted).toBe(4);
  });

  it("a lease is a twentieth of the budget, at least one write", () => {
    expect(leaseSize(120)).toBe(6);
    expect(leaseSize(2)).toBe(1);
  });

  it("an isolate spends its lease locally and asks again only when it is used up; a refusal stops asking", async () => {
    const memo = new Map<string, number>();
    let calls = 0;
    let left = 8; // the fleet's budget this minute, as the object sees it
    const lease = async (_now: number, _budget: number, want: number) => {
      calls++;
      const g = Math.min(want, left);
      left -= g;
      return g;
    };
    const results: boolean[] = [];
    for (let i = 0; i < 12; i++) results.push(await mayWrite(memo, "t", 1_000, 60, lease));
    expect(results.filter(Boolean)).toHaveLength(8);
    expect(calls).toBe(4); // 3 + 3 + 2 granted, then one refusal, then no more calls this minute
  });

  it("falls back to counting in the isolate when the object fails", async () => {
    const memo = new Map<string, number>();
    const broken = async () => {
      throw new Error("object unreachable");
    };
    const results: boolean[] = [];
    for (let i = 0; i < 4; i++) results.push(await mayWrite(memo, "t", 1_000, 3, broken));
    expect(results).toEqual([true, true, true, false]);
    expect(await mayWrite(memo, "t", 1_000, 0)).toBe(false);
  });
});
