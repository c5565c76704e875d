/** Types for report-svg.mjs. */
import type { ScenarioResult } from "./report-md.d.mts";

export declare function timelineSvg(results: ScenarioResult[]): string;
