/** Types for scripts/eval-degrade/history.mjs. */
import type { Row } from "../lib/history-eval.mjs";
export declare function run(): Promise<Row[]>;
