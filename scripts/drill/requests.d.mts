/** Types for requests.mjs. */
import type { AbuseKind, Scenario, TaskClass } from "./types.d.mts";

/** One planned request. */
export interface PlannedRequest {
  cls: TaskClass;
  stream: boolean;
  repeat: boolean;
  body: { model: string; messages: Array<{ role: string; content: string }>; stream?: boolean; [field: string]: unknown };
  headers?: Record<string, string>;
  /** The body as sent, when JSON.stringify cannot make it (a schema nested deeper than Node's stack). */
  bodyText?: string;
  expect?: string;
  /** Multi-tenant scenarios: who sends it, and an abusive request's kind. */
  tenant?: string;
  kind?: AbuseKind;
}

export declare const ABUSE_KINDS: readonly AbuseKind[];
export declare const REPLY_FIRST_WORD: string;
export declare const DEEP_SCHEMA_LEVELS: number;
export declare function deepSchemaText(levels: number): string;
export declare function abusiveRequest(kind: AbuseKind, n: number): Pick<PlannedRequest, "cls" | "body" | "bodyText">;

export declare function mulberry32(seed: number): () => number;
export declare const hashString: (s: string) => number;
export declare function makeRequest(cls: TaskClass, rnd: () => number, n: number, stream: boolean): Omit<PlannedRequest, "cls" | "stream" | "repeat">;
export declare function planner(scenario: Pick<Scenario, "name" | "seed" | "mix" | "tenants">): (i: number) => PlannedRequest;
