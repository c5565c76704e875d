/** Types for scripts/lib/history-eval.mjs. */
export interface Row {
  category: string;
  items: number;
  accuracy?: number;
  precision?: number;
  recall?: number;
  misleading: number;
  abstained?: number;
}
export declare function evaluateHistory(lib: unknown, tickets: unknown, extraction: unknown, opts?: { limit?: number; config?: unknown }): Promise<{ rows: Row[]; misses: string[] }>;
export declare function formatRows(rows: Row[]): string;
