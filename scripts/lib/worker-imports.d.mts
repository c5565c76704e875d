/** Types for scripts/lib/worker-imports.mjs. */
export declare const FORBIDDEN_IMPORTS: Array<[RegExp, string]>;
export declare function forbiddenImports(roots?: string[]): string[];
