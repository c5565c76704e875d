/** Types for scenarios.mjs. */
import type { Scenario } from "./types.d.mts";

export declare const DRILLS_DIR: string;
export declare const MAX_RATE: number;
export declare const MAX_SCENARIO_MS: number;
export declare const THRESHOLD_KEYS: readonly string[];
export declare const TENANT_THRESHOLD_KEYS: readonly string[];
export declare function loadScenarios(dir?: string): Array<Scenario & { file: string }>;
export declare function scenariosFrom(files: Array<{ file: string; text: string }>): Array<Scenario & { file: string }>;
export declare function checkScenario(s: unknown): string[];
export declare function selectScenarios<S extends Scenario>(all: S[], opts?: { names?: string[]; quick?: boolean }): S[];
