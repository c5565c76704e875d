/** Types for thresholds.mjs. */
import type { Analysis, Check, Scenario, TenantResult } from "./types.d.mts";

export declare function evaluate(
  scenario: Pick<Scenario, "thresholds">,
  overall: Analysis["overall"],
  phases: Analysis["phases"],
  extras?: { tenants?: TenantResult[]; breakerSamples?: Analysis["breakerSamples"] },
): Check[];
