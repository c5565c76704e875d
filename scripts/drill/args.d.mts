/** Types for args.mjs. */

export declare const HELP: string;
export declare function parseArgs(argv: string[]): { quick: boolean; scenarios: string[]; out?: string; list: boolean; traces?: true; help?: true };
