/**
 * Where readiness lives: in the shadow target's own `ProviderHealth` object (its provider's global breaker key), next
 * to that provider's breaker and health, so one writer keeps each (route, target) window. The object holds the book
 * (`ReadinessBook`) and calls `applyShadow` on each report; its snapshot carries `readinessOf(book)`, so /status,
 * /metrics and routing (`requireReadiness`) read readiness from the snapshots they already have.
 */
import type { ProviderSnapshot } from "../breakers/types";
import { recordInBook, summarizeBook, type ReadinessBook, type ReadinessSummary, type ShadowSample } from "./score";

export type { ReadinessStub } from "./types";

/**
 * The object holding a target's readiness: its provider's own, non-regional breaker key — the provider id, as
 * `breakerKey` (src/breakers/request.ts) names it with no region. Readiness is not regional.
 */
export function readinessKey(providerId: string): string {
  return providerId;
}

/** The object's side of `recordShadow`: the book with these comparisons added. */
export function applyShadow(book: ReadinessBook | undefined, route: string, target: string, samples: ShadowSample[], window: number): ReadinessBook {
  return recordInBook(book, route, target, samples, window);
}

/** What the object's snapshot carries: route → target → summary (absent when nothing was ever compared). */
export function readinessOf(book: ReadinessBook | undefined): Record<string, Record<string, ReadinessSummary>> | undefined {
  return book && Object.keys(book).length > 0 ? summarizeBook(book) : undefined;
}

/** One readiness from a provider's snapshot. */
export function readinessIn(snap: ProviderSnapshot | undefined, route: string, target: string): ReadinessSummary | undefined {
  return snap?.readiness?.[route]?.[target];
}

/** Every readiness across the providers' snapshots: route → target → summary (for /status and /metrics). */
export function collectReadiness(snaps: (ProviderSnapshot | undefined)[]): Record<string, Record<string, ReadinessSummary>> {
  const out: Record<string, Record<string, ReadinessSummary>> = {};
  for (const s of snaps) {
    for (const [route, targets] of Object.entries(s?.readiness ?? {})) out[route] = { ...out[route], ...targets };
  }
  return out;
}
