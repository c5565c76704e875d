/** Types for scripts/check-cycles.mjs (plain JS so it runs with no build step). */
export declare function specifiers(source: string): string[];
export declare function resolveSpecifier(fromFile: string, spec: string, exists?: (path: string) => boolean): string | undefined;
export declare function findCycles(graph: Map<string, string[]>): string[][];
/** Roots are resolved against the working directory. */
export declare function importGraph(roots: string[]): Map<string, string[]>;
