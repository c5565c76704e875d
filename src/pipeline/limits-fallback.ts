// Limits fallback: when the tenant's limiter object does not answer, what does this isolate enforce, and what does the trace say?
import { ApiError } from "../api/errors";
import type { TenantLimits, Usage } from "../resilience/limits";
import { UNKNOWN_SPEND_RETRY_SECONDS, type LocalDecision, type LocalLimits, type SpendBasis, type UnknownSpend } from "../resilience/local-limits";
import type { Hold } from "../resilience/spend-holds";
import { limitError } from "../routing/route-request";

export interface Fallback {
  tenant: string;
  limits: TenantLimits;
  now: number;
  estimate: Usage;
  /** How long a request let in under a cap holds its estimate here (the same as the object would). */
  holdMs: number;
  unknownSpend: UnknownSpend;
  /** Why the object did not decide (its error's message). */
  why: string;
}

/**
 * Decide with this isolate's own counts (src/resilience/local-limits.ts), push the trace note saying what was
 * enforced, and throw when refused: over a limit, the same 429 the object gives (`spend_cap_reached` included); a
 * capped tenant whose spend this isolate cannot know, with `unknownSpend: "refuse"`, a 503 saying so. A request let
 * in under a cap holds its estimate locally; the handle is returned for its commit.
 */
export function fallbackLimits(local: LocalLimits, f: Fallback, notes: string[]): { decision: LocalDecision; hold?: Hold } {
  const decision = local.check(f.tenant, f.limits, f.now, f.estimate, f.unknownSpend);
  notes.push(`tenant limits: limiter unreachable (${f.why}); enforced by this isolate's local per-minute limits${spendNote(decision.basis, f.now)}`);
  if (decision.basis.kind === "unknown") {
    throw new ApiError(
      503,
      "api_error",
      "spend_cap_unverified",
      `This tenant has a monthly spend cap, and its spend cannot be checked right now (the limiter is unreachable); retry in ${UNKNOWN_SPEND_RETRY_SECONDS} s.`,
      null,
      { "retry-after": String(UNKNOWN_SPEND_RETRY_SECONDS) },
    );
  }
  if (!decision.allowed) throw limitError(decision);
  if (decision.basis.kind === "uncapped") return { decision };
  const hold = local.reserve(f.tenant, f.now, f.estimate.costUsd, f.holdMs);
  return { decision, ...(hold ? { hold } : {}) };
}

function spendNote(spend: SpendBasis, now: number): string {
  switch (spend.kind) {
    case "uncapped":
      return "";
    case "reported":
      return ` and the spend cap, against the limiter's last report plus this isolate's spend since ($${spend.usd.toFixed(4)} this month, reported ${Math.max(0, Math.round((now - spend.at) / 1000))} s ago)`;
    case "local":
      return ` and the spend cap against this isolate's own spend only ($${spend.usd.toFixed(4)}; the limiter has not reported this tenant's month here, tenants.unknownSpend "local")`;
    case "unknown":
      return `; spend cap not checkable (the limiter has not reported this tenant's month here): refused (tenants.unknownSpend "refuse")`;
  }
}
