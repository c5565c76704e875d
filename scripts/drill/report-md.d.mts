/** Types for report-md.mjs. */
import type { Analysis } from "./types.d.mts";

/** One scenario's result as runScenario returns it: the analysis, or `error` when it could not run. */
export type ScenarioResult = { name: string; description?: string; file?: string; quick: boolean; rate: number; error?: string; requests?: unknown[] } & Partial<Analysis>;

/** When, where and how long (report.json's top-level fields). */
export interface ReportMeta {
  at: string;
  durationMs: number;
  quick: boolean;
  machine: { cpus: number; cpu: string; node: string; platform?: string; loadavg?: { start: number; end: number } };
  miniflare: string;
  [field: string]: unknown;
}

export declare function headlineRows(results: ScenarioResult[]): string[];
export declare function markdown(results: ScenarioResult[], meta: ReportMeta): string;
export declare function busyNote(meta: ReportMeta): string | undefined;
