/**
 * What an output check is: a pure function of the caller's request and one provider's answer that says why the
 * answer breaks the caller's contract, or nothing when it holds. Checks never look at the provider or the route.
 */
import type { CanonicalRequest, CanonicalResponse } from "../canonical";

/** Why an answer failed: which check (a short stable name, a metric label) and a sentence the caller may read. */
export interface CheckFailure {
  check: string;
  reason: string;
}

/**
 * One check of an answer against the caller's contract; undefined when the answer passes. `judgesPrefix`: a check
 * that a prefix of the text already fails whenever the whole answer would (too long, a forbidden phrase), so a
 * pass-through stream can be stopped as soon as it fails instead of after it finished.
 */
export type OutputCheck = ((req: CanonicalRequest, res: CanonicalResponse) => CheckFailure | undefined) & { judgesPrefix?: boolean };
