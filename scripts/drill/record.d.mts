/** Types for record.mjs. */
import type { Answer } from "./client.d.mts";
import type { DrillRecord, TaskClass } from "./types.d.mts";

export declare function recordOf(
  i: number,
  phaseIndex: number,
  phase: string,
  req: { cls: TaskClass; stream: boolean; repeat: boolean; expect?: string },
  sentAt: number,
  r: Answer,
  keepTraces?: boolean,
): DrillRecord;
