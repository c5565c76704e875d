/**
 * What a breaker state says about admitting a call, as anyone holding only a snapshot can tell: the effective state at
 * a moment and its verdict (admit, deny with a reason, or ask the owner for a probe permit). The permit count itself
 * is the owner's (`admit` in ./breaker.ts, run by the ProviderHealth Durable Object).
 */
import type { BreakerDenial, BreakerStateName } from "./breaker-types";

/** The part of a breaker that decides admission: a full `BreakerState` or a `ProviderSnapshot` will do. */
export interface BreakerStateView {
  state: BreakerStateName;
  openUntil: number | null;
}

/**
 * The state a breaker is in at `now`, as far as admission goes: an OPEN breaker whose `openUntil` has passed is
 * effectively HALF_OPEN (the next `admit` moves it there), even while a snapshot still says OPEN.
 */
export function effectiveState(snapshot: BreakerStateView, now: number): BreakerStateName {
  return snapshot.state === "OPEN" && snapshot.openUntil !== null && now >= snapshot.openUntil ? "HALF_OPEN" : snapshot.state;
}

/**
 * What a breaker state says about a call without anyone holding the probe permits: `admit` (CLOSED), `deny` with the
 * reason the trace shows, or `probe` — only the breaker's owner (the Durable Object) can grant one of its limited
 * half-open permits, so the caller must ask it.
 */
export type BreakerVerdict =
  | { verdict: "admit"; reason: "closed" }
  | { verdict: "deny"; reason: Exclude<BreakerDenial, "probe_denied"> }
  | { verdict: "probe" };

/** The verdict of a state already made effective (see `effectiveState`). */
export function verdictOf(state: BreakerStateName): BreakerVerdict {
  switch (state) {
    case "CLOSED":
      return { verdict: "admit", reason: "closed" };
    case "HALF_OPEN":
      return { verdict: "probe" };
    case "OPEN":
      return { verdict: "deny", reason: "breaker_open" };
    case "FORCED_OPEN":
      return { verdict: "deny", reason: "forced_open" };
    case "DISABLED":
      return { verdict: "deny", reason: "disabled" };
  }
}

/**
 * Local admission from a snapshot at `now`, with no round trip: CLOSED admits; FORCED_OPEN, DISABLED and an OPEN
 * breaker not yet due deny; an OPEN breaker past `openUntil` and a HALF_OPEN one need a probe permit from the owner.
 * The same rules as `admit`, minus the permit count that only the owner holds.
 */
export function admitLocally(snapshot: BreakerStateView, now: number): BreakerVerdict {
  return verdictOf(effectiveState(snapshot, now));
}
