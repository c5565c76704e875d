/** Types for analysis.mjs. */
import type { Analysis, DrillRecord, PhaseRun, Scenario, Summary } from "./types.d.mts";

/** The slice of DETOUR_CONFIG the analysis reads. */
export interface DrillConfig {
  providers: Array<{ id: string; models: Array<{ id: string; price?: { input: number; output: number } }> }>;
  routes: { auto: { targets: string[] } };
}

export declare const RECOVERY_TAIL_MS: number;
export declare function primaryOf(config: DrillConfig): string;
export declare function primarySharePct(config: DrillConfig, recs: DrillRecord[]): number | null;
export declare function touchedPct(recs: DrillRecord[], providers: string[]): number | null;
export declare function pct(sorted: number[], p: number): number | null;
export declare function costOf(config: DrillConfig, r: DrillRecord): number;
export declare function summarise(config: DrillConfig, recs: DrillRecord[]): Summary;
export declare function analyse(
  scenario: Pick<Scenario, "thresholds" | "tenants" | "recoveryTailMs">,
  config: DrillConfig,
  phases: PhaseRun[],
  records: DrillRecord[],
  breakerSamples: Array<{ t: number; states: Record<string, string>; faults?: number }>,
  endMs: number,
  dropped: number,
): Analysis;
