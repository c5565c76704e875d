import type { CanonicalRequest, CanonicalResponse } from "../canonical";
/** Which check failed and why, in words a caller can act on. */
export interface CheckFailure { check: string; reason: string }
/** One check of an answer against the caller's contract; undefined when it passes. */
export type OutputCheck = (req: CanonicalRequest, res: CanonicalResponse) => CheckFailure | undefined;
