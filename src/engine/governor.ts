/**
 * Per-isolate, per-provider retry budget and client-side adaptive throttling (src/resilience/budget.ts holds the
 * policy). They stop Detour from amplifying a vendor's overload: retries stay under a ratio of requests, and when a
 * provider rejects most calls, Detour rejects a share locally (the SRE book's formula) instead of sending them.
 */
import {
  canRetry,
  initialRetryBudget,
  initialThrottle,
  recordAttempt,
  recordRequest,
  recordRetry,
  rejectProbability,
  shouldThrottle,
  type RetryBudgetConfig,
  type RetryBudgetState,
  type ThrottleConfig,
  type ThrottleState,
} from "../resilience/budget";
import { isOverload, type ErrorClass } from "./errors";

export class Governor {
  #budgets = new Map<string, RetryBudgetState>();
  #throttles = new Map<string, ThrottleState>();

  constructor(
    private readonly retry: RetryBudgetConfig,
    private readonly throttle: ThrottleConfig,
  ) {}

  /** A new request's first attempt on `provider`: counted, or rejected locally when the provider is overloaded. */
  firstAttempt(provider: string, now: number, random: number): { allowed: boolean; reason?: string } {
    const t = this.#throttles.get(provider) ?? initialThrottle();
    if (shouldThrottle(t, this.throttle, now, random)) {
      this.#throttles.set(provider, recordAttempt(t, now, false, this.throttle));
      return { allowed: false, reason: `throttled (p=${rejectProbability(t, this.throttle, now).toFixed(2)})` };
    }
    this.#budgets.set(provider, recordRequest(this.#budgets.get(provider) ?? initialRetryBudget(), now, this.retry));
    return { allowed: true };
  }

  /** May this request retry `provider` once more? Counts the retry when it may. */
  mayRetry(provider: string, now: number): boolean {
    const b = this.#budgets.get(provider) ?? initialRetryBudget();
    if (!canRetry(b, this.retry, now).allowed) return false;
    this.#budgets.set(provider, recordRetry(b, now, this.retry));
    return true;
  }

  /** Record an attempt's end: an overload class (errors.ts's `overload`) counts as a rejection for throttling. */
  outcome(provider: string, now: number, errorClass: ErrorClass | undefined): void {
    const accepted = !isOverload(errorClass);
    this.#throttles.set(provider, recordAttempt(this.#throttles.get(provider) ?? initialThrottle(), now, accepted, this.throttle));
  }

  rejectProbability(provider: string, now: number): number {
    return rejectProbability(this.#throttles.get(provider) ?? initialThrottle(), this.throttle, now);
  }
}
