// Classify: what kind of task is this (route's class, the caller's x-detour-task, or the request's own shape)?
import { classify as classifyRequest } from "../routing/classify";
import type { PipelineDeps } from "./deps";
import type { Classified, Resolved } from "./state";

/** Task class, needs and input-token estimate, for routing, caching, limits and the log. */
export function classify(state: Resolved, _deps: PipelineDeps): Classified {
  const header = state.http.headers.get("x-detour-task");
  const classification = classifyRequest(state.request, {
    ...(state.route?.taskClass ? { routeClass: state.route.taskClass } : {}),
    ...(header ? { header } : {}),
  });
  state.recorder.describe({ route: state.plan.route, stream: state.request.stream, taskClass: classification.taskClass });
  return { ...state, classification };
}
