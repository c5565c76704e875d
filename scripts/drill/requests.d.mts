/** Types for requests.mjs. */
import type { Scenario, TaskClass } from "./types.d.mts";

/** One planned request. */
export interface PlannedRequest {
  cls: TaskClass;
  stream: boolean;
  repeat: boolean;
  body: { model: string; messages: Array<{ role: string; content: string }>; stream?: boolean; [field: string]: unknown };
  headers?: Record<string, string>;
  expect?: string;
}

export declare function mulberry32(seed: number): () => number;
export declare const hashString: (s: string) => number;
export declare function makeRequest(cls: TaskClass, rnd: () => number, n: number, stream: boolean): Omit<PlannedRequest, "cls" | "stream" | "repeat">;
export declare function planner(scenario: Pick<Scenario, "name" | "seed" | "mix">): (i: number) => PlannedRequest;
