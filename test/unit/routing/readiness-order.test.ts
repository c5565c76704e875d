import { describe, expect, it } from "vitest";
import type { Target } from "../../../src/providers/types";
import { orderByReadiness } from "../../../src/routing/readiness-order";

const t = (id: string) => ({ target: { provider: { id }, model: { id: "m" } } as unknown as Target });
const ids = (xs: { target: Target }[]) => xs.map((x) => x.target.provider.id);

describe("requireReadiness ordering", () => {
  const plan = [t("a"), t("b"), t("c"), t("d")];
  const measured: Record<string, { equivalenceRate: number; comparisons: number }> = {
    b: { equivalenceRate: 0.4, comparisons: 50 },
    c: { equivalenceRate: 0.95, comparisons: 50 },
    d: { equivalenceRate: 0.1, comparisons: 3 }, // too little evidence: unmeasured
  };
  const of = (x: Target) => measured[x.provider.id];
  it("moves failovers below the bar behind ready and unmeasured ones; the primary stays first", () => {
    const r = orderByReadiness(plan, 0.8, of);
    expect(ids(r.ordered)).toEqual(["a", "c", "d", "b"]);
    expect(ids(r.demoted)).toEqual(["b"]);
  });
  it("never drops a target, and changes nothing without a bar", () => {
    expect(ids(orderByReadiness(plan, 0.99, of).ordered)).toEqual(["a", "d", "b", "c"]);
    expect(ids(orderByReadiness(plan, undefined, of).ordered)).toEqual(["a", "b", "c", "d"]);
  });
});
