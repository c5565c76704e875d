/**
 * `routes.<name>.requireReadiness`: a failover target whose measured shadow equivalence (src/readiness/) is below the
 * bar moves behind the better-prepared targets — never out of the list, since a weak fallback beats none. The plan's
 * first target (the primary) keeps its place. Order after it: targets measured at or above the bar, then targets not
 * yet measured (fewer than `MIN_COMPARISONS`), then targets measured below it; each group keeps the plan's order.
 */
import type { Target } from "../providers/types";

/** Fewer comparisons than this is too little evidence to demote a target. */
export const MIN_COMPARISONS = 10;

export interface Measured {
  equivalenceRate: number;
  comparisons: number;
}

export function orderByReadiness<E extends { target: Target }>(
  ordered: E[],
  bar: number | undefined,
  readinessOf: (t: Target) => Measured | undefined,
): { ordered: E[]; demoted: E[] } {
  if (bar === undefined || ordered.length < 3) return { ordered, demoted: [] };
  const [first, ...rest] = ordered;
  const rate = (e: E) => {
    const m = readinessOf(e.target);
    return m && m.comparisons >= MIN_COMPARISONS ? m.equivalenceRate : undefined;
  };
  const ready = rest.filter((e) => (rate(e) ?? -1) >= bar);
  const unmeasured = rest.filter((e) => rate(e) === undefined);
  const below = rest.filter((e) => rate(e) !== undefined && rate(e)! < bar);
  return { ordered: [first!, ...ready, ...unmeasured, ...below], demoted: below };
}
