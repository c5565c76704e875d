/**
 * Why a run stopped early: the caller went away, or its whole-request deadline passed. Neither says anything about
 * the provider. "Client gone" is spelled only here: `ClientGoneError` is the abort reason, `isClientGone` the test.
 */
import type { Target } from "../providers/types";
import { UpstreamError } from "./errors";

/** Abort reason when the caller went away (or a hedge's losing branch was called off). */
export class ClientGoneError extends Error {
  constructor(message = "client went away") {
    super(message);
    this.name = "ClientGoneError";
  }
}

/** Abort reason when the whole-request deadline passed. */
export class DeadlineError extends Error {
  constructor(message = "deadline") {
    super(message);
    this.name = "DeadlineError";
  }
}

/** True when `reason` (an abort reason or a thrown error) means the caller went away. */
export function isClientGone(reason: unknown): boolean {
  return reason instanceof ClientGoneError;
}

/** Any failure of an attempt as an `UpstreamError` (the engine's one error shape). */
export function toUpstreamError(err: unknown, target: Target): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (err instanceof DeadlineError) return new UpstreamError("timeout", "the request deadline passed");
  if (isClientGone(err)) return new UpstreamError("timeout", "the client went away");
  return new UpstreamError("network", `${target.provider.id}: ${err instanceof Error ? err.message : String(err)}`);
}
