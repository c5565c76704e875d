/** Types for thresholds.mjs. */
import type { Analysis, Check, Scenario } from "./types.d.mts";

export declare function evaluate(scenario: Pick<Scenario, "thresholds">, overall: Analysis["overall"], phases: Analysis["phases"]): Check[];
