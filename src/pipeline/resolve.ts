// Resolve: which route (targets, attempt policy, deadline) and which cache intent does this request run under?
import { ApiError } from "../api/errors";
import { parseDeadlineHeader, resolvePlan } from "../routing/resolve";
import type { PipelineDeps } from "./deps";
import type { Parsed, Resolved } from "./state";

/** The caller's `model` → the route's plan; `x-detour-intent` or the route's own intent; whether a trace was asked. */
export function resolve(state: Parsed, _deps: PipelineDeps): Resolved {
  const header = (name: string) => state.http.headers.get(name) ?? undefined;
  const plan = resolvePlan(state.model, state.config, parseDeadlineHeader(header("x-detour-deadline-ms") ?? null));
  const route = state.config.routes[plan.route];
  const intentHeader = header("x-detour-intent");
  if (intentHeader !== undefined && (intentHeader.trim() === "" || intentHeader.length > 200)) {
    throw new ApiError(400, "invalid_request_error", "invalid_intent", "x-detour-intent must be 1-200 characters (an FAQ id, a document fingerprint…).", "x-detour-intent");
  }
  const intent = intentHeader?.trim() || route?.cache?.intent;
  state.recorder.describe({ route: plan.route, stream: state.request.stream });
  return { ...state, plan, ...(route ? { route } : {}), ...(intent ? { intent } : {}), wantTrace: header("x-detour-trace") === "1" };
}
