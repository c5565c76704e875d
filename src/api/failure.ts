/**
 * When no target could answer: the engine's `Failure` → the error the caller sees. Messages say what happened per
 * provider and, for operator problems (a rejected key, a missing model), which provider to fix.
 */
import { statusForAll, type UpstreamError } from "../engine/errors";
import type { Failure } from "../engine/types";
import type { Target } from "../providers/types";
import { ApiError } from "./errors";

/** `retryAfterSeconds`: when the soonest breaker will let a probe through (for `all_providers_unavailable`). */
export function failureToApiError(failure: Failure, route: string, clean: (s: string) => string, retryAfterSeconds = 1): ApiError {
  switch (failure.kind) {
    case "caller":
      if (failure.error.errorClass === "unconvertible") {
        return new ApiError(400, "invalid_request_error", "unconvertible_request", `Detour could not convert this request for the provider; change the input: ${clean(failure.error.message)}`);
      }
      return new ApiError(400, "invalid_request_error", "upstream_rejected_request", `The provider rejected the request as invalid: ${clean(failure.error.message)}`);
    case "deadline":
      return new ApiError(504, "timeout_error", "deadline_exceeded", `No provider on '${route}' answered before the request deadline; raise x-detour-deadline-ms or the route's timeouts.deadlineMs.`);
    case "aborted":
      return new ApiError(499 as number, "api_error", "client_closed_request", "The client closed the request.");
    case "exhausted": {
      const errs = failure.errors.map((f) => f.error);
      if (errs.length === 0) {
        // Nothing was even tried: every target's breaker is open, forced open or disabled.
        const why = failure.skipped.map((s) => `${s.target.provider.id}/${s.target.model.id}: ${s.reason}`).join("; ");
        return new ApiError(503, "api_error", "all_providers_unavailable", `No provider on '${route}' is taking traffic right now (${why}).`, null, {
          "retry-after": String(retryAfterSeconds),
        });
      }
      // The status comes from the error-policy table (src/engine/errors.ts): shared by every target's class, else 503.
      const status = statusForAll(errs.map((e) => e.errorClass));
      if (status === 400) {
        return new ApiError(400, "invalid_request_error", "context_length_exceeded", `The prompt is too long for every model on '${route}': ${errs.map((e) => clean(e.message)).join("; ")}`, "messages");
      }
      if (errs.every((e) => e.errorClass === "invalid_output")) {
        // Every provider answered, and every answer broke the caller's contract (src/validate/): say which check each failed.
        const parts = failure.errors.map((f) => `${f.target.provider.id}/${f.target.model.id}: ${clean(f.error.message)} (${f.error.check ?? "invalid_output"})`);
        return new ApiError(502, "api_error", "invalid_upstream_output", `Every provider on '${route}' answered, but no answer passed validation: ${parts.join("; ")}.`);
      }
      const retryAfter = Math.max(1, ...errs.map((e) => Math.ceil((e.retryAfterMs ?? 0) / 1000)));
      const parts = failure.errors.map((f) => describe(f.target, f.error, clean));
      return new ApiError(
        status,
        status === 429 ? "rate_limit_error" : "api_error",
        "all_providers_failed",
        `Every provider on '${route}' failed: ${parts.join("; ")}.`,
        null,
        { "retry-after": String(retryAfter) },
      );
    }
  }
}

function describe(t: Target, e: UpstreamError, clean: (s: string) => string): string {
  const pid = t.provider.id;
  const p = t.provider;
  const status = e.status ? ` ${e.status}` : "";
  if (e.errorClass === "upstream_auth") {
    return `${clean(e.message)} (${e.errorClass}${status}: the operator's key for provider '${pid}' was rejected; check the secret ${p?.apiKeySecret ?? "(none configured)"})`;
  }
  if (e.errorClass === "model_not_found") {
    return `${clean(e.message)} (${e.errorClass}${status}: provider '${pid}' does not know this model; fix its models in DETOUR_CONFIG)`;
  }
  return `${clean(e.message)} (${e.errorClass}${status})`;
}
